#pragma once
/// \file batch_runner.hpp
/// Jobs that make several memes: /generate [N] (each meme sent as it is made) and scheduled
/// batches (/runscheduled, a daily slot, Regenerate all: all made first, then sent under one
/// intro; with auto_publish on, the first one is sent and at once published to the Publish
/// button's targets, the rest dropped).

#include <stop_token>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <memegen/resource_monitor.hpp>

#include "batch/batch_progress.hpp"
#include "batch/scheduled_runs.hpp"
#include "config/config.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "generation/generation_counts.hpp"
#include "generation/generator.hpp"
#include "replies/replies.hpp"
#include "review/publish_flow.hpp"
#include "review/review_flow.hpp"

namespace memegen::bot {

/// Runs batch jobs on the worker thread.
class BatchRunner {
  public:
    BatchRunner(const BotConfig& config, const Messages& text, Replies& replies,
                Generator& generator, ReviewFlow& review, PublishFlow& publish,
                CandidateStore& candidates, CrashStateStore& state, ResourceMonitor& monitor,
                GenerationCounts& counts, ScheduledRuns& schedule, std::stop_token bot_stop);

    /// /generate [N]; `stop` is the job's.
    void run_generate(Job& job, std::stop_token stop);
    /// A scheduled batch or Regenerate all; `stop` is the job's.
    void run_scheduled(Job& job, std::stop_token stop);

  private:
    // What a scheduled batch made before sending anything.
    struct Harvest {
        std::vector<Made> made;
        std::vector<std::string> failures;  // one message per failed candidate
        int failed = 0;
    };

    [[nodiscard]] GenerationContext context_of(const Job& job);
    [[nodiscard]] BatchProgress progress_of(const Job& job, bool shown);
    void end_generate(Job& job, BatchProgress& progress, bool batch,
                      std::chrono::steady_clock::time_point started, std::stop_token stop);
    Harvest make_all(Job& job, BatchProgress& progress, std::stop_token stop);
    bool auto_publish(Job& job, const Harvest& harvest, const std::string& batch_id);
    bool send_for_review(Job& job, const Harvest& harvest, const std::string& batch_id);
    void end_scheduled_stopped(Job& job, BatchProgress& progress, const Harvest& harvest,
                               bool any_sent);
    [[nodiscard]] bool shutting_down() const { return bot_stop_.stop_requested(); }

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    Generator& generator_;
    ReviewFlow& review_;
    PublishFlow& publish_;
    CandidateStore& candidates_;
    CrashStateStore& state_;
    ResourceMonitor& monitor_;
    GenerationCounts& counts_;
    ScheduledRuns& schedule_;
    std::stop_token bot_stop_;
};

}  // namespace memegen::bot
