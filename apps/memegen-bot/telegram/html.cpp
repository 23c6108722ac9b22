#include "telegram/html.hpp"

#include <algorithm>
#include <cstdint>

#include "text/utf8.hpp"

namespace memegen::bot {
namespace {

enum class TokenKind { text, entity, open_tag, close_tag };

struct Token {
    TokenKind kind = TokenKind::text;
    std::string raw;   // what is written out
    std::string name;  // tag name for tags
    std::size_t units = 0;
    bool space = false;
    bool newline = false;
};

bool is_tag_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// Units of a numeric or named entity body ("lt", "#128512", "#x1F600"), or 0 if unknown.
std::size_t entity_units(std::string_view body) {
    if (body == "lt" || body == "gt" || body == "amp" || body == "quot")
        return 1;
    if (body.size() < 2 || body[0] != '#')
        return 0;
    std::uint32_t cp = 0;
    const bool hex = body[1] == 'x' || body[1] == 'X';
    const std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8)
        return 0;
    for (char c : digits) {
        std::uint32_t d = 0;
        if (c >= '0' && c <= '9') {
            d = static_cast<std::uint32_t>(c - '0');
        } else if (hex && c >= 'a' && c <= 'f') {
            d = static_cast<std::uint32_t>(c - 'a' + 10);
        } else if (hex && c >= 'A' && c <= 'F') {
            d = static_cast<std::uint32_t>(c - 'A' + 10);
        } else {
            return 0;
        }
        cp = cp * (hex ? 16 : 10) + d;
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return cp >= 0x10000 ? 2 : 1;
}

// Splits sanitized HTML into tokens; stray `<`, `>` and `&` become entities so the output is
// always parseable.
std::vector<Token> tokenize(std::string_view html) {
    const std::string clean = sanitize_utf8(html);
    const std::string_view s = clean;
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '<') {
            const std::size_t end = s.find('>', i);
            const bool closing = i + 1 < s.size() && s[i + 1] == '/';
            const std::size_t name_begin = i + (closing ? 2 : 1);
            std::size_t name_end = name_begin;
            while (name_end < s.size() && is_tag_name_char(s[name_end]))
                ++name_end;
            if (end != std::string_view::npos && name_end > name_begin &&
                s.substr(i + 1, end - i - 1).find('<') == std::string_view::npos) {
                Token t;
                t.kind = closing ? TokenKind::close_tag : TokenKind::open_tag;
                t.raw = std::string(s.substr(i, end - i + 1));
                t.name = lower(s.substr(name_begin, name_end - name_begin));
                tokens.push_back(std::move(t));
                i = end + 1;
                continue;
            }
            tokens.push_back({TokenKind::entity, "&lt;", "", 1, false, false});
            ++i;
            continue;
        }
        if (c == '>') {
            tokens.push_back({TokenKind::entity, "&gt;", "", 1, false, false});
            ++i;
            continue;
        }
        if (c == '&') {
            const std::size_t end = s.find(';', i);
            if (end != std::string_view::npos && end - i <= 10) {
                const std::size_t units = entity_units(s.substr(i + 1, end - i - 1));
                if (units > 0) {
                    tokens.push_back({TokenKind::entity, std::string(s.substr(i, end - i + 1)), "",
                                      units, false, false});
                    i = end + 1;
                    continue;
                }
            }
            tokens.push_back({TokenKind::entity, "&amp;", "", 1, false, false});
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(s, i);  // always > 0 after sanitizing
        Token t;
        t.raw = std::string(s.substr(i, len));
        t.units = len == 4 ? 2 : 1;
        t.space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        t.newline = c == '\n';
        tokens.push_back(std::move(t));
        i += len;
    }
    return tokens;
}

using TagStack = std::vector<const Token*>;

void apply(TagStack& stack, const Token& t) {
    if (t.kind == TokenKind::open_tag) {
        stack.push_back(&t);
    } else if (t.kind == TokenKind::close_tag) {
        const auto it = std::find_if(stack.rbegin(), stack.rend(),
                                     [&](const Token* open) { return open->name == t.name; });
        if (it != stack.rend())
            stack.erase(std::next(it).base(), stack.end());
    }
}

void append_closing(std::string& out, const TagStack& stack) {
    for (auto it = stack.rbegin(); it != stack.rend(); ++it)
        out += "</" + (*it)->name + ">";
}

// Index of the first token from `begin` that no longer fits into `budget` units.
std::size_t fit_end(const std::vector<Token>& tokens, std::size_t begin, std::size_t budget) {
    std::size_t used = 0;
    std::size_t i = begin;
    for (; i < tokens.size(); ++i) {
        if (used + tokens[i].units > budget)
            break;
        used += tokens[i].units;
    }
    return i;
}

// Where to cut within [begin, end): after a newline or a space in the last part, else at end;
// open tags just before the cut move to the next part.
std::size_t choose_cut(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                       std::size_t budget, std::size_t min_fraction_percent) {
    std::size_t cut = end;
    if (end < tokens.size()) {
        std::size_t units = 0;
        std::vector<std::size_t> position(end - begin + 1);
        for (std::size_t i = begin; i < end; ++i) {
            position[i - begin] = units;
            units += tokens[i].units;
        }
        const std::size_t min_units = budget * min_fraction_percent / 100;
        for (const bool want_newline : {true, false}) {
            for (std::size_t i = end; i > begin + 1; --i) {
                const Token& t = tokens[i - 1];
                if (position[i - 1 - begin] < min_units)
                    break;
                if (want_newline ? t.newline : t.space) {
                    cut = i;
                    break;
                }
            }
            if (cut != end)
                break;
        }
    }
    while (cut > begin + 1 && tokens[cut - 1].kind == TokenKind::open_tag)
        --cut;
    return std::max(cut, begin + 1);
}

bool blank(const std::vector<Token>& tokens, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
        if (tokens[i].kind == TokenKind::entity)
            return false;
        if (tokens[i].kind == TokenKind::text && !tokens[i].space)
            return false;
    }
    return true;
}

}  // namespace

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t len = utf8_sequence_length(text, i);
        if (len == 0) {
            out += kUtf8Replacement;
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string escape_html(std::string_view text) {
    const std::string clean = sanitize_utf8(text);
    std::string out;
    out.reserve(clean.size() + clean.size() / 8);
    for (const char c : clean) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::size_t utf16_length(std::string_view text) {
    std::size_t units = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t len = utf8_sequence_length(text, i);
        units += len == 4 ? 2 : 1;
        i += len == 0 ? 1 : len;
    }
    return units;
}

std::size_t html_text_length(std::string_view html) {
    std::size_t units = 0;
    for (const auto& t : tokenize(html))
        units += t.units;
    return units;
}

std::string truncate_html(std::string_view html, std::size_t max_units, std::string_view ellipsis) {
    const auto tokens = tokenize(html);
    std::size_t total = 0;
    for (const auto& t : tokens)
        total += t.units;
    std::string out;
    if (total <= max_units) {
        for (const auto& t : tokens)
            out += t.raw;
        return out;
    }
    std::string tail = escape_html(ellipsis);
    std::size_t tail_units = utf16_length(ellipsis);
    if (tail_units > max_units) {
        tail.clear();
        tail_units = 0;
    }
    const std::size_t budget = max_units - tail_units;
    const std::size_t end = fit_end(tokens, 0, budget);
    std::size_t cut = end == 0 ? 0 : choose_cut(tokens, 0, end, budget, 80);
    while (cut > 0 && tokens[cut - 1].space)
        --cut;
    TagStack stack;
    for (std::size_t i = 0; i < cut; ++i) {
        out += tokens[i].raw;
        apply(stack, tokens[i]);
    }
    out += tail;
    append_closing(out, stack);
    return out;
}

std::vector<std::string> split_html(std::string_view html, std::size_t max_units) {
    const auto tokens = tokenize(html);
    std::vector<std::string> parts;
    const std::size_t budget = std::max<std::size_t>(max_units, 2);
    TagStack stack;
    std::size_t begin = 0;
    while (begin < tokens.size()) {
        const std::size_t end = fit_end(tokens, begin, budget);
        const std::size_t cut = choose_cut(tokens, begin, end, budget, 50);
        std::string part;
        for (const Token* open : stack)
            part += open->raw;
        const bool is_blank = blank(tokens, begin, cut);
        for (std::size_t i = begin; i < cut; ++i) {
            part += tokens[i].raw;
            apply(stack, tokens[i]);
        }
        append_closing(part, stack);
        if (!is_blank)
            parts.push_back(std::move(part));
        begin = cut;
    }
    return parts;
}

}  // namespace memegen::bot
