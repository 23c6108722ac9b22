#pragma once
/// \file publish_journal.hpp
/// What a restart needs to continue a publish instead of doing it twice: per candidate and
/// target, the state of the upload (the YouTube resumable session URI, the X media id) and,
/// once done, the URL. Kept in one JSON file in the state dir, written atomically (temp file,
/// fsync, rename, fsync of the directory) with mode 0600: a session URI lets anyone holding it
/// finish the upload.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "state/state_file.hpp"

namespace memegen::bot::publish {

/// One candidate's progress on one target.
struct JournalEntry {
    /// "uploading": bytes are on their way (session/media id set); "posting": the final,
    /// not idempotent request was sent and its answer is not known; "thumbnail": the YouTube
    /// video is up (url set), its thumbnail not yet; "done": published.
    std::string state;
    /// YouTube: the resumable session URI, then ("thumbnail") the video id; X: the media id.
    std::string session;
    std::string url;                ///< done: where it can be seen
    std::uint64_t total_bytes = 0;  ///< size of the file the session was opened for
};

/// The journal file; safe to use from several threads.
class PublishJournal {
  public:
    /// Opens (or starts) the journal at `file`. An unreadable or malformed file is moved aside
    /// (see JsonStateFile) and reported by problem().
    explicit PublishJournal(std::filesystem::path file);

    /// The entry of `candidate_id` on `target`, if any.
    [[nodiscard]] std::optional<JournalEntry> find(std::string_view candidate_id,
                                                   std::string_view target) const;
    /// Records `entry` and writes the file before returning. Throws memegen::SystemError.
    void put(std::string_view candidate_id, std::string_view target, const JournalEntry& entry);
    /// Forgets the entry (a dead session). Throws memegen::SystemError.
    void erase(std::string_view candidate_id, std::string_view target);

    /// What was wrong with the file found at start, if anything.
    [[nodiscard]] const std::optional<std::string>& problem() const noexcept { return problem_; }
    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_.path(); }

  private:
    void save_locked() const;

    JsonStateFile file_;
    mutable std::mutex mutex_;
    nlohmann::json entries_ = nlohmann::json::object();
    std::optional<std::string> problem_;
};

}  // namespace memegen::bot::publish
