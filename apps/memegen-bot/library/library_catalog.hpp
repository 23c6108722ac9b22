#pragma once
/// \file library_catalog.hpp
/// The bot's two libraries with their probe verdicts: what may be picked (only files that
/// passed), what is still unchecked, and the way new files get in — found on disk by a scan,
/// or sent to the bot and admitted after a probe.
///
/// Start-up never waits for probing: a background thread (run_background) checks every new or
/// changed file, in small batches, saving verdicts as it goes. Picks use what is validated so
/// far; only when a library has no usable file yet does the worker validate before picking
/// (ensure_usable), so the first /generate after adding files still finds them.
///
/// A meme that looks like one the bot has seen (look_alikes.hpp) is refused at admit().

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "library/library_index.hpp"
#include "library/look_alikes.hpp"
#include "library/media_library.hpp"
#include "library/media_prober.hpp"

namespace memegen::bot {

/// Counts of one library, for /status.
struct LibraryCounts {
    std::size_t usable = 0;    ///< passed the probe
    std::size_t rejected = 0;  ///< failed it (each logged with its reason)
    std::size_t pending = 0;   ///< not checked yet
};

/// What admit() did with a file sent to the bot.
struct Admission {
    bool ok = false;
    std::string reason;             ///< why not: the probe's cause, without the temp path
    std::filesystem::path file;     ///< where it now lives (when ok)
    std::optional<MediaInfo> info;  ///< what it holds (when ok)
    /// Refused as a near-duplicate: the meme it looks like (`reason` says it in English, for
    /// logs; replies name it from here in the bot's language).
    std::optional<LookAlike> look_alike;
};

/// Where the catalog's parts live.
struct LibraryCatalogOptions {
    std::filesystem::path media_dir;
    std::filesystem::path music_dir;
    std::filesystem::path index_file;  ///< library_index.json in the state directory
    MediaProberOptions prober;
    std::size_t batch = 8;  ///< files per probe child (and per index save)
    /// A meme admitted within this many bits of a seen one is refused (the bot passes
    /// library.duplicate_distance); 0: no check.
    int duplicate_distance = 0;
};

/// Both libraries, thread-safe.
class LibraryCatalog {
  public:
    explicit LibraryCatalog(LibraryCatalogOptions options);

    /// Lists the libraries (`only` one of them, if given), applies known verdicts and probes
    /// the rest in batches until done, stopped, or `enough` files of `only` are usable.
    /// Returns the number of files probed.
    std::size_t refresh(std::stop_token stop, std::optional<MediaRole> only = std::nullopt,
                        std::size_t enough = static_cast<std::size_t>(-1));

    /// Validates before a pick if `role`'s library has fewer than `count` usable files.
    void ensure_usable(MediaRole role, std::size_t count, std::stop_token stop);

    /// Files of `role`'s library that passed (as of the last refresh), sorted.
    [[nodiscard]] std::vector<std::filesystem::path> usable(MediaRole role) const;
    /// Counts of `role`'s library.
    [[nodiscard]] LibraryCounts counts(MediaRole role) const;
    /// The probe's facts on a usable file.
    [[nodiscard]] std::optional<MediaInfo> info(const std::filesystem::path& file) const;
    /// Where the text of a usable picture is, as its probe found it (nullopt: not known).
    [[nodiscard]] std::optional<TextLayout> text_layout(const std::filesystem::path& file) const;
    /// What a usable file looks like, as its probe hashed it (nullopt: not known).
    [[nodiscard]] std::optional<PerceptualHash> perceptual_hash(
        const std::filesystem::path& file) const;
    /// The near-duplicate check of admit(): the library's memes are its first source; add
    /// published and disliked memes to it.
    [[nodiscard]] LookAlikeFinder& look_alikes() noexcept { return look_alikes_; }

    /// Probes `downloaded` (a hidden file inside `role`'s library) and, if it passes, moves it
    /// to a safe unique name built from `wanted_name` with the extension its content calls for,
    /// and writes `sidecar` (a sidecar entry object: source, title, ...) beside it if given.
    /// A refused file is deleted. Never throws. This is how any fetched file (an upload, a
    /// subreddit post) enters a library: it is picked like every other file from then on.
    Admission admit(const std::filesystem::path& downloaded, MediaRole role,
                    const std::string& wanted_name, std::stop_token stop,
                    const nlohmann::json& sidecar = nullptr);

    /// What the sidecars say about `file` of `role`'s library. Never throws.
    [[nodiscard]] SidecarInfo sidecar(const std::filesystem::path& file, MediaRole role);

    /// The library of `role`.
    [[nodiscard]] MediaLibrary& library(MediaRole role) {
        return role == MediaRole::music ? music_ : media_;
    }

    /// Refreshes at once, then every `interval` (never, if zero) or when woken, until `stop`.
    void run_background(std::stop_token stop, std::chrono::minutes interval);
    /// Makes run_background refresh now.
    void wake();

    /// Problems found loading library_index.json (moved aside).
    [[nodiscard]] const std::vector<std::string>& index_problems() const noexcept {
        return index_.problems();
    }

  private:
    struct State {
        std::vector<std::filesystem::path> usable;
        LibraryCounts counts;
    };
    void update_state(MediaLibrary& library);
    [[nodiscard]] std::vector<SeenMeme> seen_in_library() const;

    LibraryCatalogOptions options_;
    MediaLibrary media_;
    MediaLibrary music_;
    LibraryIndex index_;
    MediaProber prober_;
    std::mutex probe_mutex_;   // one probe child at a time
    std::mutex update_mutex_;  // one listing-and-publishing at a time
    mutable std::mutex state_mutex_;
    std::map<std::string, State> state_;  // by library name
    std::map<std::filesystem::path, MediaInfo> infos_;
    std::map<std::filesystem::path, TextLayout> layouts_;
    std::map<std::filesystem::path, PerceptualHash> hashes_;
    LookAlikeFinder look_alikes_;
    std::mutex admit_mutex_;        // a check and its move at a time: two copies cannot both get in
    std::set<std::string> logged_;  // problems already logged, so rescans stay quiet
    std::mutex wake_mutex_;
    std::condition_variable_any wake_cv_;
    bool woken_ = false;
};

/// The cause in a probe error ("[memegen.media] '/x/.incoming-1': file is empty" → "file is
/// empty"), for replies that should not show temporary paths.
[[nodiscard]] std::string probe_reason(const std::string& error);

}  // namespace memegen::bot
