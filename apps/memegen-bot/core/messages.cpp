#include "core/messages.hpp"

#include <fmt/format.h>

namespace memegen::bot {

namespace {

// Russian plural forms: 1 кандидат, 2 кандидата, 5 кандидатов (11–14 take the third).
std::string_view ru_plural(long long n, std::string_view one, std::string_view few,
                           std::string_view many) {
    const long long tens = n % 100;
    const long long units = n % 10;
    if (tens >= 11 && tens <= 14)
        return many;
    if (units == 1)
        return one;
    if (units >= 2 && units <= 4)
        return few;
    return many;
}

}  // namespace

std::string Messages::child_killed_ru(std::optional<std::uint64_t> ooms_before,
                                      std::optional<std::uint64_t> ooms_after, double last_percent,
                                      double limit_mb) const {
    std::string out = "процесс рендера убит сигналом SIGKILL";
    if (ooms_before && ooms_after && *ooms_after > *ooms_before) {
        out += fmt::format(": не хватило памяти — его убил OOM killer (oom_kill {} → {})",
                           *ooms_before, *ooms_after);
    } else if (last_percent >= 80.0 && limit_mb > 0) {
        out += fmt::format(
            ", вероятно, не хватило памяти: последний замер — {:.0f} % предела {:.0f} МБ",
            last_percent, limit_mb);
    } else if (ooms_before && ooms_after) {
        out += "; счётчик OOM-kill не изменился";
    } else {
        out += "; счётчик OOM-kill прочитать не удалось";
    }
    return out;
}

std::string Messages::child_crashed_ru(std::string_view signal_name) const {
    return fmt::format("процесс рендера аварийно завершился ({})", signal_name);
}

std::string Messages::child_exited_ru(int code) const {
    return fmt::format("процесс рендера завершился с кодом {}, не оставив отчёта", code);
}

std::string Messages::busy(long long seconds_ago) const {
    if (ru()) {
        return fmt::format(
            "⚠️ Генерация уже выполняется "
            "(запущена {} с назад). "
            "Пожалуйста, дождитесь завершения.",
            seconds_ago);
    }
    return fmt::format(
        "⚠️ A generation is already running (started {} s ago). Please wait until it finishes.",
        seconds_ago);
}

std::string Messages::busy_unknown() const {
    return ru() ? "⚠️ Генерация уже выполняется. Пожалуйста, "
                  "дождитесь "
                  "завершения."
                : "⚠️ A generation is already running. Please wait until it finishes.";
}

std::string Messages::help_intro() const {
    return ru() ? "<b>Мем-бот</b>" : "<b>Meme bot</b>";
}

std::string Messages::help_uploads() const {
    return ru() ? "Пришлите фото, GIF, видео или аудио — бот проверит его и добавит в медиатеку."
                : "Send a photo, GIF, video or audio file to check it and add it to the libraries.";
}

std::string Messages::not_allowed() const {
    return ru() ? "Извините, этот бот работает только для своего владельца."
                : "Sorry, this bot only works for its owner.";
}

std::string Messages::cooldown(long long seconds) const {
    return ru() ? fmt::format("Подождите ещё {} с перед следующей генерацией.", seconds)
                : fmt::format("Please wait {} s before the next generation.", seconds);
}

std::string Messages::generate_usage(int max_batch) const {
    return ru()
               ? fmt::format("Использование: /generate или /generate N, где 1 ≤ N ≤ {}.", max_batch)
               : fmt::format("Usage: /generate or /generate N, with 1 ≤ N ≤ {}.", max_batch);
}

std::string Messages::batch_progress(int done, int total, int failed) const {
    return ru() ? fmt::format("⏳ Генерация: {} из {} (ошибок: {})", done, total, failed)
                : fmt::format("⏳ Generating: {} of {} (failed: {})", done, total, failed);
}

std::string Messages::batch_summary(int ok, int failed, long long seconds) const {
    return ru() ? fmt::format("Готово. Успешно: {}, ошибок: {}. Время: {} с", ok, failed, seconds)
                : fmt::format("Done. OK: {}, failed: {}. Time: {} s", ok, failed, seconds);
}

std::string Messages::generation_failed(std::string_view error_html) const {
    return ru() ? fmt::format("❌ Не удалось сгенерировать мем: {}", error_html)
                : fmt::format("❌ Could not generate a meme: {}", error_html);
}

std::string Messages::batch_stopped(bool shutdown, int made, int total) const {
    if (ru()) {
        return fmt::format("⏹ {}: готово {} из {}.",
                           shutdown ? "Остановлено при выключении бота" : "Отменено", made, total);
    }
    return fmt::format("⏹ {}: {} of {} made.", shutdown ? "Stopped by shutdown" : "Cancelled",
                       made, total);
}

std::string Messages::batch_interrupted(std::string_view label_html, int made, int total) const {
    if (ru()) {
        return fmt::format(
            "⚠️ Генерация «{}» прервана "
            "остановкой бота: "
            "готово {} из {}.",
            label_html, made, total);
    }
    return fmt::format(
        "⚠️ The batch “{}” was interrupted when the bot stopped: {} of {} made.",
        label_html, made, total);
}

std::string Messages::job_label(std::string_view what, std::string_view who) const {
    return ru() ? fmt::format("{} ({})", what, who) : fmt::format("{} by {}", what, who);
}

std::string Messages::what_change_track() const {
    return ru() ? "Смена трека" : "Change track";
}
std::string Messages::what_regenerate() const {
    return ru() ? "Перегенерация" : "Regenerate";
}
std::string Messages::what_regenerate_all() const {
    return ru() ? "Перегенерация всех" : "Regenerate all";
}
std::string Messages::scheduled_label() const {
    return ru() ? "плановая генерация" : "scheduled job";
}

std::string Messages::no_media() const {
    return ru() ? "В медиатеке нет подходящих мемов." : "The media library has no usable memes.";
}

std::string Messages::cancelled() const {
    return ru() ? "⏹ Генерация отменена." : "⏹ Generation cancelled.";
}
std::string Messages::nothing_to_cancel() const {
    return ru() ? "Сейчас ничего не генерируется." : "No generation is running.";
}
std::string Messages::cancelling() const {
    return ru() ? "Отменяю…" : "Cancelling…";
}
std::string Messages::published() const {
    return ru() ? "Опубликовано ✅" : "Published ✅";
}
std::string Messages::already_published() const {
    return ru() ? "Уже опубликовано." : "Already published.";
}
std::string Messages::no_channel() const {
    return ru() ? "Канал для публикации не настроен (channel)."
                : "No channel is configured (channel).";
}
std::string Messages::stale_button() const {
    return ru() ? "Эта кнопка устарела: кандидата больше нет."
                : "This button is stale: the candidate is gone.";
}
std::string Messages::working() const {
    return ru() ? "Делаю…" : "Working on it…";
}
std::string Messages::history_cleared() const {
    return ru() ? "История источников очищена." : "Source history cleared.";
}
std::string Messages::scheduled_intro(int candidates) const {
    return ru() ? fmt::format(
                      "🗓 Плановая генерация: {} {} на проверку.",
                      candidates, ru_plural(candidates, "кандидат", "кандидата", "кандидатов"))
                : fmt::format("🗓 Scheduled generation: {} candidates to review.", candidates);
}
std::string Messages::scheduled_done(int sent, int failed) const {
    return ru() ? fmt::format("Кандидатов отправлено: {}, ошибок: {}. Выберите, что публиковать.",
                              sent, failed)
                : fmt::format("Candidates sent: {}, failed: {}. Choose what to publish.", sent,
                              failed);
}
std::string Messages::scheduled_gave_up(long long minutes, std::string_view holder_html) const {
    if (ru()) {
        return fmt::format(
            "⚠️ Плановая генерация пропущена: "
            "блокировка занята ({}) "
            "дольше {} мин.",
            holder_html, minutes);
    }
    return fmt::format(
        "⚠️ Scheduled generation skipped: the lock stayed held ({}) for over {} min.",
        holder_html, minutes);
}
std::string Messages::unclean_end(std::string_view error_html) const {
    return ru() ? fmt::format(
                      "⚠️ Бот перезапущен после аварийного "
                      "завершения: "
                      "{}",
                      error_html)
                : fmt::format("⚠️ The bot restarted after an unclean end: {}", error_html);
}
std::string Messages::unknown_command() const {
    return ru() ? "Неизвестная команда. /help — список команд."
                : "Unknown command. /help lists the commands.";
}

std::string Messages::upload_added(bool music, std::string_view name_html,
                                   std::string_view facts) const {
    if (ru()) {
        return fmt::format("✅ Добавлено в {}: <b>{}</b>\n{}", music ? "музыку" : "медиатеку мемов",
                           name_html, facts);
    }
    return fmt::format("✅ Added to the {} library: <b>{}</b>\n{}", music ? "music" : "meme",
                       name_html, facts);
}

std::string Messages::upload_refused(std::string_view reason_html) const {
    return ru() ? fmt::format("❌ Не добавлено: {}", reason_html)
                : fmt::format("❌ Not added: {}", reason_html);
}

std::string Messages::upload_too_large(double megabytes, int limit_mb) const {
    if (megabytes <= 0) {
        return ru()
                   ? fmt::format("❌ Не добавлено: файл больше предела {} МБ.", limit_mb)
                   : fmt::format("❌ Not added: the file is larger than the {} MB limit.", limit_mb);
    }
    return ru() ? fmt::format("❌ Не добавлено: файл {:.1f} МБ, больше предела {} МБ.", megabytes,
                              limit_mb)
                : fmt::format("❌ Not added: the file is {:.1f} MB, more than the {} MB limit.",
                              megabytes, limit_mb);
}

std::string Messages::upload_unsupported() const {
    return ru() ? "❌ Не добавлено: пришлите фото, GIF, видео или аудио (можно файлом)."
                : "❌ Not added: send a photo, GIF, video or audio file (or one as a document).";
}

std::string Messages::intake_full() const {
    return ru() ? "слишком много файлов в очереди" : "too many files are waiting";
}

std::string Messages::no_download_path() const {
    return ru() ? "Telegram не дал ссылку на файл" : "Telegram gave no download path";
}

std::string Messages::uploads_disabled() const {
    return ru() ? "Добавление медиа сообщениями выключено (library.uploads)."
                : "Adding media by message is switched off (library.uploads).";
}

std::string Messages::upload_facts(std::string_view kind, int width, int height, double seconds,
                                   std::uint64_t bytes) const {
    static const std::pair<std::string_view, std::string_view> kinds_ru[] = {
        {"still", "картинка"}, {"animation", "анимация"}, {"video", "видео"}, {"audio", "аудио"}};
    std::string out(kind);
    if (ru()) {
        for (const auto& [en, ru_name] : kinds_ru) {
            if (en == kind)
                out = ru_name;
        }
    }
    if (width > 0 && height > 0)
        out += fmt::format(" · {}×{}", width, height);
    if (seconds > 0) {
        out += seconds >= 60 ? fmt::format(" · {}:{:02}", static_cast<int>(seconds) / 60,
                                           static_cast<int>(seconds) % 60)
               : ru()        ? fmt::format(" · {:.1f} с", seconds)
                             : fmt::format(" · {:.1f} s", seconds);
    }
    if (bytes >= 1'000'000) {
        out += ru() ? fmt::format(" · {:.1f} МБ", bytes / 1e6)
                    : fmt::format(" · {:.1f} MB", bytes / 1e6);
    } else {
        const auto kb = (bytes + 999) / 1000;
        out += ru() ? fmt::format(" · {} кБ", kb) : fmt::format(" · {} kB", kb);
    }
    return out;
}

// ---------------------------------------------------------------- publishing

std::string Messages::publishing(int targets) const {
    if (ru())
        return fmt::format("📤 Публикую: целей — {}", targets);
    return fmt::format("📤 Publishing to {} {}", targets, targets == 1 ? "target" : "targets");
}
std::string Messages::publish_report_title() const {
    return ru() ? "📤 <b>Публикация</b>" : "📤 <b>Publishing</b>";
}
std::string Messages::publish_queued(std::string_view label_html) const {
    return ru() ? fmt::format("⏳ {}: в очереди", label_html)
                : fmt::format("⏳ {}: queued", label_html);
}
std::string Messages::publish_progress(std::string_view label_html, int percent) const {
    return ru() ? fmt::format("⏳ {}: загружено {}%", label_html, percent)
                : fmt::format("⏳ {}: {}% uploaded", label_html, percent);
}
std::string Messages::publish_done(std::string_view label_html, std::string_view url_html) const {
    if (url_html.empty())
        return fmt::format("✅ {}", label_html);
    return fmt::format("✅ {}: {}", label_html, url_html);
}
std::string Messages::publish_failed(std::string_view label_html,
                                     std::string_view reason_html) const {
    return fmt::format("❌ {}: {}", label_html, reason_html);
}
std::string Messages::publish_reconnect() const {
    return ru() ? " — авторизация истекла или отозвана: подключите аккаунт заново (README, "
                  "«Publishing»), затем нажмите «Повторить»"
                : " — the authorization expired or was revoked: reconnect the account (README, "
                  "\"Publishing\"), then press Retry";
}
std::string Messages::button_retry(std::string_view label) const {
    return ru() ? fmt::format("🔁 Повторить: {}", label) : fmt::format("🔁 Retry {}", label);
}
std::string Messages::retry_not_needed() const {
    return ru() ? "Эта цель не ждёт повтора." : "This target needs no retry.";
}

// ---------------------------------------------------------------- /dryrun, /history

std::string Messages::dry_run_report(std::string_view source_html, std::string_view lines) const {
    if (ru()) {
        return fmt::format(
            "🧪 Пробный режим: ничего не опубликовано.\n"
            "Публикация отправила бы <b>{}</b>:\n{}",
            source_html, lines);
    }
    return fmt::format("🧪 Dry run: nothing was posted. Publish would send <b>{}</b> to:\n{}",
                       source_html, lines);
}
std::string Messages::dry_run_target(std::string_view label_html,
                                     std::string_view what_html) const {
    if (what_html.empty())
        return fmt::format("• {}", label_html);
    return fmt::format("• {}: {}", label_html, what_html);
}
std::string Messages::dry_run_toast() const {
    if (ru())
        return "🧪 Пробный режим: ничего не опубликовано";
    return "🧪 Dry run: nothing posted";
}
std::string Messages::dry_run_state(bool on) const {
    // Short pieces: clang-format measures bytes, and Cyrillic takes two per letter.
    if (ru() && on)
        return "🧪 Пробный режим ВКЛЮЧЁН.\n"
               "«Опубликовать» только сообщает,\n"
               "что и куда ушло бы.";
    if (ru())
        return "🧪 Пробный режим выключен: «Опубликовать» "
               "публикует.";
    if (on)
        return "🧪 Dry run is ON: Publish only says what it would post and where.";
    return "🧪 Dry run is off: Publish posts.";
}
std::string Messages::dry_run_usage() const {
    return ru() ? "Использование: /dryrun on | off (без аргумента — показать)"
                : "Usage: /dryrun on | off (no argument: show)";
}
std::string Messages::history_title(int count) const {
    return ru() ? fmt::format("📜 <b>Опубликовано</b> (последние {})", count)
                : fmt::format("📜 <b>Published</b> (last {})", count);
}
std::string Messages::history_entry(std::string_view when, std::string_view source_html,
                                    std::string_view track_html,
                                    std::string_view links_html) const {
    return fmt::format("\n\n🕒 {} · 🎬 {} · 🎵 {}\n{}", when, source_html, track_html, links_html);
}
std::string Messages::history_empty() const {
    return ru() ? "📜 Пока ничего не опубликовано." : "📜 Nothing published yet.";
}
std::string Messages::history_usage(int max) const {
    return ru() ? fmt::format("Использование: /history [N], N от 1 до {}", max)
                : fmt::format("Usage: /history [N], N from 1 to {}", max);
}

// ---------------------------------------------------------------- /connect, /disconnect

std::string Messages::connect_usage() const {
    return ru() ? "Использование: /connect youtube, /disconnect youtube"
                : "Usage: /connect youtube, /disconnect youtube";
}
std::string Messages::connect_not_configured() const {
    return ru() ? "YouTube не настроен: задайте publish.youtube.client_id и client_secret."
                : "YouTube is not configured: set publish.youtube.client_id and client_secret.";
}
std::string Messages::connect_running() const {
    return ru() ? "Подключение уже идёт: введите код, отправленный выше."
                : "A connection is already under way: enter the code sent above.";
}
std::string Messages::connect_code(std::string_view url_html, std::string_view code_html,
                                   int minutes) const {
    return ru() ? fmt::format(
                      "🔑 Откройте {} на любом устройстве и введите код <code>{}</code> "
                      "(действует {} мин.).",
                      url_html, code_html, minutes)
                : fmt::format(
                      "🔑 Open {} on any device and enter the code <code>{}</code> "
                      "(valid for {} min).",
                      url_html, code_html, minutes);
}
std::string Messages::connect_done() const {
    return ru() ? "✅ YouTube подключён." : "✅ YouTube is connected.";
}
std::string Messages::connect_denied() const {
    return ru() ? "❌ Доступ не разрешён: подключение отменено."
                : "❌ Access was denied: YouTube is not connected.";
}
std::string Messages::connect_expired() const {
    return ru() ? "⌛ Код истёк: отправьте /connect youtube ещё раз."
                : "⌛ The code expired: send /connect youtube again.";
}
std::string Messages::connect_failed(std::string_view reason_html) const {
    return ru() ? fmt::format("❌ Не получилось: {}", reason_html)
                : fmt::format("❌ That did not work: {}", reason_html);
}
std::string Messages::disconnected() const {
    return ru() ? "YouTube отключён: токен отозван и удалён."
                : "YouTube is disconnected: the token was revoked and deleted.";
}

}  // namespace memegen::bot
