#pragma once
/// \file command_table.hpp
/// The bot's commands as one table: each row's name, /help lines, menu description, who may
/// use it and what it does. /help, setMyCommands and the dispatch are all read from it.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// Who may use a command.
enum class Access {
    admin,                  ///< the owner and the admins
    open_without_argument,  ///< also anyone, when open_generate is on, without an argument
};

/// A command as it arrived: "/generate@my_bot 3" → name "generate", argument "3".
struct CommandRequest {
    ChatId chat;
    std::int64_t user = 0;
    std::string who;  ///< "@name", or "#<id>" for users without a username
    std::string argument;
    bool admin = false;  ///< the sender is the owner or an admin
};

/// One row of the table.
struct Command {
    std::string name;              ///< without the slash
    std::string help_en, help_ru;  ///< the row's lines in /help; empty: not listed
    std::string menu_en, menu_ru;  ///< setMyCommands description; empty: not in the menu
    Access access = Access::admin;
    std::function<void(const CommandRequest&)> handler;
};

/// The commands in their /help and menu order.
class CommandTable {
  public:
    explicit CommandTable(std::vector<Command> rows) : rows_(std::move(rows)) {}

    /// The row named `name`, or nullptr.
    [[nodiscard]] const Command* find(std::string_view name) const;
    /// The whole /help text in `text`'s language.
    [[nodiscard]] std::string help(const Messages& text) const;
    /// The menu for setMyCommands in `text`'s language.
    [[nodiscard]] std::vector<BotCommand> menu(const Messages& text) const;
    [[nodiscard]] const std::vector<Command>& rows() const noexcept { return rows_; }

  private:
    std::vector<Command> rows_;
};

}  // namespace memegen::bot
