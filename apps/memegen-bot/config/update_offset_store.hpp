#pragma once
/// \file update_offset_store.hpp
/// The last handled Telegram update_id, kept in `<state_dir>/offset.json` so that a restart
/// neither replays handled updates nor loses unconfirmed ones (getUpdates confirms only on
/// the next call, with offset = last + 1), and a per-update attempt counter so that an update
/// whose handler crashes the bot every time is skipped after max_attempts instead of replaying
/// forever (tgbot-cpp's failure mode).
///
/// Protocol for each update, in order: begin(id) before handling — it is written to disk
/// first, so a crash during the handler still counts — then finish(id) when done (handled
/// or given up). Not thread-safe: one polling loop drives it.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/state_file.hpp"

namespace memegen::bot {

/// What begin() decided.
enum class UpdateDecision {
    handle,           ///< handle it (attempt() says which try this is)
    already_handled,  ///< its id is not above the last handled one: drop it
    poisoned,         ///< it already failed max_attempts times: skip it (now marked handled)
};

/// Persists the update offset and attempt counters.
class UpdateOffsetStore {
  public:
    /// Loads `<state_dir>/offset.json` (creating state_dir 0700 if needed). A corrupt file is
    /// moved aside (problems() says so) and the store starts empty. Throws SystemError naming
    /// the path if the file or directory cannot be read.
    explicit UpdateOffsetStore(std::filesystem::path state_dir, int max_attempts = 3);

    /// `<state_dir>/offset.json`.
    [[nodiscard]] std::filesystem::path file() const { return state_.path(); }

    /// The highest handled update_id, if any.
    [[nodiscard]] std::optional<std::int64_t> last_handled() const noexcept { return last_; }

    /// The offset for the next getUpdates: last handled + 1, or 0 (everything pending).
    [[nodiscard]] std::int64_t next_offset() const noexcept { return last_ ? *last_ + 1 : 0; }

    /// Ties the offsets to the bot `bot_id` (getMe's id). Offsets saved by another bot (a
    /// state directory reused with another token) mean nothing to this one: they are dropped,
    /// logged, and false is returned. A file without an id (older versions) is adopted. Saves.
    bool bind_bot(std::int64_t bot_id);

    /// The bot the offsets belong to, once known.
    [[nodiscard]] std::optional<std::int64_t> bot_id() const noexcept { return bot_id_; }

    /// Records that handling of `update_id` starts (saved before returning). An id at or below
    /// the last handled one is already_handled, unless it is more than resync_gap() below it:
    /// then the Bot API server's ids restarted (a reset server, a new local server), so the
    /// store re-syncs to the server's ids (logged) and the update is handled. Throws
    /// SystemError naming the path if it cannot be saved.
    UpdateDecision begin(std::int64_t update_id);

    /// How far below the last handled id an update must be to count as a server reset.
    static constexpr std::int64_t resync_gap() noexcept { return 1000; }

    /// The attempt number begin() gave `update_id` (1 for the first try), 0 if none is recorded.
    [[nodiscard]] int attempts(std::int64_t update_id) const;

    /// Marks `update_id` handled (whatever the outcome) and clears its counter; saves.
    /// Throws SystemError naming the path if it cannot be saved.
    void finish(std::int64_t update_id);

    /// Problems found while loading (a corrupt file moved aside), for the bot's log.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    void save();

    std::filesystem::path dir_;
    int max_attempts_;
    JsonStateFile state_;
    std::optional<std::int64_t> last_;
    std::optional<std::int64_t> bot_id_;
    std::map<std::int64_t, int> attempts_;  // update_id -> tries begun and not finished
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
