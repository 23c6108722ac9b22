#pragma once
/// \file messages.hpp
/// Every text the bot sends, in English and Russian (the catalogue; only the command table's
/// one-line descriptions live beside their commands, in commands/bot_commands.cpp). Texts are
/// Telegram HTML: anything that comes from outside (errors, file names, labels) is escaped
/// where it is inserted. Each language's format string is a literal of its own, so fmt checks
/// every one at compile time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/schedule.hpp"

namespace memegen::bot {

enum class SeenKind;  // library/look_alikes.hpp

/// The bot's texts in one language.
struct Messages {
    Language language = Language::en;

    [[nodiscard]] bool ru() const noexcept { return language == Language::ru; }

    /// The seed's refusal while a generation runs.
    [[nodiscard]] std::string busy(long long seconds_ago) const;
    [[nodiscard]] std::string busy_unknown() const;
    /// /help's first line; the command lines come from the command table (commands/).
    [[nodiscard]] std::string help_intro() const;
    /// /help's last line: files sent to the bot join the libraries.
    [[nodiscard]] std::string help_uploads() const;
    [[nodiscard]] std::string not_allowed() const;
    [[nodiscard]] std::string cooldown(long long seconds) const;
    [[nodiscard]] std::string generate_usage(int max_batch) const;
    [[nodiscard]] std::string batch_progress(int done, int total, int failed) const;
    [[nodiscard]] std::string batch_summary(int ok, int failed, long long seconds) const;
    [[nodiscard]] std::string generation_failed(std::string_view error_html) const;
    /// Why a render child ended, for Russian messages (English ones use the runner's own
    /// sentence): killed by SIGKILL with what is known of memory, crashed of `signal_name`, or
    /// exited with `code` and no report.
    [[nodiscard]] std::string child_killed_ru(std::optional<std::uint64_t> ooms_before,
                                              std::optional<std::uint64_t> ooms_after,
                                              double last_percent, double limit_mb) const;
    [[nodiscard]] std::string child_crashed_ru(std::string_view signal_name) const;
    [[nodiscard]] std::string child_exited_ru(int code) const;
    /// A batch (or one generation, total 1) stopped by /cancel or by the bot's shutdown.
    [[nodiscard]] std::string batch_stopped(bool shutdown, int made, int total) const;
    /// After a restart: the batch `label_html` was cut short with `made` of `total` made.
    [[nodiscard]] std::string batch_interrupted(std::string_view label_html, int made,
                                                int total) const;
    /// A job's label for the lock and /status: "/generate 3 by @ann" ("/generate 3 (@ann)").
    [[nodiscard]] std::string job_label(std::string_view what, std::string_view who) const;
    /// What a review button's job is called in its lock label.
    [[nodiscard]] std::string what_change_track() const;
    [[nodiscard]] std::string what_regenerate() const;
    [[nodiscard]] std::string what_regenerate_all() const;
    /// The lock label of a run of the daily plan.
    [[nodiscard]] std::string scheduled_label() const;
    [[nodiscard]] std::string no_media() const;
    [[nodiscard]] std::string cancelled() const;
    [[nodiscard]] std::string nothing_to_cancel() const;
    [[nodiscard]] std::string cancelling() const;
    [[nodiscard]] std::string published() const;
    [[nodiscard]] std::string already_published() const;
    [[nodiscard]] std::string no_channel() const;
    [[nodiscard]] std::string stale_button() const;
    [[nodiscard]] std::string working() const;
    [[nodiscard]] std::string history_cleared() const;
    [[nodiscard]] std::string scheduled_intro(int candidates) const;
    [[nodiscard]] std::string scheduled_done(int sent, int failed) const;
    [[nodiscard]] std::string scheduled_gave_up(long long minutes,
                                                std::string_view holder_html) const;
    [[nodiscard]] std::string unclean_end(std::string_view error_html) const;
    [[nodiscard]] std::string unknown_command() const;

