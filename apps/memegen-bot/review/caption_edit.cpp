#include "review/caption_edit.hpp"

#include <algorithm>
#include <string>

#include "config/owner_text.hpp"

namespace memegen::bot {

namespace {

// UTF-8 code points: every byte that does not continue a sequence starts one.
std::size_t characters(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

std::variant<EditedCaptions, CaptionEditRefusal> parse_caption_edit(std::string_view text) {
    using Kind = CaptionEditRefusal::Kind;
    const auto bar = text.find('|');
    if (bar == std::string_view::npos)
        return CaptionEditRefusal{Kind::no_separator};
    if (text.find('|', bar + 1) != std::string_view::npos)
        return CaptionEditRefusal{Kind::too_many_separators};
    const auto top = trim_blanks(text.substr(0, bar));
    const auto bottom = trim_blanks(text.substr(bar + 1));
    if (const auto n = characters(top); n > kMaxEditedCaptionChars)
        return CaptionEditRefusal{Kind::too_long, false, n};
    if (const auto n = characters(bottom); n > kMaxEditedCaptionChars)
        return CaptionEditRefusal{Kind::too_long, true, n};
    return EditedCaptions{std::string(top), std::string(bottom)};
}

}  // namespace memegen::bot
