#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <memegen/detail/clock.hpp>
#include <memegen/error.hpp>
#include <memegen/generation_guard.hpp>

#include "config/schedule.hpp"
#include "config/timezone.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "observability/daily_stats.hpp"
#include "observability/publish_failures.hpp"
#include "observability/status_report.hpp"
#include "publish/publisher.hpp"
#include "temp_dir.hpp"

using namespace memegen;
using namespace memegen::bot;
using memegen::test::TempDir;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

StatusReport busy_report() {
    StatusReport r;
    r.now = *detail::parse_timestamp("2026-03-01T12:00:00+00:00");
    ResourceSnapshot memory;
    memory.rss_bytes = 9 * 1024 * 1024;
    memory.vms_bytes = 300 * 1024 * 1024;
    memory.percent = 0.04;
    memory.threads = 4;
    r.memory = memory;
    r.last_render_peak_bytes = 168 * 1024 * 1024;
    r.guard = GuardHolder{"/generate 3 by <@owner>", 4242, r.now - std::chrono::seconds(75)};
    r.last_problem = Problem{"render_error", "bad media: x & y", "2026-03-01T11:30:00+00:00", {}};
    r.done_today = 5;
    r.failed_today = 1;
    return r;
}

void write(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

// A candidate of `status` with `targets` as Publish and Retry leave them in candidates.json.
Candidate candidate(std::string id, std::string media, CandidateStatus status,
                    std::map<std::string, TargetState> targets) {
    Candidate c;
    c.id = std::move(id);
    c.media = std::move(media);
    c.status = status;
    c.targets = std::move(targets);
    return c;
}

TargetState failed(std::string error, bool needs_reauth = false) {
    return TargetState{"failed", "", std::move(error), needs_reauth, ""};
}

const TargetState kDone{"done", "https://t.me/c/500/7", "", false, "2026-03-01T11:00:00Z"};
const std::string kRevoked =
    "[memegen.publish] youtube: Google refused the stored authorization (revoked or expired)";

// Oldest first, as the store keeps them: X failed and the channel done for "frog"; YouTube's
// authorization gone for "cat & dog"; failures of a deleted and a replaced candidate, and a
// target a Retry has queued again, which are not waiting for the owner any more.
std::vector<Candidate> candidates_with_failures() {
    return {
        candidate("c1", "/lib/memes/frog.png", CandidateStatus::publishing,
                  {{"telegram:-100500", kDone},
                   {"x", failed("[memegen.publish] x: X answered HTTP 503 <Service Unavailable> "
                                "after 5 attempts")}}),
        candidate("c2", "/lib/memes/cat & dog.mp4", CandidateStatus::publishing,
                  {{"youtube", failed(kRevoked, true)}}),
        candidate("c3", "/lib/memes/gone.gif", CandidateStatus::deleted,
                  {{"youtube", failed("[memegen.publish] youtube: HTTP 403 quotaExceeded")}}),
        candidate("c4", "/lib/memes/old.png", CandidateStatus::replaced,
                  {{"x", failed("[memegen.publish] x: HTTP 503")}}),
        candidate("c5", "/lib/memes/again.png", CandidateStatus::publishing,
                  {{"youtube", TargetState{"queued", "", "", false, ""}}, {"x", kDone}}),
    };
}

}  // namespace

