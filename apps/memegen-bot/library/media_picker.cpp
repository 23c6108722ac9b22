#include "library/media_picker.hpp"

#include <algorithm>
#include <optional>

#include <memegen/log.hpp>
#include <nlohmann/json.hpp>

#include "state/state_file.hpp"

namespace memegen::bot {

MediaKind media_kind_of(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".bmp")
        return MediaKind::still;
    if (ext == ".gif")
        return MediaKind::gif;
    if (ext == ".mp4" || ext == ".mov" || ext == ".webm" || ext == ".mkv" || ext == ".m4v") {
        return MediaKind::video;
    }
    if (ext == ".mp3" || ext == ".m4a" || ext == ".aac" || ext == ".ogg" || ext == ".opus" ||
        ext == ".wav" || ext == ".flac" || ext == ".mka") {
        return MediaKind::audio;
    }
    return MediaKind::unknown;
}

MediaPicker::MediaPicker(PickableFiles files, std::filesystem::path history_file,
                         std::uint64_t seed)
    : files_(std::move(files)), history_file_(std::move(history_file)), random_(seed) {}

std::vector<std::filesystem::path> MediaPicker::memes() {
    return files_(false);
}
std::vector<std::filesystem::path> MediaPicker::tracks() {
    return files_(true);
}

namespace {

/// history.json's content: used memes and tracks, oldest first.
struct History {
    std::vector<std::string> memes;
    std::vector<std::string> music;
};

std::optional<History> parse_history(const nlohmann::json& j) {
    const auto list = [&](const char* key) { return !j.contains(key) || j[key].is_array(); };
    if (!j.is_object() || !list("memes") || !list("music"))
        return std::nullopt;
    History h;
    const auto strings = [&](const char* key, std::vector<std::string>& out) {
        for (const auto& m : j.value(key, nlohmann::json::array())) {
            if (m.is_string())
                out.push_back(m.get<std::string>());
        }
    };
    strings("memes", h.memes);
    strings("music", h.music);
    return h;
}

JsonStateFile history_state(const std::filesystem::path& file) {
    return JsonStateFile(file, "a source history");
}

}  // namespace

void MediaPicker::load() {
    if (loaded_)
        return;
    loaded_ = true;
    // A broken history only costs repeats: JsonStateFile moves it aside and we start over.
    auto loaded = history_state(history_file_).load(parse_history);
    if (loaded.value) {
        used_memes_ = std::move(loaded.value->memes);
        used_tracks_ = std::move(loaded.value->music);
    }
    if (loaded.problem) {
        log_warning("{}; the source history starts afresh", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
}

std::vector<std::string> MediaPicker::problems() {
    std::lock_guard lock(mutex_);
    load();
    return problems_;
}

void MediaPicker::save() {
    const nlohmann::json j = {{"memes", used_memes_}, {"music", used_tracks_}};
    try {
        history_state(history_file_).save(j, 1);
    } catch (const std::exception& e) {
        log_error("cannot save the source history: {}", e.what());
    }
}

std::optional<std::filesystem::path> MediaPicker::pick(
    const std::vector<std::filesystem::path>& files, std::vector<std::string>& used,
    const std::set<std::filesystem::path>& exclude) {
    std::vector<std::filesystem::path> fresh;
    for (const auto& f : files) {
        if (exclude.count(f) == 0 &&
            std::find(used.begin(), used.end(), f.string()) == used.end()) {
            fresh.push_back(f);
        }
    }
    std::filesystem::path chosen;
    if (!fresh.empty()) {
        std::uniform_int_distribution<std::size_t> pick_one(0, fresh.size() - 1);
        chosen = fresh[pick_one(random_)];
    } else {
        // Library exhausted: the least recently used file not excluded starts the next round.
        for (const auto& u : used) {
            const std::filesystem::path p = u;
            if (exclude.count(p) == 0 && std::find(files.begin(), files.end(), p) != files.end()) {
                chosen = p;
                break;
            }
        }
        if (chosen.empty())
            return std::nullopt;
    }
    used.erase(std::remove(used.begin(), used.end(), chosen.string()), used.end());
    used.push_back(chosen.string());
    // Bounded, but never by the current list: files still being probed are missing from it,
    // and trimming to its size would forget what was used and repeat it. Once every file was
    // used, rounds continue least-recently-used first (above).
    constexpr std::size_t kMaxHistory = 20000;
    while (used.size() > std::max(files.size(), kMaxHistory))
        used.erase(used.begin());
    return chosen;
}

std::optional<std::filesystem::path> MediaPicker::pick_meme(
    const std::set<std::filesystem::path>& exclude) {
    std::lock_guard lock(mutex_);
    load();
    auto all_excluded = exclude;
    if (avoided_memes_)
        all_excluded.merge(avoided_memes_());
    auto chosen = pick(files_(false), used_memes_, all_excluded);
    save();
    return chosen;
}

std::optional<std::filesystem::path> MediaPicker::pick_music(const std::filesystem::path& avoid) {
    std::lock_guard lock(mutex_);
    load();
    const auto files = files_(true);
    std::set<std::filesystem::path> exclude;
    if (!avoid.empty() && files.size() > 1)
        exclude.insert(avoid);
    auto chosen = pick(files, used_tracks_, exclude);
    save();
    return chosen;
}

void MediaPicker::avoid_memes(std::function<std::set<std::filesystem::path>()> avoided) {
    std::lock_guard lock(mutex_);
    avoided_memes_ = std::move(avoided);
}

void MediaPicker::clear_history() {
    std::lock_guard lock(mutex_);
    load();
    used_memes_.clear();
    used_tracks_.clear();
    save();
}

}  // namespace memegen::bot
