#include "observability/status_report.hpp"

#include <fmt/format.h>

#include <memegen/detail/clock.hpp>
#include <memegen/error.hpp>

#include "config/timezone.hpp"
#include "observability/daily_stats.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

using nlohmann::json;

namespace {

std::string memory_lines(const ResourceSnapshot& s, bool ru) {
    return fmt::format(
        fmt::runtime(
            ru ? "  RSS: {:.2f} МБ\n  VMS: {:.2f} МБ\n  Использование: {:.1f}%\n  Потоки: {}\n"
               : "  RSS: {:.2f} MB\n  VMS: {:.2f} MB\n  Usage: {:.1f}%\n  Threads: {}\n"),
        s.rss_mb(), s.vms_mb(), s.percent, s.threads);
}

// "idle at 2026-11-21T08:00:00+00:00": the last state the stopped bot wrote.
std::string last_state_line(const StatusReport& r, bool ru) {
    if (!r.state)
        return ru ? "  бот не запущен\n" : "  bot not running\n";
    std::string line =
        fmt::format(fmt::runtime(ru ? "  бот не запущен (последнее состояние: {}, {})\n"
                                    : "  bot not running (last state: {} at {})\n"),
                    escape_html(r.state->state), escape_html(r.state->timestamp));
    const auto& memory = r.state->details.value("memory", json::object());
    if (memory.contains("rss_mb") && memory["rss_mb"].is_number()) {
        line +=
            fmt::format(fmt::runtime(ru ? "  RSS тогда: {:.2f} МБ\n" : "  RSS then: {:.2f} MB\n"),
                        memory["rss_mb"].get<double>());
    }
    return line;
}

std::string decode_entities(std::string text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '<') {
            const auto end = text.find('>', i);
            if (end == std::string::npos)
                break;
            i = end + 1;
            continue;
        }
        if (text[i] == '&') {
            bool decoded = false;
            for (const auto& [entity, c] : {std::pair{"&lt;", '<'}, std::pair{"&gt;", '>'},
                                            std::pair{"&quot;", '"'}, std::pair{"&amp;", '&'}}) {
                const std::string_view e(entity);
                if (text.compare(i, e.size(), e) == 0) {
                    out += c;
                    i += e.size();
                    decoded = true;
                    break;
                }
            }
            if (decoded)
                continue;
        }
        out += text[i++];
    }
    return out;
}

std::string_view slot_status_ru(SlotStatus status) {
    switch (status) {
        case SlotStatus::pending:
            return "ожидает";
        case SlotStatus::running:
            return "идёт";
        case SlotStatus::done:
            return "готово";
        case SlotStatus::failed:
            return "ошибка";
        case SlotStatus::skipped:
            return "пропущено";
    }
    return "?";
}

json timestamp_or_null(const std::optional<TimePoint>& when) {
    return when ? json(detail::local_timestamp(*when)) : json(nullptr);
}

}  // namespace

std::string status_html(const StatusReport& r, Language language) {
    const bool ru = language == Language::ru;
    std::string out =
        ru ? "📊 <b>Состояние системы</b>\n\n💾 Память:\n" : "📊 <b>System status</b>\n\n💾 Memory:\n";
    out += r.memory ? memory_lines(*r.memory, ru) : last_state_line(r, ru);
    if (r.last_render_peak_bytes > 0) {
        out += fmt::format(fmt::runtime(ru ? "  Пик последнего рендера: {:.1f} МБ\n"
                                           : "  Last render peak: {:.1f} MB\n"),
                           ResourceSnapshot::mib(r.last_render_peak_bytes));
    }
    out += "\n";
    if (r.guard) {
        out += fmt::format(fmt::runtime(ru ? "🔒 Генерация: ЗАНЯТО ({}, запущена {} с назад)\n"
                                           : "🔒 Generation: LOCKED ({}, started {} s ago)\n"),
                           escape_html(r.guard->label), r.guard->seconds_held(r.now));
    } else {
        out += ru ? "🔓 Генерация: СВОБОДНО\n" : "🔓 Generation: FREE\n";
    }
    if (r.dry_run && *r.dry_run)
        out += ru ? "🧪 Пробный режим публикации: ВКЛ\n"
                  : "🧪 Publish dry run: ON\n";
    if (r.last_problem) {
        const char* format = ru ? "\n⚠️ Последняя проблема:\n"
                                  "  Этап: {}\n"
                                  "  Ошибка: {}\n"
                                  "  Время: {}\n"
                                : "\n⚠️ Last problem:\n  Stage: {}\n  Error: {}\n  Time: {}\n";
        out += fmt::format(fmt::runtime(format), escape_html(r.last_problem->stage),
                           truncate_html(escape_html(r.last_problem->error), 600),
                           escape_html(r.last_problem->timestamp));
    }
    if (r.library) {
        const auto& l = *r.library;
        out += fmt::format(fmt::runtime(ru ? "\n📚 Медиатека: мемов {}, треков {}"
                                           : "\n📚 Library: {} memes, {} tracks"),
                           l.memes, l.tracks);
        if (l.pending > 0)
            out += fmt::format(fmt::runtime(ru ? ", на проверке {}" : ", {} being checked"),
                               l.pending);
        if (l.rejected > 0)
            out += fmt::format(fmt::runtime(ru ? ", отклонено {}" : ", {} rejected"), l.rejected);
        out += "\n";
    }
    if (r.schedule_enabled) {
        if (r.next_slot) {
            out += "\n⏰ " + std::string(ru ? "Следующая генерация " : "Next generation ") +
                   format_time_until(*r.next_slot, r.now, language) + "\n";
        }
        if (r.today) {
            std::string slots;
            for (const auto& slot : r.today->slots) {
                if (!slots.empty())
                    slots += ", ";
                slots += local_clock_text(slot.when).substr(0, 5);
                if (slot.status != SlotStatus::pending) {
                    slots += ' ';  // appended apart: `" " + string` trips GCC 12's -Wrestrict
                    slots += ru ? slot_status_ru(slot.status) : to_string(slot.status);
                }
            }
            out += fmt::format(fmt::runtime(ru ? "📅 Сегодня: {}\n" : "📅 Today: {}\n"), slots);
        }
    } else {
        out += ru ? "\n⏰ Расписание выключено\n" : "\n⏰ Schedule disabled\n";
    }
    out += fmt::format(fmt::runtime(ru ? "🎬 Генераций сегодня: {} успешно / {} с ошибкой"
                                       : "🎬 Generations today: {} done / {} failed"),
                       r.done_today, r.failed_today);
    return out;
}

