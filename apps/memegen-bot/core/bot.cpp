#include "core/bot.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include <memegen/detail/clock.hpp>
#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

#include "config/timezone.hpp"
#include "observability/metrics_page.hpp"
#include "telegram/html.hpp"
#include "telegram/telegram_error.hpp"

namespace memegen::bot {

namespace {

using Clock = std::chrono::system_clock;

std::string chat_of(const nlohmann::json& message) {
    return std::to_string(message.at("chat").at("id").get<std::int64_t>());
}

std::string who_of(const nlohmann::json& user) {
    if (user.contains("username") && user["username"].is_string()) {
        return "@" + user["username"].get<std::string>();
    }
    // The numeric id, marked so in any language ("#123456"), for users without a username.
    return "#" + std::to_string(user.value("id", std::int64_t{0}));
}

std::string mb(std::uint64_t bytes) {
    return fmt::format("{:.1f}", bytes / 1e6);
}

std::string effects_text(const std::vector<std::string>& effects) {
    std::string out;
    for (const auto& e : effects) {
        if (!out.empty())
            out += ", ";
        out += e;
    }
    return out.empty() ? "none" : out;
}

// How a render failed, in the user's language where the sentence is ours (how the child
// ended); the renderer's own error text stays as it is.
std::string user_cause(const RenderOutcome& outcome, const Messages& text) {
    if (!text.ru())
        return outcome.error;
    switch (outcome.failure) {
        case RenderFailureKind::killed: {
            const auto& last = outcome.last_child_sample;
            return text.child_killed_ru(outcome.oom_kills_before, outcome.oom_kills_after,
                                        last ? last->percent : 0.0,
                                        last ? ResourceSnapshot::mib(last->limit_bytes) : 0.0);
        }
        case RenderFailureKind::crashed: {
            const char* name = outcome.signal ? sigabbrev_np(*outcome.signal) : nullptr;
            return text.child_crashed_ru(name != nullptr ? std::string("SIG") + name
                                                         : std::string("сигнал"));
        }
        case RenderFailureKind::exited:
            return text.child_exited_ru(outcome.exit_code.value_or(-1));
        case RenderFailureKind::error:
        case RenderFailureKind::cancelled:
            break;
    }
    return outcome.error;
}

std::uint64_t fresh_seed() {
    static std::mt19937_64 random(std::random_device{}());
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    return random();
}

// Message fields that carry a file someone sent (Bot API Message object).
constexpr const char* kMediaFields[] = {"photo",    "animation", "video",     "audio",
                                        "document", "voice",     "video_note"};

// "ok" callback data is "<verb>:<id>"; verbs: p publish, t change track, r regenerate,
// a regenerate all, x already published.
std::pair<std::string, std::string> split_callback(const std::string& data) {
    const auto colon = data.find(':');
    if (colon == std::string::npos)
        return {data, ""};
    return {data.substr(0, colon), data.substr(colon + 1)};
}

}  // namespace

Bot::Bot(BotConfig config)
    : config_(std::move(config)),
      text_{config_.language},
      api_([&] {
          BotApiOptions o;
          o.token = config_.token;
          o.base_url = config_.api_url;
          if (config_.ca_file)
              o.ca_file = config_.ca_file->string();
          return o;
      }()),
      state_(config_.state_dir),
      guard_(config_.state_dir),
      offsets_(config_.state_dir, config_.max_attempts),
      candidates_(config_.state_dir / "candidates.json"),
      library_([&] {
          LibraryCatalogOptions o;
          o.media_dir = config_.media_dir;
          o.music_dir = config_.music_dir;
          o.index_file = config_.state_dir / "library_index.json";
          o.prober.isolate = config_.render_isolation == RenderIsolation::process;
          o.prober.work_dir = config_.state_dir / "work";
          o.prober.max_bytes =
              static_cast<std::uint64_t>(config_.library.max_file_mb) * 1000 * 1000;
          o.prober.max_pixels = config_.library.max_pixels;
          return o;
      }()),
      picker_(
          [this](bool audio) {
              return library_.usable(audio ? MediaRole::music : MediaRole::meme);
          },
          config_.state_dir / "history.json", fresh_seed()),
      runner_([&] {
          RenderRunnerOptions o;
          o.isolate = config_.render_isolation == RenderIsolation::process;
          return o;
      }()),
      stats_(config_.state_dir / "stats.json") {
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
}

Bot::~Bot() {
    stop_.request_stop();
    jobs_cv_.notify_all();
}

// ---------------------------------------------------------------- Telegram helpers

void Bot::note_telegram_error(const std::exception& e, const char* what) {
    if (const auto* te = dynamic_cast<const TelegramError*>(&e)) {
        if (te->is_unauthorized()) {
            log_error("the bot token was rejected (401) while {}: exiting", what);
            token_rejected_ = true;
            stop_.request_stop();
            return;
        }
        if (te->is_forbidden()) {
            log_warning("{}: the bot was blocked or removed from the chat (403)", what);
            return;
        }
    }
    log_error("{} failed: {}", what, e.what());
}

std::optional<nlohmann::json> Bot::say(const std::string& chat, const std::string& html,
                                       const std::optional<nlohmann::json>& markup) {
    try {
        MessageOptions options;
        options.reply_markup = markup;
        std::optional<nlohmann::json> last;
        const auto parts = split_html(html);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            // The keyboard belongs under the last part.
            MessageOptions part_options = options;
            if (i + 1 < parts.size())
                part_options.reply_markup.reset();
            last = api_.send_message(chat, parts[i], part_options, stop_.get_token());
        }
        return last;
    } catch (const std::exception& e) {
        note_telegram_error(e, "sendMessage");
        return std::nullopt;
    }
}

void Bot::answer(const std::string& callback_id, const std::string& text, bool alert) {
    try {
        api_.answer_callback_query(callback_id, truncate_html(escape_html(text), 190), alert,
                                   stop_.get_token());
    } catch (const std::exception& e) {
        note_telegram_error(e, "answerCallbackQuery");
    }
}

nlohmann::json Bot::review_keyboard(const std::string& id) const {
    return {{"inline_keyboard",
             {{{{"text", text_.button_publish()}, {"callback_data", "p:" + id}}},
              {{{"text", text_.button_change_track()}, {"callback_data", "t:" + id}},
               {{"text", text_.button_regenerate()}, {"callback_data", "r:" + id}}}}}};
}

// ---------------------------------------------------------------- run

