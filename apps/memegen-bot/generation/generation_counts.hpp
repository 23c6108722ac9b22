#pragma once
/// \file generation_counts.hpp
/// Where a finished generation is counted: today's figures (/status) and the metrics.

#include "generation/job.hpp"
#include "observability/daily_stats.hpp"
#include "observability/generation_metrics.hpp"

namespace memegen::bot {

/// Counts generations in the daily stats and the metrics at once.
class GenerationCounts {
  public:
    GenerationCounts(DailyStats& stats, GenerationMetrics& metrics)
        : stats_(stats), metrics_(metrics) {}

    /// One generation of `job` ended, made and sent (`ok`) or failed.
    void finished(const Job& job, bool ok);
    /// `generations` of `job` were cancelled (by /cancel or the bot's stop).
    void cancelled(const Job& job, int generations);

  private:
    DailyStats& stats_;
    GenerationMetrics& metrics_;
};

}  // namespace memegen::bot
