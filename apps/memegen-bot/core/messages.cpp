#include "core/messages.hpp"

#include <fmt/format.h>

#include <utility>

#include "library/look_alikes.hpp"

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

// /status
std::string Messages::status_title() const {
    return ru() ? "📊 <b>Состояние системы</b>\n\n💾 Память:\n"
                : "📊 <b>System status</b>\n\n💾 Memory:\n";
}
std::string Messages::status_memory(double rss_mb, double vms_mb, double percent,
                                    int threads) const {
    if (ru()) {
        return fmt::format(
            "  RSS: {:.2f} МБ\n  VMS: {:.2f} МБ\n  Использование: {:.1f}%\n  Потоки: {}\n", rss_mb,
            vms_mb, percent, threads);
    }
    return fmt::format("  RSS: {:.2f} MB\n  VMS: {:.2f} MB\n  Usage: {:.1f}%\n  Threads: {}\n",
                       rss_mb, vms_mb, percent, threads);
}
std::string Messages::status_not_running() const {
    return ru() ? "  бот не запущен\n" : "  bot not running\n";
}
std::string Messages::status_last_state(std::string_view state_html,
                                        std::string_view time_html) const {
    return ru() ? fmt::format("  бот не запущен (последнее состояние: {}, {})\n", state_html,
                              time_html)
                : fmt::format("  bot not running (last state: {} at {})\n", state_html, time_html);
}
std::string Messages::status_rss_then(double rss_mb) const {
    return ru() ? fmt::format("  RSS тогда: {:.2f} МБ\n", rss_mb)
                : fmt::format("  RSS then: {:.2f} MB\n", rss_mb);
}
std::string Messages::status_render_peak(double mb) const {
    return ru() ? fmt::format("  Пик последнего рендера: {:.1f} МБ\n", mb)
                : fmt::format("  Last render peak: {:.1f} MB\n", mb);
}
std::string Messages::status_locked(std::string_view label_html, long long seconds_held) const {
    return ru() ? fmt::format("🔒 Генерация: ЗАНЯТО ({}, запущена {} с назад)\n", label_html,
                              seconds_held)
                : fmt::format("🔒 Generation: LOCKED ({}, started {} s ago)\n", label_html,
                              seconds_held);
}
std::string Messages::status_free() const {
    return ru() ? "🔓 Генерация: СВОБОДНО\n" : "🔓 Generation: FREE\n";
}
std::string Messages::status_problem(std::string_view stage_html, std::string_view error_html,
                                     std::string_view time_html) const {
    if (ru()) {
        return fmt::format(
            "\n⚠️ Последняя проблема:\n"
            "  Этап: {}\n"
            "  Ошибка: {}\n"
            "  Время: {}\n",
            stage_html, error_html, time_html);
    }
    return fmt::format("\n⚠️ Last problem:\n  Stage: {}\n  Error: {}\n  Time: {}\n", stage_html,
                       error_html, time_html);
}
std::string Messages::status_library(std::size_t memes, std::size_t tracks) const {
    return ru() ? fmt::format("\n📚 Медиатека: мемов {}, треков {}", memes, tracks)
                : fmt::format("\n📚 Library: {} memes, {} tracks", memes, tracks);
}
std::string Messages::status_library_pending(std::size_t pending) const {
    return ru() ? fmt::format(", на проверке {}", pending)
                : fmt::format(", {} being checked", pending);
}
std::string Messages::status_library_rejected(std::size_t rejected) const {
    return ru() ? fmt::format(", отклонено {}", rejected) : fmt::format(", {} rejected", rejected);
}
std::string Messages::status_disliked(std::size_t count, std::string_view names_html) const {
    return ru() ? fmt::format("👎 Не нравятся ({}): {}\n", count, names_html)
                : fmt::format("👎 Disliked ({}): {}\n", count, names_html);
}
std::string Messages::status_dry_run_on() const {
    return ru() ? "🧪 Пробный режим публикации: ВКЛ\n"
                : "🧪 Publish dry run: ON\n";
}
std::string Messages::status_near_duplicates(std::size_t refused_today) const {
    return ru() ? fmt::format("  Отклонено похожих сегодня: {}\n", refused_today)
                : fmt::format("  Near-duplicates refused today: {}\n", refused_today);
}
std::string Messages::status_next_generation(std::string_view when_text) const {
    return ru() ? fmt::format("\n⏰ Следующая генерация {}\n", when_text)
                : fmt::format("\n⏰ Next generation {}\n", when_text);
}
std::string Messages::status_today(std::string_view slots) const {
    return ru() ? fmt::format("📅 Сегодня: {}\n", slots) : fmt::format("📅 Today: {}\n", slots);
}
std::string Messages::status_slot(std::string_view english) const {
    static constexpr std::pair<std::string_view, std::string_view> kRu[] = {
        {"pending", "ожидает"},
        {"running", "идёт"},
        {"done", "готово"},
        {"failed", "ошибка"},
        {"skipped", "пропущено"}};
    if (!ru())
        return std::string(english);
    for (const auto& [en, ru_word] : kRu) {
        if (en == english)
            return std::string(ru_word);
    }
    return "?";
}
std::string Messages::status_schedule_disabled() const {
    return ru() ? "\n⏰ Расписание выключено\n" : "\n⏰ Schedule disabled\n";
}
std::string Messages::status_generations_today(int done, int failed) const {
    return ru() ? fmt::format("🎬 Генераций сегодня: {} успешно / {} с ошибкой", done, failed)
                : fmt::format("🎬 Generations today: {} done / {} failed", done, failed);
}
std::string Messages::status_publish_failures(std::size_t count) const {
    return ru() ? fmt::format("\n📤 Неудачные публикации ({}):\n", count)
                : fmt::format("\n📤 Failed publications ({}):\n", count);
}
std::string Messages::status_publish_failure(std::string_view label_html,
                                             std::string_view media_html,
                                             std::string_view reason_html) const {
    return fmt::format("  ❌ {} · {}: {}", label_html, media_html, reason_html);
}
std::string Messages::status_publish_failures_more(std::size_t more) const {
    return ru() ? fmt::format("  … и ещё {}\n", more) : fmt::format("  … and {} more\n", more);
}