BotExit Bot::run(std::stop_token outer) {
    std::stop_callback forward(outer, [this] {
        stop_.request_stop();
        jobs_cv_.notify_all();
    });
    const auto stop = stop_.get_token();

    state_.install_crash_handlers();
    const auto unclean = state_.detect_unclean_end();
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
        api_.set_my_commands(
            {{"generate",
              text_.ru() ? "Сделать мем (или /generate N)" : "Make a meme (or /generate N)"},
             {"status", text_.ru() ? "Память, блокировка, расписание" : "Memory, lock, schedule"},
             {"runscheduled",
              text_.ru() ? "Плановая генерация сейчас" : "Run the scheduled job now"},
             {"cancel", text_.ru() ? "Отменить генерацию" : "Cancel the generation"},
             {"clearhistory", text_.ru() ? "Забыть источники" : "Forget used sources"},
             {"help", text_.ru() ? "Справка" : "Help"}},
            stop);
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

    {
        std::lock_guard lock(scheduler_mutex_);
        scheduler_ = std::make_unique<Scheduler>(config_.state_dir, ScheduleSettings::from(config_),
                                                 Clock::now());
        for (const auto& p : scheduler_->startup().problems) {
            log_warning("schedule: {}", p);
            state_.note_problem(stage::state_corrupt, p, {{"file", "schedule.json"}});
        }
        if (!scheduler_->startup().missed.empty()) {
            log_warning("schedule: {} slot(s) passed while the bot was down ({})",
                        scheduler_->startup().missed.size(),
                        scheduler_->startup().caught_up ? "the latest runs now" : "skipped");
        }
    }
    if (unclean) {
        say(std::to_string(config_.owner_id), text_.unclean_end(escape_html(unclean->error)));
    }
    report_interrupted_batch();
    state_.record(stage::idle, {{"label", "bot started"}});
    monitor_.log_resource_usage("bot_start");

    worker_ = std::jthread([this](std::stop_token) { worker_loop(stop_.get_token()); });
    scheduler_thread_ =
        std::jthread([this](std::stop_token) { scheduler_loop(stop_.get_token()); });
    // Library files are probed in the background: polling starts at once, picks use what has
    // passed so far (see library_catalog.hpp).
    library_thread_ = std::jthread([this](std::stop_token) {
        library_.run_background(stop_.get_token(),
                                std::chrono::minutes(config_.library.rescan_minutes));
    });
    intake_thread_ = std::jthread([this](std::stop_token) { intake_loop(stop_.get_token()); });
    if (!config_.reddit.sources_file.empty())
        reddit_thread_ = std::jthread([this](std::stop_token) { reddit_loop(stop_.get_token()); });
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

    const std::vector<std::string> allowed{"message", "callback_query"};
    int conflict_waits = 0;
    while (!stop.stop_requested()) {
        std::vector<nlohmann::json> updates;
        try {
            updates = api_.get_updates(offsets_.next_offset(), 50, allowed, stop);
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
            if (!update.contains("update_id"))
                continue;
            const auto id = update["update_id"].get<std::int64_t>();
            UpdateDecision decision = UpdateDecision::handle;
            try {
                decision = offsets_.begin(id);
            } catch (const std::exception& e) {
                log_error("cannot record update {}: {}", id, e.what());
            }
            if (decision == UpdateDecision::poisoned) {
                log_warning("update {} failed {} times; skipped", id, config_.max_attempts);
                continue;
            }
            if (decision == UpdateDecision::already_handled) {
                log_info("update {} dropped: already handled (the last handled update is {})", id,
                         offsets_.last_handled().value_or(0));
                continue;
            }
            try {
                handle_update(update);
            } catch (const std::exception& e) {
                log_error("handling update {} failed: {}", id, e.what());
            }
            try {
                offsets_.finish(id);
            } catch (const std::exception& e) {
                log_error("cannot record update {}: {}", id, e.what());
            }
            if (stop.stop_requested())
                break;
        }
    }

    // Shutdown: cancel the render, let the worker and scheduler end, confirm the offset. The
    // bot's stop comes first: the worker tells a shutdown from a /cancel by it.
    stop_.request_stop();
    {
        std::lock_guard lock(jobs_mutex_);
        if (current_job_stop_)
            current_job_stop_->request_stop();
    }
    jobs_cv_.notify_all();
    if (worker_.joinable())
        worker_.join();
    if (scheduler_thread_.joinable())
        scheduler_thread_.join();
    if (reddit_thread_.joinable())
        reddit_thread_.join();
    metrics_server_.reset();
    if (!token_rejected_) {
        try {
            // A zero-timeout poll with the next offset confirms what was handled.
            BotApi confirm([&] {
                BotApiOptions o = api_.options();
                o.retry.max_attempts = 1;
                o.request_timeout = std::chrono::seconds(5);
                return o;
            }());
            confirm.get_updates(offsets_.next_offset(), 0, allowed, {});
        } catch (const std::exception& e) {
            log_warning("could not confirm the last updates at shutdown: {}", e.what());
        }
    }
    state_.record(stage::idle, {{"label", "bot stopped"}});
    log_info("bot stopped");
    return token_rejected_ ? BotExit::token_rejected : BotExit::clean;
}

// ---------------------------------------------------------------- polling side

void Bot::handle_update(const nlohmann::json& update) {
    if (update.contains("message") && update["message"].is_object()) {
        handle_message(update["message"]);
    } else if (update.contains("callback_query") && update["callback_query"].is_object()) {
        handle_callback(update["callback_query"]);
    }
}

void Bot::handle_message(const nlohmann::json& message) {
    if (!message.contains("from") || !message.contains("chat"))
        return;
    const auto user = message["from"].value("id", std::int64_t{0});
    const auto chat = chat_of(message);
    const std::string text = message.value("text", std::string{});
    const bool has_media = std::any_of(std::begin(kMediaFields), std::end(kMediaFields),
                                       [&](const char* field) { return message.contains(field); });
    if (has_media) {
        if (!config_.is_admin(user)) {
            std::lock_guard lock(cooldown_mutex_);
            if (refused_users_.size() >= 10000)
                refused_users_.clear();
            if (refused_users_.insert(user).second) {
                log_info("refused media from {} (not an admin)", who_of(message["from"]));
                say(chat, text_.not_allowed());
            }
            return;
        }
        queue_upload(message, chat);
        return;
    }
    if (text.empty() || text[0] != '/')
        return;

    // "/generate@my_bot 3" → command "generate", argument "3".
    const auto space = text.find_first_of(" \n");
    std::string command =
        text.substr(1, space == std::string::npos ? std::string::npos : space - 1);
    if (const auto at = command.find('@'); at != std::string::npos)
        command.resize(at);
    std::string argument = space == std::string::npos ? "" : text.substr(space + 1);
    while (!argument.empty() && (argument.back() == ' ' || argument.back() == '\n'))
        argument.pop_back();
    while (!argument.empty() && argument.front() == ' ')
        argument.erase(0, 1);

    const bool admin = config_.is_admin(user);
    if (!admin && !(config_.open_generate && command == "generate" && argument.empty())) {
        std::lock_guard lock(cooldown_mutex_);
        // Strangers are remembered only to refuse them once; forget them all rather than let a
        // flood of distinct users grow the set without bound (a second refusal is harmless).
        if (refused_users_.size() >= 10000)
            refused_users_.clear();
        if (refused_users_.insert(user).second) {
            log_info("refused {} from {} (not an admin)", command, who_of(message["from"]));
            say(chat, text_.not_allowed());
        }
        return;
    }
    const auto who = who_of(message["from"]);
    if (command == "start" || command == "help") {
        say(chat, text_.help());
    } else if (command == "generate") {
        command_generate(chat, admin ? 0 : user, who, argument);
    } else if (command == "status") {
        command_status(chat);
    } else if (command == "runscheduled") {
        command_run_scheduled(chat, who);
    } else if (command == "cancel") {
        command_cancel(chat);
    } else if (command == "clearhistory") {
        picker_.clear_history();
        say(chat, text_.history_cleared());
    } else {
        say(chat, text_.unknown_command());
    }
}

bool Bot::start_job(Job job, const std::string& chat, const std::string& callback_id) {
    auto acquired = guard_.try_acquire(job.label);
    if (!acquired) {
        const auto message = acquired.holder() ? text_.busy(acquired.holder()->seconds_held())
                                               : text_.busy_unknown();
        if (callback_id.empty()) {
            say(chat, message);
        } else {
            answer(callback_id, message, true);
        }
        return false;
    }
    job.ticket.emplace(acquired.take());
    {
        std::lock_guard lock(jobs_mutex_);
        jobs_.push_back(std::move(job));
    }
    jobs_cv_.notify_all();
    return true;
}

