#pragma once
/// \file candidate_files.hpp
/// The rendered MP4 (and thumbnail) of a candidate, kept after review only while a target
/// that uploads the file itself (YouTube, X) may still need it: Telegram targets re-send by
/// file_id and need nothing on disk. Kept as `<state_dir>/candidates/<id>.mp4` and `<id>.jpg`.
/// release() is the one way to free them — Publish when every target is done, a replacement,
/// Delete, /cleanup — and it never throws.

#include <filesystem>
#include <string>

namespace memegen::bot {

/// The kept files of candidates.
class CandidateFiles {
  public:
    /// `dir` is `<state_dir>/candidates`; created when a file is first kept.
    explicit CandidateFiles(std::filesystem::path dir) : dir_(std::move(dir)) {}

    /// Where candidate `id`'s video is kept (it may not exist).
    [[nodiscard]] std::filesystem::path video(const std::string& id) const;
    /// Where candidate `id`'s thumbnail is kept (it may not exist).
    [[nodiscard]] std::filesystem::path thumbnail(const std::string& id) const;
    /// Moves the rendered `video` and `thumbnail` (may be empty) into the kept place; false
    /// (files removed, reason logged) when that fails.
    bool keep(const std::string& id, const std::filesystem::path& video,
              const std::filesystem::path& thumbnail) noexcept;
    /// Removes candidate `id`'s kept files, if any.
    void release(const std::string& id) noexcept;

  private:
    std::filesystem::path dir_;
};

}  // namespace memegen::bot
