#pragma once
/// \file status_report.hpp
/// StatusReport: what `/status` tells — memory, the guard, the last problem, the failed
/// publications, the schedule and today's generations — as data, so the bot (live figures) and
/// memegen-status (a state directory, bot stopped or not) say the same thing in the same words, as
/// Telegram HTML, plain text or JSON.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <memegen/resource_monitor.hpp>

#include "config/config.hpp"
#include "config/schedule.hpp"
#include "observability/publish_failures.hpp"

namespace memegen::bot {

/// The libraries' counts, as the bot's catalog knows them.
struct LibrarySummary {
    std::size_t memes = 0;     ///< usable memes
    std::size_t tracks = 0;    ///< usable tracks
    std::size_t pending = 0;   ///< files not probed yet
    std::size_t rejected = 0;  ///< files that failed the probe
    /// Memes refused at intake today as near-duplicates (library/look_alikes.hpp).
    int near_duplicates_today = 0;
};

/// Everything /status shows.
struct StatusReport {
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    /// The bot process's memory now; absent when the bot is not running (memegen-status).
    std::optional<ResourceSnapshot> memory;
    std::uint64_t last_render_peak_bytes = 0;  ///< 0: no render recorded
    std::optional<GuardHolder> guard;          ///< who holds the generation guard
    std::optional<Problem> last_problem;       ///< the last recorded problem
    std::optional<LibrarySummary> library;     ///< the bot's libraries (live report only)
    bool schedule_enabled = false;             ///< daily_generations > 0
    std::optional<TimePoint> next_slot;        ///< next pending daily slot
    std::optional<DailyPlan> today;            ///< today's plan
    int done_today = 0;                        ///< generations sent today
    int failed_today = 0;                      ///< generations failed today
    std::optional<StateRecord> state;          ///< generation_state.json (memegen-status)
    std::vector<std::string> disliked;         ///< sources under 👎, by file name (issue 13)
    std::optional<bool> dry_run;               ///< /dryrun (live report only)
    /// Publications that failed and wait for a Retry, newest candidate first (all of them; the
    /// message shows the first few).
    std::vector<PublishFailure> failed_publications;
};

/// The /status message: Telegram HTML in the bot's language (the seed's layout and emoji).
[[nodiscard]] std::string status_html(const StatusReport& report, Language language);

/// The same message as plain text for a terminal: tags removed, entities decoded.
[[nodiscard]] std::string status_text(const StatusReport& report, Language language);

/// The report as JSON (times as local timestamps with offset, sizes in bytes).
[[nodiscard]] nlohmann::json to_json(const StatusReport& report);

/// Builds a report from a state directory alone, changing nothing in it: the guard's holder
/// (from its lock file), the last problem, generation_state.json, schedule.json, stats.json and
/// candidates.json (the failed publications).
/// `memory` is the bot's process when generation_state.json names a pid that is still that
/// process (pid and start time match). Throws memegen::StateError if `state_dir` is not a
/// directory.
[[nodiscard]] StatusReport read_status_report(const std::filesystem::path& state_dir,
                                              TimePoint now = std::chrono::system_clock::now());

}  // namespace memegen::bot
