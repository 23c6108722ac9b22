#include "observability/generation_metrics.hpp"

#include <cstddef>

namespace memegen::bot {

std::string_view to_string(GenerationTrigger trigger) noexcept {
    switch (trigger) {
        case GenerationTrigger::command:
            return "command";
        case GenerationTrigger::batch:
            return "batch";
        case GenerationTrigger::schedule:
            return "schedule";
    }
    return "?";
}

std::string_view to_string(GenerationResult result) noexcept {
    switch (result) {
        case GenerationResult::ok:
            return "ok";
        case GenerationResult::failed:
            return "failed";
        case GenerationResult::cancelled:
            return "cancelled";
    }
    return "?";
}

std::uint64_t GenerationMetrics::Snapshot::count(GenerationTrigger trigger,
                                                 GenerationResult result) const noexcept {
    return generations[static_cast<std::size_t>(trigger)][static_cast<std::size_t>(result)];
}

void GenerationMetrics::record(GenerationTrigger trigger, GenerationResult result) {
    std::lock_guard lock(mutex_);
    ++figures_.generations[static_cast<std::size_t>(trigger)][static_cast<std::size_t>(result)];
}

void GenerationMetrics::observe_render(double seconds) {
    std::lock_guard lock(mutex_);
    ++figures_.duration_count;
    figures_.duration_sum += seconds;
    for (std::size_t i = 0; i < duration_buckets.size(); ++i) {
        if (seconds <= duration_buckets[i])
            ++figures_.duration_le[i];
    }
}

GenerationMetrics::Snapshot GenerationMetrics::snapshot() const {
    std::lock_guard lock(mutex_);
    return figures_;
}

}  // namespace memegen::bot
