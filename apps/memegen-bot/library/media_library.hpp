#pragma once
/// \file media_library.hpp
/// One library directory (memes or music): which of its files are candidates — a known media
/// extension, not hidden, not a sidecar, and (through any symlink) inside the directory.
/// Whether a candidate is usable is the probe's business (library_catalog.hpp).

#include <filesystem>
#include <string>
#include <vector>

#include <memegen/media_probe.hpp>

#include "library/library_index.hpp"
#include "library/sidecar_reader.hpp"

namespace memegen::bot {

/// A candidate file of a library.
struct LibraryEntry {
    std::filesystem::path file;  ///< absolute path inside the library
    std::string key;             ///< "<library name>/<relative path>", the index key
    FileStamp stamp;             ///< size and mtime when listed
};

/// What a listing found.
struct LibraryListing {
    std::vector<LibraryEntry> files;    ///< candidates, sorted by path
    std::vector<std::string> problems;  ///< files skipped before probing, each with its reason
};

/// One library directory.
class MediaLibrary {
  public:
    /// `name` prefixes index keys ("media", "music"); `role` is what its files must contain.
    MediaLibrary(std::string name, std::filesystem::path root, MediaRole role);

    /// Lists the candidates (top level only, as the bot has always read its libraries).
    /// A missing directory is one problem, not an exception.
    [[nodiscard]] LibraryListing list() const;

    /// Whether `file`'s extension is one this library reads.
    [[nodiscard]] bool accepts_extension(const std::filesystem::path& file) const;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
    [[nodiscard]] MediaRole role() const noexcept { return role_; }
    /// The library's sidecars (library.json, <file>.json).
    [[nodiscard]] SidecarReader& sidecars() noexcept { return sidecars_; }

  private:
    std::string name_;
    std::filesystem::path root_;
    MediaRole role_;
    SidecarReader sidecars_;
};

}  // namespace memegen::bot