// ---- Schedule and housekeeping commands (issue 13) ----

std::string Messages::schedule_head(std::string_view now_text, std::string_view zone_html,
                                    std::string_view window_start, std::string_view window_end,
                                    int per_day, std::string_view plan_date) const {
    if (zone_html.empty())
        zone_html = ru() ? "системный пояс" : "system zone";
    if (ru()) {
        return fmt::format(
            "🗓 <b>Расписание</b>\n"
            "Сейчас: {} ({})\n"
            "Окно: {}–{}, {} в день\n"
            "План на {}:",
            now_text, zone_html, window_start, window_end, per_day, plan_date);
    }
    return fmt::format(
        "🗓 <b>Schedule</b>\n"
        "Now: {} ({})\n"
        "Window: {}–{}, {} a day\n"
        "Plan for {}:",
        now_text, zone_html, window_start, window_end, per_day, plan_date);
}

namespace {

std::string_view slot_word(bool ru, SlotStatus status) {
    switch (status) {
        case SlotStatus::pending:
            return ru ? "🕒 ожидает" : "🕒 pending";
        case SlotStatus::running:
            return ru ? "⏳ идёт" : "⏳ running";
        case SlotStatus::done:
            return ru ? "✅ готово" : "✅ done";
        case SlotStatus::failed:
            return ru ? "❌ ошибка" : "❌ failed";
        case SlotStatus::skipped:
            return ru ? "⏭ пропущено" : "⏭ missed";
    }
    return "?";
}

}  // namespace

