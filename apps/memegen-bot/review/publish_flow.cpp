#include "review/publish_flow.hpp"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include <memegen/log.hpp>

#include "commands/callback_codec.hpp"
#include "config/publish_template.hpp"
#include "generation/captions_drawn.hpp"
#include "review/stale_press.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;

struct PublishFlow::Worker {
    std::unique_ptr<publish::Publisher> publisher;
    std::string name;  // publisher->target(), kept as a string for map keys
    std::mutex mutex;
    std::condition_variable_any wake;
    std::deque<std::string> queue;  // candidate ids
    std::jthread thread;
};

namespace {

bool unfinished(const TargetState& t) {
    return t.state == "queued" || t.state == "uploading";
}

std::string utc_now() {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// Uploads report every few percent; an edit each time would hit Telegram's per-chat limit.
constexpr int kProgressStep = 10;
constexpr auto kProgressEvery = std::chrono::seconds(3);

}  // namespace

PublishFlow::PublishFlow(const BotConfig& config, const Messages& text, Replies& replies,
                         CandidateStore& candidates, CrashStateStore& state, CandidateFiles& files,
                         publish::PublishJournal& journal)
    : config_(config),
      text_(text),
      replies_(replies),
      candidates_(candidates),
      state_(state),
      files_(files),
      journal_(journal) {}

PublishFlow::~PublishFlow() {
    stop();
}

void PublishFlow::add(std::unique_ptr<publish::Publisher> publisher) {
    auto w = std::make_unique<Worker>();
    w->name = std::string(publisher->target());
    w->publisher = std::move(publisher);
    workers_.push_back(std::move(w));
}

bool PublishFlow::keeps_files() const {
    for (const auto& w : workers_) {
        if (w->publisher->needs_video_file())
            return true;
    }
    return false;
}

void PublishFlow::start(std::stop_token stop) {
    for (auto& w : workers_) {
        w->thread = std::jthread([this, &w = *w, stop](std::stop_token own) {
            std::stop_source both;
            std::stop_callback a(stop, [&] { both.request_stop(); });
            std::stop_callback b(own, [&] { both.request_stop(); });
            work(w, both.get_token());
        });
    }
    // What a stopped run left queued or uploading: the journal resumes it or refuses to post
    // twice.
    for (const auto& c : candidates_.all()) {
        if (c.status != CandidateStatus::publishing)
            continue;
        for (const auto& [target, t] : c.targets) {
            if (unfinished(t) && worker(target) != nullptr) {
                log_info("resuming the publication of candidate {} to {}", c.id, target);
                enqueue(target, c.id);
            }
        }
    }
}

void PublishFlow::stop() {
    for (auto& w : workers_) {
        if (w->thread.joinable()) {
            w->thread.request_stop();
            w->thread.join();
        }
    }
}

std::vector<std::string> PublishFlow::default_targets() const {
    std::vector<std::string> out;
    for (const auto& name : config_.publish.default_targets) {
        for (const auto& w : workers_) {
            const bool match = w->name == name || w->name.starts_with(name + ":");
            if (match && std::find(out.begin(), out.end(), w->name) == out.end())
                out.push_back(w->name);
        }
    }
    return out;
}

PublishFlow::Worker* PublishFlow::worker(const std::string& target) {
    for (auto& w : workers_) {
        if (w->name == target)
            return w.get();
    }
    return nullptr;
}

void PublishFlow::enqueue(const std::string& target, const std::string& candidate_id) {
    Worker* w = worker(target);
    if (w == nullptr)
        return;
    {
        std::lock_guard lock(idle_mutex_);
        ++pending_;
    }
    {
        std::lock_guard lock(w->mutex);
        w->queue.push_back(candidate_id);
    }
    w->wake.notify_one();
}

bool PublishFlow::wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(idle_mutex_);
    return idle_.wait_for(lock, timeout, [&] { return pending_ == 0; });
}