    /// A sent file joined a library: `library` "meme"/"music", `facts` e.g. "still · 640×640 ·
    /// 227 kB" (built by upload_facts()), `name_html` the file's new name.
    [[nodiscard]] std::string upload_added(bool music, std::string_view name_html,
                                           std::string_view facts) const;
    /// A sent file was refused; `reason_html` names the cause.
    [[nodiscard]] std::string upload_refused(std::string_view reason_html) const;
    /// A sent file is above library.max_upload_mb: its size, or 0 when the download found it
    /// out (the stated size was missing or wrong).
    [[nodiscard]] std::string upload_too_large(double megabytes, int limit_mb) const;
    /// A sent message whose kind no library takes (a sticker, a text file, ...).
    [[nodiscard]] std::string upload_unsupported() const;
    /// Too many sent files wait for the intake (a reason for upload_refused()).
    [[nodiscard]] std::string intake_full() const;
    /// getFile gave no path to download (a reason for upload_refused()).
    [[nodiscard]] std::string no_download_path() const;
    /// library.uploads is off.
    [[nodiscard]] std::string uploads_disabled() const;
    /// "still · 640×640 · 227 kB", "video · 640×360 · 4.2 s · 1.2 MB", "audio · 3:12 · 4.1 MB".
    [[nodiscard]] std::string upload_facts(std::string_view kind, int width, int height,
                                           double seconds, std::uint64_t bytes) const;

    // /status (observability/status_report.cpp assembles these lines in the seed's layout)
    /// The title and the memory heading.
    [[nodiscard]] std::string status_title() const;
    /// The bot's memory now (sizes in MiB).
    [[nodiscard]] std::string status_memory(double rss_mb, double vms_mb, double percent,
                                            int threads) const;
    /// memegen-status without a running bot: nothing known, or its last recorded state.
    [[nodiscard]] std::string status_not_running() const;
    [[nodiscard]] std::string status_last_state(std::string_view state_html,
                                                std::string_view time_html) const;
    [[nodiscard]] std::string status_rss_then(double rss_mb) const;
    [[nodiscard]] std::string status_render_peak(double mb) const;
    [[nodiscard]] std::string status_locked(std::string_view label_html,
                                            long long seconds_held) const;
    [[nodiscard]] std::string status_free() const;
    [[nodiscard]] std::string status_problem(std::string_view stage_html,
                                             std::string_view error_html,
                                             std::string_view time_html) const;
    /// "📚 Library: 12 memes, 3 tracks" and its optional tails, then the line's end.
    [[nodiscard]] std::string status_library(std::size_t memes, std::size_t tracks) const;
    [[nodiscard]] std::string status_library_pending(std::size_t pending) const;
    /// "👎 Disliked (N): names" — `names_html` already escaped.
    [[nodiscard]] std::string status_disliked(std::size_t count, std::string_view names_html) const;
    [[nodiscard]] std::string status_dry_run_on() const;
    [[nodiscard]] std::string status_near_duplicates(std::size_t refused_today) const;
    [[nodiscard]] std::string status_library_rejected(std::size_t rejected) const;
    /// `when_text` from format_time_until() ("in 2 h 30 min (14:30:00)").
    [[nodiscard]] std::string status_next_generation(std::string_view when_text) const;
    /// `slots` as "10:00 done, 14:30", each word from status_slot().
    [[nodiscard]] std::string status_today(std::string_view slots) const;
    /// A slot's state word; `english` is the schedule's own name ("done", "failed", ...).
    [[nodiscard]] std::string status_slot(std::string_view english) const;
    [[nodiscard]] std::string status_schedule_disabled() const;
    [[nodiscard]] std::string status_generations_today(int done, int failed) const;
    /// Failed publications (observability/publish_failures): the heading with their number,
    /// then a line each, label, file name and reason escaped — the line's end is the caller's,
    /// after reconnect_hint() — then how many were left out.
    [[nodiscard]] std::string status_publish_failures(std::size_t count) const;
    [[nodiscard]] std::string status_publish_failure(std::string_view label_html,
                                                     std::string_view media_html,
                                                     std::string_view reason_html) const;
    [[nodiscard]] std::string status_publish_failures_more(std::size_t more) const;

    // ---- Schedule and housekeeping commands (issue 13) ----

