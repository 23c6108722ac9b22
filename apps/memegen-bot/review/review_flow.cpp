#include "review/review_flow.hpp"

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include <memegen/log.hpp>

#include "commands/callback_codec.hpp"
#include "config/timezone.hpp"
#include "review/caption_edit.hpp"
#include "review/stale_press.hpp"
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

// What the reviewer reads under the video: source, track, length, size, effects, and the
// owner's captions once edited.
std::string caption_of(const Made& made) {
    const auto& r = made.result;
    std::string text = fmt::format(
        "🎬 {}\n🎵 {}\n⏱ {:.1f} s · {:.1f} MB · {}×{}\n✨ {}",
        escape_html(std::filesystem::path(made.media).filename().string()),
        made.music.empty() ? std::string("—") : escape_html(made.music_label), r.duration_seconds,
        r.size_bytes / 1e6, r.width, r.height, escape_html(effects_text(r.effects)));
    if (made.captions) {
        const auto side = [](const std::string& s) { return s.empty() ? "—" : escape_html(s); };
        text += fmt::format("\n💬 {} | {}", side(made.captions->top), side(made.captions->bottom));
    }
    return truncate_html(text, kMaxCaptionLength);
}

// "2026-12-02 06:00" in the bot's zone.
std::string local_minute_text(std::chrono::system_clock::time_point when) {
    return local_date_of(when).to_string() + " " + local_clock_text(when).substr(0, 5);
}

void remove_rendered(const RenderedVideo& r) {
    std::error_code ec;
    std::filesystem::remove(r.output, ec);
    if (!r.thumbnail.empty())
        std::filesystem::remove(r.thumbnail, ec);
}

}  // namespace

ReviewFlow::ReviewFlow(const BotConfig& config, const Messages& text, Replies& replies,
                       CandidateStore& candidates, CrashStateStore& state, DislikeStore& dislikes,
                       PublishFlow& publish, CandidateFiles& files)
    : config_(config),
      text_(text),
      replies_(replies),
      candidates_(candidates),
      state_(state),
      dislikes_(dislikes),
      publish_(publish),
      files_(files) {}