void PublishFlow::work(Worker& w, std::stop_token stop) {
    while (!stop.stop_requested()) {
        std::string id;
        {
            std::unique_lock lock(w.mutex);
            if (!w.wake.wait(lock, stop, [&] { return !w.queue.empty(); }))
                return;
            id = w.queue.front();
            w.queue.pop_front();
        }
        try {
            run_one(w, id, stop);
        } catch (const std::exception& e) {
            log_error("publishing candidate {} to {} failed: {}", id, w.name, e.what());
        }
        {
            std::lock_guard lock(idle_mutex_);
            --pending_;
        }
        idle_.notify_all();
    }
}

publish::PublishItem PublishFlow::item_of(const Candidate& c, const Worker& w) const {
    const auto sidecar = meme_sidecar_ ? meme_sidecar_(c.media) : SidecarInfo{};
    const auto drawn = captions_drawn(config_.render.captions, sidecar, c.captions);
    TemplateValues values;
    values.source = fs::path(c.media).stem().string();
    values.track = !c.track.empty()  ? c.track
                   : c.music.empty() ? std::string("—")
                                     : fs::path(c.music).stem().string();
    values.captions = drawn.top;
    if (!drawn.top.empty() && !drawn.bottom.empty())
        values.captions += ' ';
    values.captions += drawn.bottom;
    std::replace(values.captions.begin(), values.captions.end(), '\n', ' ');  // one line
    // An empty placeholder at either end leaves no blank line or space there.
    const auto fill = [&](const std::string& templ) {
        auto text = fill_template(templ, values);
        const auto first = text.find_first_not_of(" \n");
        if (first == std::string::npos)
            return std::string();
        return text.substr(first, text.find_last_not_of(" \n") + 1 - first);
    };
    publish::PublishItem item;
    item.candidate_id = c.id;
    item.file_id = c.file_id;
    if (w.publisher->needs_video_file()) {
        item.video = files_.video(c.id);
        if (fs::exists(files_.thumbnail(c.id)))
            item.thumbnail = files_.thumbnail(c.id);
    }
    const auto& yt = config_.publish.youtube;
    item.title = fill(yt.title_template);
    item.description = fill(yt.description_template);
    item.tags = yt.tags;
    item.tags.insert(item.tags.end(), sidecar.tags.begin(), sidecar.tags.end());
    item.caption = fill(config_.publish.x.text_template);
    return item;
}

void PublishFlow::run_one(Worker& w, const std::string& id, const std::stop_token& stop) {
    const auto c = candidates_.update(id, [&](Candidate& c) {
        const auto it = c.targets.find(w.name);
        if (it == c.targets.end() || !unfinished(it->second))
            return false;
        it->second.state = "uploading";
        return true;
    });
    if (!c || c->targets.count(w.name) == 0 || c->targets.at(w.name).state != "uploading")
        return;
    show_report(id);
    auto last = std::chrono::steady_clock::now();
    int shown = 0;
    const auto progress = [&](std::uint64_t sent, std::uint64_t total) {
        if (total == 0)
            return;
        const int percent = static_cast<int>(sent * 100 / total);
        const auto now = std::chrono::steady_clock::now();
        if (percent >= 100 || percent - shown < kProgressStep || now - last < kProgressEvery)
            return;
        shown = percent;
        last = now;
        {
            std::lock_guard lock(progress_mutex_);
            progress_[{id, w.name}] = percent;
        }
        show_report(id);
    };
    const auto outcome = w.publisher->publish(item_of(*c, w), stop, progress);
    {
        std::lock_guard lock(progress_mutex_);
        progress_.erase({id, w.name});
    }
    // A shutdown: the target stays "uploading" and the next start takes it up again.
    if (!outcome.ok && stop.stop_requested())
        return;
    candidates_.update(id, [&](Candidate& c) {
        auto& t = c.targets[w.name];
        t.state = outcome.ok ? "done" : "failed";
        t.url = outcome.url;
        t.error = outcome.error;
        t.needs_reauth = outcome.needs_reauth;
        t.at = outcome.ok ? utc_now() : std::string{};
        t.note = outcome.note;
        return true;
    });
    if (outcome.ok) {
        log_info("published candidate {} to {}{}", id, w.name,
                 outcome.url.empty() ? std::string{} : " at " + outcome.url);
    } else {
        state_.record_problem(stage::publish_error, outcome.error,
                              {{"target", w.name}, {"label", "publish " + id}});
    }
    finish(id);
}

