#pragma once
/// \file published_memes.hpp
/// Published memes as a source of the near-duplicate check (look_alikes.hpp): each candidate
/// published to the channel (candidates.json) with the hash of the library meme it was made
/// from, and when it was published. A published meme whose source file has left the library
/// has no hash known, and is not compared.

#include "core/candidate_store.hpp"
#include "library/library_catalog.hpp"
#include "library/look_alikes.hpp"

namespace memegen::bot {

/// The published candidates of `candidates`, hashed by `library`; both must outlive the source.
[[nodiscard]] SeenMemes published_memes(CandidateStore& candidates, const LibraryCatalog& library);

}  // namespace memegen::bot