std::string Messages::schedule_slot(std::size_t number, std::string_view clock, SlotStatus status,
                                    bool moved) const {
    const auto word = slot_word(ru(), status);
    if (moved) {
        return ru() ? fmt::format("#{} {} — {} ← перенесено", number, clock, word)
                    : fmt::format("#{} {} — {} ← moved", number, clock, word);
    }
    return fmt::format("#{} {} — {}", number, clock, word);
}

std::string Messages::schedule_no_slots() const {
    return ru() ? "(слотов нет)" : "(no slots)";
}

std::string Messages::schedule_hint() const {
    return ru() ? "/setnext № время — перенести слот; /rebuildschedule — заново разыграть "
                  "ожидающие."
                : "/setnext # time — move a slot; /rebuildschedule — draw the pending ones anew.";
}

std::string Messages::schedule_disabled() const {
    return ru() ? "Расписание выключено (daily_generations = 0)."
                : "No schedule: daily_generations is 0.";
}

std::string Messages::setnext_usage() const {
    return ru() ? "Использование: /setnext № время, где время — ЧЧ:ММ, +30m, -1h, +2h или "
                  "ГГГГ-ММ-ДД ЧЧ:ММ; например, /setnext 2 16:30. Номера — в /scheduleinfo."
                : "Usage: /setnext # time, the time as HH:MM, +30m, -1h, +2h or YYYY-MM-DD "
                  "HH:MM; e.g. /setnext 2 16:30. /scheduleinfo shows the numbers.";
}

std::string Messages::setnext_unknown_slot(std::size_t number, std::size_t count) const {
    return ru() ? fmt::format("Слота #{} нет: в плане их {} (/scheduleinfo).", number, count)
                : fmt::format("There is no slot #{}: the plan has {} (/scheduleinfo).", number,
                              count);
}

std::string Messages::setnext_not_pending(std::size_t number, SlotStatus status) const {
    return ru() ? fmt::format("Слот #{} — {}: переносятся только ожидающие слоты.", number,
                              slot_word(true, status))
                : fmt::format("Slot #{} is {}: only pending slots move.", number,
                              slot_word(false, status));
}

std::string Messages::setnext_passed(std::string_view when_text, std::string_view now_text) const {
    return ru() ? fmt::format("{} уже прошло (сейчас {}): выберите время позже.", when_text,
                              now_text)
                : fmt::format("{} has passed (now {}): choose a later time.", when_text, now_text);
}

std::string Messages::setnext_too_far(std::string_view when_text, long long hours) const {
    return ru() ? fmt::format("{} — дальше чем через {} ч: слот переносится в пределах своего дня.",
                              when_text, hours)
                : fmt::format("{} is more than {} h ahead: a slot moves within its day.", when_text,
                              hours);
}

std::string Messages::setnext_other_day(std::string_view when_text,
                                        std::string_view plan_date) const {
    return ru() ? fmt::format("{} — не {}, день плана: слот переносится в пределах своего дня.",
                              when_text, plan_date)
                : fmt::format("{} is not on {}, the plan's day: a slot moves within its day.",
                              when_text, plan_date);
}

std::string Messages::slot_moved(std::size_t from, std::string_view clock, std::size_t to) const {
    if (from == to) {
        return ru() ? fmt::format("✅ Слот #{} перенесён на {}.", from, clock)
                    : fmt::format("✅ Slot #{} moved to {}.", from, clock);
    }
    return ru() ? fmt::format("✅ Слот #{} перенесён на {}, теперь это #{}.", from, clock, to)
                : fmt::format("✅ Slot #{} moved to {}; it is #{} now.", from, clock, to);
}

std::string Messages::schedule_redrawn(int n) const {
    return ru() ? fmt::format("🔄 Заново разыграно: {} {}.", n,
                              ru_plural(n, "слот", "слота", "слотов"))
                : fmt::format("🔄 Drawn anew: {} slot{}.", n, n == 1 ? "" : "s");
}

std::string Messages::schedule_nothing_to_redraw() const {
    return ru() ? "Впереди нет ожидающих слотов: разыгрывать нечего."
                : "No pending slot lies ahead: nothing to draw anew.";
}

