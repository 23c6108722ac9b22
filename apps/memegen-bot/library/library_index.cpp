#include "library/library_index.hpp"

#include <sys/stat.h>

#include <memegen/log.hpp>
#include <nlohmann/json.hpp>

namespace memegen::bot {

using nlohmann::json;

std::optional<FileStamp> FileStamp::of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return std::nullopt;
    return FileStamp{
        static_cast<std::uint64_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

namespace {
// 2: text layouts, and the decoded-size limits of animations and videos (issue 10).
// Perceptual hashes (issue 13) came without a new version: an entry without one stays valid
// and the catalog has the file probed again for its hash (LibraryCatalog::refresh).
constexpr int kIndexVersion = 2;
}  // namespace

namespace {

/// library_index.json's verdicts; empty when an older probe wrote them (see kIndexVersion).
/// Throws StateError or json's type_error/out_of_range for the wrong shape.
std::optional<std::map<std::string, LibraryVerdict>> parse_index(const json& j,
                                                                 const std::string& name) {
    if (!j.is_object() || !j.contains("files") || !j["files"].is_object())
        throw StateError("no \"files\" object");
    const json version = j.value("version", json(0));
    if (!version.is_number_integer())
        throw StateError("\"version\" is not a whole number");
    std::map<std::string, LibraryVerdict> entries;
    for (const auto& [key, e] : j["files"].items()) {
        LibraryVerdict v;
        v.size = e.at("size").get<std::uint64_t>();
        v.mtime_ns = e.at("mtime_ns").get<std::int64_t>();
        v.ok = e.at("ok").get<bool>();
        v.error = e.value("error", std::string{});
        if (v.ok)
            v.info = e.at("info").get<MediaInfo>();
        if (v.ok && e.contains("text_layout"))
            v.text_layout = e["text_layout"].get<TextLayout>();
        if (v.ok && e.contains("perceptual_hash"))
            v.perceptual_hash = e["perceptual_hash"].get<PerceptualHash>();
        entries[key] = std::move(v);
    }
    if (version.get<int>() < kIndexVersion) {
        // Verdicts of an older probe (no text layouts, older memory limits): well-formed,
        // so not corrupt, but every file is checked again.
        log_info("{}: written by an older probe; every library file is probed again", name);
        entries.clear();
    }
    return entries;
}

}  // namespace

LibraryIndex::LibraryIndex(std::filesystem::path file) : file_(std::move(file), "an index") {
    const auto loaded =
        file_.load([&](const json& j) { return parse_index(j, file_.path().string()); });
    if (loaded.value)
        entries_ = *loaded.value;
    if (loaded.problem) {
        log_warning("{}; every library file is probed again", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
}

std::optional<LibraryVerdict> LibraryIndex::find(const std::string& key,
                                                 const FileStamp& stamp) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.size != stamp.size ||
        it->second.mtime_ns != stamp.mtime_ns) {
        return std::nullopt;
    }
    return it->second;
}

void LibraryIndex::put(const std::string& key, LibraryVerdict verdict) {
    std::lock_guard lock(mutex_);
    entries_[key] = std::move(verdict);
}

void LibraryIndex::forget_missing(const std::string& prefix, const std::set<std::string>& present) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) {
        return entry.first.starts_with(prefix) && present.count(entry.first) == 0;
    });
}

std::size_t LibraryIndex::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void LibraryIndex::save() const {
    json files = json::object();
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, v] : entries_) {
            json e = {{"size", v.size}, {"mtime_ns", v.mtime_ns}, {"ok", v.ok}};
            if (!v.ok)
                e["error"] = v.error;
            if (v.info)
                e["info"] = *v.info;
            if (v.text_layout)
                e["text_layout"] = *v.text_layout;
            if (v.perceptual_hash)
                e["perceptual_hash"] = *v.perceptual_hash;
            files[key] = std::move(e);
        }
    }
    try {
        file_.save({{"version", kIndexVersion}, {"files", files}}, 1);
    } catch (const std::exception& e) {
        log_error("cannot save the library index: {}", e.what());
    }
}

}  // namespace memegen::bot