void Bot::command_generate(const std::string& chat, std::int64_t open_user, const std::string& who,
                           const std::string& argument) {
    int count = 1;
    if (!argument.empty()) {
        const auto* end = argument.data() + argument.size();
        const auto [ptr, ec] = std::from_chars(argument.data(), end, count);
        if (ec != std::errc() || ptr != end || count < 1 || count > config_.max_batch) {
            say(chat, text_.generate_usage(config_.max_batch));
            return;
        }
    }
    if (open_user != 0) {
        std::lock_guard lock(cooldown_mutex_);
        const auto now = std::chrono::steady_clock::now();
        const auto cooldown = std::chrono::seconds(config_.generate_cooldown_seconds);
        if (auto it = last_generate_.find(open_user);
            it != last_generate_.end() && now - it->second < cooldown) {
            say(chat, text_.cooldown(std::chrono::duration_cast<std::chrono::seconds>(
                                         cooldown - (now - it->second))
                                         .count()));
            return;
        }
        // Entries past their cooldown say nothing any more: drop them so the map stays small.
        std::erase_if(last_generate_,
                      [&](const auto& entry) { return now - entry.second >= cooldown; });
        last_generate_[open_user] = now;
    }
    Job job;
    job.kind = JobKind::generate;
    job.count = count;
    job.chat = chat;
    job.label = text_.job_label(count == 1 ? "/generate" : fmt::format("/generate {}", count), who);
    start_job(std::move(job), chat);
}

void Bot::command_run_scheduled(const std::string& chat, const std::string& who) {
    Job job;
    job.kind = JobKind::scheduled;
    job.count = config_.candidates;
    job.chat = config_.review_chat.to_string();
    job.label = text_.job_label("/runscheduled", who);
    start_job(std::move(job), chat);
}

void Bot::command_cancel(const std::string& chat) {
    bool cancelled = false;
    {
        std::lock_guard lock(jobs_mutex_);
        if (current_job_stop_) {
            current_job_stop_->request_stop();
            cancelled = true;
        }
    }
    say(chat, cancelled ? text_.cancelling() : text_.nothing_to_cancel());
}

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
    {
        std::lock_guard lock(scheduler_mutex_);
        r.schedule_enabled = scheduler_ && config_.daily_generations > 0;
        if (r.schedule_enabled) {
            r.next_slot = scheduler_->next_slot(r.now);
            r.today = scheduler_->plan_for_day_of(r.now);
        }
    }
    const auto today = stats_.figures(local_date_of(r.now).to_string());
    r.done_today = today.done;
    r.failed_today = today.failed;
    r.last_render_peak_bytes = today.last_render_peak_bytes;
    return r;
}

std::string Bot::status_text() {
    return status_html(live_status(), config_.language);
}

std::string Bot::metrics_text() {
    MetricsInputs in;
    in.now = Clock::now();
    in.process = monitor_.snapshot();
    in.guard = guard_.holder();
    in.generations = metrics_.snapshot();
    in.last_problem = state_.last_problem();
    std::lock_guard lock(scheduler_mutex_);
    if (scheduler_ && config_.daily_generations > 0)
        in.next_slot = scheduler_->next_slot(in.now);
    return metrics_page(in);
}

void Bot::command_status(const std::string& chat) {
    say(chat, status_text());
}

void Bot::handle_callback(const nlohmann::json& query) {
    const std::string id = query.value("id", std::string{});
    const auto user = query.contains("from") ? query["from"].value("id", std::int64_t{0}) : 0;
    if (!config_.is_admin(user)) {
        answer(id, text_.not_allowed(), true);
        return;
    }
    const auto [verb, target] = split_callback(query.value("data", std::string{}));
    const std::string chat =
        query.contains("message") ? chat_of(query["message"]) : std::to_string(config_.owner_id);
    const auto who = who_of(query["from"]);
    if (verb == "p") {
        publish(query, target);
        return;
    }
    if (verb == "x") {
        answer(id, text_.already_published());
        return;
    }
    Job job;
    job.chat = chat;
    if (verb == "t" || verb == "r") {
        const auto candidate = candidates_.get(target);
        if (!candidate || candidate->status == "replaced") {
            answer(id, text_.stale_button());
            return;
        }
        job.kind = verb == "t" ? JobKind::change_track : JobKind::regenerate;
        job.candidate_id = target;
        job.label = text_.job_label(verb == "t" ? (text_.ru() ? "Смена трека" : "Change track")
                                                : (text_.ru() ? "Перегенерация" : "Regenerate"),
                                    who);
    } else if (verb == "a") {
        if (candidates_.batch(target).empty()) {
            answer(id, text_.stale_button());
            return;
        }
        job.kind = JobKind::regenerate_all;
        job.batch_id = target;
        job.count = config_.candidates;
        job.label = text_.job_label(text_.ru() ? "Перегенерация всех" : "Regenerate all", who);
    } else {
        answer(id, text_.stale_button());
        return;
    }
    if (start_job(std::move(job), chat, id))
        answer(id, text_.working());
}

void Bot::publish(const nlohmann::json& query, const std::string& candidate_id) {
    const std::string id = query.value("id", std::string{});
    const auto candidate = candidates_.get(candidate_id);
    if (!candidate) {
        answer(id, text_.stale_button());
        return;
    }
    if (!config_.channel) {
        answer(id, text_.no_channel(), true);
        return;
    }
    // review → publishing happens once, so a double press cannot post twice.
    if (!candidates_.transition(candidate_id, "review", "publishing")) {
        answer(id,
               candidate->status == "replaced" ? text_.stale_button() : text_.already_published());
        return;
    }
    try {
        const auto sent =
            api_.send_video_by_file_id(config_.channel->to_string(), candidate->file_id, "",
                                       MessageOptions{}, stop_.get_token());
        auto updated = *candidates_.get(candidate_id);
        updated.status = "published";
        updated.published_message_id = sent.value("message_id", std::int64_t{0});
        candidates_.put(updated);
        log_info("published candidate {} to {}", candidate_id, config_.channel->to_string());
        answer(id, text_.published());
        try {
            api_.edit_message_reply_markup(
                candidate->chat, candidate->message_id,
                nlohmann::json{{"inline_keyboard",
                                {{{{"text", text_.button_published()},
                                   {"callback_data", "x:" + candidate_id}}}}}},
                stop_.get_token());
        } catch (const TelegramError& e) {
            if (!e.is_not_modified())
                note_telegram_error(e, "editMessageReplyMarkup");
        }
    } catch (const std::exception& e) {
        candidates_.transition(candidate_id, "publishing", "review");
        note_telegram_error(e, "publishing");
        state_.record_problem(stage::send_error, e.what(), {{"label", "publish " + candidate_id}});
        answer(id, text_.generation_failed(e.what()), true);
    }
}

// ---------------------------------------------------------------- worker side

void Bot::worker_loop(std::stop_token stop) {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(jobs_mutex_);
            jobs_cv_.wait(lock, stop, [this] { return !jobs_.empty(); });
            if (jobs_.empty()) {
                if (stop.stop_requested())
                    return;
                continue;
            }
            job = std::move(jobs_.front());
            jobs_.pop_front();
            current_job_stop_.emplace();
            if (stop.stop_requested())
                current_job_stop_->request_stop();
        }
        run_job(job);
        {
            std::lock_guard lock(jobs_mutex_);
            current_job_stop_.reset();
        }
        job.ticket.reset();  // releases the guard: logs 🔓 and after_unlock memory
    }
}

