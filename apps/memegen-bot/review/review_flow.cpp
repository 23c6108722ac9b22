#include "review/review_flow.hpp"

#include <filesystem>

#include <fmt/format.h>

#include <memegen/log.hpp>

#include "commands/callback_codec.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

namespace {

std::string effects_text(const std::vector<std::string>& effects) {
    std::string out;
    for (const auto& e : effects) {
        if (!out.empty())
            out += ", ";
        out += e;
    }
    return out.empty() ? "none" : out;
}

nlohmann::json button(const std::string& text, ReviewAction action, const std::string& target) {
    return {{"text", text}, {"callback_data", encode_callback({action, target})}};
}

// What the reviewer reads under the video: source, track, length, size, effects.
std::string caption_of(const Made& made) {
    const auto& r = made.result;
    return truncate_html(
        fmt::format("🎬 {}\n🎵 {}\n⏱ {:.1f} s · {:.1f} MB · {}×{}\n✨ {}",
                    escape_html(std::filesystem::path(made.media).filename().string()),
                    made.music.empty() ? std::string("—") : escape_html(made.music_label),
                    r.duration_seconds, r.size_bytes / 1e6, r.width, r.height,
                    escape_html(effects_text(r.effects))),
        kMaxCaptionLength);
}

void remove_rendered(const RenderedVideo& r) {
    std::error_code ec;
    std::filesystem::remove(r.output, ec);
    if (!r.thumbnail.empty())
        std::filesystem::remove(r.thumbnail, ec);
}

}  // namespace

ReviewFlow::ReviewFlow(const BotConfig& config, const Messages& text, Replies& replies,
                       CandidateStore& candidates, CrashStateStore& state, PublishFlow& publish,
                       CandidateFiles& files)
    : config_(config),
      text_(text),
      replies_(replies),
      candidates_(candidates),
      state_(state),
      publish_(publish),
      files_(files) {}

nlohmann::json ReviewFlow::keyboard(const std::string& id) const {
    return {{"inline_keyboard",
             {{button(text_.button_publish(), ReviewAction::publish, id)},
              {button(text_.button_change_track(), ReviewAction::change_track, id),
               button(text_.button_regenerate(), ReviewAction::regenerate, id)},
              {button(text_.button_choose_targets(), ReviewAction::choose_targets, id)}}}};
}

nlohmann::json ReviewFlow::regenerate_all_keyboard(const std::string& batch_id) const {
    return {{"inline_keyboard",
             {{button(text_.button_regenerate_all(), ReviewAction::regenerate_all, batch_id)}}}};
}

SentCandidate ReviewFlow::send(const Made& made, const ChatId& chat, const std::string& batch_id) {
    Candidate c;
    c.id = CandidateStore::new_id();
    c.batch = batch_id;
    c.media = made.media;
    c.music = made.music;
    c.seed = made.seed;
    c.variant_group = made.variant_group;
    c.effects = made.result.effects;
    c.chat = chat;
    c.caption = caption_of(made);
    c.track = made.music.empty() ? std::string{} : made.music_label;
    const auto& r = made.result;
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
    upload.options.reply_markup = keyboard(c.id);
    const auto outcome = replies_.send_video(upload);
    // YouTube and X upload the file after review; Telegram targets need only the file_id.
    if (outcome.sent && publish_.keeps_files())
        files_.keep(c.id, r.output, r.thumbnail);
    remove_rendered(r);
    std::string error = outcome.error;
    if (outcome.sent) {
        c.message_id = outcome.sent->message_id;
        c.file_id = outcome.sent->file_id;
        try {
            candidates_.put(c);
            return {c, {}};
        } catch (const std::exception& e) {
            log_error("cannot record candidate {}: {}", c.id, e.what());
            error = e.what();
        }
    }
    state_.record_problem(stage::send_error, error, {{"media", made.media}});
    return {std::nullopt, text_.generation_failed(escape_html(error))};
}

void ReviewFlow::on_button(const ButtonPress& press, GenerationQueue& queue) {
    switch (press.callback.action) {
        case ReviewAction::publish:
            publish_.publish(press);
            return;
        case ReviewAction::retry_target:
            publish_.retry(press);
            return;
        case ReviewAction::choose_targets:
        case ReviewAction::toggle_target:
            publish_.choose(press);
            return;
        case ReviewAction::publish_selected:
            publish_.publish_selected(press);
            return;
        case ReviewAction::cancel_choice:
            if (const auto c = candidates_.get(press.callback.target);
                c && c->status == CandidateStatus::review) {
                replies_.answer(press.id);
                replies_.edit_markup(c->chat, c->message_id, keyboard(c->id));
            } else {
                replies_.answer(press.id, text_.stale_button());
            }
            return;
        case ReviewAction::published:
            replies_.answer(press.id, text_.already_published());
            return;
        case ReviewAction::change_track:
        case ReviewAction::regenerate:
        case ReviewAction::regenerate_all:
            start_replacement(press, queue);
            return;
    }
}

