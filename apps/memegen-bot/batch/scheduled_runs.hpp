#pragma once
/// \file scheduled_runs.hpp
/// The daily plan at work: a thread that queues a job for every due slot (waiting a bounded
/// time for the generation lock instead of dropping it), /runscheduled, and the plan's
/// figures for /status and the metrics. The owner's changes to the plan (/setnext,
/// /rebuildschedule) go through here too: under the same lock as the thread's ticks, and
/// waking the thread so that it follows at once.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include <memegen/crash_state_store.hpp>

#include "commands/command_table.hpp"
#include "config/config.hpp"
#include "config/schedule.hpp"
#include "config/slot_time.hpp"
#include "core/messages.hpp"
#include "generation/generation_queue.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// What /setnext did: the moved slot's old and new index and the plan after the move, or the
/// refusal (of the time as read, or of the move); nothing changed on a refusal.
struct SlotMoveOutcome {
    std::optional<SlotTimeRefusal> time_refusal;  ///< the time was unreadable, past, too far
    std::optional<SlotMoveRefusal> move_refusal;  ///< the slot cannot move there
    std::size_t from = 0;                         ///< the index the owner named
    std::size_t to = 0;                           ///< its index after the move
    TimePoint when;                               ///< the new time (also of a refused move)
    DailyPlan plan;                               ///< the current plan, after the move if any
};

/// What /rebuildschedule did, with the plan after it.
struct SlotRedrawOutcome {
    SlotRedraw redraw;
    DailyPlan plan;
};

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

    /// The current plan (today's, or tomorrow's once today's are all handled) for
    /// /scheduleinfo; nullopt when no schedule is configured.
    [[nodiscard]] std::optional<DailyPlan> current_plan(TimePoint now);
    /// /setnext: moves slot `index` of the current plan to the time `text` names (see
    /// parse_slot_time(); relative forms shift the slot's own time) and wakes the thread.
    /// nullopt when no schedule is configured.
    [[nodiscard]] std::optional<SlotMoveOutcome> move_slot(std::size_t index, std::string_view text,
                                                           TimePoint now);
    /// /rebuildschedule: Scheduler::redraw_remaining() and a wake of the thread; nullopt when
    /// no schedule is configured.
    [[nodiscard]] std::optional<SlotRedrawOutcome> redraw_remaining(TimePoint now);

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
    // loop() sleeps on wake_ until its next tick; a change of the plan wakes it early.
    std::condition_variable_any wake_;
    bool plan_changed_ = false;  // guarded by mutex_
};

}  // namespace memegen::bot