void Bot::run_job(Job& job) {
    std::stop_token stop;
    {
        std::lock_guard lock(jobs_mutex_);
        stop = current_job_stop_->get_token();
    }
    try {
        switch (job.kind) {
            case JobKind::generate:
                run_generate(job, stop);
                break;
            case JobKind::scheduled:
            case JobKind::regenerate_all:
                run_scheduled(job, stop);
                break;
            case JobKind::change_track:
            case JobKind::regenerate:
                run_replace(job, stop);
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
        say(job.chat, text_.generation_failed(escape_html(e.what())));
    }
}

GenerationTrigger Bot::trigger_of(const Job& job) noexcept {
    switch (job.kind) {
        case JobKind::generate:
            return job.count > 1 ? GenerationTrigger::batch : GenerationTrigger::command;
        case JobKind::scheduled:
            return GenerationTrigger::schedule;
        case JobKind::regenerate_all:
            return GenerationTrigger::batch;
        case JobKind::change_track:
        case JobKind::regenerate:
            return GenerationTrigger::command;
    }
    return GenerationTrigger::command;
}

void Bot::count_generation(const Job& job, bool ok) {
    stats_.record(ok, local_date_of(Clock::now()).to_string());
    metrics_.record(trigger_of(job), ok ? GenerationResult::ok : GenerationResult::failed);
}

void Bot::count_cancelled(const Job& job, int generations) {
    for (int i = 0; i < generations; ++i)
        metrics_.record(trigger_of(job), GenerationResult::cancelled);
}

std::optional<Bot::Made> Bot::generate_one(const Job& job, int index, int variant_group,
                                           std::set<std::filesystem::path>& used_in_batch,
                                           std::stop_token stop, std::string& failure_html,
                                           const Keep& keep) {
    const std::string& fixed_media = keep.media;
    const std::string& avoid_music = keep.avoid_music;
    failure_html.clear();
    std::set<std::filesystem::path> failed_sources;
    for (int attempt = 0; attempt < config_.max_attempts; ++attempt) {
        if (stop.stop_requested())
            return std::nullopt;
        const auto context = fmt::format("gen_{}_{}", index, attempt);
        monitor_.log_resource_usage(context + "_start");
        std::set<std::filesystem::path> exclude = used_in_batch;
        exclude.insert(failed_sources.begin(), failed_sources.end());
        // Files not probed yet are not picked; with none usable yet, probe now rather than say
        // "no memes" while the background check is still on its way.
        library_.ensure_usable(MediaRole::meme, 1, stop);
        library_.ensure_usable(MediaRole::music, 1, stop);
        auto media = fixed_media.empty() ? picker_.pick_meme(exclude)
                                         : std::optional<std::filesystem::path>(fixed_media);
        if (!media && fixed_media.empty()) {
            // A batch larger than the library: repeats are unavoidable, failed sources are not.
            media = picker_.pick_meme(failed_sources);
        }
        if (!media) {
            state_.record_problem(stage::generation_error,
                                  "no usable meme in " + config_.media_dir.string(),
                                  {{"label", job.label}, {"index", index}, {"attempt", attempt}});
            failure_html = text_.no_media();
            return std::nullopt;
        }
        const auto music = picker_.pick_music(avoid_music);
        RenderRequest request;
        request.media = *media;
        request.text_layout = library_.text_layout(*media);
        request.music = music.value_or(std::filesystem::path{});
        request.output = config_.state_dir / "work" / (CandidateStore::new_id() + ".mp4");
        request.seed = keep.seed && attempt == 0 ? *keep.seed : fresh_seed();
        request.variant_group = variant_group;
        if (attempt == 0)
            request.effects = keep.effects;
        request.width = config_.render.width;
        request.height = config_.render.height;
        request.fps = config_.render.fps;
        request.crf = config_.render.crf;
        request.preset = config_.render.preset;
        request.background = config_.render.background;
        request.font = config_.render.font;
        request.min_seconds = config_.render.min_seconds;
        request.max_seconds = config_.render.max_seconds;
        request.max_video_seconds = config_.render.max_video_seconds;
        request.max_output_bytes = std::min<std::uint64_t>(
            static_cast<std::uint64_t>(config_.render.max_output_mb) * 1000 * 1000,
            static_cast<std::uint64_t>(config_.upload_limit_mb) * 1000 * 1000);
        // Sidecars: the meme's captions, and the track's "artist — title" as the badge unless
        // the meme sets its own.
        std::string music_label;
        if (music) {
            music_label = library_.sidecar(*music, MediaRole::music).track_label();
        }
        if (config_.render.captions) {
            const auto meme_sidecar = library_.sidecar(*media, MediaRole::meme);
            request.captions.top = meme_sidecar.top.value_or("");
            request.captions.bottom = meme_sidecar.bottom.value_or("");
            request.captions.badge = meme_sidecar.badge.value_or(music_label);
        }
        if (music_label.empty() && music)
            music_label = music->stem().string();

        state_.record(stage::generating, {{"label", job.label},
                                          {"context", context},
                                          {"index", index},
                                          {"attempt", attempt},
                                          {"media", media->filename().string()}});
        const auto outcome = runner_.run(
            request, stop,
            [&] {
                try {
                    api_.send_chat_action(job.chat, "upload_video", stop);
                } catch (const std::exception& e) {
                    log_debug("sendChatAction failed: {}", e.what());
                }
            },
            job.ticket ? &*job.ticket : nullptr);
        monitor_.log_resource_usage(context + "_end");
        if (outcome.ok()) {
            stats_.set_last_render_peak(outcome.result->peak_rss_bytes);
            metrics_.observe_render(outcome.result->render_seconds);
            log_info("[{}] rendered {} in {:.1f} s, peak RSS {:.1f}MB", context,
                     media->filename().string(), outcome.result->render_seconds,
                     ResourceSnapshot::mib(outcome.result->peak_rss_bytes));
            state_.record(stage::completed, {{"label", job.label},
                                             {"context", context},
                                             {"index", index},
                                             {"attempt", attempt}});
            used_in_batch.insert(*media);
            return Made{*outcome.result, media->string(), request.music.string(),
                        music_label,     request.seed,    variant_group};
        }
        if (outcome.failure == RenderFailureKind::cancelled) {
            state_.record(stage::cancelled, {{"label", job.label}, {"context", context}});
            return std::nullopt;
        }
        nlohmann::json details = {
            {"label", job.label},       {"context", context},
            {"index", index},           {"attempt", attempt},
            {"media", media->string()}, {"failure", to_string(outcome.failure)}};
        if (outcome.exit_code)
            details["exit_code"] = *outcome.exit_code;
        if (outcome.signal)
            details["signal"] = *outcome.signal;
        if (outcome.last_child_sample)
            details["child_memory"] = *outcome.last_child_sample;
        log_error("[{}] render failed: {}", context, outcome.error);
        state_.record_problem(stage::generation_error, outcome.error, details);
        monitor_.log_resource_usage(context + "_error");
        // The user hears of the last attempt's cause only, and only if no attempt succeeds.
        failure_html = text_.generation_failed(escape_html(user_cause(outcome, text_)));
        failed_sources.insert(*media);
        std::error_code ec;
        std::filesystem::remove(request.output, ec);
        if (!fixed_media.empty())
            break;  // the same source would fail the same way
    }
    return std::nullopt;
}

std::optional<Candidate> Bot::send_candidate(const Made& made, const std::string& chat,
                                             const std::string& batch_id,
                                             std::string& failure_html) {
    failure_html.clear();
    Candidate c;
    c.id = CandidateStore::new_id();
    c.batch = batch_id;
    c.media = made.media;
    c.music = made.music;
    c.seed = made.seed;
    c.variant_group = made.variant_group;
    c.effects = made.result.effects;
    c.chat = chat;
    const auto& r = made.result;
    c.caption = fmt::format("🎬 {}\n🎵 {}\n⏱ {:.1f} s · {} MB · {}×{}\n✨ {}",
                            escape_html(std::filesystem::path(made.media).filename().string()),
                            made.music.empty() ? std::string("—") : escape_html(made.music_label),
                            r.duration_seconds, mb(r.size_bytes), r.width, r.height,
                            escape_html(effects_text(r.effects)));
    c.caption = truncate_html(c.caption, kMaxCaptionLength);
    VideoUpload upload;
    upload.chat_id = chat;
    upload.video = r.output;
    upload.filename = "meme.mp4";
    upload.width = r.width;
    upload.height = r.height;
    upload.duration = static_cast<int>(r.duration_seconds + 0.5);
    if (!r.thumbnail.empty() && std::filesystem::exists(r.thumbnail))
        upload.thumbnail = r.thumbnail;
    upload.caption = c.caption;
    upload.options.reply_markup = review_keyboard(c.id);
    const auto cleanup = [&] {
        std::error_code ec;
        std::filesystem::remove(r.output, ec);
        if (!r.thumbnail.empty())
            std::filesystem::remove(r.thumbnail, ec);
    };
    try {
        const auto sent = api_.send_video(upload, stop_.get_token());
        c.message_id = sent.value("message_id", std::int64_t{0});
        if (sent.contains("video") && sent["video"].contains("file_id")) {
            c.file_id = sent["video"]["file_id"].get<std::string>();
        } else if (sent.contains("document") && sent["document"].contains("file_id")) {
            c.file_id = sent["document"]["file_id"].get<std::string>();
        }
        candidates_.put(c);
        cleanup();
        return c;
    } catch (const std::exception& e) {
        cleanup();
        note_telegram_error(e, "sendVideo");
        state_.record_problem(stage::send_error, e.what(), {{"media", made.media}});
        failure_html = text_.generation_failed(escape_html(e.what()));
        return std::nullopt;
    }
}

std::filesystem::path Bot::batch_record_file() const {
    return config_.state_dir / "batch.json";
}

void Bot::write_batch_record(const Progress& progress) {
    try {
        nlohmann::json record = {{"label", progress.label},
                                 {"chat", progress.chat},
                                 {"total", progress.total},
                                 {"made", progress.done},
                                 {"failed", progress.failed}};
        if (progress.message_id)
            record["message_id"] = *progress.message_id;
        memegen::detail::write_file_atomically(batch_record_file(), record.dump(2) + "\n");
    } catch (const std::exception& e) {
        log_warning("cannot record the running batch: {}", e.what());
    }
}

void Bot::show_progress(Progress& progress, bool force) {
    if (!progress.shown)
        return;
    // The record first: a kill right after this leaves what the restart reports.
    write_batch_record(progress);
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - progress.last_edit < std::chrono::seconds(3))
        return;
    progress.last_edit = now;
    const auto text =
        text_.batch_progress(progress.done + progress.failed, progress.total, progress.failed);
    try {
        if (!progress.message_id) {
            const auto sent =
                api_.send_message(progress.chat, text, MessageOptions{}, stop_.get_token());
            progress.message_id = sent.value("message_id", std::int64_t{0});
            write_batch_record(progress);
        } else {
            api_.edit_message_text(progress.chat, *progress.message_id, text, MessageOptions{},
                                   stop_.get_token());
        }
    } catch (const TelegramError& e) {
        if (!e.is_not_modified())
            note_telegram_error(e, "progress message");
    } catch (const std::exception& e) {
        note_telegram_error(e, "progress message");
    }
}