std::string Messages::schedule_window_over(std::string_view window_end) const {
    return ru() ? fmt::format("Окно закончилось в {}: ожидающие слоты остаются как есть.",
                              window_end)
                : fmt::format("The window ended at {}: the pending slots stay as they are.",
                              window_end);
}

std::string Messages::cleanup_done(int files, double megabytes, int hours, int failed) const {
    std::string out;
    if (ru()) {
        out =
            files == 0
                ? fmt::format("🧹 Рабочих файлов старше {} ч нет.", hours)
                : fmt::format("🧹 Удалено {} {} старше {} ч ({:.1f} МБ).", files,
                              ru_plural(files, "рабочий файл", "рабочих файла", "рабочих файлов"),
                              hours, megabytes);
        if (failed > 0)
            out += fmt::format(" Не удалось удалить: {} (см. журнал).", failed);
        return out;
    }
    out = files == 0 ? fmt::format("🧹 No work file is older than {} h.", hours)
                     : fmt::format("🧹 Removed {} work file{} older than {} h ({:.1f} MB).",
                                   files, files == 1 ? "" : "s", hours, megabytes);
    if (failed > 0)
        out += fmt::format(" {} could not be removed (see the log).", failed);
    return out;
}

std::string Messages::chat_id(std::string_view id, bool private_chat) const {
    if (private_chat) {
        return ru() ? fmt::format(
                          "Id этого чата: <code>{}</code> (личный чат с ботом: годится для "
                          "review_chat; id группы — отправьте /chatid в группе).",
                          id)
                    : fmt::format(
                          "This chat's id: <code>{}</code> (your private chat with the "
                          "bot, for review_chat; for a group's id, send /chatid there).",
                          id);
    }
    return ru() ? fmt::format("Id этого чата: <code>{}</code>", id)
                : fmt::format("This chat's id: <code>{}</code>", id);
}

std::string Messages::near_duplicate(SeenKind kind, std::string_view name_html,
                                     std::string_view date, std::string_view clock, int distance,
                                     int max_distance) const {
    const bool known = !date.empty();
    if (ru()) {
        std::string seen;
        switch (kind) {
            case SeenKind::library:
                seen = " из медиатеки мемов";
                break;
            case SeenKind::published:
                seen = known ? fmt::format(", опубликованный {} в {}", date, clock)
                             : ", опубликованный ранее";
                break;
            case SeenKind::disliked:
                seen = known ? fmt::format(", отмеченный «не нравится» {} в {}", date, clock)
                             : ", отмеченный «не нравится»";
                break;
        }
        return fmt::format(
            "он похож на <b>{}</b>{} (отличие {} {} из 64; library.duplicate_distance = {}).",
            name_html, seen, distance, ru_plural(distance, "бит", "бита", "бит"), max_distance);
    }
    std::string seen;
    switch (kind) {
        case SeenKind::library:
            seen = "already in the meme library";
            break;
        case SeenKind::published:
            seen = known ? fmt::format("published on {} at {}", date, clock) : "published earlier";
            break;
        case SeenKind::disliked:
            seen = known ? fmt::format("disliked on {} at {}", date, clock) : "disliked earlier";
            break;
    }
    return fmt::format(
        "it looks like <b>{}</b>, {} ({} of 64 bits apart; library.duplicate_distance is {}).",
        name_html, seen, distance, max_distance);
}

// ---------------------------------------------------------------- review buttons (issue 13)