TEST_CASE("DailyStats counts the local day's generations and keeps them across restarts") {
    TempDir dir;
    const auto file = dir / "stats.json";

    SUBCASE("counts, persists, and a new day starts from zero") {
        {
            DailyStats stats(file);
            stats.record(true, "2026-03-01");
            stats.record(true, "2026-03-01");
            stats.record(false, "2026-03-01");
            stats.set_last_render_peak(170'000'000);
        }
        DailyStats reopened(file);
        auto f = reopened.figures("2026-03-01");
        CHECK(f.done == 2);
        CHECK(f.failed == 1);
        CHECK(f.last_render_peak_bytes == 170'000'000);
        f = reopened.figures("2026-03-02");
        CHECK(f.done == 0);
        CHECK(f.failed == 0);
        CHECK(f.last_render_peak_bytes == 170'000'000);  // the last render is still the last
        reopened.record(false, "2026-03-02");
        const auto read = DailyStats::read(file);
        REQUIRE(read);
        CHECK(read->date == "2026-03-02");
        CHECK(read->done == 0);
        CHECK(read->failed == 1);
    }

    SUBCASE("a corrupt or strange file is ignored, never fatal") {
        for (const std::string text :
             {"", "not json", "[]", R"({"date": 5})", R"({"date": "2026-03-01", "done": -1})",
              R"({"date": "2026-03-01", "done": "many"})"}) {
            CAPTURE(text);
            write(file, text);
            CHECK_FALSE(DailyStats::read(file));
            DailyStats stats(file);
            CHECK(stats.figures("2026-03-01").done == 0);
            stats.record(true, "2026-03-01");
            CHECK(DailyStats::read(file)->done == 1);  // and it is repaired by the next count
        }
    }

    SUBCASE("a directory in its place is moved aside, reported, and saving works again") {
        fs::create_directories(file / "inside");
        DailyStats stats(file);
        REQUIRE(stats.problems().size() == 1);
        CHECK(contains(stats.problems().front(), "stats.json was unreadable"));
        CHECK(contains(stats.problems().front(), "moved aside to stats.json.corrupt-"));
        CHECK_FALSE(DailyStats::read(file));  // never throws, for memegen-status
        stats.record(true, "2026-03-01");
        REQUIRE(DailyStats::read(file));
        CHECK(DailyStats::read(file)->done == 1);
    }

    SUBCASE("a missing file reads as nothing") {
        CHECK_FALSE(DailyStats::read(file));
    }
}

TEST_CASE("The status message says what the seed's /status said, in both languages") {
    const auto r = busy_report();

    SUBCASE("English HTML, with text from outside escaped") {
        const auto html = status_html(r, Language::en);
        CHECK(html.starts_with("📊 <b>System status</b>"));
        CHECK(contains(html, "  RSS: 9.00 MB\n  VMS: 300.00 MB\n  Usage: 0.0%\n  Threads: 4\n"));
        CHECK(contains(html, "Last render peak: 168.0 MB"));
        CHECK(contains(html,
                       "🔒 Generation: LOCKED (/generate 3 by &lt;@owner&gt;, started 75 s ago)"));
        CHECK(contains(html, "Stage: render_error\n  Error: bad media: x &amp; y\n"));
        CHECK(contains(html, "⏰ Schedule disabled"));
        CHECK(contains(html, "🎬 Generations today: 5 done / 1 failed"));
    }

    SUBCASE("Russian") {
        const auto html = status_html(r, Language::ru);
        CHECK(contains(html, "Состояние системы"));
        CHECK(contains(html, "🔒 Генерация: ЗАНЯТО"));
        CHECK(contains(html, "Генераций сегодня: 5 успешно / 1 с ошибкой"));
        // Russian units: МБ and с, never MB or "сек."
        CHECK(contains(html, " МБ\n"));
        CHECK_FALSE(contains(html, "MB"));
        CHECK(contains(html, "запущена 75 с назад"));
        CHECK(contains(html, "  Ошибка: bad media: x &amp; y\n  Время: "));
    }

    SUBCASE("plain text for a terminal: no tags, entities decoded") {
        const auto text = status_text(r, Language::en);
        CHECK(text.starts_with("📊 System status\n"));
        CHECK(contains(text, "LOCKED (/generate 3 by <@owner>, started 75 s ago)"));
        CHECK(contains(text, "Error: bad media: x & y"));
        CHECK_FALSE(contains(text, "<b>"));
        CHECK_FALSE(contains(text, "&amp;"));
    }

    SUBCASE("a stopped bot: its last state instead of live memory, guard free") {
        auto stopped = r;
        stopped.memory.reset();
        stopped.guard.reset();
        stopped.state =
            StateRecord{"idle", {{"memory", {{"rss_mb", 9.5}}}}, "2026-03-01T10:00:00+00:00"};
        const auto text = status_text(stopped, Language::en);
        CHECK(contains(text, "bot not running (last state: idle at 2026-03-01T10:00:00+00:00)"));
        CHECK(contains(text, "RSS then: 9.50 MB"));
        CHECK(contains(text, "🔓 Generation: FREE"));
    }

    SUBCASE("JSON carries the same facts") {
        const auto j = to_json(r);
        CHECK(j["bot_running"] == true);
        CHECK(j["memory"]["threads"] == 4);
        CHECK(j["guard"]["label"] == "/generate 3 by <@owner>");
        CHECK(j["guard"]["seconds_held"] == 75);
        CHECK(j["last_problem"]["stage"] == "render_error");
        CHECK(j["generations_today"]["done"] == 5);
        CHECK(j["schedule"]["enabled"] == false);
        CHECK(j["schedule"]["next_slot"].is_null());
    }
}