namespace {

// A client for the last words while the bot stops: one attempt, a short timeout, and no stop
// token, so systemd's 15 s stop timeout is kept (render cancel ≤ 3 s + this ≤ 5 s).
BotApiOptions stopping_options(BotApiOptions o) {
    o.retry.max_attempts = 1;
    o.request_timeout = std::chrono::seconds(5);
    return o;
}

}  // namespace

std::optional<nlohmann::json> Bot::say_while_stopping(const std::string& chat,
                                                      const std::string& html) {
    try {
        const BotApi api(stopping_options(api_.options()));
        return api.send_message(chat, html, MessageOptions{}, {});
    } catch (const std::exception& e) {
        note_telegram_error(e, "sendMessage while stopping");
        return std::nullopt;
    }
}

void Bot::end_progress(Progress& progress, const std::string& text, bool keep_record) {
    if (!progress.shown)
        return;
    if (keep_record) {
        write_batch_record(progress);  // up to date; the next start reports it
    } else {
        std::error_code ec;
        std::filesystem::remove(batch_record_file(), ec);
    }
    try {
        const BotApi api(stopping_options(api_.options()));
        if (progress.message_id) {
            api.edit_message_text(progress.chat, *progress.message_id, text, MessageOptions{}, {});
        } else {
            api.send_message(progress.chat, text, MessageOptions{}, {});
        }
    } catch (const TelegramError& e) {
        if (!e.is_not_modified())
            note_telegram_error(e, "progress message");
    } catch (const std::exception& e) {
        note_telegram_error(e, "progress message");
    }
}

void Bot::report_interrupted_batch() {
    const auto file = batch_record_file();
    const auto read = memegen::detail::read_state_file(file);
    std::optional<std::string> problem = read.problem;
    if (read.text) {
        const auto j = nlohmann::json::parse(*read.text, nullptr, false);
        const auto is_int = [&](const char* key) {
            return j.contains(key) && j[key].is_number_integer();
        };
        if (!j.is_object() || !j.contains("label") || !j["label"].is_string() ||
            !j.contains("chat") || !j["chat"].is_string() || !is_int("total") || !is_int("made") ||
            !is_int("failed") ||
            (j.contains("message_id") && !j["message_id"].is_number_integer())) {
            problem = memegen::detail::quarantine_file(
                file, j.is_discarded() ? "it is not valid JSON" : "it is not a batch record");
        } else {
            const auto label = j["label"].get<std::string>();
            const auto made = j["made"].get<int>();
            const auto total = j["total"].get<int>();
            log_warning("the batch '{}' was interrupted ({} of {} made)", label, made, total);
            say(std::to_string(config_.owner_id),
                text_.batch_interrupted(escape_html(label), made, total));
            std::error_code ec;
            std::filesystem::remove(file, ec);
        }
    }
    if (problem) {
        log_warning("{}", *problem);
        state_.note_problem(stage::state_corrupt, *problem, {{"file", "batch.json"}});
    }
}