std::string Messages::deleted() const {
    return ru() ? "🗑 Удалено: этот кандидат не будет "
                  "опубликован."
                : "🗑 Deleted: this candidate will not be published.";
}
std::string Messages::already_deleted() const {
    return ru() ? "Этот кандидат удалён." : "This candidate was deleted.";
}
std::string Messages::disliked(std::string_view name, int days, std::string_view until) const {
    return ru() ? fmt::format("👎 {} не будет выбираться {} {} (до {}).", name, days,
                              ru_plural(days, "день", "дня", "дней"), until)
                : fmt::format("👎 {} will not be picked for {} day{} (until {}).", name, days,
                              days == 1 ? "" : "s", until);
}
std::string Messages::dislike_failed(std::string_view error) const {
    return ru() ? fmt::format("Не удалось запомнить «не нравится»: {}", error)
                : fmt::format("Could not save the dislike: {}", error);
}
std::string Messages::edit_captions_how() const {
    return ru() ? "Ответьте на это видео текстом: верхняя подпись | нижняя подпись. Одна "
                  "сторона может быть пустой; «|» без текста убирает обе."
                : "Reply to this video with: top text | bottom text. One side may be empty; "
                  "\"|\" alone removes both.";
}
std::string Messages::caption_reply_not_candidate() const {
    return ru() ? "Это сообщение не кандидат. Чтобы сменить подписи, ответьте на видео "
                  "кандидата текстом: <code>верхняя | нижняя</code>."
                : "That message is not a candidate. To change captions, reply to a candidate's "
                  "video with: <code>top text | bottom text</code>.";
}
std::string Messages::caption_edit_published() const {
    return ru() ? "Этот кандидат уже опубликован: его подписи больше не меняются."
                : "This candidate is already published: its captions can no longer change.";
}
std::string Messages::caption_edit_replaced() const {
    return ru() ? "Этого кандидата уже заменил новый: ответьте на самое новое видео."
                : "This candidate was replaced by a newer one: reply to the newest video.";
}
std::string Messages::caption_edit_usage() const {
    return ru() ? "Напишите подписи так: <code>верхняя | нижняя</code> (одна черта «|»; сторона "
                  "может быть пустой, «|» без текста убирает обе)."
                : "Write the captions as: <code>top text | bottom text</code> (one \"|\"; a side "
                  "may be empty, \"|\" alone removes both).";
}
std::string Messages::caption_too_long(bool bottom, std::size_t length, std::size_t limit) const {
    const auto n = static_cast<long long>(length);
    return ru() ? fmt::format("{} подпись — {} {}, больше предела {}. Ничего не изменено.",
                              bottom ? "Нижняя" : "Верхняя", n,
                              ru_plural(n, "символ", "символа", "символов"), limit)
                : fmt::format(
                      "The {} caption is {} characters long, over the limit of {}. "
                      "Nothing was changed.",
                      bottom ? "bottom" : "top", length, limit);
}
std::string Messages::what_edit_captions() const {
    return ru() ? "Подписи" : "Edit captions";
}

// ---------------------------------------------------------------- publishing

std::string Messages::publishing(int targets) const {
    if (ru())
        return fmt::format("📤 Публикую: целей — {}", targets);
    return fmt::format("📤 Publishing to {} {}", targets, targets == 1 ? "target" : "targets");
}
std::string Messages::publish_queued(std::string_view label_html) const {
    return ru() ? fmt::format("⏳ {}: в очереди", label_html)
                : fmt::format("⏳ {}: queued", label_html);
}
std::string Messages::publish_uploading(std::string_view label_html) const {
    return ru() ? fmt::format("⏳ {}: загрузка…", label_html)
                : fmt::format("⏳ {}: uploading…", label_html);
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
std::string Messages::reconnect_hint(std::string_view command_html) const {
    if (command_html.empty()) {
        return ru() ? " — ключи отклонены: впишите новые в конфигурацию (README, «Publishing»), "
                      "перезапустите бота и нажмите «Повторить»"
                    : " — the keys were refused: put new ones in the configuration (README, "
                      "\"Publishing\"), restart the bot, then press Retry";
    }
    return ru() ? fmt::format(" — отправьте {}, затем нажмите «Повторить»", command_html)
                : fmt::format(" — send {}, then press Retry", command_html);
}
std::string Messages::publish_note(std::string_view note_html) const {
    // The note is the publisher's text, English in both languages like a ❌ line's reason.
    if (note_html.empty())
        return {};
    return fmt::format(" — ⚠️ {}", note_html);
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
