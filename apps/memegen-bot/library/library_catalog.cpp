#include "library/library_catalog.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

#include "config/timezone.hpp"
#include "library/library_path.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;

std::string probe_reason(const std::string& error) {
    const auto quote_end = error.find("': ");
    return quote_end == std::string::npos ? error : error.substr(quote_end + 3);
}

namespace {

// A usable meme probed before perceptual hashes (issue 13) has none: it stays usable and is
// probed again for its hash, so copies of it are recognised too.
bool needs_probe(const std::optional<LibraryVerdict>& v, MediaRole role) {
    return !v || (role == MediaRole::meme && v->ok && !v->perceptual_hash && v->info &&
                  v->info->has_video);
}

}  // namespace

LibraryCatalog::LibraryCatalog(LibraryCatalogOptions options)
    : options_(std::move(options)),
      media_("media", options_.media_dir, MediaRole::meme),
      music_("music", options_.music_dir, MediaRole::music),
      index_(options_.index_file),
      prober_(options_.prober),
      look_alikes_(options_.duplicate_distance) {
    look_alikes_.add_source([this] { return seen_in_library(); });
}

void LibraryCatalog::update_state(MediaLibrary& library) {
    // Listing and publishing under one lock: whoever lists last (after an admitted file was
    // moved in, say) also publishes last, so a scan that started earlier cannot hide it.
    std::lock_guard update_lock(update_mutex_);
    const auto listing = library.list();
    State state;
    std::map<fs::path, MediaInfo> infos;
    std::map<fs::path, TextLayout> layouts;
    std::map<fs::path, PerceptualHash> hashes;
    for (const auto& entry : listing.files) {
        const auto verdict = index_.find(entry.key, entry.stamp);
        if (!verdict) {
            ++state.counts.pending;
        } else if (verdict->ok) {
            ++state.counts.usable;
            state.usable.push_back(entry.file);
            if (verdict->info)
                infos[entry.file] = *verdict->info;
            if (verdict->text_layout)
                layouts[entry.file] = *verdict->text_layout;
            if (verdict->perceptual_hash)
                hashes[entry.file] = *verdict->perceptual_hash;
        } else {
            ++state.counts.rejected;
        }
    }
    std::lock_guard lock(state_mutex_);
    std::erase_if(infos_, [&](const auto& e) { return e.first.parent_path() == library.root(); });
    infos_.merge(infos);
    std::erase_if(layouts_, [&](const auto& e) { return e.first.parent_path() == library.root(); });
    layouts_.merge(layouts);
    std::erase_if(hashes_, [&](const auto& e) { return e.first.parent_path() == library.root(); });
    hashes_.merge(hashes);
    state_[library.name()] = std::move(state);
}

std::size_t LibraryCatalog::refresh(std::stop_token stop, std::optional<MediaRole> only,
                                    std::size_t enough) {
    std::size_t probed = 0;
    for (auto* library : {&media_, &music_}) {
        if (only && library->role() != *only)
            continue;
        auto listing = library->list();
        for (const auto& p : listing.problems) {
            std::lock_guard lock(state_mutex_);
            if (logged_.insert(p).second)
                log_warning("library: {}", p);
        }
        std::set<std::string> present;
        for (const auto& e : listing.files)
            present.insert(e.key);
        index_.forget_missing(library->name() + "/", present);
        update_state(*library);

        std::vector<LibraryEntry> pending;
        for (const auto& e : listing.files) {
            if (needs_probe(index_.find(e.key, e.stamp), library->role()))
                pending.push_back(e);
        }
        if (!pending.empty()) {
            log_info("library: checking {} new or changed file(s) in {}", pending.size(),
                     library->root().string());
        }
        for (std::size_t at = 0; at < pending.size() && !stop.stop_requested();
             at += options_.batch) {
            if (only && counts(*only).usable >= enough)
                break;
            std::vector<ProbeTask> tasks;
            std::vector<const LibraryEntry*> entries;
            {
                // Another thread may have probed these meanwhile: skip what has a verdict now.
                std::lock_guard probe_lock(probe_mutex_);
                for (std::size_t i = at; i < std::min(pending.size(), at + options_.batch); ++i) {
                    if (needs_probe(index_.find(pending[i].key, pending[i].stamp),
                                    library->role())) {
                        tasks.push_back({pending[i].file, library->role()});
                        entries.push_back(&pending[i]);
                    }
                }
                const auto verdicts = prober_.probe(tasks, stop);
                for (std::size_t i = 0; i < verdicts.size(); ++i) {
                    const auto& v = verdicts[i];
                    const auto& e = *entries[i];
                    if (!v.ok)
                        log_warning("library: skipped {}", v.error);
                    index_.put(e.key, LibraryVerdict{e.stamp.size, e.stamp.mtime_ns, v.ok, v.error,
                                                     v.info, v.text_layout, v.perceptual_hash});
                }
                probed += verdicts.size();
                if (!verdicts.empty())
                    index_.save();
                if (verdicts.size() < tasks.size() && !stop.stop_requested())
                    break;  // probing is unavailable: logged by the prober; try again later
            }
            update_state(*library);
        }
        update_state(*library);
    }
    return probed;
}

void LibraryCatalog::ensure_usable(MediaRole role, std::size_t count, std::stop_token stop) {
    if (counts(role).usable >= count && counts(role).pending == 0)
        return;
    if (counts(role).usable < count)
        refresh(stop, role, count);
}

std::vector<fs::path> LibraryCatalog::usable(MediaRole role) const {
    std::lock_guard lock(state_mutex_);
    const auto it = state_.find(role == MediaRole::music ? "music" : "media");
    return it == state_.end() ? std::vector<fs::path>{} : it->second.usable;
}

