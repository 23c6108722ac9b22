#pragma once
/// \file schedule.hpp
/// The daily plan of scheduled generations, as the seed drew it: `daily_generations` slots in
/// the posting window of the configured zone, the window cut into equal segments and each slot
/// at its segment's middle ± a uniform jitter of up to min(segment/3, 30 min). The plan is kept
/// in `<state_dir>/schedule.json` so that a restart keeps it.
///
/// Scheduler is pure logic without threads or sleeps: the bot passes the current time to each
/// call. Local time comes from the process's zone (see apply_timezone()).
///
/// Missed slots. At start-up, pending slots of the saved plan (and of today's plan drawn in
/// its place after a day change) whose time has passed were missed while the bot was down:
/// with MissedSlotPolicy::skip all are marked skipped; with catch_up_one the most recent one of
/// today stays pending, so due() returns it at once, and the others are skipped. Slots of a
/// previous day are always skipped. A slot still marked running was interrupted by the restart
/// and becomes failed. When there was no saved plan, or it was corrupt, or the schedule
/// settings changed, a new plan is drawn and its past slots are skipped without catching up.
///
/// The owner's changes (issue 13). /setnext moves one pending slot of the current plan to
/// another time of the plan's day (move_slot()); /rebuildschedule draws the plan's pending
/// future slots anew in what is left of the window (redraw_remaining()). The owner numbers
/// slots #1…#N by their position in the plan, which stays in time order: a moved slot takes
/// the number of its new place and the slots it passed shift by one (the reply shows the
/// renumbered plan). Slots that ran, failed, were skipped or are running are never touched;
/// their times are all past, so moves and redraws, which only place slots in the future,
/// never change their numbers (a running job's SlotId stays valid).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/timezone.hpp"

namespace memegen::bot {

using TimePoint = std::chrono::system_clock::time_point;

/// The state of one scheduled slot.
enum class SlotStatus { pending, running, done, failed, skipped };

/// "pending", "running", "done", "failed", "skipped".
[[nodiscard]] std::string_view to_string(SlotStatus status) noexcept;
/// Parses what to_string() writes; nullopt otherwise.
[[nodiscard]] std::optional<SlotStatus> parse_slot_status(std::string_view text) noexcept;

/// One scheduled generation.
struct Slot {
    TimePoint when;                           ///< whole seconds
    SlotStatus status = SlotStatus::pending;  ///< what happened to it
};

/// The slots of one local day, in time order.
struct DailyPlan {
    std::string date;         ///< local date "YYYY-MM-DD"
    std::vector<Slot> slots;  ///< sorted by `when`
};

/// Names one slot across days: its plan's date and its index there.
struct SlotId {
    std::string date;       ///< "YYYY-MM-DD"
    std::size_t index = 0;  ///< position in the plan

    friend bool operator==(const SlotId&, const SlotId&) = default;
};

/// How many slots of a plan are in each state.
struct PlanCounts {
    int pending = 0;  ///< still to run
    int running = 0;  ///< running now
    int done = 0;     ///< finished
    int failed = 0;   ///< failed (or interrupted by a restart)
    int skipped = 0;  ///< skipped (missed, or the guard stayed busy)
};

/// The counts of `plan`.
[[nodiscard]] PlanCounts count_slots(const DailyPlan& plan) noexcept;

/// What the schedule depends on; a change of any of these redraws the plan.
struct ScheduleSettings {
    int daily_generations = 3;                                       ///< 0 disables the schedule
    ClockTime window_start{600};                                     ///< local time, inclusive
    ClockTime window_end{1440};                                      ///< local time, exclusive
    MissedSlotPolicy missed_slots = MissedSlotPolicy::catch_up_one;  ///< at start-up
    std::string timezone;  ///< the configured zone's name (recorded; TZ must already be set)

    /// The schedule part of a configuration.
    [[nodiscard]] static ScheduleSettings from(const BotConfig& config);
};

/// The largest jitter of a slot around its segment's middle: min(segment / 3, 30 min).
[[nodiscard]] std::chrono::seconds max_jitter(std::chrono::seconds segment) noexcept;

/// Draws the plan of local day `date`: window cut into daily_generations equal segments (in
/// elapsed time, so a DST change inside the window only stretches or shrinks them), each slot
/// at its segment's middle ± uniform jitter up to max_jitter(). All slots pending.
[[nodiscard]] DailyPlan draw_plan(const LocalDate& date, const ScheduleSettings& settings,
                                  std::mt19937_64& random);

/// `n` slots in [start, end), drawn as draw_plan() draws a window: equal segments, each slot at
/// its segment's middle ± uniform jitter up to max_jitter(). Empty if n <= 0 or end <= start.
[[nodiscard]] std::vector<Slot> draw_slots(TimePoint start, TimePoint end, int n,
                                           std::mt19937_64& random);

/// Why Scheduler::move_slot() left the plan alone.
enum class SlotMoveRefusal {
    unknown_slot,  ///< no slot with that index in the current plan
    not_pending,   ///< the slot ran, failed, was skipped or is running
    other_day,     ///< the new time is not on the plan's local day
};

/// What move_slot() did: the slot's new index, or why nothing changed.
struct SlotMove {
    std::optional<std::size_t> index;  ///< the moved slot's index after re-sorting
    SlotMoveRefusal refusal = SlotMoveRefusal::unknown_slot;  ///< when index is nullopt
};

/// What redraw_remaining() did.
struct SlotRedraw {
    int redrawn = 0;           ///< pending future slots drawn anew
    bool window_over = false;  ///< pending future slots exist, the window has < 1 min a slot
};

/// What the Scheduler did at start-up, for the bot's log and the owner.
struct SchedulerStartup {
    std::vector<std::string> problems;   ///< e.g. a corrupt schedule.json moved aside
    std::vector<TimePoint> missed;       ///< pending slots that passed while the bot was down
    std::optional<SlotId> caught_up;     ///< the missed slot that will run now (catch_up_one)
    std::vector<TimePoint> interrupted;  ///< slots that were running when the bot stopped
};

/// Keeps the daily plan: which slot is next, which are due, what happened to them.
/// Not thread-safe: call it from one thread (the bot's scheduling loop).
class Scheduler {
  public:
    /// Loads `<state_dir>/schedule.json` (creating state_dir 0700 if needed) or draws a plan,
    /// applies the missed-slot policy at `now` and saves. `seed` makes the draws reproducible
    /// (default: std::random_device). Throws SystemError naming the path if it cannot write.
    Scheduler(std::filesystem::path state_dir, ScheduleSettings settings, TimePoint now,
              std::optional<std::uint64_t> seed = std::nullopt);

