#pragma once
/// \file candidate_store.hpp
/// The memes sent for review, so that their buttons keep working after a restart:
/// Publish posts a candidate once (a second press, or a press after a restart, is
/// answered, not repeated), Change track and Regenerate know what to re-render.
/// Kept in `<state_dir>/candidates.json`, written atomically; the newest 500 are kept.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::bot {

/// One meme sent for review.
struct Candidate {
    std::string id;     ///< short random id used in callback data
    std::string batch;  ///< the job that made it (Regenerate all)
    std::string media;  ///< source meme file
    std::string music;  ///< music file, or empty
    std::uint64_t seed = 0;
    int variant_group = 0;
    std::vector<std::string> effects;  ///< what the render applied (Change track keeps them)
    std::string file_id;  ///< Telegram's id of the uploaded video (publish without re-upload)
    std::string chat;     ///< review chat id
    std::int64_t message_id = 0;
    std::string caption;            ///< the HTML caption sent with it
    std::string status = "review";  ///< review | publishing | published | replaced
    std::int64_t published_message_id = 0;
};

void to_json(nlohmann::json& j, const Candidate& c);
void from_json(const nlohmann::json& j, Candidate& c);

/// Thread-safe, persistent map of candidates by id.
class CandidateStore {
  public:
    explicit CandidateStore(std::filesystem::path file);

    /// Adds or replaces `candidate` and saves.
    void put(const Candidate& candidate);
    /// The candidate with `id`, if known.
    [[nodiscard]] std::optional<Candidate> get(const std::string& id);
    /// All candidates of a batch, in insertion order.
    [[nodiscard]] std::vector<Candidate> batch(const std::string& batch_id);
    /// Atomically moves `id` from status `from` to `to`; false if it was not in `from`.
    bool transition(const std::string& id, const std::string& from, const std::string& to);

    /// A fresh 10-character id.
    [[nodiscard]] static std::string new_id();

    /// What was wrong with the file at start-up (it was moved aside and the store started
    /// empty): one sentence naming the file, the reason and where it went. Empty when none.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    void load();
    void save();

    std::filesystem::path file_;
    std::mutex mutex_;
    std::vector<Candidate> items_;  // oldest first
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
