#pragma once
/// \file caption_edit.hpp
/// The text of an Edit captions reply: "top text | bottom text". The first `|` splits it; each
/// side is trimmed and may be empty (no caption there), so "| bottom" sets only the bottom line
/// and "|" alone removes both. A text without `|`, or with more than one, is refused (a caption
/// with a stray `|` is more likely a typo than meant). Each side is at most
/// kMaxEditedCaptionChars characters (Unicode code points), so a caption stays a few lines on
/// the frame. Errors are values: the refusal's kind and, for a long side, which one.

#include <cstddef>
#include <string_view>
#include <variant>

#include "core/candidate_store.hpp"

namespace memegen::bot {

/// Longest edited caption, per side, in characters.
inline constexpr std::size_t kMaxEditedCaptionChars = 150;

/// Why a reply is not a caption edit.
struct CaptionEditRefusal {
    enum class Kind { no_separator, too_many_separators, too_long };
    Kind kind = Kind::no_separator;
    bool bottom = false;     ///< too_long: the bottom side (else the top)
    std::size_t length = 0;  ///< too_long: its length in characters
};

/// The captions `text` asks for, or why it does not.
[[nodiscard]] std::variant<EditedCaptions, CaptionEditRefusal> parse_caption_edit(
    std::string_view text);

}  // namespace memegen::bot
