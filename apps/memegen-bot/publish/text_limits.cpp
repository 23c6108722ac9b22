#include "publish/text_limits.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "text/utf8.hpp"

namespace memegen::bot::publish {

namespace {

constexpr std::size_t kYouTubeTitleChars = 100;
constexpr std::size_t kYouTubeDescriptionBytes = 5000;
constexpr std::size_t kYouTubeTagsChars = 500;
constexpr std::size_t kXWeight = 280;
constexpr std::string_view kEllipsis = "…";

using Char = Utf8Char;

// The characters of `text`; an invalid byte is one U+FFFD.
std::vector<Char> decode(std::string_view text) {
    std::vector<Char> out;
    for_each_utf8(text, [&](const Char& c) { out.push_back(c); });
    return out;
}

// `chars` joined, cut so that their cost (plus the ellipsis's, when cut) is at most `limit`.
template <typename Cost>
std::string fit(const std::vector<Char>& chars, std::size_t limit, Cost cost) {
    std::size_t total = 0;
    for (const auto& c : chars)
        total += cost(c);
    std::string out;
    if (total <= limit) {
        for (const auto& c : chars)
            out += c.bytes;
        return out;
    }
    const std::size_t ellipsis = cost(Char{0x2026, kEllipsis});
    std::size_t used = 0;
    for (const auto& c : chars) {
        if (used + cost(c) + ellipsis > limit)
            break;
        used += cost(c);
        out += c.bytes;
    }
    // A cut right after a space or inside a line break reads better without it.
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n'))
        out.pop_back();
    out += kEllipsis;
    return out;
}

std::vector<Char> without_angle_brackets(std::vector<Char> chars, bool one_line) {
    std::erase_if(chars, [](const Char& c) { return c.code == '<' || c.code == '>'; });
    if (one_line) {
        for (auto& c : chars) {
            if (c.code == '\n' || c.code == '\r' || c.code == '\t')
                c = {' ', " "};
        }
    }
    return chars;
}

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    text.erase(0, first);
    text.erase(text.find_last_not_of(' ') + 1);
    return text;
}

const auto kOneChar = [](const Char&) -> std::size_t { return 1; };

}  // namespace

std::size_t x_weight(char32_t c) noexcept {
    const bool light = c <= 0x10FF || (c >= 0x2000 && c <= 0x200D) ||
                       (c >= 0x2010 && c <= 0x201F) || (c >= 0x2032 && c <= 0x2037);
    return light ? 1 : 2;
}

std::string youtube_title(std::string_view text) {
    // Trimmed before the cut (leading spaces would take room) and after (a bracket removed).
    auto chars = without_angle_brackets(decode(text), true);
    std::string joined;
    for (const auto& c : chars)
        joined += c.bytes;
    auto title = trimmed(fit(decode(trimmed(std::move(joined))), kYouTubeTitleChars, kOneChar));
    return title.empty() ? std::string("#Shorts") : title;
}

std::string youtube_description(std::string_view text) {
    return fit(without_angle_brackets(decode(text), false), kYouTubeDescriptionBytes,
               [](const Char& c) { return c.bytes.size(); });
}

std::vector<std::string> youtube_tags(const std::vector<std::string>& tags) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::size_t used = 0;
    for (const auto& tag : tags) {
        auto chars = without_angle_brackets(decode(tag), true);
        std::erase_if(chars, [](const Char& c) { return c.code == ','; });
        std::string clean;
        for (const auto& c : chars)
            clean += c.bytes;
        clean = trimmed(std::move(clean));
        if (clean.empty())
            continue;
        std::string key = clean;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!seen.insert(key).second)
            continue;
        const std::size_t cost = decode(clean).size() +
                                 (clean.find(' ') != std::string::npos ? 2 : 0) +
                                 (out.empty() ? 0 : 1);
        if (used + cost > kYouTubeTagsChars)
            break;
        used += cost;
        out.push_back(std::move(clean));
    }
    return out;
}

std::string x_post_text(std::string_view text) {
    return fit(decode(text), kXWeight, [](const Char& c) { return x_weight(c.code); });
}

}  // namespace memegen::bot::publish