void Bot::run_generate(Job& job, std::stop_token stop) {
    const auto started = std::chrono::steady_clock::now();
    const bool batch = job.count > 1;
    if (batch)
        monitor_.log_resource_usage("batch_start");
    const auto batch_id = CandidateStore::new_id();
    Progress progress;
    progress.chat = job.chat;
    progress.label = job.label;
    progress.total = job.count;
    progress.shown = batch;
    show_progress(progress, true);
    std::set<std::filesystem::path> used;
    for (int index = 0; index < job.count && !stop.stop_requested(); ++index) {
        std::string failure;
        const auto made = generate_one(job, index, index % 5, used, stop, failure);
        bool sent = false;
        if (made)
            sent = send_candidate(*made, job.chat, batch_id, failure).has_value();
        if (stop.stop_requested() && !made)
            break;
        count_generation(job, sent);
        (sent ? progress.done : progress.failed) += 1;
        // One message per meme: the video, or its one failure with the cause.
        if (!sent && !failure.empty())
            say(job.chat, failure);
        show_progress(progress, false);
    }
    if (stop.stop_requested()) {
        // The bot's own stop is a shutdown; the job's alone is /cancel.
        const bool shutdown = stop_.stop_requested();
        count_cancelled(job, job.count - progress.done - progress.failed);
        const auto stopped = text_.batch_stopped(shutdown, progress.done, job.count);
        if (batch) {
            end_progress(progress, stopped, shutdown);
        } else if (shutdown) {
            say_while_stopping(job.chat, stopped);
        }
        if (!shutdown)
            say(job.chat, text_.cancelled());
        state_.record(stage::cancelled, {{"label", job.label},
                                         {"ok", progress.done},
                                         {"failed", progress.failed},
                                         {"by", shutdown ? "shutdown" : "cancel"}});
    } else if (batch) {
        end_progress(
            progress,
            text_.batch_progress(progress.done + progress.failed, job.count, progress.failed),
            false);
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
        say(job.chat, text_.batch_summary(progress.done, progress.failed, seconds));
        state_.record(stage::idle,
                      {{"label", job.label}, {"ok", progress.done}, {"failed", progress.failed}});
    } else {
        state_.record(stage::idle, {{"label", job.label}});
    }
    if (batch)
        monitor_.log_resource_usage("batch_end");
}

void Bot::run_scheduled(Job& job, std::stop_token stop) {
    monitor_.log_resource_usage("scheduled_start");
    const auto batch_id =
        job.kind == JobKind::regenerate_all ? job.batch_id : CandidateStore::new_id();
    if (job.kind == JobKind::regenerate_all) {
        // The old candidates of that batch are replaced: their buttons become stale.
        for (const auto& c : candidates_.batch(job.batch_id)) {
            if (c.status == "review")
                candidates_.transition(c.id, "review", "replaced");
        }
    }
    // Acknowledged at once: the progress message, as for /generate N.
    Progress progress;
    progress.chat = job.chat;
    progress.label = job.label;
    progress.total = job.count;
    progress.shown = true;
    show_progress(progress, true);
    std::set<std::filesystem::path> used;
    std::vector<Made> made;
    std::vector<std::string> failures;
    int failed = 0;
    for (int index = 0; index < job.count && !stop.stop_requested(); ++index) {
        // Different variant groups make candidates of one job look different.
        std::string failure;
        if (auto m = generate_one(job, index, index % 5, used, stop, failure)) {
            made.push_back(std::move(*m));
            ++progress.done;
        } else if (!stop.stop_requested()) {
            ++failed;
            ++progress.failed;
            count_generation(job, false);
            if (!failure.empty())
                failures.push_back(std::move(failure));
        }
        show_progress(progress, false);
    }
    bool any_sent = false;
    if (config_.auto_publish && config_.channel && !made.empty() && !stop.stop_requested()) {
        end_progress(progress,
                     text_.batch_progress(progress.done + progress.failed, job.count, failed),
                     false);
        VideoUpload upload;
        upload.chat_id = config_.channel->to_string();
        upload.video = made.front().result.output;
        upload.filename = "meme.mp4";
        upload.width = made.front().result.width;
        upload.height = made.front().result.height;
        upload.duration = static_cast<int>(made.front().result.duration_seconds + 0.5);
        if (std::filesystem::exists(made.front().result.thumbnail))
            upload.thumbnail = made.front().result.thumbnail;
        try {
            api_.send_video(upload, stop_.get_token());
            any_sent = true;
            count_generation(job, true);
        } catch (const std::exception& e) {
            note_telegram_error(e, "auto-publish");
            state_.record_problem(stage::send_error, e.what(), {{"label", job.label}});
        }
        for (const auto& m : made) {
            std::error_code ec;
            std::filesystem::remove(m.result.output, ec);
            std::filesystem::remove(m.result.thumbnail, ec);
        }
    } else if (!stop.stop_requested()) {
        // The progress message becomes the intro of the candidates below it.
        end_progress(progress,
                     made.empty() ? text_.batch_progress(failed, job.count, failed)
                                  : text_.scheduled_intro(static_cast<int>(made.size())),
                     false);
        for (const auto& failure : failures)
            say(job.chat, failure);
        for (const auto& m : made) {
            std::string failure;
            const bool sent = send_candidate(m, job.chat, batch_id, failure).has_value();
            any_sent = any_sent || sent;
            count_generation(job, sent);
            if (!sent && !failure.empty())
                say(job.chat, failure);
        }
        if (any_sent) {
            say(job.chat, text_.scheduled_done(static_cast<int>(made.size()), failed),
                nlohmann::json{{"inline_keyboard",
                                {{{{"text", text_.button_regenerate_all()},
                                   {"callback_data", "a:" + batch_id}}}}}});
        }
    }
    if (job.slot) {
        std::lock_guard lock(scheduler_mutex_);
        if (scheduler_) {
            scheduler_->mark(*job.slot, stop.stop_requested() ? SlotStatus::failed
                                        : any_sent            ? SlotStatus::done
                                                              : SlotStatus::failed);
        }
    }
    if (stop.stop_requested()) {
        const bool shutdown = stop_.stop_requested();
        // Candidates made but not sent, and those never made, were cancelled.
        if (!any_sent)
            count_cancelled(job, job.count - failed);
        end_progress(progress,
                     text_.batch_stopped(shutdown, static_cast<int>(made.size()), job.count),
                     shutdown);
        for (const auto& m : made) {
            std::error_code ec;
            std::filesystem::remove(m.result.output, ec);
            std::filesystem::remove(m.result.thumbnail, ec);
        }
        if (!shutdown)
            say(job.chat, text_.cancelled());
        state_.record(stage::cancelled,
                      {{"label", job.label}, {"by", shutdown ? "shutdown" : "cancel"}});
    } else {
        state_.record(stage::idle, {{"label", job.label}, {"ok", made.size()}, {"failed", failed}});
    }
    monitor_.log_resource_usage("scheduled_end");
}

void Bot::run_replace(Job& job, std::stop_token stop) {
    const auto old = candidates_.get(job.candidate_id);
    if (!old || old->status == "replaced") {
        say(job.chat, text_.stale_button());
        return;
    }
    std::set<std::filesystem::path> used;
    std::optional<Made> made;
    std::string failure;
    if (job.kind == JobKind::change_track) {
        // Only the music changes: the same meme, seed, variant group and effects.
        Keep keep;
        keep.media = old->media;
        keep.avoid_music = old->music;
        keep.seed = old->seed;
        keep.effects = old->effects;
        made = generate_one(job, 0, old->variant_group, used, stop, failure, keep);
    } else {
        used.insert(old->media);  // a new meme in its place, not the same one
        made = generate_one(job, 0, (old->variant_group + 1) % 5, used, stop, failure);
    }
    if (!made) {
        if (stop.stop_requested()) {
            count_cancelled(job, 1);
            if (stop_.stop_requested()) {
                say_while_stopping(job.chat, text_.batch_stopped(true, 0, 1));
            } else {
                say(job.chat, text_.cancelled());
            }
        } else {
            count_generation(job, false);
            if (!failure.empty())
                say(job.chat, failure);
        }
        return;
    }
    const auto sent = send_candidate(*made, old->chat, old->batch, failure);
    count_generation(job, sent.has_value());
    if (!sent && !failure.empty())
        say(job.chat, failure);
    if (sent && candidates_.transition(old->id, "review", "replaced")) {
        try {
            api_.edit_message_reply_markup(old->chat, old->message_id, std::nullopt,
                                           stop_.get_token());
        } catch (const TelegramError& e) {
            if (!e.is_not_modified())
                note_telegram_error(e, "editMessageReplyMarkup");
        }
    }
    state_.record(stage::idle, {{"label", job.label}});
}

