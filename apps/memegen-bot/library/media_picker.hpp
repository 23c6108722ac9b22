#pragma once
/// \file media_picker.hpp
/// Chooses what to render: a meme from the media library and a track from the music
/// library, never repeating a source until its library is exhausted, and never giving
/// two candidates of one batch the same meme. The history lives in the state directory
/// (`history.json`, written atomically) so it survives restarts.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace memegen::bot {

/// The kind of a library file, from its extension (which files a library lists; the probe
/// decides what they really are).
enum class MediaKind { still, gif, video, audio, unknown };

/// Classifies `path` by extension (png/jpg/jpeg/webp/bmp, gif, mp4/mov/webm/mkv/m4v,
/// mp3/m4a/aac/ogg/opus/wav/flac/mka).
[[nodiscard]] MediaKind media_kind_of(const std::filesystem::path& path);

/// The files a picker may choose from: `audio` false for memes, true for tracks.
using PickableFiles = std::function<std::vector<std::filesystem::path>(bool audio)>;

/// The media and music libraries with their use history.
class MediaPicker {
  public:
    /// Picks among what `files` returns at each pick (the bot: files that passed the probe);
    /// `history_file` is where used sources are remembered.
    MediaPicker(PickableFiles files, std::filesystem::path history_file, std::uint64_t seed);

    /// A meme not used before (nor in `exclude`), or the least recently used one when all
    /// were; nullopt if the library has no usable file. Records the use.
    std::optional<std::filesystem::path> pick_meme(
        const std::set<std::filesystem::path>& exclude = {});

    /// A music track, rotating the same way (and not `avoid`, if there is another one).
    std::optional<std::filesystem::path> pick_music(const std::filesystem::path& avoid = {});

    /// Loads the history now (it is otherwise loaded at the first pick) and returns the
    /// problems found: a broken history.json moved aside.
    [[nodiscard]] std::vector<std::string> problems();

    /// Memes never to pick while `avoided` names them (disliked sources, DislikeStore): asked
    /// at each pick, and stronger than a repeat — with only avoided memes left, none is picked.
    void avoid_memes(std::function<std::set<std::filesystem::path>()> avoided);

    /// Forgets the history (/clearhistory).
    void clear_history();

    /// Files of each library, as `files` gives them now.
    [[nodiscard]] std::vector<std::filesystem::path> memes();
    [[nodiscard]] std::vector<std::filesystem::path> tracks();

  private:
    std::optional<std::filesystem::path> pick(const std::vector<std::filesystem::path>& files,
                                              std::vector<std::string>& used,
                                              const std::set<std::filesystem::path>& exclude);
    void load();
    void save();

    PickableFiles files_;
    std::function<std::set<std::filesystem::path>()> avoided_memes_;
    std::filesystem::path history_file_;
    std::mt19937_64 random_;
    std::mutex mutex_;
    std::vector<std::string> used_memes_;   // oldest first
    std::vector<std::string> used_tracks_;  // oldest first
    bool loaded_ = false;
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
