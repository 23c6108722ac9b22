#pragma once
/// \file messages.hpp
/// Every text the bot sends, in English and Russian (the catalogue; only the command table's
/// one-line descriptions live beside their commands, in commands/bot_commands.cpp). Texts are
/// Telegram HTML: anything that comes from outside (errors, file names, labels) is escaped
/// where it is inserted. Each language's format string is a literal of its own, so fmt checks
/// every one at compile time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace memegen::bot {

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

    // Publishing to targets (review/publish_flow): the toast, the report's lines, Retry.
    /// The toast of Publish: the post is on its way to `targets` targets.
    [[nodiscard]] std::string publishing(int targets) const;
    /// The report message under a candidate: its first line, then one line per target.
    [[nodiscard]] std::string publish_report_title() const;
    [[nodiscard]] std::string publish_queued(std::string_view label_html) const;
    [[nodiscard]] std::string publish_progress(std::string_view label_html, int percent) const;
    [[nodiscard]] std::string publish_done(std::string_view label_html,
                                           std::string_view url_html) const;
    [[nodiscard]] std::string publish_failed(std::string_view label_html,
                                             std::string_view reason_html) const;
    /// Appended to a failure whose authorization is gone.
    [[nodiscard]] std::string publish_reconnect() const;
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
};

}  // namespace memegen::bot
