#pragma once
/// \file disliked_memes.hpp
/// Disliked memes as a source of the near-duplicate check (look_alikes.hpp): each source the
/// owner disliked (👎) that is still in force, with the hash of its library file and when the
/// button was pressed. A copy of a disliked meme sent again is refused like one published.

#include <chrono>

#include "library/dislike_store.hpp"
#include "library/library_catalog.hpp"
#include "library/look_alikes.hpp"

namespace memegen::bot {

/// The dislikes of `dislikes` in force, hashed by `library`; a dislike lasts `dislike_days`
/// (its press was that long before its expiry). Both must outlive the source.
[[nodiscard]] SeenMemes disliked_memes(DislikeStore& dislikes, const LibraryCatalog& library,
                                       std::chrono::days dislike_days);

}  // namespace memegen::bot
