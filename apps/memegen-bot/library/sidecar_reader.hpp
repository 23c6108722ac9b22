#pragma once
/// \file sidecar_reader.hpp
/// Reads the sidecars of one library when a file is used: library.json (re-read only when it
/// changes) and the file's own `<file>.json`. Problems are logged once per version of the
/// sidecar, naming the file and key; a broken sidecar means no sidecar, never a failure.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "library/sidecar.hpp"

namespace memegen::bot {

/// The sidecars of one library directory.
class SidecarReader {
  public:
    /// Reads `library`/library.json and `<file>.json` files of that directory.
    explicit SidecarReader(std::filesystem::path library) : library_(std::move(library)) {}

    /// What the sidecars say about `file` (a file of this library): defaults, then its
    /// library.json entry, then its own sidecar, merged. Empty when there is none. Never throws.
    [[nodiscard]] SidecarInfo lookup(const std::filesystem::path& file);

  private:
    // A sidecar file's identity: re-parse (and re-log) only when it changes.
    struct Stamp {
        std::uintmax_t size = 0;
        std::filesystem::file_time_type mtime{};
        friend bool operator==(const Stamp&, const Stamp&) = default;
    };
    struct CachedFile {
        Stamp stamp;
        std::optional<SidecarInfo> info;
    };

    void refresh_library_sidecar();
    std::optional<SidecarInfo> file_sidecar(const std::filesystem::path& file);

    std::filesystem::path library_;
    std::mutex mutex_;
    std::optional<Stamp> library_stamp_;
    LibrarySidecar library_sidecar_;
    std::map<std::filesystem::path, CachedFile> file_sidecars_;
};

}  // namespace memegen::bot
