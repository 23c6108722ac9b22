#include "core/candidate_store.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include <memegen/log.hpp>

namespace memegen::bot {

namespace {
constexpr std::size_t kKeep = 500;
constexpr std::string_view kContent = "a list of review candidates";

// from_json's at()/get()/value() throw type_error on a field of the wrong type, and an unknown
// status throws too: either makes the whole file the wrong shape.
std::optional<std::vector<Candidate>> parse_candidates(const nlohmann::json& j) {
    return j.at("candidates").get<std::vector<Candidate>>();
}

constexpr std::pair<CandidateStatus, std::string_view> kStatusNames[] = {
    {CandidateStatus::review, "review"},       {CandidateStatus::publishing, "publishing"},
    {CandidateStatus::published, "published"}, {CandidateStatus::replaced, "replaced"},
    {CandidateStatus::deleted, "deleted"},
};
}  // namespace

std::string_view to_string(CandidateStatus status) noexcept {
    for (const auto& [value, name] : kStatusNames) {
        if (value == status)
            return name;
    }
    return "review";
}

std::optional<CandidateStatus> candidate_status_from(std::string_view text) noexcept {
    for (const auto& [value, name] : kStatusNames) {
        if (name == text)
            return value;
    }
    return std::nullopt;
}

void to_json(nlohmann::json& j, const Candidate& c) {
    j = {{"id", c.id},
         {"batch", c.batch},
         {"media", c.media},
         {"music", c.music},
         {"seed", c.seed},
         {"variant_group", c.variant_group},
         {"effects", c.effects},
         {"file_id", c.file_id},
         {"chat", c.chat.to_string()},
         {"message_id", c.message_id},
         {"caption", c.caption},
         {"status", to_string(c.status)},
         {"published_message_id", c.published_message_id},
         {"published_at", c.published_at}};
    if (c.captions)
        j["captions"] = {{"top", c.captions->top}, {"bottom", c.captions->bottom}};
    if (!c.track.empty())
        j["track"] = c.track;
    if (!c.targets.empty()) {
        auto targets = nlohmann::json::object();
        for (const auto& [name, t] : c.targets) {
            targets[name] = {{"state", t.state},
                             {"url", t.url},
                             {"error", t.error},
                             {"needs_reauth", t.needs_reauth},
                             {"at", t.at}};
            if (!t.note.empty())
                targets[name]["note"] = t.note;
        }
        j["targets"] = std::move(targets);
    }
}

void from_json(const nlohmann::json& j, Candidate& c) {
    c.id = j.at("id").get<std::string>();
    c.batch = j.value("batch", std::string{});
    c.media = j.value("media", std::string{});
    c.music = j.value("music", std::string{});
    c.seed = j.value("seed", std::uint64_t{0});
    c.variant_group = j.value("variant_group", 0);
    c.effects = j.value("effects", std::vector<std::string>{});
    c.file_id = j.value("file_id", std::string{});
    // The chat is stored as Bot API's chat_id text ("123", "@name"); empty in no version.
    const auto chat = j.value("chat", std::string{});
    c.chat = ChatId::parse(chat).value_or(ChatId{});
    c.message_id = j.value("message_id", std::int64_t{0});
    c.caption = j.value("caption", std::string{});
    const auto status = j.value("status", std::string("review"));
    const auto known = candidate_status_from(status);
    if (!known)
        throw std::runtime_error("candidate " + c.id + " has an unknown status \"" + status + "\"");
    c.status = *known;
    c.published_message_id = j.value("published_message_id", std::int64_t{0});
    c.published_at = j.value("published_at", std::int64_t{0});
    if (j.contains("captions")) {
        const auto& captions = j.at("captions");
        c.captions = EditedCaptions{captions.value("top", std::string{}),
                                    captions.value("bottom", std::string{})};
    }
    c.track = j.value("track", std::string{});
    if (const auto it = j.find("targets"); it != j.end()) {
        for (const auto& [name, t] : it->items()) {
            TargetState state;
            state.state = t.at("state").get<std::string>();
            state.url = t.value("url", std::string{});
            state.error = t.value("error", std::string{});
            state.needs_reauth = t.value("needs_reauth", false);
            state.at = t.value("at", std::string{});
            state.note = t.value("note", std::string{});
            c.targets[name] = std::move(state);
        }
    }
}

CandidateStore::CandidateStore(std::filesystem::path file)
    : file_(std::move(file), std::string(kContent)) {
    load();
}

std::optional<std::vector<Candidate>> CandidateStore::read(const std::filesystem::path& file) {
    return JsonStateFile(file, std::string(kContent)).peek(parse_candidates);
}

void CandidateStore::load() {
    auto loaded = file_.load(parse_candidates);
    if (loaded.problem) {
        log_warning("{}: old review buttons will answer as stale", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
    if (loaded.value)
        items_ = std::move(*loaded.value);
}

void CandidateStore::save() {
    if (items_.size() > kKeep) {
        items_.erase(items_.begin(), items_.end() - static_cast<std::ptrdiff_t>(kKeep));
    }
    const nlohmann::json j = {{"candidates", items_}};
    file_.save(j, 1);
}

void CandidateStore::put(const Candidate& candidate) {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(items_.begin(), items_.end(),
                                 [&](const Candidate& c) { return c.id == candidate.id; });
    if (it != items_.end()) {
        *it = candidate;
    } else {
        items_.push_back(candidate);
    }
    save();
}

std::optional<Candidate> CandidateStore::get(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (const auto& c : items_) {
        if (c.id == id)
            return c;
    }
    return std::nullopt;
}

std::optional<Candidate> CandidateStore::find_by_message(const ChatId& chat,
                                                         std::int64_t message_id) {
    std::lock_guard lock(mutex_);
    for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
        if (it->message_id == message_id && it->chat == chat)
            return *it;
    }
    return std::nullopt;
}

std::vector<Candidate> CandidateStore::batch(const std::string& batch_id) {
    std::lock_guard lock(mutex_);
    std::vector<Candidate> out;
    for (const auto& c : items_) {
        if (c.batch == batch_id)
            out.push_back(c);
    }
    return out;
}

std::vector<Candidate> CandidateStore::all() {
    std::lock_guard lock(mutex_);
    return items_;
}

std::optional<Candidate> CandidateStore::update(const std::string& id,
                                                const std::function<bool(Candidate&)>& change) {
    std::lock_guard lock(mutex_);
    for (auto& c : items_) {
        if (c.id == id) {
            if (change(c))
                save();
            return c;
        }
    }
    return std::nullopt;
}

bool CandidateStore::transition(const std::string& id, CandidateStatus from, CandidateStatus to) {
    std::lock_guard lock(mutex_);
    for (auto& c : items_) {
        if (c.id == id) {
            if (c.status != from)
                return false;
            c.status = to;
            save();
            return true;
        }
    }
    return false;
}

std::vector<Candidate> CandidateStore::with_status(CandidateStatus status) {
    std::lock_guard lock(mutex_);
    std::vector<Candidate> out;
    for (const auto& c : items_) {
        if (c.status == status)
            out.push_back(c);
    }
    return out;
}

std::string CandidateStore::new_id() {
    static thread_local std::mt19937_64 random(std::random_device{}());
    static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    std::string id;
    for (int i = 0; i < 10; ++i)
        id += kAlphabet[random() % (sizeof kAlphabet - 1)];
    return id;
}

}  // namespace memegen::bot
