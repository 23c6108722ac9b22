#include "config/publish_template.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

namespace memegen::bot {

namespace {

constexpr std::string_view kPlaceholders[] = {"source", "track", "captions"};

// Walks `text`, calling `literal` for plain characters and `field` for each placeholder;
// returns the first problem.
template <typename Literal, typename Field>
std::optional<std::string> walk(std::string_view text, Literal literal, Field field) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal(c);
            ++i;
            continue;
        }
        if (c == '}')
            return fmt::format("has an unmatched '}}' at position {} (write \"}}}}\")", i + 1);
        if (c != '{') {
            literal(c);
            continue;
        }
        const auto close = text.find('}', i);
        if (close == std::string_view::npos)
            return fmt::format("has an unmatched '{{' at position {} (write \"{{{{\")", i + 1);
        const auto name = text.substr(i + 1, close - i - 1);
        if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) ==
            std::end(kPlaceholders)) {
            return fmt::format(
                "has an unknown placeholder {{{}}}: only {{source}}, {{track}} and {{captions}} "
                "are filled",
                name);
        }
        field(name);
        i = close;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> template_problem(std::string_view text) {
    return walk(
        text, [](char) {}, [](std::string_view) {});
}

std::string fill_template(std::string_view text, const TemplateValues& values) {
    std::string out;
    walk(
        text, [&](char c) { out += c; },
        [&](std::string_view name) {
            out += name == "source"  ? values.source
                   : name == "track" ? values.track
                                     : values.captions;
        });
    return out;
}

}  // namespace memegen::bot
