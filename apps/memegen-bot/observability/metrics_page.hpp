#pragma once
/// \file metrics_page.hpp
/// The bot's /metrics page: the process's memory and threads (ResourceMonitor), the guard,
/// the generations, the last problem and the next scheduled slot, in Prometheus' text format.
/// The caller gathers the inputs (each from the component that owns it); this only formats,
/// so a test can check every line from known inputs.

#include <chrono>
#include <optional>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <memegen/resource_monitor.hpp>

#include "observability/generation_metrics.hpp"

namespace memegen::bot {

/// Everything one scrape reports.
struct MetricsInputs {
    ResourceSnapshot process;                 ///< this process, now
    std::optional<GuardHolder> guard;         ///< who holds the generation guard, if anyone
    GenerationMetrics::Snapshot generations;  ///< counters and render durations
    std::optional<Problem> last_problem;      ///< CrashStateStore::last_problem()
    /// The next pending daily slot; nullopt when the schedule is off or done for good.
    std::optional<std::chrono::system_clock::time_point> next_slot;
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

/// The page, every family with HELP and TYPE lines. Families without a value (no problem yet,
/// no next slot) are written without samples, so a scraper sees them documented but absent.
[[nodiscard]] std::string metrics_page(const MetricsInputs& inputs);

}  // namespace memegen::bot
