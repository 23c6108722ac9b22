#pragma once
/// \file dislike_store.hpp
/// Sources the owner disliked (👎 under a candidate): each is not picked again until its
/// expiry, `dislike_days` after the press. Kept in `<state_dir>/dislikes.json` (a JsonStateFile:
/// a broken file is moved aside and the list starts empty), so a dislike outlives a restart;
/// expired entries are dropped on the next write.
///
/// Errors: the constructor never throws (problems() lists a file moved aside); add() throws
/// memegen::SystemError naming the file when it cannot be written (the press is then answered
/// with the reason and nothing is remembered).

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace memegen::bot {

/// One disliked source and when it may be picked again.
struct Dislike {
    std::string media;  ///< the library file, as the candidate names it
    std::chrono::system_clock::time_point until;

    friend bool operator==(const Dislike&, const Dislike&) = default;
};

/// Thread-safe, persistent list of disliked sources.
class DislikeStore {
  public:
    using Clock = std::chrono::system_clock;

    /// Reads `file` if it exists.
    explicit DislikeStore(std::filesystem::path file);

    /// Dislikes `media` until `until` (a later expiry of an earlier dislike is kept) and saves.
    void add(const std::string& media, Clock::time_point until);
    /// The dislikes still in force at `now`, soonest expiry first.
    [[nodiscard]] std::vector<Dislike> active(Clock::time_point now);
    /// The sources not to pick at `now`.
    [[nodiscard]] std::set<std::filesystem::path> avoided(Clock::time_point now);
    /// True while `media` is disliked.
    [[nodiscard]] bool disliked(const std::string& media, Clock::time_point now);

    /// What was wrong with the file at start-up (moved aside). Empty when none.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    std::filesystem::path file_;
    std::mutex mutex_;
    std::vector<Dislike> items_;
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