void ReviewFlow::start_replacement(const ButtonPress& press, GenerationQueue& queue) {
    const auto& target = press.callback.target;
    Job job;
    job.chat = press.chat;
    if (press.callback.action == ReviewAction::regenerate_all) {
        if (candidates_.batch(target).empty()) {
            replies_.answer(press.id, text_.stale_button());
            return;
        }
        job.kind = JobKind::regenerate_all;
        job.batch_id = target;
        job.count = config_.candidates;
        job.label = text_.job_label(text_.what_regenerate_all(), press.who);
    } else {
        const auto candidate = candidates_.get(target);
        if (!candidate || candidate->status == CandidateStatus::replaced) {
            replies_.answer(press.id, text_.stale_button());
            return;
        }
        const bool track = press.callback.action == ReviewAction::change_track;
        job.kind = track ? JobKind::change_track : JobKind::regenerate;
        job.candidate_id = target;
        job.label =
            text_.job_label(track ? text_.what_change_track() : text_.what_regenerate(), press.who);
    }
    if (queue.try_start(std::move(job), press.chat, press.id))
        replies_.answer(press.id, text_.working());
}

void ReviewFlow::retire(const Candidate& old) {
    if (candidates_.transition(old.id, CandidateStatus::review, CandidateStatus::replaced)) {
        replies_.edit_markup(old.chat, old.message_id, std::nullopt);
        files_.release(old.id);
    }
}

// ---------------------------------------------------------------- replacements

ReplaceRun::ReplaceRun(const Messages& text, Replies& replies, CandidateStore& candidates,
                       CrashStateStore& state, Generator& generator, ReviewFlow& review,
                       GenerationCounts& counts, std::stop_token bot_stop)
    : text_(text),
      replies_(replies),
      candidates_(candidates),
      state_(state),
      generator_(generator),
      review_(review),
      counts_(counts),
      bot_stop_(std::move(bot_stop)) {}

void ReplaceRun::run(Job& job, std::stop_token stop) {
    const auto old = candidates_.get(job.candidate_id);
    if (!old || old->status == CandidateStatus::replaced) {
        replies_.say(job.chat, text_.stale_button());
        return;
    }
    GenerationContext context{
        job.label, job.ticket ? &*job.ticket : nullptr,
        [this, chat = job.chat] { replies_.chat_action(chat, "upload_video"); }};
    Generated generated;
    if (job.kind == JobKind::change_track) {
        // Only the music changes: the same meme, seed, variant group and effects.
        generated = generator_.make_with_new_track(
            context, SameLook{old->media, old->music, old->seed, old->variant_group, old->effects},
            stop);
    } else {
        std::set<std::filesystem::path> used{old->media};  // a new meme in its place
        generated = generator_.make_new(context, 0, (old->variant_group + 1) % 5, used, stop);
    }
    if (!generated.made) {
        report_nothing_made(job, generated, stop);
        return;
    }
    const auto sent = review_.send(*generated.made, old->chat, old->batch);
    counts_.finished(job, sent.candidate.has_value());
    if (!sent.candidate && !sent.failure_html.empty())
        replies_.say(job.chat, sent.failure_html);
    if (sent.candidate)
        review_.retire(*old);
    state_.record(stage::idle, {{"label", job.label}});
}

void ReplaceRun::report_nothing_made(const Job& job, const Generated& generated,
                                     std::stop_token stop) {
    if (!stop.stop_requested()) {
        counts_.finished(job, false);
        if (!generated.failure_html.empty())
            replies_.say(job.chat, generated.failure_html);
        return;
    }
    counts_.cancelled(job, 1);
    // The bot's own stop is a shutdown; the job's alone is /cancel.
    if (bot_stop_.stop_requested()) {
        replies_.say_while_stopping(job.chat, text_.batch_stopped(true, 0, 1));
    } else {
        replies_.say(job.chat, text_.cancelled());
    }
}

}  // namespace memegen::bot
