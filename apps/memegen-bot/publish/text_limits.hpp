#pragma once
/// \file text_limits.hpp
/// Each platform's rules for the texts of a post, applied by its publisher just before the
/// request, so that a long file name or caption is cut instead of refused: YouTube takes a title
/// of at most 100 characters and a description of at most 5,000 bytes, neither with '<' or '>',
/// and tags of at most 500 characters in all; X takes 280 by its weighted count. Text is cut on
/// character boundaries and ends with "…" where it was cut; invalid UTF-8 is replaced by U+FFFD
/// first (the requests are JSON, which must be valid UTF-8).
///
/// Errors: none; every function here returns a text the platform accepts.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace memegen::bot::publish {

/// A YouTube video title: one line, no '<' or '>', at most 100 characters; "#Shorts" when
/// nothing is left, since YouTube refuses an empty title.
[[nodiscard]] std::string youtube_title(std::string_view text);
/// A YouTube description: no '<' or '>', at most 5,000 UTF-8 bytes.
[[nodiscard]] std::string youtube_description(std::string_view text);
/// YouTube tags: without '<', '>' or ',', empty and repeated ones (case-insensitive ASCII)
/// dropped, and as many as fit in YouTube's 500 characters (a tag with a space counts its
/// quotes, each tag after the first a comma).
[[nodiscard]] std::vector<std::string> youtube_tags(const std::vector<std::string>& tags);
/// An X post's text: at most 280 by X's weighted count (most Latin, Cyrillic and Greek letters
/// 1, other characters such as CJK and emoji 2). A link counts as its characters here, while X
/// counts any link as 23: the templates' texts carry none.
[[nodiscard]] std::string x_post_text(std::string_view text);

/// X's weight of one character (twitter-text's default configuration: 1 in the ranges
/// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037, else 2).
[[nodiscard]] std::size_t x_weight(char32_t c) noexcept;

}  // namespace memegen::bot::publish