LibraryCounts LibraryCatalog::counts(MediaRole role) const {
    std::lock_guard lock(state_mutex_);
    const auto it = state_.find(role == MediaRole::music ? "music" : "media");
    return it == state_.end() ? LibraryCounts{} : it->second.counts;
}

std::optional<MediaInfo> LibraryCatalog::info(const fs::path& file) const {
    std::lock_guard lock(state_mutex_);
    const auto it = infos_.find(file);
    return it == infos_.end() ? std::nullopt : std::optional<MediaInfo>(it->second);
}

std::optional<TextLayout> LibraryCatalog::text_layout(const fs::path& file) const {
    std::lock_guard lock(state_mutex_);
    const auto it = layouts_.find(file);
    return it == layouts_.end() ? std::nullopt : std::optional<TextLayout>(it->second);
}

std::optional<PerceptualHash> LibraryCatalog::perceptual_hash(const fs::path& file) const {
    std::lock_guard lock(state_mutex_);
    const auto it = hashes_.find(file);
    return it == hashes_.end() ? std::nullopt : std::optional<PerceptualHash>(it->second);
}

std::vector<SeenMeme> LibraryCatalog::seen_in_library() const {
    std::lock_guard lock(state_mutex_);
    std::vector<SeenMeme> out;
    const auto it = state_.find(media_.name());
    if (it == state_.end())
        return out;
    for (const auto& file : it->second.usable) {
        if (const auto h = hashes_.find(file); h != hashes_.end())
            out.push_back({SeenKind::library, file.filename().string(), h->second, std::nullopt});
    }
    return out;
}

Admission LibraryCatalog::admit(const fs::path& downloaded, MediaRole role,
                                const std::string& wanted_name, std::stop_token stop,
                                const nlohmann::json& sidecar) {
    Admission out;
    auto& lib = library(role);
    const auto discard = [&] {
        std::error_code ec;
        fs::remove(downloaded, ec);
    };
    std::vector<ProbeVerdict> verdicts;
    {
        std::lock_guard probe_lock(probe_mutex_);
        verdicts = prober_.probe({{downloaded, role}}, stop);
    }
    if (verdicts.empty()) {
        discard();
        out.reason = "the file could not be checked now (see the bot's log)";
        return out;
    }
    if (!verdicts.front().ok) {
        discard();
        out.reason = probe_reason(verdicts.front().error);
        log_warning("library: refused a file sent to the bot: {}", out.reason);
        return out;
    }
    const auto info = *verdicts.front().info;
    // A library file not probed yet has no hash to compare with (just after start-up, say):
    // the library is checked first, or a copy of it would get in.
    const bool check = role == MediaRole::meme && verdicts.front().perceptual_hash &&
                       look_alikes_.max_distance() > 0;
    if (check && counts(MediaRole::meme).pending > 0)
        refresh(stop, MediaRole::meme);
    // From the look-alike check to the new file's place in the state: one admission at a time.
    std::lock_guard admit_lock(admit_mutex_);
    if (check) {
        if (auto look_alike = look_alikes_.find(*verdicts.front().perceptual_hash)) {
            discard();
            out.reason = fmt::format(
                "it looks like {} ({} bits apart; library.duplicate_distance is {})",
                look_alike->meme.name, look_alike->distance, look_alikes_.max_distance());
            out.look_alike = std::move(look_alike);
            look_alikes_.count_refusal(local_date_of(std::chrono::system_clock::now()).to_string());
            log_info("library: refused a near-duplicate: {}", out.reason);
            return out;
        }
    }
    const auto stem = fs::path(sanitize_file_name(wanted_name)).stem().string();
    try {
        out.file = move_into_library(downloaded, lib.root(),
                                     sanitize_file_name(stem + info.canonical_extension()));
    } catch (const std::exception& e) {
        discard();
        out.reason = e.what();
        log_error("library: {}", e.what());
        return out;
    }
    if (const auto stamp = FileStamp::of(out.file)) {
        index_.put(lib.name() + "/" + out.file.filename().string(),
                   LibraryVerdict{stamp->size,
                                  stamp->mtime_ns,
                                  true,
                                  {},
                                  info,
                                  verdicts.front().text_layout,
                                  verdicts.front().perceptual_hash});
        index_.save();
    }
    if (sidecar.is_object()) {
        try {
            auto sidecar_file = out.file;
            sidecar_file += ".json";
            detail::write_file_atomically(sidecar_file, sidecar.dump(2) + "\n", 0644);
        } catch (const std::exception& e) {
            log_warning("library: cannot write the sidecar of {}: {}", out.file.string(), e.what());
        }
    }
    update_state(lib);
    log_info("library: added {} ({}, {} bytes)", out.file.string(), to_string(info.kind),
             info.size_bytes);
    out.ok = true;
    out.info = info;
    return out;
}

SidecarInfo LibraryCatalog::sidecar(const fs::path& file, MediaRole role) {
    return library(role).sidecars().lookup(file);
}

void LibraryCatalog::run_background(std::stop_token stop, std::chrono::minutes interval) {
    while (!stop.stop_requested()) {
        try {
            refresh(stop);
        } catch (const std::exception& e) {
            log_error("library: the scan failed: {}", e.what());
        }
        std::unique_lock lock(wake_mutex_);
        const auto woken = [this] { return woken_; };
        if (interval.count() > 0) {
            wake_cv_.wait_for(lock, stop, interval, woken);
        } else {
            wake_cv_.wait(lock, stop, woken);
        }
        woken_ = false;
    }
}

void LibraryCatalog::wake() {
    {
        std::lock_guard lock(wake_mutex_);
        woken_ = true;
    }
    wake_cv_.notify_all();
}

}  // namespace memegen::bot
