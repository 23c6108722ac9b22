#include "config/update_offset_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

namespace memegen::bot {

using nlohmann::json;

namespace {

/// offset.json's content.
struct Offsets {
    std::optional<std::int64_t> last;
    std::optional<std::int64_t> bot_id;
    std::map<std::int64_t, int> attempts;
};

/// An optional whole number under `key`; false when present with another type.
bool read_id(const json& j, const char* key, std::optional<std::int64_t>& out) {
    if (!j.contains(key) || j[key].is_null())
        return true;
    if (!j[key].is_number_integer())
        return false;
    out = j[key].get<std::int64_t>();
    return true;
}

std::optional<Offsets> parse_offsets(const json& j) {
    Offsets o;
    if (!j.is_object() || !read_id(j, "last_update_id", o.last) || !read_id(j, "bot_id", o.bot_id))
        return std::nullopt;
    if (!j.contains("attempts"))
        return o;
    const json& counts = j["attempts"];
    if (!counts.is_object())
        return std::nullopt;
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        std::size_t used = 0;
        const std::int64_t id = std::stoll(it.key(), &used);  // throws: not an offset record
        if (used != it.key().size() || !it->is_number_integer() || it->get<std::int64_t>() < 0)
            return std::nullopt;
        o.attempts[id] = static_cast<int>(std::min<std::int64_t>(it->get<std::int64_t>(), 1000));
    }
    return o;
}

}  // namespace

UpdateOffsetStore::UpdateOffsetStore(std::filesystem::path state_dir, int max_attempts)
    : dir_(std::move(state_dir)),
      max_attempts_(std::max(1, max_attempts)),
      state_(dir_ / "offset.json", "an offset record") {
    memegen::detail::ensure_private_directory(dir_);
    const auto loaded = state_.load(parse_offsets);
    if (loaded.problem) {
        log_warning("updates: {}; starting without a saved offset", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
    if (!loaded.value)
        return;
    last_ = loaded.value->last;
    bot_id_ = loaded.value->bot_id;
    attempts_ = loaded.value->attempts;
}

bool UpdateOffsetStore::bind_bot(std::int64_t bot_id) {
    const bool same = !bot_id_ || *bot_id_ == bot_id;
    if (!same) {
        log_warning(
            "updates: {} holds the offset of bot {}, this is bot {} (another token): starting "
            "fresh",
            file().string(), *bot_id_, bot_id);
        last_.reset();
        attempts_.clear();
    }
    bot_id_ = bot_id;
    save();
    return same;
}

UpdateDecision UpdateOffsetStore::begin(std::int64_t update_id) {
    if (last_ && update_id <= *last_) {
        if (*last_ - update_id <= resync_gap())
            return UpdateDecision::already_handled;
        // The server answered an offset of last+1 with ids far below it: its numbering
        // restarted. Waiting for it to pass the old offset would ignore every command.
        log_warning(
            "updates: update {} is far below the last handled update {} (the Bot API server's "
            "ids restarted): re-synced to the server",
            update_id, *last_);
        last_.reset();
        attempts_.clear();
    }
    int& tries = attempts_[update_id];
    if (tries >= max_attempts_) {
        log_error(
            "updates: update {} failed {} time(s) (the bot stopped while handling it); "
            "skipping it",
            update_id, tries);
        finish(update_id);
        return UpdateDecision::poisoned;
    }
    ++tries;
    save();
    return UpdateDecision::handle;
}

int UpdateOffsetStore::attempts(std::int64_t update_id) const {
    const auto it = attempts_.find(update_id);
    return it == attempts_.end() ? 0 : it->second;
}

void UpdateOffsetStore::finish(std::int64_t update_id) {
    if (!last_ || update_id > *last_)
        last_ = update_id;
    // Counters of this and older updates are settled; newer ones (handled out of order) stay.
    std::erase_if(attempts_, [&](const auto& entry) { return entry.first <= *last_; });
    save();
}

void UpdateOffsetStore::save() {
    json attempts = json::object();
    for (const auto& [id, count] : attempts_)
        attempts[std::to_string(id)] = count;
    const json j = {{"bot_id", bot_id_ ? json(*bot_id_) : json(nullptr)},
                    {"last_update_id", last_ ? json(*last_) : json(nullptr)},
                    {"attempts", attempts}};
    state_.save(j);
}

}  // namespace memegen::bot
