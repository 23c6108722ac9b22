#pragma once
/// \file review_flow.hpp
/// The review flow: a made meme goes to the review chat under its buttons (Publish, Change
/// track, Regenerate; Edit captions, Dislike, Delete; 🎯 Choose platforms); Publish and Retry
/// go to PublishFlow (the targets); a replacement retires the old candidate's buttons and frees
/// its kept files; Delete discards it; Dislike keeps its source from being picked for
/// `dislike_days`; a reply "top | bottom" to its video renders it again with those captions.
/// The candidates live in CandidateStore, so buttons (and replies) work after a restart.

#include <optional>
#include <stop_token>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <nlohmann/json.hpp>

#include "commands/update_router.hpp"
#include "config/config.hpp"
#include "core/candidate_files.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "generation/generation_counts.hpp"
#include "generation/generation_queue.hpp"
#include "generation/generator.hpp"
#include "library/dislike_store.hpp"
#include "replies/replies.hpp"
#include "review/publish_flow.hpp"

namespace memegen::bot {

/// A candidate sent for review, or the one message about why it was not.
struct SentCandidate {
    std::optional<Candidate> candidate;
    std::string failure_html;
};

/// Sends candidates, answers their buttons, publishes and replaces them.
class ReviewFlow {
  public:
    ReviewFlow(const BotConfig& config, const Messages& text, Replies& replies,
               CandidateStore& candidates, CrashStateStore& state, DislikeStore& dislikes,
               PublishFlow& publish, CandidateFiles& files);

    /// Sends `made` to `chat` with the review buttons and records it (batch `batch_id`). The
    /// rendered files are removed, or kept in `files` while a target needs them.
    SentCandidate send(const Made& made, const ChatId& chat, const std::string& batch_id);
    /// A button press: Publish and Retry go to the PublishFlow; Change track, Regenerate and
    /// Regenerate all become jobs on `queue`.
    void on_button(const ButtonPress& press, GenerationQueue& queue);
    /// After its replacement was sent: `old` is marked replaced and loses its buttons.
    void retire(const Candidate& old);
    /// An admin's text reply to a bot message: "top | bottom" to a candidate in review
    /// becomes an Edit captions job on `queue`; anything else is answered in the chat.
    void on_reply(const ReplyUpdate& reply, GenerationQueue& queue);

    /// The Regenerate all button under a scheduled batch.
    [[nodiscard]] nlohmann::json regenerate_all_keyboard(const std::string& batch_id) const;
    /// Publish / Change track / Regenerate / Edit captions, Dislike, Delete under a candidate;
    /// `disliked` shows the Dislike button as pressed.
    [[nodiscard]] nlohmann::json keyboard(const std::string& candidate_id,
                                          bool disliked = false) const;

  private:
    void start_replacement(const ButtonPress& press, GenerationQueue& queue);
    void remove(const ButtonPress& press);
    void dislike(const ButtonPress& press);
    void explain_edit(const ButtonPress& press);
    // Why a candidate in `status` cannot be published, deleted or edited.
    [[nodiscard]] std::string refusal(CandidateStatus status) const;

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    CandidateStore& candidates_;
    CrashStateStore& state_;
    DislikeStore& dislikes_;
    PublishFlow& publish_;
    CandidateFiles& files_;
};

/// Runs Change track, Regenerate and Edit captions jobs: a new candidate in the old one's place.
class ReplaceRun {
  public:
    ReplaceRun(const Messages& text, Replies& replies, CandidateStore& candidates,
               CrashStateStore& state, Generator& generator, ReviewFlow& review,
               GenerationCounts& counts, std::stop_token bot_stop);

    /// Runs `job` (kind change_track, regenerate or edit_captions); `stop` is the job's.
    void run(Job& job, std::stop_token stop);

  private:
    void report_nothing_made(const Job& job, const Generated& generated, std::stop_token stop);

    const Messages& text_;
    Replies& replies_;
    CandidateStore& candidates_;
    CrashStateStore& state_;
    Generator& generator_;
    ReviewFlow& review_;
    GenerationCounts& counts_;
    std::stop_token bot_stop_;
};

}  // namespace memegen::bot
