#pragma once
/// \file bot.hpp
/// The bot: start-up, polling and shutdown. It owns the state and the features and wires
/// them together; what happens to an update is decided in the features' folders:
/// commands/ (routing, the command table, button data), generation/ (the job queue and one
/// meme), review/ (candidates and their buttons), batch/ (batches, the daily plan), intake/
/// (files sent to the bot), sources/reddit_feed (subreddit memes), replies/ (Telegram),
/// housekeeping/ (the sweep of old work files).

#include <atomic>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <memegen/resource_monitor.hpp>
#include <nlohmann/json.hpp>

#include "batch/batch_runner.hpp"
#include "batch/schedule_commands.hpp"
#include "batch/scheduled_runs.hpp"
#include "commands/update_router.hpp"
#include "config/config.hpp"
#include "config/update_offset_store.hpp"
#include "core/candidate_files.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "core/render_runner.hpp"
#include "generation/generate_command.hpp"
#include "generation/generation_counts.hpp"
#include "generation/generation_queue.hpp"
#include "generation/generator.hpp"
#include "housekeeping/work_cleanup.hpp"
#include "intake/upload_intake.hpp"
#include "library/dislike_store.hpp"
#include "library/library_catalog.hpp"
#include "library/media_picker.hpp"
#include "observability/daily_stats.hpp"
#include "observability/generation_metrics.hpp"
#include "observability/metrics_server.hpp"
#include "observability/status_report.hpp"
#include "publish/google_oauth.hpp"
#include "publish/publish_journal.hpp"
#include "replies/quiet_policy.hpp"
#include "replies/telegram_replies.hpp"
#include "review/account_connect.hpp"
#include "review/publish_flow.hpp"
#include "review/review_flow.hpp"
#include "sources/reddit_feed.hpp"
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
    void note_state_problems();
    void clear_work_dir();
    std::optional<BotExit> connect(std::stop_token stop);
    void start_features();
    void poll(std::stop_token stop);
    void handle(const nlohmann::json& update);
    void shut_down();

    [[nodiscard]] CommandTable command_table();
    void run_job(Job& job, std::stop_token stop);
    void add_publishers();
    void dry_run_command(const CommandRequest& r);
    void history_command(const CommandRequest& r);
    [[nodiscard]] StatusReport live_status();
    [[nodiscard]] std::string metrics_text();

    // State and resources.
    BotConfig config_;
    Messages text_;
    BotApi api_;
    ResourceMonitor monitor_;
    CrashStateStore state_;
    GenerationGuard guard_;
    UpdateOffsetStore offsets_;
    CandidateStore candidates_;
    DislikeStore dislikes_;   // 👎 sources, kept from picks (issue 13)
    QuietPolicy quiet_;       // quiet_hours: which sends go silently (issue 13)
    LibraryCatalog library_;  // before picker_: the picker draws from it
    MediaPicker picker_;
    RenderRunner runner_;
    DailyStats stats_;           // today's counts, last render's peak
    GenerationMetrics metrics_;  // for the metrics endpoint
    std::stop_source stop_;      // the bot's own: 401 or run()'s token
    std::atomic<bool> token_rejected_{false};

    // Features, each on the ones above it.
    TelegramReplies replies_;
    GenerationCounts counts_;
    Generator generator_;
    GenerationQueue queue_;
    GenerateCommand generate_;
    // Publishing: the targets' journal, the kept MP4s, Google's authorization, the flow.
    publish::PublishJournal journal_;
    CandidateFiles files_;
    std::unique_ptr<publish::GoogleOAuth> google_;  // when publish.youtube is configured
    DryRun dry_run_;
    PublishFlow publish_;
    std::unique_ptr<AccountConnect> accounts_;  // after add_publishers(): it needs google_
    ReviewFlow review_;
    ReplaceRun replacements_;
    ScheduledRuns schedule_;
    BatchRunner batches_;
    UploadIntake intake_;
    RedditFeed reddit_;
    ScheduleCommands schedule_commands_;  // /scheduleinfo, /setnext, /rebuildschedule
    WorkCleanup cleanup_;                 // /cleanup and the daily sweep
    UpdateRouter router_;
    std::unique_ptr<MetricsServer> metrics_server_;  // when metrics.enabled

    std::jthread scheduler_thread_;
    std::jthread library_thread_;  // probes new library files in the background
    std::jthread intake_thread_;   // downloads and admits media sent to the bot
    std::jthread reddit_thread_;   // fetches subreddit memes every reddit.fetch_minutes
    std::jthread cleanup_thread_;  // sweeps old work files at start-up and every 24 h
};

}  // namespace memegen::bot
