#pragma once
/// \file json_kind.hpp
/// JSON in error messages, written once for the bot: the kind of a value in words ("a string",
/// "an array") for messages that must not quote the value (it may be a secret, or megabytes
/// long), a short quote of a value that may be shown, and a parse error without the excerpt
/// of the input that nlohmann appends. Beside the state-file type because config/, library/
/// and sources/ all describe JSON they refuse, and state/ is the header-only bottom layer
/// every one of them may include.

#include <nlohmann/json.hpp>

#include <string>

namespace memegen::bot {

/// "a string", "a boolean", "a number", "an array", "an object" or "null".
[[nodiscard]] inline std::string json_kind(const nlohmann::json& value) {
    using type = nlohmann::json::value_t;
    switch (value.type()) {
        case type::string:
            return "a string";
        case type::boolean:
            return "a boolean";
        case type::number_integer:
        case type::number_unsigned:
        case type::number_float:
            return "a number";
        case type::array:
            return "an array";
        case type::object:
            return "an object";
        default:
            return "null";
    }
}

/// A value as a problem text shows it: a scalar JSON-quoted and cut at 60 characters
/// ("\"high\"", "99"), an array or object by its kind. Never for secrets: use json_kind().
[[nodiscard]] inline std::string json_value_text(const nlohmann::json& value) {
    if (value.is_object() || value.is_array())
        return json_kind(value);
    std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > 60)
        text = text.substr(0, 57) + "...";
    return text;
}

/// nlohmann's parse error without its "[json.exception...] " id and its "; last read: '...'"
/// excerpt, which may quote a huge or binary line (or a token) into a log.
[[nodiscard]] inline std::string json_parse_error_text(const nlohmann::json::parse_error& e) {
    std::string text = e.what();
    if (const auto id_end = text.find("] "); id_end != std::string::npos)
        text = text.substr(id_end + 2);
    if (const auto last_read = text.find("; last read"); last_read != std::string::npos)
        text.erase(last_read);
    return text;
}

}  // namespace memegen::bot