    /// /scheduleinfo's head: the local date and time now, the zone, the window, slots a day,
    /// and the date of the plan whose slots follow; an empty zone is the system's.
    [[nodiscard]] std::string schedule_head(std::string_view now_text, std::string_view zone_html,
                                            std::string_view window_start,
                                            std::string_view window_end, int per_day,
                                            std::string_view plan_date) const;
    /// One slot of the plan: "#2 16:30 — 🕒 pending"; `moved` marks the slot just moved.
    [[nodiscard]] std::string schedule_slot(std::size_t number, std::string_view clock,
                                            SlotStatus status, bool moved) const;
    /// The plan has no slot.
    [[nodiscard]] std::string schedule_no_slots() const;
    /// /scheduleinfo's last line: how to change the plan.
    [[nodiscard]] std::string schedule_hint() const;
    /// The schedule commands when daily_generations is 0.
    [[nodiscard]] std::string schedule_disabled() const;
    /// /setnext without two valid arguments.
    [[nodiscard]] std::string setnext_usage() const;
    /// /setnext names slot `number` and the plan has `count`.
    [[nodiscard]] std::string setnext_unknown_slot(std::size_t number, std::size_t count) const;
    /// /setnext names a slot that is not pending.
    [[nodiscard]] std::string setnext_not_pending(std::size_t number, SlotStatus status) const;
    /// The time read is not after `now_text`.
    [[nodiscard]] std::string setnext_passed(std::string_view when_text,
                                             std::string_view now_text) const;
    /// The time read is more than `hours` ahead.
    [[nodiscard]] std::string setnext_too_far(std::string_view when_text, long long hours) const;
    /// The time read is not on the plan's day.
    [[nodiscard]] std::string setnext_other_day(std::string_view when_text,
                                                std::string_view plan_date) const;
    /// Slot #from moved to `clock`, now numbered #to.
    [[nodiscard]] std::string slot_moved(std::size_t from, std::string_view clock,
                                         std::size_t to) const;
    /// /rebuildschedule drew `n` slots anew.
    [[nodiscard]] std::string schedule_redrawn(int n) const;
    /// /rebuildschedule found no pending slot ahead.
    [[nodiscard]] std::string schedule_nothing_to_redraw() const;
    /// /rebuildschedule: the window ended at `window_end`; pending slots stay.
    [[nodiscard]] std::string schedule_window_over(std::string_view window_end) const;
    /// /cleanup's answer: `files` removed (`megabytes`), older than `hours`; `failed` left.
    [[nodiscard]] std::string cleanup_done(int files, double megabytes, int hours,
                                           int failed) const;
    /// /chatid's answer; `private_chat`: the chat with the sender.
    [[nodiscard]] std::string chat_id(std::string_view id, bool private_chat) const;

    /// A sent meme looks like one the bot has seen (a reason for upload_refused()): `name_html`
    /// of the library, or published or disliked on `date` at `clock` (both empty: not known),
    /// `distance` bits apart where library.duplicate_distance is `max_distance`.
    [[nodiscard]] std::string near_duplicate(SeenKind kind, std::string_view name_html,
                                             std::string_view date, std::string_view clock,
                                             int distance, int max_distance) const;

    // Publishing to targets (review/publish_flow): the toast, the per-target lines, Retry.
    /// The toast of Publish: the post is on its way to `targets` targets.
    [[nodiscard]] std::string publishing(int targets) const;
    /// One line per target, added to the review message's caption.
    [[nodiscard]] std::string publish_queued(std::string_view label_html) const;
    /// An upload under way before its first progress figure.
    [[nodiscard]] std::string publish_uploading(std::string_view label_html) const;
    [[nodiscard]] std::string publish_progress(std::string_view label_html, int percent) const;
    [[nodiscard]] std::string publish_done(std::string_view label_html,
                                           std::string_view url_html) const;
    [[nodiscard]] std::string publish_failed(std::string_view label_html,
                                             std::string_view reason_html) const;
    /// Appended to a failure whose authorization is gone (the review caption's line, /status):
    /// `command_html` connects the account again; empty when its keys are in the config (X).
    [[nodiscard]] std::string reconnect_hint(std::string_view command_html) const;
    /// Appended to a ✅ line: what went wrong beside the post (a thumbnail); "" for no note.
    [[nodiscard]] std::string publish_note(std::string_view note_html) const;
    [[nodiscard]] std::string button_retry(std::string_view label) const;
    /// A Retry of a target that is not failed (done, or on its way).
    [[nodiscard]] std::string retry_not_needed() const;

    // /dryrun and /history (review/publish_flow).
    /// Publish during a dry run: `source_html` and one dry_run_target() line per target.
    [[nodiscard]] std::string dry_run_report(std::string_view source_html,
                                             std::string_view lines) const;
    /// One target of a dry run: what it would post (`what_html`, may be empty).
    [[nodiscard]] std::string dry_run_target(std::string_view label_html,
                                             std::string_view what_html) const;
    [[nodiscard]] std::string dry_run_toast() const;
    [[nodiscard]] std::string dry_run_state(bool on) const;
    [[nodiscard]] std::string dry_run_usage() const;
    /// /history: the title, then one entry per published video, newest first.
    [[nodiscard]] std::string history_title(int count) const;
    [[nodiscard]] std::string history_entry(std::string_view when, std::string_view source_html,
                                            std::string_view track_html,
                                            std::string_view links_html) const;
    [[nodiscard]] std::string history_empty() const;
    [[nodiscard]] std::string history_usage(int max) const;

