#include "core/bot.hpp"

#include <condition_variable>
#include <mutex>

#include <memegen/log.hpp>

#include "commands/bot_commands.hpp"
#include "config/timezone.hpp"
#include "library/disliked_memes.hpp"
#include "library/published_memes.hpp"
#include "observability/metrics_page.hpp"
#include "observability/publish_failures.hpp"
#include "publish/x_publisher.hpp"
#include "publish/youtube_publisher.hpp"
#include "review/telegram_publisher.hpp"
#include "telegram/html.hpp"
#include "telegram/telegram_error.hpp"

namespace memegen::bot {

namespace {

using Clock = std::chrono::system_clock;

BotApiOptions api_options(const BotConfig& config) {
    BotApiOptions o;
    o.token = config.token;
    o.base_url = config.api_url;
    if (config.ca_file)
        o.ca_file = config.ca_file->string();
    return o;
}

LibraryCatalogOptions library_options(const BotConfig& config) {
    LibraryCatalogOptions o;
    o.media_dir = config.media_dir;
    o.music_dir = config.music_dir;
    o.index_file = config.state_dir / "library_index.json";
    o.prober.isolate = config.render_isolation == RenderIsolation::process;
    o.prober.work_dir = config.state_dir / "work";
    o.prober.max_bytes = static_cast<std::uint64_t>(config.library.max_file_mb) * 1000 * 1000;
    o.prober.max_pixels = config.library.max_pixels;
    o.duplicate_distance = config.library.duplicate_distance;
    return o;
}

RenderRunnerOptions runner_options(const BotConfig& config) {
    RenderRunnerOptions o;
    o.isolate = config.render_isolation == RenderIsolation::process;
    return o;
}

}  // namespace

Bot::Bot(BotConfig config)
    : config_(std::move(config)),
      text_{config_.language},
      api_(api_options(config_)),
      state_(config_.state_dir),
      guard_(config_.state_dir),
      offsets_(config_.state_dir, config_.max_attempts),
      candidates_(config_.state_dir / "candidates.json"),
      dislikes_(config_.state_dir / "dislikes.json"),
      quiet_(config_.quiet_hours, {ChatId(config_.owner_id), config_.review_chat}),
      library_(library_options(config_)),
      picker_(
          [this](bool audio) {
              return library_.usable(audio ? MediaRole::music : MediaRole::meme);
          },
          config_.state_dir / "history.json", Generator::fresh_seed()),
      runner_(runner_options(config_)),
      stats_(config_.state_dir / "stats.json"),
      replies_(api_, stop_.get_token(),
               [this] {
                   token_rejected_ = true;
                   stop_.request_stop();
               }),
      counts_(stats_, metrics_),
      generator_(config_, text_, library_, picker_, runner_, state_, monitor_, stats_, metrics_),
      queue_(guard_, text_, replies_),
      generate_(config_, text_, replies_, queue_),
      journal_(config_.state_dir / "publish_journal.json"),
      files_(config_.state_dir / "candidates"),
      dry_run_(config_.state_dir / "dry_run.json"),
      publish_(config_, text_, replies_, candidates_, state_, files_, journal_),
      review_(config_, text_, replies_, candidates_, state_, dislikes_, publish_, files_),
      replacements_(text_, replies_, candidates_, state_, generator_, review_, counts_,
                    stop_.get_token()),
      schedule_(config_, text_, replies_, state_, queue_),
      batches_(config_, text_, replies_, generator_, review_, publish_, candidates_, state_,
               monitor_, counts_, schedule_, stop_.get_token()),
      intake_(config_, text_, api_, replies_, library_),
      reddit_(config_, library_, state_),
      schedule_commands_(config_, text_, replies_, schedule_),
      cleanup_(config_, guard_),
      router_(
          config_, text_, replies_, command_table(),
          [this](const ButtonPress& press) { review_.on_button(press, queue_); },
          [this](const UploadUpdate& upload) { intake_.queue(upload); }) {
    // Near-duplicates (issue 13): a new meme is compared with the library (the catalog's own
    // source), with published memes and with disliked ones.
    library_.look_alikes().add_source(published_memes(candidates_, library_));
    library_.look_alikes().add_source(
        disliked_memes(dislikes_, library_, std::chrono::days(config_.dislike_days)));
    note_state_problems();
    // Review buttons and quiet hours (issue 13).
    picker_.avoid_memes([this] { return dislikes_.avoided(Clock::now()); });
    replies_.set_quiet_policy(&quiet_);
    router_.set_reply_handler(
        [this](const ReplyUpdate& reply) { review_.on_reply(reply, queue_); });
    router_.set_admin_activity([this] { quiet_.owner_active(Clock::now()); });
    for (const auto& p : dislikes_.problems())
        state_.note_problem(stage::state_corrupt, p, {{"file", "dislikes.json"}});
    add_publishers();
    publish_.use_dry_run(dry_run_);
    publish_.use_sidecars([this](const std::filesystem::path& meme) {
        return library_.sidecar(meme, MediaRole::meme);
    });
    accounts_ = std::make_unique<AccountConnect>(text_, replies_, google_.get());
}

Bot::~Bot() {
    stop_.request_stop();
    queue_.stop();
    publish_.stop();
}

// One Publisher per configured target; the flow knows them only through the interface.
void Bot::add_publishers() {
    for (const auto& channel : config_.telegram_channels())
        publish_.add(std::make_unique<TelegramChannelPublisher>(channel, replies_, journal_));
    const auto& p = config_.publish;
    try {
        if (p.youtube.enabled()) {
            publish::GoogleOAuthConfig oauth;
            oauth.client_id = p.youtube.client_id;
            oauth.client_secret = p.youtube.client_secret;
            oauth.oauth_url = p.youtube.oauth_url;
            oauth.token_file = config_.state_dir / "youtube_token.json";
            oauth.refresh_token = p.youtube.refresh_token;
            google_ = std::make_unique<publish::GoogleOAuth>(oauth);
            publish::YouTubeConfig yt;
            yt.api_url = p.youtube.api_url;
            yt.privacy = p.youtube.privacy;
            yt.made_for_kids = p.youtube.made_for_kids;
            yt.thumbnail = p.youtube.thumbnail;
            publish_.add(std::make_unique<publish::YouTubePublisher>(yt, *google_, journal_));
        }
        if (p.x.enabled()) {
            publish::XConfig x;
            x.api_url = p.x.api_url;
            x.credentials = {p.x.consumer_key, p.x.consumer_secret, p.x.access_token,
                             p.x.access_token_secret};
            publish_.add(std::make_unique<publish::XPublisher>(x, journal_));
        }
    } catch (const std::exception& e) {
        // The configuration check accepts only URLs the publishers take: this is a bug.
        log_error("a publishing target could not be set up: {}", e.what());
        state_.note_problem(stage::publish_error, e.what(), {{"label", "publish set-up"}});
    }
}

void Bot::note_state_problems() {
    for (const auto& p : offsets_.problems()) {
        log_warning("{}", p);
        state_.note_problem(stage::state_corrupt, p, {{"file", "offset.json"}});
    }
    for (const auto& p : candidates_.problems())
        state_.note_problem(stage::state_corrupt, p, {{"file", "candidates.json"}});
    for (const auto& p : stats_.problems())
        state_.note_problem(stage::state_corrupt, p, {{"file", "stats.json"}});
    for (const auto& p : picker_.problems())
        state_.note_problem(stage::state_corrupt, p, {{"file", "history.json"}});
    for (const auto& p : library_.index_problems())
        state_.note_problem(stage::state_corrupt, p, {{"file", "library_index.json"}});
    if (const auto& p = journal_.problem())
        state_.note_problem(stage::state_corrupt, *p, {{"file", "publish_journal.json"}});
    if (const auto& p = dry_run_.problem())
        state_.note_problem(stage::state_corrupt, *p, {{"file", "dry_run.json"}});
}

CommandTable Bot::command_table() {
    CommandActions a;
    a.help = [this](const CommandRequest& r) {
        replies_.say(r.chat, router_.commands().help(text_));
    };
    a.generate = [this](const CommandRequest& r) { generate_(r); };
    a.run_scheduled = [this](const CommandRequest& r) { schedule_.run_now(r); };
    a.status = [this](const CommandRequest& r) {
        replies_.say(r.chat, status_html(live_status(), config_.language));
    };
    a.cancel = [this](const CommandRequest& r) {
        replies_.say(r.chat, queue_.cancel() ? text_.cancelling() : text_.nothing_to_cancel());
    };
    a.clear_history = [this](const CommandRequest& r) {
        picker_.clear_history();
        replies_.say(r.chat, text_.history_cleared());
    };
    // Schedule and housekeeping (issue 13).
    a.schedule_info = [this](const CommandRequest& r) { schedule_commands_.info(r); };
    a.set_next = [this](const CommandRequest& r) { schedule_commands_.set_next(r); };
    a.rebuild_schedule = [this](const CommandRequest& r) { schedule_commands_.rebuild(r); };
    a.cleanup = [this](const CommandRequest& r) {
        const auto swept = cleanup_.sweep();
        replies_.say(r.chat, text_.cleanup_done(swept.files, static_cast<double>(swept.bytes) / 1e6,
                                                config_.cleanup_hours, swept.failed));
    };
    a.chat_id = [this](const CommandRequest& r) {
        replies_.say(r.chat, text_.chat_id(r.chat.to_string(),
                                           r.chat.to_string() == std::to_string(r.user)));
    };
    a.dry_run = [this](const CommandRequest& r) { dry_run_command(r); };
    a.history = [this](const CommandRequest& r) { history_command(r); };
    a.connect = [this](const CommandRequest& r) { accounts_->connect(r); };
    a.disconnect = [this](const CommandRequest& r) { accounts_->disconnect(r); };
    return bot_commands(a);
}

void Bot::dry_run_command(const CommandRequest& r) {
    const auto& arg = r.argument;
    if (arg.empty()) {
        replies_.say(r.chat, text_.dry_run_state(dry_run_.on()));
        return;
    }
    if (arg != "on" && arg != "off") {
        replies_.say(r.chat, text_.dry_run_usage());
        return;
    }
    try {
        dry_run_.set(arg == "on");
    } catch (const std::exception& e) {
        log_error("cannot save the dry-run switch: {}", e.what());
        replies_.say(r.chat, text_.generation_failed(escape_html(e.what())));
        return;
    }
    replies_.say(r.chat, text_.dry_run_state(dry_run_.on()));
}

void Bot::history_command(const CommandRequest& r) {
    constexpr int kMax = 50;
    int count = 10;
    if (!r.argument.empty()) {
        const auto all_digits = r.argument.find_first_not_of("0123456789") == std::string::npos;
        count = all_digits && r.argument.size() <= 3 ? std::stoi(r.argument) : 0;
        if (count < 1 || count > kMax) {
            replies_.say(r.chat, text_.history_usage(kMax));
            return;
        }
    }
    replies_.say(r.chat, publish_.history_html(count));
}

// ---------------------------------------------------------------- run

BotExit Bot::run(std::stop_token outer) {
    std::stop_callback forward(outer, [this] { stop_.request_stop(); });
    const auto stop = stop_.get_token();

    state_.install_crash_handlers();
    const auto unclean = state_.detect_unclean_end();
    clear_work_dir();
    if (const auto failed = connect(stop))
        return *failed;
    schedule_.start_up(Clock::now());
    const ChatId owner(config_.owner_id);
    if (unclean)
        replies_.say(owner, text_.unclean_end(escape_html(unclean->error)));
    report_interrupted_batch(config_.state_dir / "batch.json", replies_, text_, owner, state_);
    state_.record(stage::idle, {{"label", "bot started"}});
    monitor_.log_resource_usage("bot_start");

    start_features();
    poll(stop);
    shut_down();
    state_.record(stage::idle, {{"label", "bot stopped"}});
    log_info("bot stopped");
    return token_rejected_ ? BotExit::token_rejected : BotExit::clean;
}

void Bot::clear_work_dir() {
    // A render child of a killed bot keeps the generation lock until it dies (of its parent-death
    // signal, or here): no render starts, and no file of it is removed, while it lives.
    if (const auto orphan = guard_.end_orphaned_holder())
        log_warning("the previous bot (pid {}) left a render holding the generation lock ({})",
                    orphan->pid, orphan->label);
    // Temporary files of a previous run (killed mid-render) are useless now.
    const auto work = config_.state_dir / "work";
    std::error_code ec;
    if (const auto holder = guard_.holder()) {
        log_warning("{} kept: the generation lock is still held by pid {} ({})", work.string(),
                    holder->child_pid > 0 ? holder->child_pid : holder->pid, holder->label);
    } else {
        std::filesystem::remove_all(work, ec);
    }
    std::filesystem::create_directories(work, ec);
}

std::optional<BotExit> Bot::connect(std::stop_token stop) {
    try {
        const auto me = api_.get_me(stop);
        log_info("connected to the Bot API as @{}", me.value("username", std::string("?")));
        if (me.contains("id") && me["id"].is_number_integer()) {
            try {
                offsets_.bind_bot(me["id"].get<std::int64_t>());
            } catch (const std::exception& e) {
                log_error("cannot record the bot's id in the offsets: {}", e.what());
            }
        }
        api_.delete_webhook(false, stop);
        api_.set_my_commands(router_.commands().menu(text_), stop);
        return std::nullopt;
    } catch (const TelegramError& e) {
        if (e.is_unauthorized()) {
            log_error("the bot token was rejected (401): check TELEGRAM_BOT_TOKEN");
            return BotExit::token_rejected;
        }
        if (stop.stop_requested())
            return BotExit::clean;
        log_error("cannot start: {}", e.what());
        state_.record_problem(stage::init_error, e.what());
        return BotExit::startup_failed;
    }
}

void Bot::start_features() {
    queue_.start([this](Job& job, std::stop_token stop) { run_job(job, stop); }, stop_.get_token());
    publish_.start(stop_.get_token());
    scheduler_thread_ =
        std::jthread([this](std::stop_token) { schedule_.loop(stop_.get_token()); });
    // Library files are probed in the background: polling starts at once, picks use what has
    // passed so far (see library_catalog.hpp).
    library_thread_ = std::jthread([this](std::stop_token) {
        library_.run_background(stop_.get_token(),
                                std::chrono::minutes(config_.library.rescan_minutes));
    });
    intake_thread_ = std::jthread([this](std::stop_token) { intake_.loop(stop_.get_token()); });
    if (!config_.reddit.sources_file.empty())
        reddit_thread_ = std::jthread([this](std::stop_token) { reddit_.run(stop_.get_token()); });
    cleanup_thread_ =
        std::jthread([this](std::stop_token) { cleanup_.run_daily(stop_.get_token()); });
    if (config_.metrics.enabled) {
        try {
            metrics_server_ = std::make_unique<MetricsServer>(
                config_.metrics.address, config_.metrics.port, [this] { return metrics_text(); });
        } catch (const std::exception& e) {
            // Memes matter more than metrics: a taken port is reported, the bot goes on.
            log_error("{}", e.what());
            state_.record_problem(stage::init_error, e.what(), {{"label", "metrics endpoint"}});
        }
    }
}

namespace {

const std::vector<std::string> kAllowedUpdates{"message", "callback_query"};

}  // namespace

void Bot::poll(std::stop_token stop) {
    int conflict_waits = 0;
    while (!stop.stop_requested()) {
        std::vector<nlohmann::json> updates;
        try {
            updates = api_.get_updates(offsets_.next_offset(), 50, kAllowedUpdates, stop);
            conflict_waits = 0;
        } catch (const TelegramError& e) {
            if (e.is_unauthorized()) {
                log_error("the bot token was rejected (401): exiting");
                token_rejected_ = true;
                break;
            }
            if (stop.stop_requested())
                break;
            if (e.is_conflict()) {
                log_error(
                    "getUpdates conflict (409): another instance is polling with this token, or "
                    "a webhook is set; retrying in 30 s");
                ++conflict_waits;
            } else {
                log_error("getUpdates failed: {}; retrying in 5 s", e.what());
            }
            std::mutex m;
            std::unique_lock lock(m);
            std::condition_variable_any().wait_for(
                lock, stop, std::chrono::seconds(conflict_waits ? 30 : 5), [] { return false; });
            continue;
        }
        for (const auto& update : updates) {
            handle(update);
            if (stop.stop_requested())
                break;
        }
    }
}

// One update, recorded before and after so that one that keeps failing (or killing the bot)
// is skipped after max_attempts, and none is handled twice.
void Bot::handle(const nlohmann::json& update) {
    if (!update.contains("update_id"))
        return;
    const auto id = update["update_id"].get<std::int64_t>();
    UpdateDecision decision = UpdateDecision::handle;
    try {
        decision = offsets_.begin(id);
    } catch (const std::exception& e) {
        log_error("cannot record update {}: {}", id, e.what());
    }
    if (decision == UpdateDecision::poisoned) {
        log_warning("update {} failed {} times; skipped", id, config_.max_attempts);
        return;
    }
    if (decision == UpdateDecision::already_handled) {
        log_info("update {} dropped: already handled (the last handled update is {})", id,
                 offsets_.last_handled().value_or(0));
        return;
    }
    try {
        router_.route(update);
    } catch (const std::exception& e) {
        log_error("handling update {} failed: {}", id, e.what());
    }
    try {
        offsets_.finish(id);
    } catch (const std::exception& e) {
        log_error("cannot record update {}: {}", id, e.what());
    }
}

// Cancels the render, lets the worker and the scheduler end, confirms the offset. The bot's
// stop comes first: the worker tells a shutdown from a /cancel by it.
void Bot::shut_down() {
    stop_.request_stop();
    queue_.stop();
    if (scheduler_thread_.joinable())
        scheduler_thread_.join();
    if (reddit_thread_.joinable())
        reddit_thread_.join();
    publish_.stop();
    accounts_.reset();
    metrics_server_.reset();
    if (token_rejected_)
        return;
    try {
        // A zero-timeout poll with the next offset confirms what was handled.
        BotApiOptions o = api_.options();
        o.retry.max_attempts = 1;
        o.request_timeout = std::chrono::seconds(5);
        const BotApi confirm(o);
        confirm.get_updates(offsets_.next_offset(), 0, kAllowedUpdates, {});
    } catch (const std::exception& e) {
        log_warning("could not confirm the last updates at shutdown: {}", e.what());
    }
}

// ---------------------------------------------------------------- jobs

void Bot::run_job(Job& job, std::stop_token stop) {
    try {
        switch (job.kind) {
            case JobKind::generate:
                batches_.run_generate(job, stop);
                break;
            case JobKind::scheduled:
            case JobKind::regenerate_all:
                batches_.run_scheduled(job, stop);
                break;
            case JobKind::change_track:
            case JobKind::regenerate:
            case JobKind::edit_captions:
                replacements_.run(job, stop);
                break;
        }
    } catch (const std::exception& e) {
        // A bug or an unexpected failure: recorded, told, and the bot goes on.
        log_error("job '{}' failed: {}", job.label, e.what());
        monitor_.log_resource_usage("after_error");
        try {
            state_.record_problem(stage::batch_error, e.what(), {{"label", job.label}});
        } catch (const std::exception& write_error) {
            log_error("cannot record the problem: {}", write_error.what());
        }
        replies_.say(job.chat, text_.generation_failed(escape_html(e.what())));
    }
}

// ---------------------------------------------------------------- observability

StatusReport Bot::live_status() {
    StatusReport r;
    r.now = Clock::now();
    r.memory = monitor_.snapshot();
    r.guard = guard_.holder();
    r.last_problem = state_.last_problem();
    const auto memes = library_.counts(MediaRole::meme);
    const auto music = library_.counts(MediaRole::music);
    r.library = LibrarySummary{memes.usable, music.usable, memes.pending + music.pending,
                               memes.rejected + music.rejected};
    r.library->near_duplicates_today =
        library_.look_alikes().refusals(local_date_of(r.now).to_string());
    r.schedule_enabled = schedule_.enabled();
    if (r.schedule_enabled) {
        r.next_slot = schedule_.next_slot(r.now);
        r.today = schedule_.plan_for_day_of(r.now);
    }
    const auto today = stats_.figures(local_date_of(r.now).to_string());
    r.done_today = today.done;
    r.failed_today = today.failed;
    r.last_render_peak_bytes = today.last_render_peak_bytes;
    for (const auto& d : dislikes_.active(r.now))
        r.disliked.push_back(std::filesystem::path(d.media).filename().string());
    r.dry_run = dry_run_.on();
    r.failed_publications = publish_failures(candidates_.all());
    return r;
}

std::string Bot::metrics_text() {
    MetricsInputs in;
    in.now = Clock::now();
    in.process = monitor_.snapshot();
    in.guard = guard_.holder();
    in.generations = metrics_.snapshot();
    in.last_problem = state_.last_problem();
    in.next_slot = schedule_.next_slot(in.now);
    return metrics_page(in);
}

}  // namespace memegen::bot
