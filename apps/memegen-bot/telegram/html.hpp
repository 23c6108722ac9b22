#pragma once
/// \file html.hpp
/// Telegram "HTML" parse mode helpers: escaping, UTF-8 repair, and cutting or splitting text to
/// Telegram's limits, which are counted in UTF-16 code units after entity parsing.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace memegen::bot {

/// Longest message text Telegram accepts (UTF-16 code units after entity parsing).
inline constexpr std::size_t kMaxMessageLength = 4096;
/// Longest media caption Telegram accepts (UTF-16 code units after entity parsing).
inline constexpr std::size_t kMaxCaptionLength = 1024;

/// `text` with every invalid UTF-8 sequence (overlong, surrogate, truncated, > U+10FFFF)
/// replaced by U+FFFD, so Telegram never answers 400 for bad bytes.
[[nodiscard]] std::string sanitize_utf8(std::string_view text);

/// Plain text made safe for parse_mode HTML: repairs UTF-8 and escapes `&`, `<`, `>`, `"`.
[[nodiscard]] std::string escape_html(std::string_view text);

/// Number of UTF-16 code units of (sanitized) UTF-8 `text`, as Telegram counts length.
[[nodiscard]] std::size_t utf16_length(std::string_view text);

/// Length Telegram sees for HTML `html`: tags removed, entities counted as their character.
[[nodiscard]] std::size_t html_text_length(std::string_view html);

/// `html` cut to at most `max_units` visible UTF-16 units, ending with `ellipsis` when cut;
/// never splits a UTF-8 sequence, entity or tag, and closes the tags left open.
[[nodiscard]] std::string truncate_html(std::string_view html, std::size_t max_units,
                                        std::string_view ellipsis = "\u2026");

/// `html` split into parts of at most `max_units` visible UTF-16 units each, preferring line
/// then word boundaries; tags open at a cut are closed and reopened in the next part, and
/// parts that would be blank are dropped. `html` should be Telegram HTML (text from
/// escape_html plus allowed tags); stray `<`, `>` and `&` are escaped, invalid UTF-8 replaced.
[[nodiscard]] std::vector<std::string> split_html(std::string_view html,
                                                  std::size_t max_units = kMaxMessageLength);

}  // namespace memegen::bot
