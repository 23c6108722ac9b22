#include "config/config_field.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace memegen::bot {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<std::int64_t> parse_config_int(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

namespace field {

std::string shown(const json& value) {
    if (value.is_null())
        return "none";
    if (value.is_number_float())
        return fmt::format("{}", value.get<double>());  // 7, not 7.0
    return value.dump();
}

ConfigField finish(ConfigField f) {
    if (!f.doc.type.empty())
        f.type = std::string(f.doc.type);
    if (!f.doc.shown_default.empty())
        f.default_text = std::string(f.doc.shown_default);
    else if (f.dump)
        f.default_text = shown(f.dump(BotConfig{}));
    else
        f.default_text = "{}";
    if (!f.doc.env.empty())
        f.env_text = std::string(f.doc.env) + std::string(f.doc.env_note);
    return f;
}

json env_integer(ConfigReader&, const std::string& text) {
    if (const auto number = parse_config_int(text))
        return *number;
    return text;
}

json env_number(ConfigReader&, const std::string& text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (!text.empty() && ec == std::errc() && stop == end)
        return value;
    return text;
}

json env_boolean(ConfigReader&, const std::string& text) {
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    return text;
}

json env_text(ConfigReader&, const std::string& text) {
    return text;
}

PathParser path_parser(PathMust must,
                       std::function<std::vector<std::string>(const fs::path&)> more) {
    return [must, more](ConfigReader& r, const std::string& key,
                        const std::string& text) -> Parsed<fs::path> {
        if (text.empty())
            return {std::nullopt, "must not be empty"};
        const fs::path p = r.resolve(key, text);
        std::error_code ec;
        switch (must) {
            case PathMust::be_anything:
                break;
            case PathMust::be_a_file:
                if (!fs::is_regular_file(p, ec))
                    return {std::nullopt, fmt::format("no such file: {}", p.string())};
                break;
            case PathMust::be_a_directory:
                if (!fs::is_directory(p, ec))
                    return {std::nullopt, fmt::format("no such directory: {}", p.string())};
                break;
            case PathMust::not_be_a_file:
                if (fs::exists(p, ec) && !fs::is_directory(p, ec))
                    return {std::nullopt,
                            fmt::format("exists but is not a directory: {}", p.string())};
                break;
        }
        if (more) {
            const auto problems = more(p);
            for (std::size_t i = 0; i + 1 < problems.size(); ++i)
                r.problem(key, problems[i]);
            if (!problems.empty())
                return {std::nullopt, problems.back()};
        }
        return {p, {}};
    };
}

json show_path(const fs::path& p) {
    return p.empty() ? json(nullptr) : json(p.string());
}

std::optional<ChatId> parse_chat(const json& v) {
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() != 0)
        return ChatId(v.get<std::int64_t>());
    if (v.is_number_unsigned() && v.get<std::uint64_t>() != 0 && v.get<std::uint64_t>() <= kMax)
        return ChatId(v.get<std::int64_t>());
    if (v.is_string()) {
        const auto& text = v.get_ref<const std::string&>();
        // Public usernames: 5..32 characters of letters, digits and underscores.
        const bool username = text.size() >= 6 && text.size() <= 33 && text[0] == '@' &&
                              std::all_of(text.begin() + 1, text.end(), [](char c) {
                                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                              });
        if (username)
            return ChatId(text);
    }
    return std::nullopt;
}

ConfigField section(KeyDoc doc) {
    ConfigField f;
    f.doc = doc;
    f.type = "object";
    f.from_env = env_text;
    f.read = [key = std::string(doc.key)](ConfigReader& r, const json& v, BotConfig&) {
        if (!v.is_object())
            r.problem(key, fmt::format("must be an object, got {}", json_value_text(v)));
    };
    return finish(std::move(f));
}

}  // namespace field
}  // namespace memegen::bot
