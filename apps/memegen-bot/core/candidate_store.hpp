#pragma once
/// \file candidate_store.hpp
/// The memes sent for review, so that their buttons keep working after a restart:
/// Publish posts a candidate once (a second press, or a press after a restart, is
/// answered, not repeated), Change track and Regenerate know what to re-render.
/// Kept in `<state_dir>/candidates.json` (a JsonStateFile: written atomically, moved aside when
/// unusable); the newest 500 are kept.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/state_file.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// Where a candidate is in the review flow. On disk as "review", "publishing", "published",
/// "replaced" (the strings every version has written), and "deleted" (the 🗑 button).
enum class CandidateStatus { review, publishing, published, replaced, deleted };

/// The on-disk name of `status`.
[[nodiscard]] std::string_view to_string(CandidateStatus status) noexcept;
/// The status named `text`; nullopt for any other string.
[[nodiscard]] std::optional<CandidateStatus> candidate_status_from(std::string_view text) noexcept;

/// Captions the owner set with Edit captions (replying "top | bottom"); they replace the
/// sidecar's top and bottom captions, an empty one meaning none.
struct EditedCaptions {
    std::string top;
    std::string bottom;

    friend bool operator==(const EditedCaptions&, const EditedCaptions&) = default;
};

/// How one publishing target went for a candidate (Publish, Retry); at most one post per
/// target, also across restarts: a target is queued again only while "queued"/"uploading".
struct TargetState {
    std::string state;          ///< "queued", "uploading", "done", "failed"
    std::string url;            ///< done: where it can be seen (may be empty)
    std::string error;          ///< failed: the redacted reason
    bool needs_reauth = false;  ///< failed because the authorization is gone
    std::string at;             ///< done: when, ISO 8601 UTC
    /// done: what went wrong beside the post ("thumbnail not set: ..."). A default, so the
    /// five-value initializers elsewhere stay complete.
    std::string note = {};

    friend bool operator==(const TargetState&, const TargetState&) = default;
};

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
    ChatId chat;          ///< review chat
    std::int64_t message_id = 0;
    std::string caption;  ///< the HTML caption sent with it
    CandidateStatus status = CandidateStatus::review;
    std::int64_t published_message_id = 0;
    /// When it was published (Unix seconds); 0: not published, or before this was kept.
    std::int64_t published_at = 0;
    std::optional<EditedCaptions> captions;  ///< set once the owner edited the captions
    std::string track;                       ///< the track's label as shown ("artist — title")
    std::map<std::string, TargetState> targets;  ///< per publishing target, by target name
};

void to_json(nlohmann::json& j, const Candidate& c);
void from_json(const nlohmann::json& j, Candidate& c);

/// Thread-safe, persistent map of candidates by id.
class CandidateStore {
  public:
    explicit CandidateStore(std::filesystem::path file);

    /// The candidates in `file`, oldest first, read without changing anything (memegen-status);
    /// nullopt when it is missing or unusable. Never throws.
    [[nodiscard]] static std::optional<std::vector<Candidate>> read(
        const std::filesystem::path& file);

    /// Adds or replaces `candidate` and saves.
    void put(const Candidate& candidate);
    /// The candidate with `id`, if known.
    [[nodiscard]] std::optional<Candidate> get(const std::string& id);
    /// The candidate whose review message is `message_id` in `chat` (a reply to it edits its
    /// captions), if known.
    [[nodiscard]] std::optional<Candidate> find_by_message(const ChatId& chat,
                                                           std::int64_t message_id);
    /// All candidates of a batch, in insertion order.
    [[nodiscard]] std::vector<Candidate> batch(const std::string& batch_id);
    /// Every candidate, oldest first.
    [[nodiscard]] std::vector<Candidate> all();
    /// Applies `change` to candidate `id` under the lock and saves when it returns true; the
    /// candidate as it is afterwards, nullopt if unknown.
    std::optional<Candidate> update(const std::string& id,
                                    const std::function<bool(Candidate&)>& change);
    /// Atomically moves `id` from status `from` to `to`; false if it was not in `from`.
    bool transition(const std::string& id, CandidateStatus from, CandidateStatus to);
    /// All candidates in `status`, oldest first (published ones: what intake compares with).
    [[nodiscard]] std::vector<Candidate> with_status(CandidateStatus status);

    /// A fresh 10-character id.
    [[nodiscard]] static std::string new_id();

    /// What was wrong with the file at start-up (it was moved aside and the store started
    /// empty): one sentence naming the file, the reason and where it went. Empty when none.
    [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    void load();
    void save();

    JsonStateFile file_;
    std::mutex mutex_;
    std::vector<Candidate> items_;  // oldest first
    std::vector<std::string> problems_;
};

}  // namespace memegen::bot
