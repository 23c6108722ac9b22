#pragma once
/// \file prometheus_text.hpp
/// PrometheusText: writes metric families in Prometheus' text exposition format (0.0.4),
/// the format every scraper (Prometheus, VictoriaMetrics, the node exporter's textfile
/// collector) reads. Small on purpose: the bot exposes a dozen families, not a client library.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memegen::bot {

/// A label set: name → value pairs, written in the given order.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// Accumulates families; text() is the page.
class PrometheusText {
  public:
    /// Starts a family: its `# HELP` and `# TYPE` lines. `type` is "gauge", "counter" or
    /// "histogram".
    void family(std::string_view name, std::string_view type, std::string_view help);

    /// One sample line: `name{labels} value`.
    void sample(std::string_view name, double value, const MetricLabels& labels = {});

    /// The page so far.
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

    /// A label value with `\`, `"` and newlines escaped as the format requires.
    [[nodiscard]] static std::string escape_label(std::string_view value);

    /// A sample value: integers without a fraction, others with enough digits to round-trip,
    /// and "+Inf"/"-Inf"/"NaN" as the format spells them.
    [[nodiscard]] static std::string format_value(double value);

  private:
    std::string text_;
};

}  // namespace memegen::bot
