#pragma once
// Internal helper shared by the bot's state files (schedule.json, offset.json): an unreadable
// file is moved aside for inspection instead of being overwritten or stopping the bot.

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <memegen/detail/clock.hpp>

namespace memegen::bot::detail {

/// Renames `file` to "<file>.corrupt-<local time>" (unique) and returns the problem text the
/// bot logs and records: "<name> was unreadable (<reason>); moved aside to <new name>".
inline std::string quarantine_file(const std::filesystem::path& file, std::string_view reason) {
    const std::string stamp = memegen::detail::compact_local_timestamp();
    auto aside = file;
    aside += ".corrupt-" + stamp;
    std::error_code ec;
    for (int n = 1; std::filesystem::exists(aside, ec); ++n) {
        aside = file;
        aside += ".corrupt-" + stamp + "-" + std::to_string(n);
    }
    std::filesystem::rename(file, aside, ec);
    if (ec) {
        // Could not move it: remove it so the next write does not trip over it again.
        std::filesystem::remove(file, ec);
        return fmt::format("{} was unreadable ({}); could not be moved aside, removed",
                           file.filename().string(), reason);
    }
    return fmt::format("{} was unreadable ({}); moved aside to {}", file.filename().string(),
                       reason, aside.filename().string());
}

}  // namespace memegen::bot::detail
