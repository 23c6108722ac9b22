#include "batch/scheduled_runs.hpp"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

#include <memegen/log.hpp>

#include "telegram/html.hpp"

namespace memegen::bot {

ScheduledRuns::ScheduledRuns(const BotConfig& config, const Messages& text, Replies& replies,
                             CrashStateStore& state, GenerationQueue& queue)
    : config_(config), text_(text), replies_(replies), state_(state), queue_(queue) {}

void ScheduledRuns::start_up(TimePoint now) {
    std::lock_guard lock(mutex_);
    scheduler_ =
        std::make_unique<Scheduler>(config_.state_dir, ScheduleSettings::from(config_), now);
    const auto& startup = scheduler_->startup();
    for (const auto& p : startup.problems) {
        log_warning("schedule: {}", p);
        state_.note_problem(stage::state_corrupt, p, {{"file", "schedule.json"}});
    }
    if (!startup.missed.empty()) {
        log_warning("schedule: {} slot(s) passed while the bot was down ({})",
                    startup.missed.size(), startup.caught_up ? "the latest runs now" : "skipped");
    }
}

bool ScheduledRuns::enabled() {
    std::lock_guard lock(mutex_);
    return scheduler_ && config_.daily_generations > 0;
}

std::optional<ScheduledRuns::TimePoint> ScheduledRuns::next_slot(TimePoint now) {
    std::lock_guard lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    return scheduler_->next_slot(now);
}

std::optional<DailyPlan> ScheduledRuns::plan_for_day_of(TimePoint now) {
    std::lock_guard lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    return scheduler_->plan_for_day_of(now);
}

void ScheduledRuns::mark(const SlotId& slot, SlotStatus status) {
    std::lock_guard lock(mutex_);
    if (scheduler_)
        scheduler_->mark(slot, status);
}

void ScheduledRuns::run_now(const CommandRequest& request) {
    Job job;
    job.kind = JobKind::scheduled;
    job.count = config_.candidates;
    job.chat = config_.review_chat;
    job.label = text_.job_label("/runscheduled", request.who);
    queue_.try_start(std::move(job), request.chat);
}

std::optional<ScheduledRuns::Tick> ScheduledRuns::tick() {
    std::lock_guard lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    Tick out;
    const auto now = std::chrono::system_clock::now();
    const auto slots = scheduler_->due(now);
    if (!slots.empty()) {
        out.due = slots.front();
        scheduler_->mark(*out.due, SlotStatus::running);
    } else if (const auto next = scheduler_->next_slot(now)) {
        out.sleep = std::clamp(std::chrono::duration_cast<std::chrono::seconds>(*next - now),
                               std::chrono::seconds(1), std::chrono::seconds(30));
    }
    return out;
}

void ScheduledRuns::loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
        const auto next = tick();
        if (!next)
            return;
        if (next->due) {
            queue_slot(*next->due, stop);
            continue;
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, stop, next->sleep, [this] { return plan_changed_; });
        plan_changed_ = false;
    }
}

std::optional<DailyPlan> ScheduledRuns::current_plan(TimePoint now) {
    std::lock_guard lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    scheduler_->refresh(now);
    return scheduler_->plan();
}

std::optional<SlotMoveOutcome> ScheduledRuns::move_slot(std::size_t index, std::string_view text,
                                                        TimePoint now) {
    std::unique_lock lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    scheduler_->refresh(now);
    SlotMoveOutcome out;
    out.from = index;
    const auto& plan = scheduler_->plan();
    if (index >= plan.slots.size()) {
        out.move_refusal = SlotMoveRefusal::unknown_slot;
    } else if (plan.slots[index].status != SlotStatus::pending) {
        out.move_refusal = SlotMoveRefusal::not_pending;  // whatever the time says
    } else {
        const auto time = parse_slot_time(text, plan.slots[index].when, now, bot_timezone());
        if (const auto* refusal = std::get_if<SlotTimeRefusal>(&time)) {
            out.time_refusal = *refusal;
            out.when = refusal->when;
        } else {
            out.when = std::get<TimePoint>(time);
            const auto moved = scheduler_->move_slot(index, out.when);
            if (moved.index) {
                out.to = *moved.index;
                plan_changed_ = true;
            } else {
                out.move_refusal = moved.refusal;
            }
        }
    }
    out.plan = scheduler_->plan();
    lock.unlock();
    wake_.notify_all();
    return out;
}

std::optional<SlotRedrawOutcome> ScheduledRuns::redraw_remaining(TimePoint now) {
    std::unique_lock lock(mutex_);
    if (!scheduler_ || config_.daily_generations == 0)
        return std::nullopt;
    scheduler_->refresh(now);
    SlotRedrawOutcome out;
    out.redraw = scheduler_->redraw_remaining(now);
    out.plan = scheduler_->plan();
    plan_changed_ = plan_changed_ || out.redraw.redrawn > 0;
    lock.unlock();
    wake_.notify_all();
    return out;
}

void ScheduledRuns::queue_slot(const SlotId& slot, std::stop_token stop) {
    Job job;
    job.kind = JobKind::scheduled;
    job.count = config_.candidates;
    job.chat = config_.review_chat;
    job.label = text_.scheduled_label();
    job.slot = slot;
    const auto waited = queue_.start_waiting(
        std::move(job), std::chrono::minutes(config_.scheduled_wait_minutes), stop);
    if (waited.queued)
        return;
    if (stop.stop_requested()) {
        mark(slot, SlotStatus::pending);  // runs after the restart
        return;
    }
    give_up(slot, waited.holder);
}

void ScheduledRuns::give_up(const SlotId& slot, const std::string& holder) {
    log_warning("scheduled job skipped: the guard stayed held by '{}' for {} min", holder,
                config_.scheduled_wait_minutes);
    state_.record_problem(stage::batch_error,
                          fmt::format("scheduled job skipped: the generation lock stayed "
                                      "held by '{}' for {} min",
                                      holder, config_.scheduled_wait_minutes),
                          {{"label", "scheduled job"}});
    mark(slot, SlotStatus::skipped);
    replies_.say(ChatId(config_.owner_id),
                 text_.scheduled_gave_up(config_.scheduled_wait_minutes, escape_html(holder)));
}

}  // namespace memegen::bot