nlohmann::json ReviewFlow::keyboard(const std::string& id, bool disliked) const {
    return {{"inline_keyboard",
             {{button(text_.button_publish(), ReviewAction::publish, id)},
              {button(text_.button_change_track(), ReviewAction::change_track, id),
               button(text_.button_regenerate(), ReviewAction::regenerate, id)},
              {button(text_.button_edit_captions(), ReviewAction::edit_captions, id),
               button(disliked ? text_.button_disliked() : text_.button_dislike(),
                      ReviewAction::dislike, id),
               button(text_.button_delete(), ReviewAction::delete_candidate, id)},

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
    c.captions = made.captions;
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
    upload.options.reply_markup =
        keyboard(c.id, dislikes_.disliked(made.media, std::chrono::system_clock::now()));
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
                replies_.edit_markup(
                    c->chat, c->message_id,
                    keyboard(c->id,
                             dislikes_.disliked(c->media, std::chrono::system_clock::now())));
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
        case ReviewAction::delete_candidate:
            remove(press);
            return;
        case ReviewAction::dislike:
            dislike(press);
            return;
        case ReviewAction::edit_captions:
            explain_edit(press);
            return;
    }
}

std::string ReviewFlow::refusal(CandidateStatus status) const {
    switch (status) {
        case CandidateStatus::replaced:
            return text_.stale_button();
        case CandidateStatus::deleted:
            return text_.already_deleted();
        case CandidateStatus::review:
        case CandidateStatus::publishing:
        case CandidateStatus::published:
            break;
    }
    return text_.already_published();
}

void ReviewFlow::remove(const ButtonPress& press) {
    const auto& id = press.callback.target;
    const auto candidate = candidates_.get(id);
    if (!candidate) {
        replies_.answer(press.id, text_.stale_button());
        return;
    }
    // review → deleted happens once and never from publishing: a post under way is not undone.
    if (!candidates_.transition(id, CandidateStatus::review, CandidateStatus::deleted)) {
        replies_.answer(press.id, refusal(candidates_.get(id)->status));
        return;
    }
    // The render's files went when the video was sent; what is left is Telegram's file id,
    // forgotten so that nothing can post it. The record stays to answer old buttons.
    auto updated = *candidates_.get(id);
    updated.file_id.clear();
    candidates_.put(updated);
    files_.release(id);  // the MP4 kept for YouTube or X, if any
    log_info("candidate {} deleted by {}", id, press.who);
    replies_.edit_markup(candidate->chat, candidate->message_id, std::nullopt);
    replies_.answer(press.id, text_.deleted());
}

void ReviewFlow::dislike(const ButtonPress& press) {
    const auto candidate = candidates_.get(press.callback.target);
    if (!candidate) {
        replies_.answer(press.id, text_.stale_button());
        return;
    }
    const auto now = std::chrono::system_clock::now();
    const bool before = dislikes_.disliked(candidate->media, now);
    const auto until = now + std::chrono::hours(24) * config_.dislike_days;
    try {
        dislikes_.add(candidate->media, until);
    } catch (const std::exception& e) {
        log_error("cannot save the dislike of {}: {}", candidate->media, e.what());
        replies_.answer(press.id, text_.dislike_failed(e.what()), true);
        return;
    }
    const auto name = std::filesystem::path(candidate->media).filename().string();
    log_info("{} disliked by {} until {}", name, press.who, local_minute_text(until));
    replies_.answer(press.id, text_.disliked(name, config_.dislike_days, local_minute_text(until)));
    // The keyboard shows it; only a candidate still in review has this keyboard.
    if (!before && candidate->status == CandidateStatus::review)
        replies_.edit_markup(candidate->chat, candidate->message_id, keyboard(candidate->id, true));
}

void ReviewFlow::explain_edit(const ButtonPress& press) {
    const auto candidate = candidates_.get(press.callback.target);
    if (!candidate) {
        replies_.answer(press.id, text_.stale_button());
        return;
    }
    if (candidate->status != CandidateStatus::review) {
        replies_.answer(press.id, candidate->status == CandidateStatus::replaced
                                      ? text_.caption_edit_replaced()
                                      : refusal(candidate->status));
        return;
    }
    // The Bot API cannot ask for text: an alert says how to reply.
    replies_.answer(press.id, text_.edit_captions_how(), true);
}

void ReviewFlow::on_reply(const ReplyUpdate& reply, GenerationQueue& queue) {
    const auto candidate = candidates_.find_by_message(reply.chat, reply.replied_message_id);
    if (!candidate) {
        replies_.say(reply.chat, text_.caption_reply_not_candidate());
        return;
    }
    switch (candidate->status) {
        case CandidateStatus::review:
            break;
        case CandidateStatus::publishing:
        case CandidateStatus::published:
            replies_.say(reply.chat, text_.caption_edit_published());
            return;
        case CandidateStatus::replaced:
            replies_.say(reply.chat, text_.caption_edit_replaced());
            return;
        case CandidateStatus::deleted:
            replies_.say(reply.chat, text_.already_deleted());
            return;
    }
    const auto parsed = parse_caption_edit(reply.text);
    if (const auto* no = std::get_if<CaptionEditRefusal>(&parsed)) {
        replies_.say(reply.chat,
                     no->kind == CaptionEditRefusal::Kind::too_long
                         ? text_.caption_too_long(no->bottom, no->length, kMaxEditedCaptionChars)
                         : text_.caption_edit_usage());
        return;
    }
    Job job;
    job.kind = JobKind::edit_captions;
    job.chat = reply.chat;
    job.candidate_id = candidate->id;
    job.captions = std::get<EditedCaptions>(parsed);
    job.label = text_.job_label(text_.what_edit_captions(), reply.who);
    queue.try_start(std::move(job), reply.chat);
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
        if (const auto refusal = stale_press(candidate, text_)) {
            replies_.answer(press.id, *refusal);
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
    // Deleted, or (for a caption edit) published while the job waited: nothing to replace.
    if (old->status == CandidateStatus::deleted) {
        replies_.say(job.chat, text_.already_deleted());
        return;
    }
    if (job.kind == JobKind::edit_captions && old->status != CandidateStatus::review) {
        replies_.say(job.chat, text_.caption_edit_published());
        return;
    }
    GenerationContext context{
        job.label, job.ticket ? &*job.ticket : nullptr,
        [this, chat = job.chat] { replies_.chat_action(chat, "upload_video"); }};
    Generated generated;
    const SameLook look{old->media,         old->music,   old->seed,
                        old->variant_group, old->effects, old->captions};
    if (job.kind == JobKind::change_track) {
        // Only the music changes: the same meme, seed, variant group, effects and captions.
        generated = generator_.make_with_new_track(context, look, stop);
    } else if (job.kind == JobKind::edit_captions && job.captions) {
        // Only the captions change: the same meme, track, seed and effects.
        generated = generator_.make_with_captions(context, look, *job.captions, stop);
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
