#pragma once
/// \file scheduled_runs.hpp
/// The daily plan at work: a thread that queues a job for every due slot (waiting a bounded
/// time for the generation lock instead of dropping it), /runscheduled, and the plan's
/// figures for /status and the metrics.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include <memegen/crash_state_store.hpp>

#include "commands/command_table.hpp"
#include "config/config.hpp"
#include "config/schedule.hpp"
#include "core/messages.hpp"
#include "generation/generation_queue.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// Owns the Scheduler; thread-safe.
class ScheduledRuns {
  public:
    using TimePoint = std::chrono::system_clock::time_point;

    ScheduledRuns(const BotConfig& config, const Messages& text, Replies& replies,
                  CrashStateStore& state, GenerationQueue& queue);

    /// Loads or draws the plan and applies the missed-slot policy at `now`. Throws
    /// SystemError naming the path if schedule.json cannot be written.
    void start_up(TimePoint now);
    /// Queues due slots until `stop` (returns at once when no schedule is configured).
    void loop(std::stop_token stop);
    /// /runscheduled: the scheduled job now, for `request`'s sender.
    void run_now(const CommandRequest& request);
    /// Records how a slot's job ended.
    void mark(const SlotId& slot, SlotStatus status);

    /// The next slot, if a schedule is configured.
    [[nodiscard]] std::optional<TimePoint> next_slot(TimePoint now);
    /// Today's plan, if a schedule is configured.
    [[nodiscard]] std::optional<DailyPlan> plan_for_day_of(TimePoint now);
    /// True once start_up() ran and daily_generations > 0.
    [[nodiscard]] bool enabled();

  private:
    // The slot to run now (marked running), or how long to sleep; nullopt: no schedule.
    struct Tick {
        std::optional<SlotId> due;
        std::chrono::seconds sleep{30};
    };
    std::optional<Tick> tick();
    void queue_slot(const SlotId& slot, std::stop_token stop);
    void give_up(const SlotId& slot, const std::string& holder);

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    CrashStateStore& state_;
    GenerationQueue& queue_;
    std::mutex mutex_;
    std::unique_ptr<Scheduler> scheduler_;  // guarded by mutex_
};

}  // namespace memegen::bot
