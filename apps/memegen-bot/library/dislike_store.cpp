#include "library/dislike_store.hpp"

#include <algorithm>
#include <optional>

#include <memegen/log.hpp>
#include <nlohmann/json.hpp>

#include "state/state_file.hpp"

namespace memegen::bot {

namespace {

using Clock = std::chrono::system_clock;

// Expiry as Unix seconds: a plain number survives a change of the bot's time zone.
std::int64_t to_seconds(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::optional<std::vector<Dislike>> parse(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("dislikes") || !j["dislikes"].is_array())
        return std::nullopt;
    std::vector<Dislike> out;
    for (const auto& item : j["dislikes"]) {
        out.push_back(
            {item.at("media").get<std::string>(),
             Clock::time_point(std::chrono::seconds(item.at("until_unix").get<std::int64_t>()))});
    }
    return out;
}

}  // namespace

DislikeStore::DislikeStore(std::filesystem::path file) : file_(std::move(file)) {
    auto loaded = JsonStateFile(file_, "a dislike list").load(parse);
    if (loaded.problem) {
        log_warning("{}; no source is disliked now", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
    if (loaded.value)
        items_ = std::move(*loaded.value);
}

void DislikeStore::add(const std::string& media, Clock::time_point until) {
    std::lock_guard lock(mutex_);
    auto next = items_;
    const auto now = Clock::now();
    std::erase_if(next, [&](const Dislike& d) { return d.until <= now; });
    const auto it =
        std::find_if(next.begin(), next.end(), [&](const Dislike& d) { return d.media == media; });
    if (it == next.end()) {
        next.push_back({media, until});
    } else {
        it->until = std::max(it->until, until);
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& d : next)
        list.push_back({{"media", d.media}, {"until_unix", to_seconds(d.until)}});
    JsonStateFile(file_, "a dislike list").save({{"dislikes", list}});
    items_ = std::move(next);  // only what reached the disk is in force
}

std::vector<Dislike> DislikeStore::active(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    std::vector<Dislike> out;
    std::copy_if(items_.begin(), items_.end(), std::back_inserter(out),
                 [&](const Dislike& d) { return d.until > now; });
    std::sort(out.begin(), out.end(),
              [](const Dislike& a, const Dislike& b) { return a.until < b.until; });
    return out;
}

std::set<std::filesystem::path> DislikeStore::avoided(Clock::time_point now) {
    std::set<std::filesystem::path> out;
    for (const auto& d : active(now))
        out.insert(d.media);
    return out;
}

bool DislikeStore::disliked(const std::string& media, Clock::time_point now) {
    return avoided(now).count(media) > 0;
}

}  // namespace memegen::bot
