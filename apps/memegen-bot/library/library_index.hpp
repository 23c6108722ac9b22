#pragma once
/// \file library_index.hpp
/// The verdicts of probed library files, kept in the state directory (`library_index.json`,
/// written atomically) so that each file is probed once: an entry holds while the file's size
/// and modification time are unchanged. A picture's verdict also keeps its text layout and
/// perceptual hash, computed by the same probe.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <memegen/media_probe.hpp>
#include <memegen/perceptual_hash.hpp>
#include <memegen/text_detect.hpp>

#include "state/state_file.hpp"

namespace memegen::bot {

/// What a probe decided about one version of a file.
struct LibraryVerdict {
    std::uint64_t size = 0;         ///< the file's size when probed
    std::int64_t mtime_ns = 0;      ///< its modification time (ns since the epoch)
    bool ok = false;                ///< passed: may be rendered
    std::string error;              ///< why not (when !ok)
    std::optional<MediaInfo> info;  ///< what it holds (when ok)
    /// Where its text is (pictures; absent in indexes written before text detection, and
    /// then the render detects it itself).
    std::optional<TextLayout> text_layout;
    /// What it looks like, for near-duplicates (pictures; absent in indexes written before
    /// issue 13: such a file stays usable and is hashed by the next probe).
    std::optional<PerceptualHash> perceptual_hash;
};

/// A file's size and modification time as the index compares them; nullopt if it is gone.
struct FileStamp {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;

    /// The stamp of `path` (symlinks followed); nullopt if it cannot be read.
    [[nodiscard]] static std::optional<FileStamp> of(const std::filesystem::path& path);
};

/// Verdicts by key ("media/<relative path>", "music/<relative path>"); thread-safe.
class LibraryIndex {
  public:
    /// Loads `file` if it exists; a broken one is moved aside (logged) and the index starts
    /// empty — the cost is probing again.
    explicit LibraryIndex(std::filesystem::path file);

    /// The verdict for `key` if it was made for this exact `stamp`.
    [[nodiscard]] std::optional<LibraryVerdict> find(const std::string& key,
                                                     const FileStamp& stamp) const;
    /// Records a verdict (call save() to persist).
    void put(const std::string& key, LibraryVerdict verdict);
    /// Drops the entries under `prefix` ("media/") whose key is not in `present`.
    void forget_missing(const std::string& prefix, const std::set<std::string>& present);
    /// Writes the index atomically; logs (never throws) on failure.
    void save() const;
    /// Number of entries.
    [[nodiscard]] std::size_t size() const;
    /// Problems found while loading (a broken file moved aside).
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    JsonStateFile file_;
    mutable std::mutex mutex_;
    std::map<std::string, LibraryVerdict> entries_;
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
