#pragma once
/// \file work_cleanup.hpp
/// The sweep of old work files (/cleanup, and by itself once a day). What is a work file, and
/// what is never removed, is stated in housekeeping/meson.build.
///
/// sweep_work_files() is the pure part: it takes the clock and the lock holder's start as
/// arguments, so that tests drive it with real files and chosen modification times.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <vector>

#include <memegen/generation_guard.hpp>

#include "config/config.hpp"

namespace memegen::bot {

/// Where and what one sweep removes.
struct SweepOptions {
    /// Every regular file below these (recursively; symbolic links are not followed).
    std::vector<std::filesystem::path> work_dirs;
    /// Only partial downloads directly inside these: ".incoming-*" and ".*.part-*".
    std::vector<std::filesystem::path> library_dirs;
    std::chrono::hours max_age{24};             ///< older than this is removed
    std::chrono::system_clock::time_point now;  ///< the sweep's clock
    /// When the generation lock's holder took it, if it is held: a file modified since then may
    /// be that render's, and is kept whatever its age.
    std::optional<std::chrono::system_clock::time_point> keep_since;
};

/// What one sweep did.
struct SweepResult {
    int files = 0;            ///< files removed
    std::uint64_t bytes = 0;  ///< their sizes
    int failed = 0;           ///< old files that could not be removed (each logged)
};

/// Removes the files `options` selects; never throws.
SweepResult sweep_work_files(const SweepOptions& options);

/// The bot's sweep: its directories, cleanup_hours, and the generation lock's holder.
class WorkCleanup {
  public:
    WorkCleanup(const BotConfig& config, const GenerationGuard& guard)
        : config_(config), guard_(guard) {}

    /// One sweep now, logged.
    SweepResult sweep();
    /// Sweeps at once, then every 24 h, until `stop`.
    void run_daily(std::stop_token stop);

  private:
    const BotConfig& config_;
    const GenerationGuard& guard_;
};

}  // namespace memegen::bot
