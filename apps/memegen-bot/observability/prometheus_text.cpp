#include "observability/prometheus_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace memegen::bot {

namespace {

// HELP text escapes only backslash and newline (quotes are fine there).
std::string escape_help(std::string_view help) {
    std::string out;
    for (const char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
}

void PrometheusText::sample(std::string_view name, double value, const MetricLabels& labels) {
    text_ += name;
    if (!labels.empty()) {
        text_ += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0)
                text_ += ',';
            text_ += fmt::format("{}=\"{}\"", labels[i].first, escape_label(labels[i].second));
        }
        text_ += '}';
    }
    text_ += ' ';
    text_ += format_value(value);
    text_ += '\n';
}

std::string PrometheusText::escape_label(std::string_view value) {
    std::string out;
    for (const char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string PrometheusText::format_value(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::trunc(value) && std::fabs(value) < 9.007199254740992e15)
        return fmt::format("{}", static_cast<long long>(value));
    return fmt::format("{}", value);  // fmt's shortest round-trip form
}

}  // namespace memegen::bot
