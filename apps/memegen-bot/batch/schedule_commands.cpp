#include "batch/schedule_commands.hpp"

#include <charconv>

#include "config/owner_text.hpp"
#include "config/timezone.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

namespace {

using Clock = std::chrono::system_clock;

// "16:30": the slot's local time as the owner writes it.
std::string clock_of(TimePoint when) {
    return local_clock_text(when).substr(0, 5);
}

// "2026-12-01 16:30": a time that may not be today's.
std::string date_and_clock(TimePoint when) {
    return local_date_of(when).to_string() + " " + clock_of(when);
}

}  // namespace

std::optional<SetNextArgument> parse_setnext_argument(std::string_view argument) {
    argument = trim_blanks(argument);
    const auto space = argument.find_first_of(" \t");
    if (space == std::string_view::npos)
        return std::nullopt;
    auto number = argument.substr(0, space);
    if (number.starts_with('#'))
        number.remove_prefix(1);
    SetNextArgument out;
    const auto [end, ec] =
        std::from_chars(number.data(), number.data() + number.size(), out.number);
    if (number.empty() || number.size() > 4 || ec != std::errc{} ||
        end != number.data() + number.size()) {
        return std::nullopt;
    }
    out.time = std::string(trim_blanks(argument.substr(space)));
    if (out.time.empty())
        return std::nullopt;
    return out;
}

std::string ScheduleCommands::plan_html(const DailyPlan& plan, TimePoint now,
                                        std::optional<std::size_t> moved) const {
    std::string out = text_.schedule_head(
        date_and_clock(now), escape_html(config_.timezone), config_.window_start.to_string(),
        config_.window_end.to_string(), config_.daily_generations, plan.date);
    for (std::size_t i = 0; i < plan.slots.size(); ++i) {
        out += '\n';
        out += text_.schedule_slot(i + 1, clock_of(plan.slots[i].when), plan.slots[i].status,
                                   moved == i);
    }
    if (plan.slots.empty()) {
        out += '\n';
        out += text_.schedule_no_slots();
    }
    return out;
}

void ScheduleCommands::info(const CommandRequest& request) {
    const auto now = Clock::now();
    const auto plan = runs_.current_plan(now);
    if (!plan) {
        replies_.say(request.chat, text_.schedule_disabled());
        return;
    }
    replies_.say(request.chat, plan_html(*plan, now) + "\n\n" + text_.schedule_hint());
}

void ScheduleCommands::set_next(const CommandRequest& request) {
    const auto argument = parse_setnext_argument(request.argument);
    if (!argument) {
        replies_.say(request.chat, text_.setnext_usage());
        return;
    }
    const auto now = Clock::now();
    // Slot numbers start at 1: #0 is no slot, like any number past the plan's end.
    const std::size_t index =
        argument->number == 0 ? static_cast<std::size_t>(-1) : argument->number - 1;
    const auto outcome = runs_.move_slot(index, argument->time, now);
    if (!outcome) {
        replies_.say(request.chat, text_.schedule_disabled());
        return;
    }
    const auto refuse = [&](const std::string& why) {
        replies_.say(request.chat, why + "\n" + text_.setnext_usage());
    };
    if (outcome->time_refusal) {
        switch (outcome->time_refusal->reason) {
            case SlotTimeRefusal::Reason::unreadable:
                replies_.say(request.chat, text_.setnext_usage());
                return;
            case SlotTimeRefusal::Reason::passed:
                return refuse(
                    text_.setnext_passed(date_and_clock(outcome->when), date_and_clock(now)));
            case SlotTimeRefusal::Reason::too_far:
                return refuse(text_.setnext_too_far(
                    date_and_clock(outcome->when),
                    std::chrono::duration_cast<std::chrono::hours>(kSlotTimeHorizon).count()));
        }
    }
    if (outcome->move_refusal) {
        switch (*outcome->move_refusal) {
            case SlotMoveRefusal::unknown_slot:
                return refuse(
                    text_.setnext_unknown_slot(argument->number, outcome->plan.slots.size()));
            case SlotMoveRefusal::not_pending:
                return refuse(
                    text_.setnext_not_pending(argument->number, outcome->plan.slots[index].status));
            case SlotMoveRefusal::other_day:
                return refuse(
                    text_.setnext_other_day(date_and_clock(outcome->when), outcome->plan.date));
        }
    }
    replies_.say(request.chat,
                 text_.slot_moved(argument->number, clock_of(outcome->when), outcome->to + 1) +
                     "\n\n" + plan_html(outcome->plan, now, outcome->to));
}

void ScheduleCommands::rebuild(const CommandRequest& request) {
    const auto now = Clock::now();
    const auto outcome = runs_.redraw_remaining(now);
    if (!outcome) {
        replies_.say(request.chat, text_.schedule_disabled());
        return;
    }
    std::string first;
    if (outcome->redraw.window_over) {
        first = text_.schedule_window_over(config_.window_end.to_string());
    } else if (outcome->redraw.redrawn == 0) {
        first = text_.schedule_nothing_to_redraw();
    } else {
        first = text_.schedule_redrawn(outcome->redraw.redrawn);
    }
    replies_.say(request.chat, first + "\n\n" + plan_html(outcome->plan, now));
}

}  // namespace memegen::bot