// After a target ended: once every target is done the candidate is published and its kept
// files go; the review message shows the new state either way.
void PublishFlow::finish(const std::string& id) {
    bool file_needed = false;
    const auto c = candidates_.update(id, [&](Candidate& c) {
        bool all_done = true;
        for (const auto& [target, t] : c.targets) {
            if (t.state != "done") {
                all_done = false;
                const Worker* w = worker(target);
                if (w == nullptr || w->publisher->needs_video_file())
                    file_needed = true;
            }
        }
        if (!all_done || c.status != CandidateStatus::publishing)
            return false;
        c.status = CandidateStatus::published;
        c.published_at = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        return true;
    });
    if (c && !file_needed)
        files_.release(id);
    show_report(id);
}

std::string PublishFlow::target_lines(const Candidate& c) {
    std::string out;
    for (const auto& w : workers_) {
        const auto it = c.targets.find(w->name);
        if (it == c.targets.end())
            continue;
        const auto& t = it->second;
        const auto label = escape_html(w->publisher->label());
        if (!out.empty())
            out += "\n";
        if (t.state == "done") {
            out += text_.publish_done(label, escape_html(t.url));
            out += text_.publish_note(escape_html(t.note));
        } else if (t.state == "failed") {
            out += text_.publish_failed(label, escape_html(publish::reason_of(t.error)));
            if (t.needs_reauth)
                out += text_.reconnect_hint(escape_html(publish::reconnect_command(w->name)));
        } else {
            int percent = -1;
            {
                std::lock_guard lock(progress_mutex_);
                if (const auto p = progress_.find({c.id, w->name}); p != progress_.end())
                    percent = p->second;
            }
            out += percent >= 0             ? text_.publish_progress(label, percent)
                   : t.state == "uploading" ? text_.publish_uploading(label)
                                            : text_.publish_queued(label);
        }
    }
    return out;
}

std::string PublishFlow::caption_html(const Candidate& c) {
    // A caption holds 1024 characters: the target lines come first (a long failure reason is
    // cut, its whole text is in /status and the log), the review caption gets what is left.
    const auto lines = truncate_html(target_lines(c), kMaxCaptionLength / 2);
    if (lines.empty())
        return c.caption;
    const auto room = kMaxCaptionLength - html_text_length(lines) - 2;
    const auto head = truncate_html(c.caption, room);
    return head.empty() ? lines : head + "\n\n" + lines;
}

// Failed targets get a Retry each; once every target is done the review buttons are one
// "Published" button; while uploads run there is nothing to press.
std::optional<nlohmann::json> PublishFlow::review_keyboard(const Candidate& c) const {
    if (c.status == CandidateStatus::published) {
        return nlohmann::json{
            {"inline_keyboard",
             {{{{"text", text_.button_published()},
                {"callback_data", encode_callback({ReviewAction::published, c.id})}}}}}};
    }
    auto rows = nlohmann::json::array();
    for (const auto& w : workers_) {
        const auto it = c.targets.find(w->name);
        if (it == c.targets.end() || it->second.state != "failed")
            continue;
        rows.push_back(
            {{{"text", text_.button_retry(w->publisher->label())},
              {"callback_data", encode_callback({ReviewAction::retry_target, c.id, w->name})}}});
    }
    if (rows.empty())
        return std::nullopt;
    return nlohmann::json{{"inline_keyboard", rows}};
}

void PublishFlow::show_report(const std::string& id) {
    std::lock_guard lock(report_mutex_);
    const auto c = candidates_.get(id);
    if (!c || c->message_id == 0)
        return;
    replies_.edit_caption(c->chat, c->message_id, caption_html(*c), review_keyboard(*c));
}