// ---------------------------------------------------------------- scheduler

void Bot::scheduler_loop(std::stop_token stop) {
    std::mutex sleep_mutex;
    std::condition_variable_any sleeper;
    while (!stop.stop_requested()) {
        std::optional<SlotId> due;
        std::chrono::seconds sleep_for{30};
        {
            std::lock_guard lock(scheduler_mutex_);
            if (!scheduler_ || config_.daily_generations == 0)
                return;
            const auto now = Clock::now();
            const auto slots = scheduler_->due(now);
            if (!slots.empty()) {
                due = slots.front();
                scheduler_->mark(*due, SlotStatus::running);
            } else if (const auto next = scheduler_->next_slot(now)) {
                sleep_for =
                    std::clamp(std::chrono::duration_cast<std::chrono::seconds>(*next - now),
                               std::chrono::seconds(1), std::chrono::seconds(30));
            }
        }
        if (due) {
            Job job;
            job.kind = JobKind::scheduled;
            job.count = config_.candidates;
            job.chat = config_.review_chat.to_string();
            job.label = text_.ru() ? "плановая генерация" : "scheduled job";
            job.slot = due;
            const auto wait = std::chrono::minutes(config_.scheduled_wait_minutes);
            auto acquired = guard_.acquire(job.label, wait, stop);
            if (acquired) {
                job.ticket.emplace(acquired.take());
                {
                    std::lock_guard lock(jobs_mutex_);
                    jobs_.push_back(std::move(job));
                }
                jobs_cv_.notify_all();
            } else if (!stop.stop_requested()) {
                const auto holder =
                    acquired.holder() ? acquired.holder()->label : std::string("unknown");
                log_warning("scheduled job skipped: the guard stayed held by '{}' for {} min",
                            holder, config_.scheduled_wait_minutes);
                state_.record_problem(
                    stage::batch_error,
                    fmt::format("scheduled job skipped: the generation lock stayed "
                                "held by '{}' for {} min",
                                holder, config_.scheduled_wait_minutes),
                    {{"label", "scheduled job"}});
                {
                    std::lock_guard lock(scheduler_mutex_);
                    scheduler_->mark(*due, SlotStatus::skipped);
                }
                say(std::to_string(config_.owner_id),
                    text_.scheduled_gave_up(config_.scheduled_wait_minutes, escape_html(holder)));
            } else {
                std::lock_guard lock(scheduler_mutex_);
                scheduler_->mark(*due, SlotStatus::pending);
            }
            continue;
        }
        std::unique_lock lock(sleep_mutex);
        sleeper.wait_for(lock, stop, sleep_for, [] { return false; });
    }
}

// ---------------------------------------------------------------- intake side

void Bot::queue_upload(const nlohmann::json& message, const std::string& chat) {
    if (!config_.library.uploads) {
        say(chat, text_.uploads_disabled());
        return;
    }
    {
        std::lock_guard lock(intake_mutex_);
        // Bounded: a flood of files waits in Telegram, not in our memory.
        if (intake_.size() >= 100) {
            say(chat, text_.upload_refused(text_.ru() ? "слишком много файлов в очереди"
                                                      : "too many files are waiting"));
            return;
        }
        intake_.push_back(message);
    }
    intake_cv_.notify_all();
}

void Bot::intake_loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
        nlohmann::json message;
        {
            std::unique_lock lock(intake_mutex_);
            intake_cv_.wait(lock, stop, [this] { return !intake_.empty(); });
            if (intake_.empty())
                return;
            message = std::move(intake_.front());
            intake_.pop_front();
        }
        try {
            take_upload(message);
        } catch (const std::exception& e) {
            log_error("a file sent to the bot could not be handled: {}", redact(e.what()));
            say(chat_of(message), text_.upload_refused(escape_html(redact(e.what()))));
        }
    }
}

