#pragma once
/// \file config_field.hpp
/// One configuration key as data (private to config/): its name, environment variable and doc
/// line, and how its value is read, checked, taken from the environment and dumped. The
/// builders below make a field for each kind of value from the member it fills, so a key's
/// type, range and member are written once, in config_table.cpp; reading, environment
/// overrides, the reference text and to_json() all walk that table.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/config_reader.hpp"
#include "state/json_kind.hpp"

namespace memegen::bot {

/// What a row of the table says about its key for people: the reference text and the doc.
struct KeyDoc {
    std::string_view key;                 ///< "render.crf"
    std::string_view doc;                 ///< one sentence
    std::string_view env = {};            ///< the overriding environment variable, if any
    std::string_view env_note = {};       ///< how the variable is written (" (comma-separated)")
    std::string_view shown_default = {};  ///< when the default is not a plain value
    std::string_view type = {};           ///< when the type is better said in words
    bool required = false;                ///< the key must be set (an empty string is not set)
    std::string_view required_hint = {};  ///< what to set, for the message ("your user id")
    bool secret = false;                  ///< the value is never quoted
};

/// One key: the doc and the three things the loader does with it.
struct ConfigField {
    KeyDoc doc;
    std::string type;          ///< "integer 0..51"
    std::string default_text;  ///< "23"
    std::string env_text;      ///< "MEMEGEN_ADMIN_IDS (comma-separated)", or empty
    /// The environment variable's text as a JSON value for read(); a text that does not
    /// convert stays a string so read() reports it with the type expected.
    std::function<nlohmann::json(ConfigReader&, const std::string& text)> from_env;
    /// Checks a present, non-null value and stores it into the config (or records a problem).
    std::function<void(ConfigReader&, const nlohmann::json&, BotConfig&)> read;
    /// The value of `config` in the file's format; empty for an object of keys ("render").
    std::function<nlohmann::json(const BotConfig&)> dump;

