#pragma once
/// \file bot.hpp
/// The bot: polls Telegram, answers commands at once, and runs generations on one
/// worker thread under the GenerationGuard, so `/status` is answered during a render
/// and a second generation is refused with the seed's message. A scheduler thread runs
/// the daily plan; scheduled jobs wait for the guard (bounded) instead of being dropped.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <memegen/resource_monitor.hpp>
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "config/schedule.hpp"
#include "config/update_offset_store.hpp"
#include "core/candidate_store.hpp"
#include "library/library_catalog.hpp"
#include "library/media_picker.hpp"
#include "core/messages.hpp"
#include "core/render_runner.hpp"
#include "observability/daily_stats.hpp"
#include "observability/generation_metrics.hpp"
#include "observability/metrics_server.hpp"
#include "observability/status_report.hpp"
#include "sources/reddit_source.hpp"
#include "telegram/bot_api.hpp"

namespace memegen::bot {

/// Exit statuses of Bot::run().
enum class BotExit : int {
    clean = 0,           ///< stopped by SIGINT/SIGTERM
    token_rejected = 2,  ///< 401: the bot token was rejected
    startup_failed = 3,  ///< state directory or Telegram unusable at start
};

/// The running bot. Construct, then run() until a stop is requested.
class Bot {
  public:
    /// `config` must be valid (load_config() without problems); the timezone already applied.
    explicit Bot(BotConfig config);
    ~Bot();
    Bot(const Bot&) = delete;
    Bot& operator=(const Bot&) = delete;

    /// Polls and serves until `stop` is requested or the token is rejected.
    BotExit run(std::stop_token stop);

  private:
    enum class JobKind { generate, scheduled, change_track, regenerate, regenerate_all };

    struct Job {
        JobKind kind = JobKind::generate;
        int count = 1;
        std::string chat;            // where replies go
        std::string label;           // guard label / state label
        std::string candidate_id;    // change_track / regenerate
        std::string batch_id;        // regenerate_all
        std::optional<SlotId> slot;  // scheduled
        std::optional<GenerationGuard::Ticket> ticket;
    };

    // What a render keeps from an earlier candidate (Change track: all but the music).
    struct Keep {
        std::string media;
        std::string avoid_music;
        std::optional<std::uint64_t> seed;
        std::vector<std::string> effects;
    };

    // A batch's progress message and its record in <state_dir>/batch.json, so that a batch
    // cut short by a shutdown or a kill is reported after the restart.
    struct Progress {
        std::string chat;
        std::string label;
        int total = 0;
        int done = 0;  // made and sent
        int failed = 0;
        bool shown = false;  // a progress message is wanted (batches, scheduled jobs)
        std::optional<std::int64_t> message_id;
        std::chrono::steady_clock::time_point last_edit{};
    };

    struct Made {
        RenderedVideo result;
        std::string media;
        std::string music;
        std::string music_label;  // "artist — title" from the track's sidecar, or its name
        std::uint64_t seed = 0;
        int variant_group = 0;
    };

    // Polling side.
    void handle_update(const nlohmann::json& update);
    void handle_message(const nlohmann::json& message);
    void handle_callback(const nlohmann::json& query);
    void command_generate(const std::string& chat, std::int64_t user, const std::string& who,
                          const std::string& argument);
    void command_status(const std::string& chat);
    void command_cancel(const std::string& chat);
    void command_run_scheduled(const std::string& chat, const std::string& who);
    void queue_upload(const nlohmann::json& message, const std::string& chat);
    void publish(const nlohmann::json& query, const std::string& candidate_id);
    bool start_job(Job job, const std::string& chat, const std::string& callback_id = {});
    [[nodiscard]] std::string status_text();