void PublishFlow::publish(const ButtonPress& press) {
    const auto& id = press.callback.target;
    const auto candidate = candidates_.get(id);
    if (const auto refusal = stale_press(candidate, text_)) {
        replies_.answer(press.id, *refusal);
        return;
    }
    const auto targets = default_targets();
    if (targets.empty()) {
        replies_.answer(press.id, text_.no_channel(), true);
        return;
    }
    start_publishing(press.id, *candidate, targets);
}

void PublishFlow::publish_now(const std::string& id) {
    const auto candidate = candidates_.get(id);
    const auto targets = default_targets();
    if (!candidate || targets.empty())
        return;
    log_info("auto_publish: publishing candidate {} without review", id);
    start_publishing(std::nullopt, *candidate, targets);
}

void PublishFlow::start_publishing(const std::optional<std::string>& press_id,
                                   const Candidate& candidate,
                                   const std::vector<std::string>& targets) {
    const auto& id = candidate.id;
    if (dry_run_ != nullptr && dry_run_->on()) {
        answer_dry_run(press_id, candidate, targets);
        return;
    }
    // review → publishing happens once, so a double press cannot post twice.
    if (!candidates_.transition(id, CandidateStatus::review, CandidateStatus::publishing)) {
        if (press_id)
            replies_.answer(*press_id, text_.already_published());
        return;
    }
    candidates_.update(id, [&](Candidate& c) {
        for (const auto& t : targets) {
            if (c.targets.count(t) == 0)
                c.targets[t] = TargetState{"queued", {}, {}, false, {}};
        }
        return true;
    });
    if (press_id)
        replies_.answer(*press_id, text_.publishing(static_cast<int>(targets.size())));
    show_report(id);
    for (const auto& t : targets)
        enqueue(t, id);
}

// What Publish would do, said in the review chat; no state changes.
void PublishFlow::answer_dry_run(const std::optional<std::string>& press_id, const Candidate& c,
                                 const std::vector<std::string>& targets) {
    std::string lines;
    for (const auto& target : targets) {
        const Worker* w = worker(target);
        const auto what = escape_html(w->publisher->preview(item_of(c, *w)));
        if (!lines.empty())
            lines += "\n";
        lines += text_.dry_run_target(escape_html(w->publisher->label()), what);
    }
    if (press_id)
        replies_.answer(*press_id, text_.dry_run_toast());
    replies_.say(c.chat,
                 text_.dry_run_report(escape_html(fs::path(c.media).filename().string()), lines));
}

