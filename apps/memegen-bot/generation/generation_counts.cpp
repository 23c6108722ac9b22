#include "generation/generation_counts.hpp"

#include <chrono>

#include "config/timezone.hpp"

namespace memegen::bot {

void GenerationCounts::finished(const Job& job, bool ok) {
    stats_.record(ok, local_date_of(std::chrono::system_clock::now()).to_string());
    metrics_.record(trigger_of(job), ok ? GenerationResult::ok : GenerationResult::failed);
}

void GenerationCounts::cancelled(const Job& job, int generations) {
    for (int i = 0; i < generations; ++i)
        metrics_.record(trigger_of(job), GenerationResult::cancelled);
}

}  // namespace memegen::bot