    // Worker side.
    void worker_loop(std::stop_token stop);
    void run_job(Job& job);
    void run_generate(Job& job, std::stop_token stop);
    void run_scheduled(Job& job, std::stop_token stop);
    void run_replace(Job& job, std::stop_token stop);
    // Tries up to max_attempts renders; on failure `failure_html` is the one message the user
    // gets about it (each attempt's failure goes to the log and the problem history only).
    std::optional<Made> generate_one(const Job& job, int index, int variant_group,
                                     std::set<std::filesystem::path>& used_in_batch,
                                     std::stop_token stop, std::string& failure_html,
                                     const Keep& keep = {});
    std::optional<Candidate> send_candidate(const Made& made, const std::string& chat,
                                            const std::string& batch_id, std::string& failure_html);
    void write_batch_record(const Progress& progress);
    void show_progress(Progress& progress, bool force);
    // The progress message's last word, sent even while the bot stops (a request path of its
    // own, not cancelled by the bot's stop token, with a short timeout).
    void end_progress(Progress& progress, const std::string& text, bool keep_record);
    std::optional<nlohmann::json> say_while_stopping(const std::string& chat,
                                                     const std::string& html);
    void report_interrupted_batch();
    [[nodiscard]] std::filesystem::path batch_record_file() const;
    void count_generation(const Job& job, bool ok);
    void count_cancelled(const Job& job, int generations);
    [[nodiscard]] static GenerationTrigger trigger_of(const Job& job) noexcept;

    // Observability.
    [[nodiscard]] StatusReport live_status();
    [[nodiscard]] std::string metrics_text();

    // Subreddit sources: fresh memes fetched in the background join the meme library.
    void reddit_loop(std::stop_token stop);
    void fetch_reddit_memes(std::stop_token stop);
    void remember_reddit_source(const std::string& url);  // caller holds reddit_mutex_
    void save_reddit_history();

    // Scheduler side.
    void scheduler_loop(std::stop_token stop);

    // Intake side: media sent to the bot, downloaded and probed off the polling thread.
    void intake_loop(std::stop_token stop);
    void take_upload(const nlohmann::json& message);

    // Telegram helpers that never throw: failures are logged (and 401 stops the bot).
    std::optional<nlohmann::json> say(const std::string& chat, const std::string& html,
                                      const std::optional<nlohmann::json>& markup = std::nullopt);
    void answer(const std::string& callback_id, const std::string& text = {}, bool alert = false);
    void note_telegram_error(const std::exception& e, const char* what);
    nlohmann::json review_keyboard(const std::string& candidate_id) const;

    BotConfig config_;
    Messages text_;
    BotApi api_;
    ResourceMonitor monitor_;
    CrashStateStore state_;
    GenerationGuard guard_;
    UpdateOffsetStore offsets_;
    CandidateStore candidates_;
    LibraryCatalog library_;  // before picker_: the picker draws from it
    MediaPicker picker_;
    RenderRunner runner_;

    std::mutex scheduler_mutex_;
    std::unique_ptr<Scheduler> scheduler_;

    std::mutex jobs_mutex_;
    std::condition_variable_any jobs_cv_;
    std::deque<Job> jobs_;
    std::optional<std::stop_source> current_job_stop_;  // guarded by jobs_mutex_

    DailyStats stats_;                               // today's counts, last render's peak
    GenerationMetrics metrics_;                      // for the metrics endpoint
    std::unique_ptr<MetricsServer> metrics_server_;  // when metrics.enabled

    std::optional<RedditSource> reddit_;  // when reddit.sources_file is set
    std::mutex reddit_mutex_;
    std::set<std::string> reddit_used_;     // permalinks and media URLs taken, for lookups
    std::deque<std::string> reddit_order_;  // the same, oldest first (reddit_history.json)

    std::mutex cooldown_mutex_;
    std::map<std::int64_t, std::chrono::steady_clock::time_point> last_generate_;
    std::set<std::int64_t> refused_users_;

    std::stop_source stop_;  // the bot's own: 401 or run()'s token
    std::atomic<bool> token_rejected_{false};
    std::mutex intake_mutex_;
    std::condition_variable_any intake_cv_;
    std::deque<nlohmann::json> intake_;  // messages with media, oldest first

    std::jthread worker_;
    std::jthread scheduler_thread_;
    std::jthread library_thread_;  // probes new library files in the background
    std::jthread intake_thread_;   // downloads and admits media sent to the bot
    std::jthread reddit_thread_;   // fetches subreddit memes every reddit.fetch_minutes
};

}  // namespace memegen::bot
