#include "observability/status_report.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <memegen/detail/clock.hpp>
#include <memegen/error.hpp>

#include "config/timezone.hpp"
#include "core/messages.hpp"
#include "observability/daily_stats.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

using nlohmann::json;

namespace {

// Failed publications shown in the message; the rest are counted ("and 3 more"), and JSON has
// them all. Five lines keep /status one screen long.
constexpr std::size_t kShownFailures = 5;
constexpr std::size_t kReasonUnits = 300;  // a reason may quote a platform's long answer

// "idle at 2026-11-21T08:00:00+00:00": the last state the stopped bot wrote.
std::string last_state_lines(const StatusReport& r, const Messages& text) {
    if (!r.state)
        return text.status_not_running();
    std::string lines =
        text.status_last_state(escape_html(r.state->state), escape_html(r.state->timestamp));
    const auto& memory = r.state->details.value("memory", json::object());
    if (memory.contains("rss_mb") && memory["rss_mb"].is_number())
        lines += text.status_rss_then(memory["rss_mb"].get<double>());
    return lines;
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

json timestamp_or_null(const std::optional<TimePoint>& when) {
    return when ? json(detail::local_timestamp(*when)) : json(nullptr);
}

}  // namespace

std::string status_html(const StatusReport& r, Language language) {
    const Messages text{language};
    std::string out = text.status_title();
    if (r.memory) {
        out += text.status_memory(r.memory->rss_mb(), r.memory->vms_mb(), r.memory->percent,
                                  r.memory->threads);
    } else {
        out += last_state_lines(r, text);
    }
    if (r.last_render_peak_bytes > 0)
        out += text.status_render_peak(ResourceSnapshot::mib(r.last_render_peak_bytes));
    out += "\n";
    out += r.guard ? text.status_locked(escape_html(r.guard->label), r.guard->seconds_held(r.now))
                   : text.status_free();
    if (r.dry_run && *r.dry_run)
        out += text.status_dry_run_on();
    if (r.last_problem) {
        out += text.status_problem(escape_html(r.last_problem->stage),
                                   truncate_html(escape_html(r.last_problem->error), 600),
                                   escape_html(r.last_problem->timestamp));
    }
    if (const auto& failed = r.failed_publications; !failed.empty()) {
        out += text.status_publish_failures(failed.size());
        const auto shown = std::min(failed.size(), kShownFailures);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& f = failed[i];
            out += text.status_publish_failure(escape_html(f.label), escape_html(f.media),
                                               truncate_html(escape_html(f.reason), kReasonUnits));
            if (f.needs_reauth) {
                out += text.reconnect_hint(escape_html(f.reconnect));
            }
            out += "\n";
        }
        if (shown < failed.size())
            out += text.status_publish_failures_more(failed.size() - shown);
    }
    if (r.library) {
        const auto& l = *r.library;
        out += text.status_library(l.memes, l.tracks);
        if (l.pending > 0)
            out += text.status_library_pending(l.pending);
        if (l.rejected > 0)
            out += text.status_library_rejected(l.rejected);
        out += "\n";
        if (l.near_duplicates_today > 0)
            out += text.status_near_duplicates(l.near_duplicates_today);
    }
    if (!r.disliked.empty()) {
        std::string names;
        for (const auto& name : r.disliked) {
            if (!names.empty())
                names += ", ";
            names += name;
        }
        out += text.status_disliked(r.disliked.size(), truncate_html(escape_html(names), 600));
    }
    if (!r.schedule_enabled) {
        out += text.status_schedule_disabled();
    } else {
        if (r.next_slot)
            out += text.status_next_generation(format_time_until(*r.next_slot, r.now, language));
        if (r.today) {
            std::string slots;
            for (const auto& slot : r.today->slots) {
                if (!slots.empty())
                    slots += ", ";
                slots += local_clock_text(slot.when).substr(0, 5);
                if (slot.status != SlotStatus::pending) {
                    slots += ' ';  // appended apart: `" " + string` trips GCC 12's -Wrestrict
                    slots += text.status_slot(to_string(slot.status));
                }
            }
            out += text.status_today(slots);
        }
    }
    out += text.status_generations_today(r.done_today, r.failed_today);
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
              {"state", nullptr},
              {"disliked", r.disliked},
              {"failed_publications", json::array()}};
    if (r.library)
        j["library"]["near_duplicates_today"] = r.library->near_duplicates_today;
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
    for (const auto& f : r.failed_publications) {
        j["failed_publications"].push_back({{"candidate", f.candidate},
                                            {"target", f.target},
                                            {"label", f.label},
                                            {"media", f.media},
                                            {"reason", f.reason},
                                            {"needs_reauth", f.needs_reauth},
                                            {"reconnect", f.reconnect}});
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
    if (const auto candidates = CandidateStore::read(state_dir / "candidates.json"))
        r.failed_publications = publish_failures(*candidates);
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
