#pragma once
/// \file utf8.hpp
/// UTF-8 as the bot checks it everywhere text leaves it (Telegram's HTML, the publishers'
/// JSON): one definition of a valid sequence (RFC 3629: no overlongs, no surrogates, nothing
/// above U+10FFFF), and decoding that turns each invalid byte into U+FFFD. Header-only, so the
/// publish library and the Telegram helpers share it without depending on each other.

#include <cstddef>
#include <string_view>

namespace memegen::bot {

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

/// Length of the valid UTF-8 sequence at `text[pos]` (pos < text.size()), or 0 if it is invalid.
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view text,
                                                      std::size_t pos) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const std::size_t left = text.size() - pos;
    const unsigned char b0 = byte(0);
    if (b0 < 0x80)
        return 1;
    const auto cont = [&](std::size_t i) { return i < left && (byte(i) & 0xC0) == 0x80; };
    if (b0 >= 0xC2 && b0 <= 0xDF)
        return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        if (b0 == 0xE0 && byte(1) < 0xA0)
            return 0;  // overlong
        if (b0 == 0xED && byte(1) >= 0xA0)
            return 0;  // UTF-16 surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        if (b0 == 0xF0 && byte(1) < 0x90)
            return 0;  // overlong
        if (b0 == 0xF4 && byte(1) >= 0x90)
            return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

/// One character of a text, and the bytes that stand for it (U+FFFD's for an invalid byte).
struct Utf8Char {
    char32_t code = 0;
    std::string_view bytes;
};

/// Calls `each(Utf8Char)` for every character of `text`, in order; each invalid byte is one
/// U+FFFD.
template <typename Each>
void for_each_utf8(std::string_view text, Each each) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = utf8_sequence_length(text, i);
        if (n == 0) {
            each(Utf8Char{0xFFFD, kUtf8Replacement});
            ++i;
            continue;
        }
        const auto b0 = static_cast<unsigned char>(text[i]);
        char32_t code = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
        for (std::size_t k = 1; k < n; ++k)
            code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        each(Utf8Char{code, text.substr(i, n)});
        i += n;
    }
}

}  // namespace memegen::bot
