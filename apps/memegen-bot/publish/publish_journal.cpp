#include "publish/publish_journal.hpp"

#include <memegen/detail/files.hpp>

namespace memegen::bot::publish {

using nlohmann::json;

namespace {

std::string key_of(std::string_view candidate_id, std::string_view target) {
    return std::string(target) + "/" + std::string(candidate_id);
}

bool well_formed(const json& entries) {
    if (!entries.is_object())
        return false;
    for (const auto& [key, e] : entries.items()) {
        if (!e.is_object() || !e.contains("state") || !e["state"].is_string() ||
            !e.value("session", json("")).is_string() || !e.value("url", json("")).is_string() ||
            !e.value("total_bytes", json(0)).is_number_unsigned())
            return false;
    }
    return true;
}

}  // namespace

PublishJournal::PublishJournal(std::filesystem::path file)
    // 0600: a session URI lets anyone holding it finish the upload.
    : file_(std::move(file), "a publish journal", 0600) {
    auto loaded = file_.load([](const json& j) -> std::optional<json> {
        if (!j.is_object() || !well_formed(j.value("entries", json())))
            return std::nullopt;
        return j["entries"];
    });
    problem_ = std::move(loaded.problem);
    if (loaded.value)
        entries_ = std::move(*loaded.value);
}

std::optional<JournalEntry> PublishJournal::find(std::string_view candidate_id,
                                                 std::string_view target) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key_of(candidate_id, target));
    if (it == entries_.end())
        return std::nullopt;
    JournalEntry e;
    e.state = (*it)["state"].get<std::string>();
    e.session = it->value("session", "");
    e.url = it->value("url", "");
    e.total_bytes = it->value("total_bytes", std::uint64_t{0});
    return e;
}

void PublishJournal::put(std::string_view candidate_id, std::string_view target,
                         const JournalEntry& entry) {
    std::lock_guard lock(mutex_);
    entries_[key_of(candidate_id, target)] = {{"state", entry.state},
                                              {"session", entry.session},
                                              {"url", entry.url},
                                              {"total_bytes", entry.total_bytes}};
    save_locked();
}

void PublishJournal::erase(std::string_view candidate_id, std::string_view target) {
    std::lock_guard lock(mutex_);
    if (entries_.erase(key_of(candidate_id, target)) > 0)
        save_locked();
}

void PublishJournal::save_locked() const {
    if (file_.path().has_parent_path())
        memegen::detail::ensure_private_directory(file_.path().parent_path());
    file_.save({{"version", 1}, {"entries", entries_}});
}

}  // namespace memegen::bot::publish