    [[nodiscard]] std::string key() const { return std::string(doc.key); }
    [[nodiscard]] bool is_section() const { return !dump; }
};

/// Every key, in reference order (config_table.cpp).
[[nodiscard]] const std::vector<ConfigField>& config_fields();

/// "12", " 12 ", "+12" as an integer; nullopt for anything else.
[[nodiscard]] std::optional<std::int64_t> parse_config_int(std::string_view text);

namespace field {

/// The member a field fills: one generic lambda serves BotConfig& (read) and const (dump).
#define MEMEGEN_CONFIG_MEMBER(path) \
    [](auto& c) -> auto& {          \
        return c.path;              \
    }

/// The value of `get` in a default BotConfig, as the reference shows it.
[[nodiscard]] std::string shown(const nlohmann::json& value);

/// Fills in what every builder shares: the default text from a default config.
ConfigField finish(ConfigField f);

/// A JSON number from an environment variable, or the text itself.
[[nodiscard]] nlohmann::json env_integer(ConfigReader&, const std::string& text);
[[nodiscard]] nlohmann::json env_number(ConfigReader&, const std::string& text);
[[nodiscard]] nlohmann::json env_boolean(ConfigReader&, const std::string& text);
[[nodiscard]] nlohmann::json env_text(ConfigReader&, const std::string& text);

/// An integer in [min, max] (max = INT64_MAX: no upper bound).
template <typename Get>
ConfigField integer(KeyDoc doc, Get get, std::int64_t min, std::int64_t max) {
    using Int = std::remove_reference_t<decltype(get(std::declval<BotConfig&>()))>;
    constexpr auto kNoMax = std::numeric_limits<std::int64_t>::max();
    ConfigField f;
    f.doc = doc;
    f.type = max == kNoMax ? "integer" : fmt::format("integer {}..{}", min, max);
    f.from_env = env_integer;
    f.read = [get, min, max, key = std::string(doc.key)](ConfigReader& r, const nlohmann::json& v,
                                                         BotConfig& c) {
        // Unsigned values above INT64_MAX do not fit; everything else is range-checked.
        if (v.is_number_integer() &&
            (!v.is_number_unsigned() ||
             v.get<std::uint64_t>() <= static_cast<std::uint64_t>(kNoMax))) {
            const auto value = v.get<std::int64_t>();
            if (value >= min && value <= max) {
                get(c) = static_cast<Int>(value);
                return;
            }
        }
        r.problem(key, max == kNoMax ? fmt::format("must be an integer >= {}, got {}", min,
                                                   json_value_text(v))
                                     : fmt::format("must be an integer {}..{}, got {}", min, max,
                                                   json_value_text(v)));
    };
    f.dump = [get](const BotConfig& c) { return nlohmann::json(get(c)); };
    return finish(std::move(f));
}

/// A number in [min, max].
template <typename Get>
ConfigField number(KeyDoc doc, Get get, double min, double max) {
    ConfigField f;
    f.doc = doc;
    f.type = fmt::format("number {}..{}", min, max);
    f.from_env = env_number;
    f.read = [get, min, max, key = std::string(doc.key)](ConfigReader& r, const nlohmann::json& v,
                                                         BotConfig& c) {
        if (v.is_number() && v.get<double>() >= min && v.get<double>() <= max) {
            get(c) = v.get<double>();
            return;
        }
        r.problem(key,
                  fmt::format("must be a number {}..{}, got {}", min, max, json_value_text(v)));
    };
    f.dump = [get](const BotConfig& c) { return nlohmann::json(get(c)); };
    return finish(std::move(f));
}

/// true or false.
template <typename Get>
ConfigField boolean(KeyDoc doc, Get get) {
    ConfigField f;
    f.doc = doc;
    f.type = "boolean";
    f.from_env = env_boolean;
    f.read = [get, key = std::string(doc.key)](ConfigReader& r, const nlohmann::json& v,
                                               BotConfig& c) {
        if (v.is_boolean()) {
            get(c) = v.get<bool>();
            return;
        }
        r.problem(key, fmt::format("must be true or false, got {}", json_value_text(v)));
    };
    f.dump = [get](const BotConfig& c) { return nlohmann::json(get(c)); };
    return finish(std::move(f));
}

/// One of a few names, each standing for a value of the member's type.
template <typename Get, typename Value>
ConfigField choice(KeyDoc doc, Get get, std::vector<std::pair<std::string, Value>> choices,
                   std::string_view what = {}) {
    ConfigField f;
    f.doc = doc;
    std::string quoted;
    for (const auto& [name, value] : choices)
        quoted += (quoted.empty() ? "\"" : ", \"") + name + "\"";
    for (const auto& [name, value] : choices)
        f.type += (f.type.empty() ? "\"" : " | \"") + name + "\"";
    const std::string expected =
        what.empty() ? "one of " + quoted : fmt::format("{} ({})", what, [&] {
            std::string plain = quoted;
            std::erase(plain, '"');
            return plain;
        }());
    f.from_env = env_text;
    f.read = [get, choices, expected, key = std::string(doc.key)](
                 ConfigReader& r, const nlohmann::json& v, BotConfig& c) {
        for (const auto& [name, value] : choices) {
            if (v.is_string() && v.get_ref<const std::string&>() == name) {
                get(c) = value;
                return;
            }
        }
        r.problem(key, fmt::format("must be {}, got {}", expected, json_value_text(v)));
    };
    f.dump = [get, choices](const BotConfig& c) {
        for (const auto& [name, value] : choices) {
            if (get(c) == value)
                return nlohmann::json(name);
        }
        return nlohmann::json(nullptr);
    };
    return finish(std::move(f));
}

/// What a string's parser gives: the member's value, or what is wrong with it as the whole
/// message ("must be ..., got ..."), empty when another rule reports it (a required key left
/// empty).
template <typename T>
using Parsed = std::pair<std::optional<T>, std::string>;

/// A string, converted and checked by `parse` (ConfigReader&, key, text) -> Parsed<T>;
/// `show` writes the member back as JSON.
template <typename Get, typename Parse, typename Show>
ConfigField text(KeyDoc doc, std::string type, Get get, Parse parse, Show show) {
    ConfigField f;
    f.doc = doc;
    f.type = std::move(type);
    f.from_env = env_text;
    f.read = [secret = doc.secret, get, parse, key = std::string(doc.key)](
                 ConfigReader& r, const nlohmann::json& v, BotConfig& c) {
        if (!v.is_string()) {
            r.problem(key, fmt::format("must be a string, got {}",
                                       secret ? json_kind(v) : json_value_text(v)));
            return;
        }
        auto [value, why] = parse(r, key, v.get<std::string>());
        if (value) {
            get(c) = std::move(*value);
        } else if (!why.empty()) {
            r.problem(key, std::move(why));
        }
    };
    f.dump = [get, show](const BotConfig& c) { return nlohmann::json(show(get(c))); };
    return finish(std::move(f));
}

/// What a path must be: nothing, an existing file, an existing directory.
enum class PathMust { be_anything, be_a_file, be_a_directory, not_be_a_file };

/// A path (relative: see ConfigReader::resolve), checked against the file system.
/// `more` adds problems of its own (a sources file's contents); empty: none.
using PathParser = std::function<Parsed<std::filesystem::path>(
    ConfigReader&, const std::string& key, const std::string& text)>;
[[nodiscard]] PathParser path_parser(
    PathMust must, std::function<std::vector<std::string>(const std::filesystem::path&)> more = {});

/// A path as the file writes it; an empty path is null.
[[nodiscard]] nlohmann::json show_path(const std::filesystem::path& p);

/// A path member; std::optional<path> members are null when unset.
template <typename Get>
ConfigField path(KeyDoc doc, Get get, PathMust must,
                 std::function<std::vector<std::string>(const std::filesystem::path&)> more = {}) {
    using Member = std::remove_reference_t<decltype(get(std::declval<BotConfig&>()))>;
    auto parse = path_parser(must, std::move(more));
    if constexpr (std::is_same_v<Member, std::filesystem::path>) {
        return text(doc, "string (path)", get, parse, show_path);
    } else {
        return text(
            doc, "string (path)", get,
            [parse](ConfigReader& r, const std::string& key, const std::string& t) {
                auto [p, why] = parse(r, key, t);
                return Parsed<Member>{p ? Member(std::move(*p)) : std::nullopt, std::move(why)};
            },
            [](const Member& p) { return p ? show_path(*p) : nlohmann::json(nullptr); });
    }
}

/// A chat: a non-zero integer id or a public "@username". Optional members are null if unset.
[[nodiscard]] std::optional<ChatId> parse_chat(const nlohmann::json& v);

template <typename Get>
ConfigField chat(KeyDoc doc, Get get) {
    using Member = std::remove_reference_t<decltype(get(std::declval<BotConfig&>()))>;
    ConfigField f;
    f.doc = doc;
    f.type = "integer or \"@name\"";
    f.from_env = env_integer;
    f.read = [get, key = std::string(doc.key)](ConfigReader& r, const nlohmann::json& v,
                                               BotConfig& c) {
        if (auto chat = parse_chat(v)) {
            get(c) = *chat;
            return;
        }
        r.problem(key, fmt::format("must be a chat id (non-zero integer) or \"@username\", got {}",
                                   json_value_text(v)));
    };
    f.dump = [get](const BotConfig& c) -> nlohmann::json {
        if constexpr (std::is_same_v<Member, ChatId>) {
            return get(c).to_json();
        } else {
            return get(c) ? get(c)->to_json() : nlohmann::json(nullptr);
        }
    };
    return finish(std::move(f));
}

/// A JSON array of positive user ids; from the environment, comma-separated.
template <typename Get>
ConfigField id_list(KeyDoc doc, Get get) {
    ConfigField f;
    f.doc = doc;
    f.type = "array of integers";
    f.from_env = [key = std::string(doc.key)](ConfigReader& r, const std::string& text) {
        auto value = nlohmann::json::array();
        std::string_view rest = text;
        for (std::size_t position = 1;; ++position) {
            const auto comma = rest.find(',');
            const auto item = rest.substr(0, comma);
            if (item.find_first_not_of(" \t") != std::string_view::npos) {
                if (const auto id = parse_config_int(item)) {
                    value.push_back(*id);
                } else {
                    r.problem(key, fmt::format("item {} is not a user id: \"{}\" "
                                               "(comma-separated integers expected)",
                                               position, item));
                }
            }
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
        return value;
    };
    f.read = [get, key = std::string(doc.key)](ConfigReader& r, const nlohmann::json& v,
                                               BotConfig& c) {
        if (!v.is_array()) {
            r.problem(key, fmt::format("must be an array of user ids, got {}", json_value_text(v)));
            return;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i].is_number_integer() && v[i].get<std::int64_t>() > 0) {
                get(c).push_back(v[i].get<std::int64_t>());
            } else {
                r.problem(key, fmt::format("item {} must be a positive integer user id, got {}", i,
                                           json_value_text(v[i])));
            }
        }
    };
    f.dump = [get](const BotConfig& c) { return nlohmann::json(get(c)); };
    return finish(std::move(f));
}

/// An object holding the keys "KEY.*" below it.
[[nodiscard]] ConfigField section(KeyDoc doc);

}  // namespace field
}  // namespace memegen::bot