std::string status_text(const StatusReport& report, Language language) {
    return decode_entities(status_html(report, language)) + "\n";
}

json to_json(const StatusReport& r) {
    json j = {{"time", detail::local_timestamp(r.now)},
              {"bot_running", r.memory.has_value()},
              {"memory", r.memory ? json(*r.memory) : json(nullptr)},
              {"last_render_peak_bytes", r.last_render_peak_bytes},
              {"guard", nullptr},
              {"last_problem", r.last_problem ? json(*r.last_problem) : json(nullptr)},
              {"schedule",
               {{"enabled", r.schedule_enabled},
                {"next_slot", timestamp_or_null(r.next_slot)},
                {"today", json::array()}}},
              {"generations_today", {{"done", r.done_today}, {"failed", r.failed_today}}},
              {"library", r.library ? json{{"memes", r.library->memes},
                                           {"tracks", r.library->tracks},
                                           {"pending", r.library->pending},
                                           {"rejected", r.library->rejected}}
                                    : json(nullptr)},
              {"state", nullptr}};
    if (r.guard) {
        j["guard"] = {{"label", r.guard->label},
                      {"pid", r.guard->pid},
                      {"since", detail::local_timestamp(r.guard->since)},
                      {"seconds_held", r.guard->seconds_held(r.now)}};
    }
    if (r.today) {
        for (const auto& slot : r.today->slots) {
            j["schedule"]["today"].push_back(
                {{"when", detail::local_timestamp(slot.when)}, {"status", to_string(slot.status)}});
        }
    }
    if (r.state) {
        j["state"] = {{"state", r.state->state},
                      {"timestamp", r.state->timestamp},
                      {"details", r.state->details}};
    }
    return j;
}

StatusReport read_status_report(const std::filesystem::path& state_dir, TimePoint now) {
    std::error_code ec;
    if (!std::filesystem::is_directory(state_dir, ec)) {
        throw StateError(fmt::format("'{}' is not a state directory: {}", state_dir.string(),
                                     ec ? ec.message() : "no such directory"));
    }
    StatusReport r;
    r.now = now;
    CrashStateStore store(state_dir);
    r.state = store.current();
    r.last_problem = store.last_problem();
    if (r.state) {
        const auto& d = r.state->details;
        const pid_t pid = d.value("pid", 0);
        // The recorded pid is the bot only while it is the same process: pids are reused.
        if (pid > 0 && d.contains("pid_start") && d["pid_start"].is_number_unsigned() &&
            store.process_start_ticks(pid) == d["pid_start"].get<std::uint64_t>()) {
            r.memory = ResourceMonitor().snapshot(pid);
        }
    }
    GenerationGuard guard(state_dir, GenerationGuardOptions{.log_transitions = false});
    r.guard = guard.holder();
    if (const auto saved = read_saved_schedule(state_dir / "schedule.json")) {
        r.schedule_enabled = saved->daily_generations > 0;
        r.next_slot = saved->next_slot();
        r.today = saved->plan_for_day_of(now);
    }
    if (const auto stats = DailyStats::read(state_dir / "stats.json")) {
        r.last_render_peak_bytes = stats->last_render_peak_bytes;
        if (stats->date == local_date_of(now).to_string()) {
            r.done_today = stats->done;
            r.failed_today = stats->failed;
        }
    }
    return r;
}

}  // namespace memegen::bot
