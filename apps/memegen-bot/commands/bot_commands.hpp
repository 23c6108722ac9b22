#pragma once
/// \file bot_commands.hpp
/// The bot's command table: every command with its /help lines and menu text in English and
/// Russian, who may use it, and the action it runs. A new command is one row here.

#include <functional>

#include "commands/command_table.hpp"

namespace memegen::bot {

/// What each command does (bound by the Bot to its features).
struct CommandActions {
    std::function<void(const CommandRequest&)> help;
    std::function<void(const CommandRequest&)> generate;
    std::function<void(const CommandRequest&)> run_scheduled;
    std::function<void(const CommandRequest&)> status;
    std::function<void(const CommandRequest&)> cancel;
    std::function<void(const CommandRequest&)> clear_history;
    // Schedule and housekeeping (issue 13).
    std::function<void(const CommandRequest&)> schedule_info;
    std::function<void(const CommandRequest&)> set_next;
    std::function<void(const CommandRequest&)> rebuild_schedule;
    std::function<void(const CommandRequest&)> cleanup;
    std::function<void(const CommandRequest&)> chat_id;
    // Publishing (review/publish_flow).
    std::function<void(const CommandRequest&)> dry_run;
    std::function<void(const CommandRequest&)> history;
    std::function<void(const CommandRequest&)> connect;
    std::function<void(const CommandRequest&)> disconnect;
};

/// The table, in /help and menu order.
[[nodiscard]] CommandTable bot_commands(const CommandActions& actions);

}  // namespace memegen::bot
