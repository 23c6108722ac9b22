#include "commands/command_table.hpp"

namespace memegen::bot {

const Command* CommandTable::find(std::string_view name) const {
    for (const auto& row : rows_) {
        if (row.name == name)
            return &row;
    }
    return nullptr;
}

std::string CommandTable::help(const Messages& text) const {
    std::string out = text.help_intro() + "\n";
    for (const auto& row : rows_) {
        const auto& lines = text.ru() ? row.help_ru : row.help_en;
        if (!lines.empty())
            out += lines + "\n";
    }
    return out + text.help_uploads();
}

std::vector<BotCommand> CommandTable::menu(const Messages& text) const {
    std::vector<BotCommand> out;
    for (const auto& row : rows_) {
        const auto& description = text.ru() ? row.menu_ru : row.menu_en;
        if (!description.empty())
            out.push_back({row.name, description});
    }
    return out;
}

}  // namespace memegen::bot
