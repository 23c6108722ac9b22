#include "config/update_offset_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

#include "config/state_file.hpp"

namespace memegen::bot {

using nlohmann::json;

UpdateOffsetStore::UpdateOffsetStore(std::filesystem::path state_dir, int max_attempts)
    : dir_(std::move(state_dir)), max_attempts_(std::max(1, max_attempts)) {
    memegen::detail::ensure_private_directory(dir_);
    const auto read = memegen::detail::read_state_file(file());
    if (read.problem) {
        log_warning("updates: {}; starting without a saved offset", *read.problem);
        problems_.push_back(*read.problem);
        return;
    }
    const auto& text = read.text;
    if (!text)
        return;
    const json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    bool valid = j.is_object();
    std::optional<std::int64_t> last;
    std::map<std::int64_t, int> attempts;
    if (valid && j.contains("last_update_id") && !j["last_update_id"].is_null()) {
        valid = j["last_update_id"].is_number_integer();
        if (valid)
            last = j["last_update_id"].get<std::int64_t>();
    }
    std::optional<std::int64_t> bot_id;
    if (valid && j.contains("bot_id") && !j["bot_id"].is_null()) {
        valid = j["bot_id"].is_number_integer();
        if (valid)
            bot_id = j["bot_id"].get<std::int64_t>();
    }
    if (valid && j.contains("attempts")) {
        const json& counts = j["attempts"];
        valid = counts.is_object();
        for (auto it = counts.begin(); valid && it != counts.end(); ++it) {
            std::int64_t id = 0;
            try {
                std::size_t used = 0;
                id = std::stoll(it.key(), &used);
                valid = used == it.key().size();
            } catch (const std::exception&) {
                valid = false;
            }
            if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
                valid = false;
            if (valid)
                attempts[id] =
                    static_cast<int>(std::min<std::int64_t>(it->get<std::int64_t>(), 1000));
        }
    }
    if (!valid) {
        const std::string reason = text->empty()      ? "it is empty"
                                   : j.is_discarded() ? "it is not valid JSON"
                                                      : "it is not an offset record";
        const std::string problem = detail::quarantine_file(file(), reason);
        log_warning("updates: {}; starting without a saved offset", problem);
        problems_.push_back(problem);
        return;
    }
    last_ = last;
    bot_id_ = bot_id;
    attempts_ = std::move(attempts);
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
    memegen::detail::write_file_atomically(file(), j.dump(2) + "\n");
}

}  // namespace memegen::bot