    /// The state file, `<state_dir>/schedule.json`.
    [[nodiscard]] std::filesystem::path file() const { return dir_ / "schedule.json"; }

    /// What happened at construction (problems, missed and caught-up slots).
    [[nodiscard]] const SchedulerStartup& startup() const noexcept { return startup_; }

    /// The earliest pending slot's time (may be in the past if it is due and not yet started);
    /// nullopt when nothing is planned (schedule disabled, or the last slot is running).
    [[nodiscard]] std::optional<TimePoint> next_slot(TimePoint now);

    /// The pending slots whose time has come, oldest first. They stay pending until mark().
    [[nodiscard]] std::vector<SlotId> due(TimePoint now);

    /// Sets a slot's status and saves; false if no kept plan has that slot.
    /// Throws SystemError naming the path if the state cannot be written.
    bool mark(const SlotId& slot, SlotStatus status);

    /// The time of a slot, if a kept plan has it.
    [[nodiscard]] std::optional<TimePoint> when(const SlotId& slot) const;

    /// The current plan (today's, or tomorrow's once today's slots are all handled).
    [[nodiscard]] const DailyPlan& plan() const noexcept { return plan_; }

    /// The plan of `now`'s local day, if kept (today's plan stays available after the next
    /// day's is drawn), for /status.
    [[nodiscard]] std::optional<DailyPlan> plan_for_day_of(TimePoint now);

    /// Counts of the plan of `now`'s local day (zeros if there is none).
    [[nodiscard]] PlanCounts today_counts(TimePoint now);

    /// Moves pending slot `index` of the current plan (plan()) to `when`, which must lie on the
    /// plan's local day (the caller checks that it is in the future), keeps the plan sorted
    /// and saves. Throws SystemError naming the path if the state cannot be written.
    SlotMove move_slot(std::size_t index, TimePoint when);

    /// Draws the current plan's pending slots after `now` anew in [max(now, window_start),
    /// window_end) of the plan's day with draw_slots() (nothing when that leaves under a
    /// minute a slot); the others stay. Saves if anything changed. Throws SystemError naming the
    /// path if the state cannot be written.
    SlotRedraw redraw_remaining(TimePoint now);

    /// Brings the plan up to `now`: a new day's plan after midnight (the old day's pending slots
    /// skipped), the next day's once today's are all handled. Called by every query.
    void refresh(TimePoint now);

  private:
    bool load();
    void save();
    void apply_missed_policy(DailyPlan& plan, TimePoint now, bool catch_up, bool report);
    DailyPlan* find_plan(const std::string& date);
    const DailyPlan* find_plan(const std::string& date) const;

    std::filesystem::path dir_;
    ScheduleSettings settings_;
    std::mt19937_64 random_;
    DailyPlan plan_;
    std::optional<DailyPlan> previous_;
    SchedulerStartup startup_;
};

/// What a saved `schedule.json` holds, read without changing anything (no redraw, no
/// quarantine): for tools that report on a state directory while the bot is stopped.
struct SavedSchedule {
    int daily_generations = 0;          ///< as recorded with the plan; 0: schedule disabled
    DailyPlan plan;                     ///< the current plan
    std::optional<DailyPlan> previous;  ///< the day before's, kept for today's report

    /// The earliest pending slot of the kept plans, if any.
    [[nodiscard]] std::optional<TimePoint> next_slot() const;
    /// The kept plan of `now`'s local day, if any.
    [[nodiscard]] std::optional<DailyPlan> plan_for_day_of(TimePoint now) const;
};

/// Reads `file` as the Scheduler writes it; nullopt if it does not exist or is not a valid plan.
/// Throws SystemError naming the path if it exists but cannot be read.
[[nodiscard]] std::optional<SavedSchedule> read_saved_schedule(const std::filesystem::path& file);

/// "in 45 min (16:30:00)", "in 2 h 5 min (16:30:00)" / "через 45 мин (16:30:00)"; "now (...)"
/// when `when` is not in the future. Minutes are rounded up; the clock is local time.
[[nodiscard]] std::string format_time_until(TimePoint when, TimePoint now, Language language);

}  // namespace memegen::bot
