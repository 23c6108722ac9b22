#pragma once
/// \file publish_flow.hpp
/// Publish and Retry: a candidate goes to its targets (publish.default_targets; "telegram"
/// stands for every configured channel) through the one Publisher interface, so a new
/// platform is a new Publisher and nothing here changes. Each target has a worker thread of
/// its own: uploads run off the poll loop and outside the generation guard, one at a time per
/// target. Per-target state lives in candidates.json (queued → uploading → done | failed): a
/// target is published at most once per candidate, and what a stopped run left queued or
/// uploading is taken up again at start (the publishers' journal resumes or refuses to post
/// twice). The review message itself shows the outcome: its caption gains a line per target
/// (⏳ queued or % uploaded, ✅ + link, ❌ + reason) and its keyboard a Retry button per failed
/// target, then one "Published" button once every target is done.
/// Error idiom: publishers never throw (publisher.hpp); a failure becomes the target's line
/// and a publish_error problem naming target and cause.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>

#include "commands/update_router.hpp"
#include "config/config.hpp"
#include "core/candidate_files.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "library/sidecar.hpp"
#include "publish/publish_journal.hpp"
#include "publish/publisher.hpp"
#include "replies/replies.hpp"
#include "review/dry_run.hpp"

namespace memegen::bot {

/// Publishes candidates to the configured targets.
class PublishFlow {
  public:
    PublishFlow(const BotConfig& config, const Messages& text, Replies& replies,
                CandidateStore& candidates, CrashStateStore& state, CandidateFiles& files,
                publish::PublishJournal& journal);
    ~PublishFlow();
    PublishFlow(const PublishFlow&) = delete;
    PublishFlow& operator=(const PublishFlow&) = delete;

    /// Adds a target; before start().
    void add(std::unique_ptr<publish::Publisher> publisher);
    /// True when a target uploads the file itself, so candidates' MP4s must be kept.
    [[nodiscard]] bool keeps_files() const;
    /// Starts one worker per target and takes up what a stopped run left unfinished.
    void start(std::stop_token stop);
    /// Stops the workers (an upload in flight ends as a resumable stop) and joins them.
    void stop();

    /// True when the Publish button has somewhere to go (publish.default_targets).
    [[nodiscard]] bool has_targets() const { return !default_targets().empty(); }
    /// The Publish button of candidate press.callback.target.
    void publish(const ButtonPress& press);
    /// Publishes candidate `id` (in review) to the default targets as if Publish were pressed:
    /// auto_publish. Under /dryrun it only says what it would post.
    void publish_now(const std::string& id);
    /// A Retry button: press.callback.platform again for press.callback.target.
    void retry(const ButtonPress& press);
    /// 🎯 Choose platforms, a toggle, and Publish selected (the review keyboard is edited in
    /// place; the selection travels in the buttons' data, so nothing is kept per press).
    void choose(const ButtonPress& press);
    void publish_selected(const ButtonPress& press);

    /// While `dry_run` is on, Publish only says what it would post; it must outlive the flow.
    void use_dry_run(const DryRun& dry_run) { dry_run_ = &dry_run; }
    /// Where a post's texts find the meme's sidecar (its captions and tags; called from the
    /// targets' worker threads). Without it, {captions} has only the owner's edited captions.
    void use_sidecars(std::function<SidecarInfo(const std::filesystem::path&)> meme_sidecar) {
        meme_sidecar_ = std::move(meme_sidecar);
    }
    /// /history: the last `count` published candidates, newest first, with a link per target.
    [[nodiscard]] std::string history_html(int count);

    /// True once no target has work queued or running (tests).
    [[nodiscard]] bool wait_idle(std::chrono::milliseconds timeout);

  private:
    struct Worker;

    [[nodiscard]] std::vector<std::string> default_targets() const;
    [[nodiscard]] Worker* worker(const std::string& target);
    void enqueue(const std::string& target, const std::string& candidate_id);
    void work(Worker& w, std::stop_token stop);
    void run_one(Worker& w, const std::string& candidate_id, const std::stop_token& stop);
    [[nodiscard]] publish::PublishItem item_of(const Candidate& c, const Worker& w) const;
    void finish(const std::string& candidate_id);
    /// Edits the review message: its caption with one line per target, its keyboard.
    void show_report(const std::string& candidate_id);
    [[nodiscard]] std::string target_lines(const Candidate& c);
    [[nodiscard]] std::string caption_html(const Candidate& c);
    [[nodiscard]] std::optional<nlohmann::json> review_keyboard(const Candidate& c) const;
    // `press_id`: the button press to answer; none for publish_now.
    void start_publishing(const std::optional<std::string>& press_id, const Candidate& c,
                          const std::vector<std::string>& targets);
    [[nodiscard]] nlohmann::json choice_keyboard(const std::string& id, unsigned selection) const;
    void answer_dry_run(const std::optional<std::string>& press_id, const Candidate& c,
                        const std::vector<std::string>& targets);

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    CandidateStore& candidates_;
    CrashStateStore& state_;
    CandidateFiles& files_;
    publish::PublishJournal& journal_;
    std::vector<std::unique_ptr<Worker>> workers_;
    const DryRun* dry_run_ = nullptr;
    std::function<SidecarInfo(const std::filesystem::path&)> meme_sidecar_;

    std::mutex report_mutex_;  // one caption edit at a time, rendered from the newest state
    std::mutex progress_mutex_;
    std::map<std::pair<std::string, std::string>, int> progress_;  // (candidate, target) → %
    std::mutex idle_mutex_;
    std::condition_variable idle_;
    int pending_ = 0;  // queued or running, over all workers
};

}  // namespace memegen::bot