    // /connect youtube, /disconnect youtube (review/account_connect).
    [[nodiscard]] std::string connect_usage() const;
    [[nodiscard]] std::string connect_not_configured() const;
    [[nodiscard]] std::string connect_running() const;
    /// Open `url_html` on any device and enter `code_html` within `minutes`.
    [[nodiscard]] std::string connect_code(std::string_view url_html, std::string_view code_html,
                                           int minutes) const;
    [[nodiscard]] std::string connect_done() const;
    [[nodiscard]] std::string connect_denied() const;
    [[nodiscard]] std::string connect_expired() const;
    [[nodiscard]] std::string connect_failed(std::string_view reason_html) const;
    [[nodiscard]] std::string disconnected() const;

    // 🎯 Choose platforms (review/publish_flow).
    [[nodiscard]] std::string button_choose_targets() const {
        return ru() ? "🎯 Выбрать платформы" : "🎯 Choose platforms";
    }
    [[nodiscard]] std::string button_target(std::string_view label, bool chosen) const {
        return (chosen ? "✅ " : "⬜ ") + std::string(label);
    }
    [[nodiscard]] std::string button_publish_selected() const {
        return ru() ? "📢 Опубликовать выбранные" : "📢 Publish selected";
    }
    [[nodiscard]] std::string button_cancel() const {
        return ru() ? "✖️ Отмена" : "✖️ Cancel";
    }
    [[nodiscard]] std::string choose_nothing() const {
        return ru() ? "Выберите хотя бы одну платформу." : "Choose at least one platform.";
    }

    [[nodiscard]] std::string button_publish() const {
        return ru() ? "📢 Опубликовать" : "📢 Publish";
    }
    [[nodiscard]] std::string button_change_track() const {
        return ru() ? "🎵 Сменить трек" : "🎵 Change track";
    }
    [[nodiscard]] std::string button_regenerate() const {
        return ru() ? "🔄 Перегенерировать" : "🔄 Regenerate";
    }
    [[nodiscard]] std::string button_regenerate_all() const {
        return ru() ? "🔄 Перегенерировать все" : "🔄 Regenerate all";
    }
    [[nodiscard]] std::string button_published() const {
        return ru() ? "✅ Опубликовано" : "✅ Published";
    }

    // Review buttons Delete, Dislike and Edit captions (issue 13).
    [[nodiscard]] std::string button_delete() const {
        return ru() ? "🗑 Удалить" : "🗑 Delete";
    }
    [[nodiscard]] std::string button_dislike() const {
        return ru() ? "👎 Не нравится" : "👎 Dislike";
    }
    /// The Dislike button once pressed (it still answers, with the same expiry).
    [[nodiscard]] std::string button_disliked() const {
        return ru() ? "👎 Не нравится ✓" : "👎 Disliked ✓";
    }
    [[nodiscard]] std::string button_edit_captions() const {
        return ru() ? "✏️ Подписи" : "✏️ Edit captions";
    }
    /// Delete's answer; and the answer to any button of a deleted candidate.
    [[nodiscard]] std::string deleted() const;
    [[nodiscard]] std::string already_deleted() const;
    /// Dislike's answer (plain text: a toast): `name` not picked for `days` until `until`.
    [[nodiscard]] std::string disliked(std::string_view name, int days,
                                       std::string_view until) const;
    /// The dislike could not be saved (plain text: an alert).
    [[nodiscard]] std::string dislike_failed(std::string_view error) const;
    /// Edit captions' answer (an alert: the Bot API cannot ask for text, the owner replies).
    [[nodiscard]] std::string edit_captions_how() const;
    /// Replies that are no caption edit, and why.
    [[nodiscard]] std::string caption_reply_not_candidate() const;
    [[nodiscard]] std::string caption_edit_published() const;
    [[nodiscard]] std::string caption_edit_replaced() const;
    [[nodiscard]] std::string caption_edit_usage() const;
    /// A side of "top | bottom" above `limit` characters.
    [[nodiscard]] std::string caption_too_long(bool bottom, std::size_t length,
                                               std::size_t limit) const;
    /// What an Edit captions job is called in its lock label.
    [[nodiscard]] std::string what_edit_captions() const;
};

}  // namespace memegen::bot