TEST_CASE("read_status_report reads a state directory without changing it") {
    TempDir dir;
    const auto now = std::chrono::system_clock::now();

    SUBCASE("a running bot (this process), a held guard, a problem, a schedule, today's stats") {
        CrashStateStore store(dir.path());
        store.record(stage::generating, {{"label", "/generate by @owner"}});
        store.record_problem(stage::send_error, "Telegram said 429", {});
        GenerationGuard holder_guard(dir.path(), GenerationGuardOptions{.log_transitions = false});
        auto acquisition = holder_guard.try_acquire("/generate by @owner");
        REQUIRE(acquisition);
        auto ticket = acquisition.take();
        ScheduleSettings settings;
        settings.daily_generations = 3;
        settings.window_start = ClockTime{0};
        settings.window_end = ClockTime{1440};
        Scheduler scheduler(dir.path(), settings, now, 7);
        DailyStats stats(dir / "stats.json");
        stats.record(true, local_date_of(now).to_string());
        stats.set_last_render_peak(150'000'000);

        const auto before = fs::last_write_time(dir / "schedule.json");
        const auto r = read_status_report(dir.path(), now);
        CHECK(fs::last_write_time(dir / "schedule.json") == before);

        REQUIRE(r.memory);  // the recorded pid and start time are this process
        CHECK(r.memory->pid == ::getpid());
        CHECK(r.memory->rss_bytes > 0);
        REQUIRE(r.guard);
        CHECK(r.guard->label == "/generate by @owner");
        CHECK(r.guard->pid == ::getpid());
        REQUIRE(r.last_problem);
        CHECK(r.last_problem->error == "Telegram said 429");
        CHECK(r.schedule_enabled);
        REQUIRE(r.today);
        CHECK(r.today->slots.size() == 3);
        CHECK(r.done_today == 1);
        CHECK(r.last_render_peak_bytes == 150'000'000);
        if (const auto next = scheduler.next_slot(now))
            CHECK(r.next_slot == next);
        CHECK(contains(status_text(r, Language::en), "🔒 Generation: LOCKED (/generate by @owner"));
    }

    SUBCASE("a bot that is gone: no live memory, and a pid reused by another process is not it") {
        write(dir / "generation_state.json",
              R"({"state": "idle", "timestamp": "2026-03-01T10:00:00+00:00",
                  "details": {"pid": )" +
                  std::to_string(::getpid()) + R"(, "pid_start": 1}})");
        const auto r = read_status_report(dir.path(), now);
        CHECK_FALSE(r.memory);
        REQUIRE(r.state);
        CHECK(r.state->state == "idle");
        CHECK_FALSE(r.guard);
        CHECK_FALSE(r.schedule_enabled);
        CHECK(contains(status_text(r, Language::en), "bot not running"));
    }

    SUBCASE("the failed publications from candidates.json, the file untouched") {
        {
            CandidateStore store(dir / "candidates.json");
            for (const auto& c : candidates_with_failures())
                store.put(c);
        }
        const auto before = fs::last_write_time(dir / "candidates.json");
        const auto r = read_status_report(dir.path(), now);
        CHECK(fs::last_write_time(dir / "candidates.json") == before);
        REQUIRE(r.failed_publications.size() == 2);
        CHECK(r.failed_publications[0].label == "YouTube");
        CHECK(r.failed_publications[1].label == "X");
        CHECK(contains(status_text(r, Language::en),
                       "  ❌ X · frog.png: X answered HTTP 503 <Service Unavailable> after 5 "
                       "attempts\n"));
    }

    SUBCASE("an unusable candidates.json lists nothing and stays where it is") {
        write(dir / "candidates.json", "{not json");
        const auto r = read_status_report(dir.path(), now);
        CHECK(r.failed_publications.empty());
        CHECK(fs::exists(dir / "candidates.json"));
        CHECK(fs::file_size(dir / "candidates.json") == 9);
    }

    SUBCASE("a missing directory is an error naming it") {
        try {
            static_cast<void>(read_status_report(dir / "nope", now));
            FAIL("no error");
        } catch (const StateError& e) {
            CHECK(contains(e.what(), (dir / "nope").string()));
        }
        CHECK_FALSE(fs::exists(dir / "nope"));
    }
}

