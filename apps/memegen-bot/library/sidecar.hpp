#pragma once
/// \file sidecar.hpp
/// Sidecar JSON: what a library says about its files — source, title, artist, tags, captions —
/// in `library.json` (defaults and per-file entries) and `<file>.json` beside a file. The
/// format is documented in config/library-sidecar.md. Parsing never throws for bad input:
/// each problem becomes an error (the entry is dropped, the file has no sidecar) or a warning
/// (an unknown key, ignored), each naming the sidecar file and the key.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::bot {

/// Limits that keep a sidecar from feeding huge texts into captions and logs.
struct SidecarLimits {
    static constexpr std::size_t max_library_file_bytes = 1024 * 1024;  ///< library.json
    static constexpr std::size_t max_file_sidecar_bytes = 64 * 1024;    ///< <file>.json
    static constexpr std::size_t max_text_bytes = 300;     ///< title, artist, each caption
    static constexpr std::size_t max_source_bytes = 2048;  ///< source (often a URL)
    static constexpr std::size_t max_tags = 32;            ///< tags per entry
    static constexpr std::size_t max_tag_bytes = 64;       ///< each tag
};

/// What a sidecar says about one file; empty fields are unset.
struct SidecarInfo {
    std::string source;                 ///< where the file came from (URL or free text)
    std::string title;                  ///< the meme's or the track's title
    std::string artist;                 ///< a track's artist
    std::vector<std::string> tags;      ///< free-form tags
    std::optional<std::string> top;     ///< top caption
    std::optional<std::string> bottom;  ///< bottom caption
    std::optional<std::string> badge;   ///< small badge line

    /// Fields set in `over` replace these (per-file beats library entry beats defaults).
    void merge(const SidecarInfo& over);
    /// "artist — title", "title", or "" — the badge line of a track.
    [[nodiscard]] std::string track_label() const;
};

/// Problems found while parsing, each "<sidecar file>: <key>: <reason>".
struct SidecarDiagnostics {
    std::vector<std::string> errors;    ///< the entry (or file) they concern is ignored
    std::vector<std::string> warnings;  ///< ignored keys; the entry is used
};

/// One entry object (a per-file sidecar, library.json's "defaults" or a "files" value).
/// `where` names it in messages ("memes/library.json: files.\"cat.gif\""). nullopt on error.
[[nodiscard]] std::optional<SidecarInfo> parse_sidecar_entry(const nlohmann::json& entry,
                                                             const std::string& where,
                                                             SidecarDiagnostics& diagnostics);

/// A parsed library.json.
struct LibrarySidecar {
    SidecarInfo defaults;                                ///< for every file of the library
    std::map<std::filesystem::path, SidecarInfo> files;  ///< by resolved path inside the library
};

/// Parses the text of `sidecar` (library.json of `library`). Paths in "files" must resolve
/// inside the library (see library_path.hpp); others are errors. Never throws.
[[nodiscard]] LibrarySidecar parse_library_sidecar(std::string_view text,
                                                   const std::filesystem::path& library,
                                                   const std::filesystem::path& sidecar,
                                                   SidecarDiagnostics& diagnostics);

/// Parses the text of a per-file sidecar `<file>.json`; nullopt on error. Never throws.
[[nodiscard]] std::optional<SidecarInfo> parse_file_sidecar(std::string_view text,
                                                            const std::filesystem::path& sidecar,
                                                            SidecarDiagnostics& diagnostics);

}  // namespace memegen::bot
