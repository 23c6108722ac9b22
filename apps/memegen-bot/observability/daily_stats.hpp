#pragma once
/// \file daily_stats.hpp
/// DailyStats: how many generations succeeded and failed on the current local day, and the
/// peak memory of the last render — what /status reports. Kept in `<state_dir>/stats.json`
/// (written atomically) so a restart keeps today's count and memegen-status can read it while
/// the bot is stopped. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "state/state_file.hpp"

namespace memegen::bot {

/// The figures of one local day.
struct DailyFigures {
    std::string date;                          ///< "YYYY-MM-DD", the local day counted
    int done = 0;                              ///< generations sent (or published)
    int failed = 0;                            ///< generations that failed
    std::uint64_t last_render_peak_bytes = 0;  ///< peak RSS of the last render; 0: none yet
};

/// The day's counts, persisted.
class DailyStats {
  public:
    /// Loads `file` if it exists and is valid; a corrupt file is ignored (counts restart at 0,
    /// with a warning) because losing a day's tally is better than refusing to start.
    explicit DailyStats(std::filesystem::path file);

    /// Counts one generation on local day `date`; a new date starts from zero.
    void record(bool ok, const std::string& date);

    /// Remembers the peak RSS of the render that just ended.
    void set_last_render_peak(std::uint64_t bytes);

    /// The figures of `date` (zero counts if nothing was recorded that day; the last render's
    /// peak is kept across days).
    [[nodiscard]] DailyFigures figures(const std::string& date) const;

    /// Reads a stats file without a DailyStats (for memegen-status); nullopt if it is missing
    /// or not valid.
    [[nodiscard]] static std::optional<DailyFigures> read(const std::filesystem::path& file);

    /// Problems found while loading (a broken file moved aside), for state_corrupt records.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    void save_locked() const;

    JsonStateFile file_;
    mutable std::mutex mutex_;
    DailyFigures figures_;
    std::vector<std::string> problems_;
    [[nodiscard]] static std::optional<DailyFigures> parse(const nlohmann::json& j);
};

}  // namespace memegen::bot