TEST_CASE("read_saved_schedule reads what the Scheduler wrote and rejects anything else") {
    TempDir dir;
    const auto now = std::chrono::system_clock::now();
    ScheduleSettings settings;
    settings.daily_generations = 2;
    settings.window_start = ClockTime{0};
    settings.window_end = ClockTime{1440};
    Scheduler scheduler(dir.path(), settings, now, 11);

    const auto saved = read_saved_schedule(scheduler.file());
    REQUIRE(saved);
    CHECK(saved->daily_generations == 2);
    CHECK(saved->plan.date == scheduler.plan().date);
    CHECK(saved->plan.slots.size() == scheduler.plan().slots.size());
    CHECK(saved->next_slot() == scheduler.next_slot(now));

    for (const std::string text : {"", "{}", R"({"version": 1, "plan": 3})", "garbage"}) {
        CAPTURE(text);
        write(dir / "other.json", text);
        CHECK_FALSE(read_saved_schedule(dir / "other.json"));
    }
    CHECK_FALSE(read_saved_schedule(dir / "missing.json"));
}

TEST_CASE("The /status message, word for word, in both languages") {
    REQUIRE_FALSE(apply_timezone("+00:00"));
    auto full = busy_report();
    full.library = LibrarySummary{12, 3, 2, 1};
    full.schedule_enabled = true;
    full.next_slot = full.now + std::chrono::minutes(150);
    full.today = DailyPlan{"2026-03-01", {}};
    const auto midnight = *detail::parse_timestamp("2026-03-01T00:00:00+00:00");
    for (const auto& [minutes, status] :
         {std::pair{600, SlotStatus::done}, std::pair{660, SlotStatus::failed},
          std::pair{700, SlotStatus::skipped}, std::pair{720, SlotStatus::running},
          std::pair{870, SlotStatus::pending}}) {
        full.today->slots.push_back({midnight + std::chrono::minutes(minutes), status});
    }
    full.failed_publications = publish_failures(candidates_with_failures());
    auto stopped = busy_report();
    stopped.memory.reset();
    stopped.guard.reset();
    stopped.last_problem.reset();
    stopped.last_render_peak_bytes = 0;
    stopped.state =
        StateRecord{"idle", {{"memory", {{"rss_mb", 9.5}}}}, "2026-03-01T10:00:00+00:00"};

    SUBCASE("a running bot with everything to tell, in English") {
        CHECK(status_html(full, Language::en) ==
              "📊 <b>System status</b>\n"
              "\n"
              "💾 Memory:\n"
              "  RSS: 9.00 MB\n"
              "  VMS: 300.00 MB\n"
              "  Usage: 0.0%\n"
              "  Threads: 4\n"
              "  Last render peak: 168.0 MB\n"
              "\n"
              "🔒 Generation: LOCKED (/generate 3 by &lt;@owner&gt;, started 75 s ago)\n"
              "\n"
              "⚠️ Last problem:\n"
              "  Stage: render_error\n"
              "  Error: bad media: x &amp; y\n"
              "  Time: 2026-03-01T11:30:00+00:00\n"
              "\n"
              "📤 Failed publications (2):\n"
              "  ❌ YouTube · cat &amp; dog.mp4: Google refused the stored authorization (revoked "
              "or expired) — send /connect youtube, then press Retry\n"
              "  ❌ X · frog.png: X answered HTTP 503 &lt;Service Unavailable&gt; after 5 "
              "attempts\n"
              "\n"
              "📚 Library: 12 memes, 3 tracks, 2 being checked, 1 rejected\n"
              "\n"
              "⏰ Next generation in 2 h 30 min (14:30:00)\n"
              "📅 Today: 10:00 done, 11:00 failed, 11:40 skipped, 12:00 running, 14:30\n"
              "🎬 Generations today: 5 done / 1 failed");
    }
    SUBCASE("the same in Russian") {
        CHECK(status_html(full, Language::ru) ==
              "📊 <b>Состояние системы</b>\n"
              "\n"
              "💾 Память:\n"
              "  RSS: 9.00 МБ\n"
              "  VMS: 300.00 МБ\n"
              "  Использование: 0.0%\n"
              "  Потоки: 4\n"
              "  Пик последнего рендера: 168.0 МБ\n"
              "\n"
              "🔒 Генерация: ЗАНЯТО (/generate 3 by &lt;@owner&gt;, запущена 75 с назад)\n"
              "\n"
              "⚠️ Последняя проблема:\n"
              "  Этап: render_error\n"
              "  Ошибка: bad media: x &amp; y\n"
              "  Время: 2026-03-01T11:30:00+00:00\n"
              "\n"
              "📤 Неудачные публикации (2):\n"
              "  ❌ YouTube · cat &amp; dog.mp4: Google refused the stored authorization (revoked "
              "or expired) — отправьте /connect youtube, затем нажмите «Повторить»\n"
              "  ❌ X · frog.png: X answered HTTP 503 &lt;Service Unavailable&gt; after 5 "
              "attempts\n"
              "\n"
              "📚 Медиатека: мемов 12, треков 3, на проверке 2, отклонено 1\n"
              "\n"
              "⏰ Следующая генерация через 2 ч 30 мин (14:30:00)\n"
              "📅 Сегодня: 10:00 готово, 11:00 ошибка, 11:40 пропущено, 12:00 идёт, 14:30\n"
              "🎬 Генераций сегодня: 5 успешно / 1 с ошибкой");
    }
    SUBCASE("a stopped bot, in English") {
        CHECK(status_html(stopped, Language::en) ==
              "📊 <b>System status</b>\n"
              "\n"
              "💾 Memory:\n"
              "  bot not running (last state: idle at 2026-03-01T10:00:00+00:00)\n"
              "  RSS then: 9.50 MB\n"
              "\n"
              "🔓 Generation: FREE\n"
              "\n"
              "⏰ Schedule disabled\n"
              "🎬 Generations today: 5 done / 1 failed");
    }
    SUBCASE("a stopped bot, in Russian") {
        CHECK(status_html(stopped, Language::ru) ==
              "📊 <b>Состояние системы</b>\n"
              "\n"
              "💾 Память:\n"
              "  бот не запущен (последнее состояние: idle, 2026-03-01T10:00:00+00:00)\n"
              "  RSS тогда: 9.50 МБ\n"
              "\n"
              "🔓 Генерация: СВОБОДНО\n"
              "\n"
              "⏰ Расписание выключено\n"
              "🎬 Генераций сегодня: 5 успешно / 1 с ошибкой");
    }
    SUBCASE("no state at all, and a library with nothing pending, in both languages") {
        auto bare = stopped;
        bare.state.reset();
        bare.library = LibrarySummary{4, 5, 0, 0};
        CHECK(status_html(bare, Language::en)
                  .find("  bot not running\n\n🔓 Generation: FREE\n\n📚 Library: 4 memes, 5 "
                        "tracks\n\n⏰") != std::string::npos);
        CHECK(status_html(bare, Language::ru)
                  .find("  бот не запущен\n\n🔓 Генерация: СВОБОДНО\n\n📚 Медиатека: мемов 4, треков "
                        "5\n\n⏰") != std::string::npos);
    }
    REQUIRE_FALSE(apply_timezone(""));
}

