#pragma once
// Internal helper shared by the bot's state files (schedule.json, offset.json): an unreadable
// file is moved aside for inspection instead of being overwritten or stopping the bot.

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <memegen/detail/files.hpp>

namespace memegen::bot::detail {

/// See memegen::detail::quarantine_file(): the same move-aside the library's state store uses.
using memegen::detail::quarantine_file;

}  // namespace memegen::bot::detail
