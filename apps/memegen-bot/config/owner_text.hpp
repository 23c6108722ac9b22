#pragma once
/// \file owner_text.hpp
/// Text the owner types — a command's argument, a slot time, a caption reply: the blanks
/// around it (spaces, tabs, line ends that Telegram clients add) never count.

#include <string_view>

namespace memegen::bot {

/// `text` without leading and trailing spaces, tabs, CR and LF.
[[nodiscard]] constexpr std::string_view trim_blanks(std::string_view text) noexcept {
    constexpr std::string_view kBlanks = " \t\r\n";
    const auto first = text.find_first_not_of(kBlanks);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

}  // namespace memegen::bot