TEST_CASE("/status counts today's near-duplicates under the library, only when there are some") {
    StatusReport r;
    r.library = LibrarySummary{5, 2, 0, 0};
    CHECK_FALSE(contains(status_html(r, Language::en), "Near-duplicates"));
    r.library->near_duplicates_today = 3;
    CHECK(contains(status_html(r, Language::en),
                   "📚 Library: 5 memes, 2 tracks\n  Near-duplicates refused today: 3\n"));
    CHECK(contains(status_html(r, Language::ru),
                   "📚 Медиатека: мемов 5, треков 2\n  Отклонено похожих сегодня: 3\n"));
    CHECK(to_json(r)["library"]["near_duplicates_today"] == 3);
}

TEST_CASE("/status lists the failed publications that wait for the owner, at most five") {
    SUBCASE("one per failed target of a candidate still under review, newest first") {
        const auto failures = publish_failures(candidates_with_failures());
        REQUIRE(failures.size() == 2);
        CHECK(failures[0].candidate == "c2");
        CHECK(failures[0].target == "youtube");
        CHECK(failures[0].label == "YouTube");
        CHECK(failures[0].media == "cat & dog.mp4");
        CHECK(failures[0].reason == "Google refused the stored authorization (revoked or expired)");
        CHECK(failures[0].needs_reauth);
        CHECK(failures[0].reconnect == "/connect youtube");
        CHECK(failures[1].candidate == "c1");
        CHECK(failures[1].label == "X");
        CHECK(failures[1].media == "frog.png");
        CHECK_FALSE(failures[1].needs_reauth);
        CHECK(failures[1].reconnect.empty());
    }

    SUBCASE("a Retry that succeeded takes the line away") {
        auto candidates = candidates_with_failures();
        candidates[0].targets["x"] = kDone;
        const auto failures = publish_failures(candidates);
        REQUIRE(failures.size() == 1);
        CHECK(failures[0].target == "youtube");
    }

    SUBCASE("X's keys refused: the catalogue's reconnect text, no command") {
        StatusReport r;
        r.failed_publications = publish_failures({candidate(
            "c9", "a.png", CandidateStatus::publishing,
            {{"x", failed("[memegen.publish] x: X refused the app's keys during the upload "
                          "(HTTP 401)",
                          true)}})});
        CHECK(contains(status_html(r, Language::en),
                       "\n📤 Failed publications (1):\n  ❌ X · a.png: X refused the app's keys "
                       "during the upload (HTTP 401) — the keys were refused: put new ones in "
                       "the configuration (README, \"Publishing\"), restart the bot, then press "
                       "Retry\n"));
        CHECK(contains(status_html(r, Language::ru),
                       "\n📤 Неудачные публикации (1):\n  ❌ X · a.png: X refused the app's keys "
                       "during the upload (HTTP 401) — ключи отклонены: впишите новые в "
                       "конфигурацию (README, «Publishing»), перезапустите бота и нажмите "
                       "«Повторить»\n"));
    }

    SUBCASE("labels of every target name, also without a publisher at hand") {
        CHECK(publish::target_label("youtube") == "YouTube");
        CHECK(publish::target_label("x") == "X");
        CHECK(publish::target_label("telegram:@memes") == "Telegram @memes");
        CHECK(publish::target_label("telegram:-100500") == "Telegram -100500");
        CHECK(publish::target_label("vimeo") == "vimeo");
        CHECK(publish::reason_of("[memegen.publish] telegram:@memes: wrong file") == "wrong file");
        CHECK(publish::reason_of("not a publish error: x") == "not a publish error: x");
    }

    SUBCASE("seven failures: five lines and how many more; JSON has them all") {
        std::vector<Candidate> many;
        for (int i = 1; i <= 7; ++i) {
            many.push_back(candidate("c" + std::to_string(i), "m" + std::to_string(i) + ".png",
                                     CandidateStatus::publishing,
                                     {{"youtube", failed("[memegen.publish] youtube: HTTP 500")}}));
        }
        StatusReport r;
        r.failed_publications = publish_failures(many);
        const auto html = status_html(r, Language::en);
        CHECK(contains(html,
                       "\n📤 Failed publications (7):\n"
                       "  ❌ YouTube · m7.png: HTTP 500\n"
                       "  ❌ YouTube · m6.png: HTTP 500\n"
                       "  ❌ YouTube · m5.png: HTTP 500\n"
                       "  ❌ YouTube · m4.png: HTTP 500\n"
                       "  ❌ YouTube · m3.png: HTTP 500\n"
                       "  … and 2 more\n"));
        CHECK_FALSE(contains(html, "m2.png"));
        CHECK(contains(status_html(r, Language::ru),
                       "  ❌ YouTube · m3.png: HTTP 500\n  … и ещё 2\n"));
        const auto j = to_json(r);
        REQUIRE(j["failed_publications"].size() == 7);
        CHECK(j["failed_publications"][6]["media"] == "m1.png");
    }

    SUBCASE("none: no heading, an empty list in JSON") {
        StatusReport r;
        r.failed_publications = publish_failures({candidate(
            "c1", "a.png", CandidateStatus::published, {{"youtube", kDone}, {"x", kDone}})});
        CHECK_FALSE(contains(status_html(r, Language::en), "📤"));
        CHECK(to_json(r)["failed_publications"] == nlohmann::json::array());
    }

    SUBCASE("JSON: target, label, file, reason and how to reconnect") {
        StatusReport r;
        r.failed_publications = publish_failures(candidates_with_failures());
        const auto j = to_json(r)["failed_publications"];
        REQUIRE(j.size() == 2);
        CHECK(j[0] == nlohmann::json{{"candidate", "c2"},
                                     {"target", "youtube"},
                                     {"label", "YouTube"},
                                     {"media", "cat & dog.mp4"},
                                     {"reason",
                                      "Google refused the stored authorization (revoked or "
                                      "expired)"},
                                     {"needs_reauth", true},
                                     {"reconnect", "/connect youtube"}});
        CHECK(j[1]["target"] == "x");
        CHECK(j[1]["needs_reauth"] == false);
    }
}