std::string PublishFlow::history_html(int count) {
    std::vector<std::pair<std::string, Candidate>> published;  // (newest "at", candidate)
    for (auto& c : candidates_.all()) {
        std::string newest;
        for (const auto& [target, t] : c.targets) {
            if (t.state == "done" && t.at > newest)
                newest = t.at;
        }
        if (!newest.empty())
            published.emplace_back(newest, std::move(c));
    }
    if (published.empty())
        return text_.history_empty();
    std::sort(published.begin(), published.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    if (published.size() > static_cast<std::size_t>(count))
        published.resize(static_cast<std::size_t>(count));
    std::string out = text_.history_title(static_cast<int>(published.size()));
    for (const auto& [when, c] : published) {
        std::string links;
        for (const auto& [target, t] : c.targets) {
            if (t.state != "done")
                continue;
            const Worker* w = worker(target);
            const auto label = escape_html(w != nullptr ? w->publisher->label() : target);
            if (!links.empty())
                links += "\n";
            links += t.url.empty()
                         ? "• " + label
                         : fmt::format("• <a href=\"{}\">{}</a>", escape_html(t.url), label);
        }
        // "2026-12-01T06:40:01Z" → "2026-12-01 06:40 UTC"
        const auto shown =
            when.size() >= 16 ? when.substr(0, 10) + " " + when.substr(11, 5) + " UTC" : when;
        out += text_.history_entry(
            shown, escape_html(fs::path(c.media).filename().string()),
            escape_html(!c.track.empty()  ? c.track
                        : c.music.empty() ? std::string("—")
                                          : fs::path(c.music).filename().string()),
            links);
    }
    return truncate_html(out, 4096);
}

nlohmann::json PublishFlow::choice_keyboard(const std::string& id, unsigned selection) const {
    auto rows = nlohmann::json::array();
    for (std::size_t i = 0; i < workers_.size() && i < 32; ++i) {
        const bool chosen = (selection >> i) & 1u;
        rows.push_back(
            {{{"text", text_.button_target(workers_[i]->publisher->label(), chosen)},
              {"callback_data",
               encode_callback({ReviewAction::toggle_target, id, {}, selection ^ (1u << i)})}}});
    }
    rows.push_back(
        {{{"text", text_.button_publish_selected()},
          {"callback_data", encode_callback({ReviewAction::publish_selected, id, {}, selection})}},
         {{"text", text_.button_cancel()},
          {"callback_data", encode_callback({ReviewAction::cancel_choice, id})}}});
    return {{"inline_keyboard", rows}};
}

void PublishFlow::choose(const ButtonPress& press) {
    const auto& id = press.callback.target;
    const auto c = candidates_.get(id);
    if (const auto refusal = stale_press(c, text_)) {
        replies_.answer(press.id, *refusal);
        return;
    }
    if (c->status != CandidateStatus::review) {
        replies_.answer(press.id, text_.already_published());
        return;
    }
    unsigned selection = press.callback.selection;
    if (press.callback.action == ReviewAction::choose_targets) {
        // Opened with the default targets ticked.
        const auto defaults = default_targets();
        for (std::size_t i = 0; i < workers_.size() && i < 32; ++i) {
            if (std::find(defaults.begin(), defaults.end(), workers_[i]->name) != defaults.end())
                selection |= 1u << i;
        }
    }
    replies_.answer(press.id);
    replies_.edit_markup(c->chat, c->message_id, choice_keyboard(id, selection));
}

void PublishFlow::publish_selected(const ButtonPress& press) {
    const auto& id = press.callback.target;
    const auto c = candidates_.get(id);
    if (const auto refusal = stale_press(c, text_)) {
        replies_.answer(press.id, *refusal);
        return;
    }
    std::vector<std::string> targets;
    for (std::size_t i = 0; i < workers_.size() && i < 32; ++i) {
        if ((press.callback.selection >> i) & 1u)
            targets.push_back(workers_[i]->name);
    }
    if (targets.empty()) {
        replies_.answer(press.id, text_.choose_nothing(), true);
        return;
    }
    start_publishing(press.id, *c, targets);
}

void PublishFlow::retry(const ButtonPress& press) {
    const auto& id = press.callback.target;
    const auto& target = press.callback.platform;
    if (worker(target) == nullptr) {
        replies_.answer(press.id, text_.stale_button());
        return;
    }
    bool queued = false;
    const auto c = candidates_.update(id, [&](Candidate& c) {
        const auto it = c.targets.find(target);
        if (c.status == CandidateStatus::replaced || it == c.targets.end() ||
            it->second.state != "failed")
            return false;
        it->second = TargetState{"queued", {}, {}, false, {}};
        queued = true;
        return true;
    });
    if (!c) {
        replies_.answer(press.id, text_.stale_button());
        return;
    }
    if (!queued) {
        replies_.answer(press.id, text_.retry_not_needed());
        return;
    }
    // The owner's Retry settles a "posting" doubt: the post is missing, so it may be sent.
    try {
        if (const auto entry = journal_.find(id, target); entry && entry->state == "posting")
            journal_.erase(id, target);
    } catch (const std::exception& e) {
        log_error("cannot update the publish journal: {}", e.what());
    }
    replies_.answer(press.id, text_.publishing(1));
    show_report(id);
    enqueue(target, id);
}

}  // namespace memegen::bot