void Bot::take_upload(const nlohmann::json& message) {
    const auto chat = chat_of(message);
    const auto stop = stop_.get_token();
    // Which file, for which library, under which name (sanitised later).
    struct Sent {
        nlohmann::json file;
        MediaRole role = MediaRole::meme;
        std::string name;
    };
    std::optional<Sent> sent;
    const auto unique = [](const nlohmann::json& f) {
        return f.value("file_unique_id", std::string("file"));
    };
    const auto named = [](const nlohmann::json& f, const std::string& fallback) {
        const auto name = f.value("file_name", std::string{});
        return name.empty() ? fallback : name;
    };
    if (message.contains("photo") && message["photo"].is_array() && !message["photo"].empty()) {
        const auto& best = message["photo"].back();  // sizes come smallest first
        sent = Sent{best, MediaRole::meme, "photo_" + unique(best) + ".jpg"};
    } else if (message.contains("animation")) {
        const auto& f = message["animation"];
        sent = Sent{f, MediaRole::meme, named(f, "animation_" + unique(f) + ".mp4")};
    } else if (message.contains("video")) {
        const auto& f = message["video"];
        sent = Sent{f, MediaRole::meme, named(f, "video_" + unique(f) + ".mp4")};
    } else if (message.contains("video_note")) {
        const auto& f = message["video_note"];
        sent = Sent{f, MediaRole::meme, "video_note_" + unique(f) + ".mp4"};
    } else if (message.contains("audio")) {
        const auto& f = message["audio"];
        sent = Sent{f, MediaRole::music, named(f, "audio_" + unique(f) + ".mp3")};
    } else if (message.contains("voice")) {
        const auto& f = message["voice"];
        sent = Sent{f, MediaRole::music, "voice_" + unique(f) + ".ogg"};
    } else if (message.contains("document")) {
        const auto& f = message["document"];
        const auto name = named(f, "document_" + unique(f));
        const auto mime = f.value("mime_type", std::string{});
        if (mime.starts_with("image/") || mime.starts_with("video/")) {
            sent = Sent{f, MediaRole::meme, name};
        } else if (mime.starts_with("audio/")) {
            sent = Sent{f, MediaRole::music, name};
        } else if (const auto kind = media_kind_of(name); kind != MediaKind::unknown) {
            sent = Sent{f, kind == MediaKind::audio ? MediaRole::music : MediaRole::meme, name};
        }
    }
    if (!sent || !sent->file.contains("file_id")) {
        say(chat, text_.upload_unsupported());
        return;
    }
    const auto who = message.contains("from") ? who_of(message["from"]) : std::string("?");
    const std::uint64_t limit =
        static_cast<std::uint64_t>(config_.library.max_upload_mb) * 1000 * 1000;
    const auto too_large = [&](std::uint64_t bytes) {
        log_info("refused a file {} from {}: above library.max_upload_mb",
                 bytes > 0 ? fmt::format("of {} bytes", bytes) : std::string("(download cut)"),
                 who);
        say(chat, text_.upload_too_large(bytes / 1e6, config_.library.max_upload_mb));
    };
    // The size Telegram states is checked before anything is downloaded.
    const auto stated = sent->file.value("file_size", std::int64_t{0});
    if (stated > 0 && static_cast<std::uint64_t>(stated) > limit) {
        too_large(static_cast<std::uint64_t>(stated));
        return;
    }
    const auto& library = library_.library(sent->role);
    const auto download = library.root() / (".incoming-" + CandidateStore::new_id());
    try {
        const auto info = api_.get_file(sent->file["file_id"].get<std::string>(), stop);
        if (info.file_size && static_cast<std::uint64_t>(*info.file_size) > limit) {
            too_large(static_cast<std::uint64_t>(*info.file_size));
            return;
        }
        if (info.file_path.empty()) {
            say(chat, text_.upload_refused(text_.ru() ? "Telegram не дал ссылку на файл"
                                                      : "Telegram gave no download path"));
            return;
        }
        // The limit holds while downloading too: a stated size may be missing or wrong.
        api_.download_file(info.file_path, download, limit, stop);
    } catch (const TelegramError& e) {
        std::error_code ec;
        std::filesystem::remove(download, ec);
        if (e.kind() == TelegramError::Kind::limit_exceeded) {
            too_large(0);  // stopped mid-download: the real size is unknown
            return;
        }
        note_telegram_error(e, "downloading a sent file");
        say(chat, text_.upload_refused(escape_html(redact(e.what()))));
        return;
    } catch (const std::exception& e) {
        std::error_code ec;
        std::filesystem::remove(download, ec);
        log_error("cannot download a sent file into {}: {}", library.root().string(),
                  redact(e.what()));
        say(chat, text_.upload_refused(escape_html(redact(e.what()))));
        return;
    }
    // Where it came from, in a sidecar of its own (library-sidecar.md); a caption is its title.
    nlohmann::json sidecar = {{"source", "sent to the bot by " + who}};
    const auto caption = message.value("caption", std::string{});
    if (!caption.empty() && caption.size() <= SidecarLimits::max_text_bytes &&
        std::none_of(caption.begin(), caption.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        sidecar["title"] = caption;
    }
    const auto admitted = library_.admit(download, sent->role, sent->name, stop, sidecar);
    if (!admitted.ok) {
        say(chat, text_.upload_refused(escape_html(admitted.reason)));
        return;
    }
    const auto& i = *admitted.info;
    say(chat, text_.upload_added(sent->role == MediaRole::music,
                                 escape_html(admitted.file.filename().string()),
                                 text_.upload_facts(to_string(i.kind), i.width, i.height,
                                                    i.duration_seconds, i.size_bytes)));
}

// ---------------------------------------------------------------- subreddit sources

void Bot::reddit_loop(std::stop_token stop) {
    const auto loaded = load_reddit_sources(config_.reddit.sources_file);
    if (!loaded.ok()) {
        // load_config() checked the file; it changed since. Say so once and stay local.
        for (const auto& p : loaded.problems)
            log_error("reddit: {}", p.to_string());
        state_.record_problem("source_error", loaded.problems.front().to_string(),
                              {{"label", "subreddit sources"}});
        return;
    }
    {
        std::lock_guard lock(reddit_mutex_);
        reddit_.emplace(loaded.config);
        const auto file = config_.state_dir / "reddit_history.json";
        const auto read = memegen::detail::read_state_file(file);
        std::optional<std::string> problem = read.problem;
        if (read.text) {
            const auto j = nlohmann::json::parse(*read.text, nullptr, false);
            if (!j.is_array() || !std::all_of(j.begin(), j.end(),
                                              [](const auto& item) { return item.is_string(); })) {
                problem = memegen::detail::quarantine_file(
                    file,
                    j.is_discarded() ? "it is not valid JSON" : "it is not a list of used posts");
            } else {
                for (const auto& item : j)
                    remember_reddit_source(item.get<std::string>());
            }
        }
        if (problem) {
            log_warning("reddit: {}; starting with an empty history", *problem);
            state_.note_problem(stage::state_corrupt, *problem, {{"file", "reddit_history.json"}});
        }
    }
    std::mutex wait_mutex;
    std::condition_variable_any wait_cv;
    while (!stop.stop_requested()) {
        try {
            fetch_reddit_memes(stop);
        } catch (const std::exception& e) {
            // A state file that cannot be written must not end the bot from this thread.
            log_error("reddit: {}", e.what());
        }
        std::unique_lock lock(wait_mutex);
        wait_cv.wait_for(lock, stop, std::chrono::minutes(config_.reddit.fetch_minutes),
                         [] { return false; });
    }
}

void Bot::fetch_reddit_memes(std::stop_token stop) {
    // Downloads land in a hidden directory inside the meme library: the scan skips it, and
    // admit() moves a file that passes the probe into the library with a rename.
    const auto cache = config_.media_dir / ".reddit-incoming";
    int added = 0;
    for (int i = 0; i < config_.reddit.fetch_count && !stop.stop_requested(); ++i) {
        std::set<std::string> used;
        {
            std::lock_guard lock(reddit_mutex_);
            used = reddit_used_;
        }
        auto result = reddit_->fetch_one(cache, used, stop);
        if (!result.meme) {
            if (!result.problems.empty() && !stop.stop_requested()) {
                // Visible in /status; the local library carries on.
                state_.record_problem("source_error", result.problems.back().to_string(),
                                      {{"label", "subreddit sources"}});
            }
            break;
        }
        const auto& meme = *result.meme;
        {
            // Taken even if the probe refuses it below: a broken post is not tried again.
            std::lock_guard lock(reddit_mutex_);
            remember_reddit_source(meme.source_url);
            remember_reddit_source(meme.media_url);
        }
        save_reddit_history();
        const auto admission = library_.admit(
            meme.path, MediaRole::meme, "reddit_" + meme.subreddit + "_" + meme.post_id, stop,
            nlohmann::json{{"source", meme.source_url}, {"title", meme.title}});
        if (admission.ok) {
            ++added;
            log_info("reddit: added {} from r/{} ({})", admission.file.filename().string(),
                     meme.subreddit, meme.source_url);
        } else if (!stop.stop_requested()) {
            state_.record_problem("source_error",
                                  fmt::format("r/{}: {} was refused: {}", meme.subreddit,
                                              meme.media_url, admission.reason),
                                  {{"label", "subreddit sources"}});
        }
    }
    if (added > 0)
        log_info("reddit: {} meme(s) joined the library", added);
}

void Bot::remember_reddit_source(const std::string& url) {
    // Bounded: a listing holds at most 100 posts, so the last 10000 URLs cover any page the
    // bot can still see, and the history does not grow for the life of the bot.
    constexpr std::size_t kMaxRemembered = 10000;
    if (url.empty() || !reddit_used_.insert(url).second)
        return;
    reddit_order_.push_back(url);
    while (reddit_order_.size() > kMaxRemembered) {
        reddit_used_.erase(reddit_order_.front());
        reddit_order_.pop_front();
    }
}

void Bot::save_reddit_history() {
    nlohmann::json j = nlohmann::json::array();
    {
        std::lock_guard lock(reddit_mutex_);
        for (const auto& url : reddit_order_)
            j.push_back(url);
    }
    try {
        memegen::detail::write_file_atomically(config_.state_dir / "reddit_history.json",
                                               j.dump(1) + "\n");
    } catch (const std::exception& e) {
        log_warning("reddit: cannot save the history: {}", e.what());
    }
}

}  // namespace memegen::bot
