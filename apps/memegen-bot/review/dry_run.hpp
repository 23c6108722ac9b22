#pragma once
/// \file dry_run.hpp
/// The /dryrun switch: while on, Publish says what it would post and where, and posts
/// nothing. Kept in `<state_dir>/dry_run.json` (a JsonStateFile) so it survives restarts; an
/// unreadable file is moved aside and the switch starts off.

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

#include "state/state_file.hpp"

namespace memegen::bot {

/// The persisted dry-run switch; thread-safe.
class DryRun {
  public:
    explicit DryRun(std::filesystem::path file);

    [[nodiscard]] bool on() const noexcept { return on_.load(); }
    /// Sets the switch and writes the file. Throws memegen::SystemError when it cannot.
    void set(bool on);

    /// What was wrong with the file at start, if anything.
    [[nodiscard]] const std::optional<std::string>& problem() const noexcept { return problem_; }

  private:
    JsonStateFile file_;
    std::atomic<bool> on_{false};
    std::optional<std::string> problem_;
};

}  // namespace memegen::bot
