#pragma once
/// \file schedule_commands.hpp
/// The owner's view of and changes to the daily plan (issue 13): /scheduleinfo, /setnext and
/// /rebuildschedule. Slots are numbered #1…#N by their place in the current plan, in time
/// order (see schedule.hpp: a moved slot takes the number of its new place, and every answer
/// that changes the plan shows the plan renumbered). Bad input gets the usage line and
/// changes nothing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "batch/scheduled_runs.hpp"
#include "commands/command_table.hpp"
#include "config/config.hpp"
#include "core/messages.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// /setnext's argument split: the slot's number as the owner wrote it ("2" or "#2") and the
/// time text that follows.
struct SetNextArgument {
    std::size_t number = 0;
    std::string time;
};

/// Splits "2 16:30" / "#2 +30m" / "3 2026-12-02 09:15"; nullopt unless a number (digits,
/// optionally after '#') and a non-empty rest.
[[nodiscard]] std::optional<SetNextArgument> parse_setnext_argument(std::string_view argument);

/// The three commands' handlers.
class ScheduleCommands {
  public:
    ScheduleCommands(const BotConfig& config, const Messages& text, Replies& replies,
                     ScheduledRuns& runs)
        : config_(config), text_(text), replies_(replies), runs_(runs) {}

    void info(const CommandRequest& request);
    void set_next(const CommandRequest& request);
    void rebuild(const CommandRequest& request);

  private:
    // The head and the numbered slots; `moved`: the index to mark.
    [[nodiscard]] std::string plan_html(const DailyPlan& plan, TimePoint now,
                                        std::optional<std::size_t> moved = {}) const;

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    ScheduledRuns& runs_;
};

}  // namespace memegen::bot
