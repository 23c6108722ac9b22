// What the example CLIs share about their command lines, on top of CLI11: numbers read strictly,
// and one way to end on --help or a usage error. Only the command line lives here; each
// example's main.cpp shows the library call.
//
// Why not CLI11's own CLI::Range alone: its 2.1 conversion reads "-1" as 2^64 - 1 for an
// unsigned option, lets "nan" through any range of doubles and reads "010" as octal.
// Errors: the validators return the reason (CLI11 adds the flag); parse() turns it into exit 2.

#pragma once

#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace examples {

/// A whole decimal number from `low` to `high`: "'0' is not a whole number from 1 to 60".
/// The checked value is written back in plain decimal, so CLI11 stores exactly what was checked.
template <typename T>
CLI::Validator whole(T low = std::numeric_limits<T>::min(),
                     T high = std::numeric_limits<T>::max()) {
    const bool bounded = high != std::numeric_limits<T>::max();
    return CLI::Validator(
        [low, high](std::string& text) -> std::string {
            T value{};
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc{} || end != text.data() + text.size() || value < low ||
                value > high) {
                return fmt::format("'{}' is not a whole number from {} to {}", text, low, high);
            }
            text = std::to_string(value);
            return {};
        },
        bounded ? fmt::format("{}..{}", low, high) : "");
}

/// A finite number from `low` to `high` in `unit` ("s"): NaN, infinities and 1e300 are refused.
inline CLI::Validator real(double low, double high, std::string_view unit) {
    return CLI::Validator(
        [low, high, unit = std::string(unit)](std::string& text) -> std::string {
            double value = std::numeric_limits<double>::quiet_NaN();
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
                value < low || value > high) {
                return fmt::format("'{}' is not a number from {} to {} {}", text, low, high, unit);
            }
            return {};
        },
        fmt::format("{}..{}", low, high));
}

/// Parses the command line into `app`. Returns the exit code to end with — 0 after printing
/// --help, 2 after printing "program: reason" for a usage error — or nullopt to go on.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::Success& e) {
        return app.exit(e);  // --help, on stdout
    } catch (const std::exception& e) {
        // CLI::ParseError, or what a library parser threw inside an option's callback.
        std::cerr << app.get_name() << ": " << e.what() << "\n";
        return 2;
    }
}

}  // namespace examples
