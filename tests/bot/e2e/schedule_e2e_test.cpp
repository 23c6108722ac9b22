// The owner's schedule and housekeeping commands end to end (issue 13): /scheduleinfo,
// /setnext, /rebuildschedule, /cleanup and /chatid against the real memegen-bot binary and
// the fake Bot API, checked by the exact messages the owner reads (the fake records a
// message's text as Telegram shows it, markup parsed away) and by schedule.json.
//
// The bot's zone is a fixed offset chosen so that its local time is between 12:00 and 13:00
// whenever the test runs: every slot the test plans lies on the same local day.

#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <memegen/detail/clock.hpp>

#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kAdmin;
using memegen::test::kOwner;
using memegen::test::kStranger;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;
using Clock = std::chrono::system_clock;

namespace {

// The zone's offset from UTC, in hours: local noon now.
int noon_offset_hours() {
    const std::time_t t = Clock::to_time_t(Clock::now());
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    return 12 - utc.tm_hour;
}

struct Zone {
    int hours = noon_offset_hours();

    [[nodiscard]] std::string name() const { return fmt::format("{:+03}:00", hours); }
    [[nodiscard]] std::tm local(Clock::time_point when) const {
        const std::time_t t = Clock::to_time_t(when + std::chrono::hours(hours));
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        return tm;
    }
    [[nodiscard]] std::string date(Clock::time_point when) const {
        const auto tm = local(when);
        return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    }
    [[nodiscard]] std::string clock(Clock::time_point when) const {
        const auto tm = local(when);
        return fmt::format("{:02}:{:02}", tm.tm_hour, tm.tm_min);
    }
    // As schedule.json stores times.
    [[nodiscard]] std::string stamp(Clock::time_point when) const {
        const auto tm = local(when);
        return fmt::format("{}T{:02}:{:02}:{:02}{}", date(when), tm.tm_hour, tm.tm_min, tm.tm_sec,
                           name());
    }
};

// A time as schedule.json holds it (the bot writes its process's offset).
Clock::time_point saved_time(const json& when) {
    const auto t = memegen::detail::parse_timestamp(when.get<std::string>());
    REQUIRE(t);
    return *t;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct Fixture {
    TempDir dir{"memegen-schedule"};
    FakeBotApi api;
    Zone zone;
    json config;

    Fixture() {
        memegen::test::make_libraries(dir / "media", dir / "music", 4);
        config = memegen::test::test_config(api, dir.path());
        config["daily_generations"] = 3;
        config["window_start"] = "00:00";
        config["window_end"] = "24:00";
        config["timezone"] = zone.name();
    }

    std::filesystem::path schedule_file() const { return dir / "state" / "schedule.json"; }

    std::vector<std::string> texts(std::int64_t chat) const { return api.sent_texts(chat); }

    // The `n`th message (from 1) to `chat`, once it has come.
    std::string message(std::int64_t chat, std::size_t n) const {
        if (!api.wait_until([&] { return texts(chat).size() >= n; }, kWait))
            return "(no message " + std::to_string(n) + ")";
        return texts(chat)[n - 1];
    }

    // A first run draws the plan with the test's settings; then the test writes the slots it
    // wants, in the file's own shape, while the bot is stopped.
    void plan(const std::vector<std::pair<Clock::time_point, std::string>>& slots) {
        {
            BotProcess bot(dir.path(), config);
            REQUIRE(api.wait_for_calls("setMyCommands", 1, kWait));
            api.push_message(kOwner, kOwner, "/scheduleinfo");
            REQUIRE(api.wait_until([&] { return !texts(kOwner).empty(); }, kWait));
            bot.signal(SIGTERM);
            REQUIRE(bot.wait_exit(10s));
        }
        auto schedule = json::parse(read_text(schedule_file()));
        schedule["plan"]["date"] = zone.date(Clock::now());
        schedule["plan"]["slots"] = json::array();
        for (const auto& [when, status] : slots)
            schedule["plan"]["slots"].push_back({{"when", zone.stamp(when)}, {"status", status}});
        schedule["previous"] = nullptr;
        std::ofstream(schedule_file()) << schedule.dump(2);
    }

    // /scheduleinfo's text for `slots` ("HH:MM — status" after each number), at `now`.
    std::string info(Clock::time_point now, const std::vector<std::string>& slots) const {
        std::string out = fmt::format(
            "🗓 Schedule\nNow: {} {} ({})\nWindow: 00:00–24:00, 3 a day\nPlan for {}:",
            zone.date(now), zone.clock(now), zone.name(), zone.date(now));
        for (std::size_t i = 0; i < slots.size(); ++i)
            out += fmt::format("\n#{} {}", i + 1, slots[i]);
        return out;
    }
};

// `actual` equals `expected` built at the minute before or after it was sent.
bool same_at_either_minute(const std::string& actual, Clock::time_point before,
                           Clock::time_point after,
                           const std::function<std::string(Clock::time_point)>& expected) {
    return actual == expected(before) || actual == expected(after);
}

constexpr const char* kUsage =
    "Usage: /setnext # time, the time as HH:MM, +30m, -1h, +2h or YYYY-MM-DD HH:MM; e.g. "
    "/setnext 2 16:30. /scheduleinfo shows the numbers.";
constexpr const char* kHint =
    "/setnext # time — move a slot; /rebuildschedule — draw the pending ones anew.";

}  // namespace

TEST_CASE("/scheduleinfo numbers the slots; /setnext moves one and it runs when it comes") {
    Fixture f;
    const auto t0 = std::chrono::floor<std::chrono::seconds>(Clock::now());
    const auto done = t0 - 60min;
    const auto second = t0 + 2h;
    const auto third = t0 + 3h;
    f.plan({{done, "done"}, {second, "pending"}, {third, "pending"}});
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    const auto base = f.texts(kOwner).size();

    auto before = Clock::now();
    f.api.push_message(kOwner, kOwner, "/scheduleinfo");
    const auto info = f.message(kOwner, base + 1);
    auto after = Clock::now();
    const std::vector<std::string> planned = {f.zone.clock(done) + " — ✅ done",
                                              f.zone.clock(second) + " — 🕒 pending",
                                              f.zone.clock(third) + " — 🕒 pending"};
    CHECK(same_at_either_minute(info, before, after, [&](Clock::time_point now) {
        return f.info(now, planned) + "\n\n" + kHint;
    }));

    // #3 back by 2 h 58 min: two minutes after t0, before #2, so it becomes #2.
    const auto moved = third - 178min;
    before = Clock::now();
    f.api.push_message(kOwner, kOwner, "/setnext 3 -178m");
    const auto reply = f.message(kOwner, base + 2);
    after = Clock::now();
    CHECK(same_at_either_minute(reply, before, after, [&](Clock::time_point now) {
        return fmt::format("✅ Slot #3 moved to {}; it is #2 now.\n\n", f.zone.clock(moved)) +
               f.info(now, {planned[0], f.zone.clock(moved) + " — 🕒 pending ← moved", planned[1]});
    }));
    const auto saved = json::parse(read_text(f.schedule_file()));
    CHECK(saved_time(saved["plan"]["slots"][1]["when"]) == moved);
    CHECK(saved_time(saved["plan"]["slots"][2]["when"]) == second);

    // The scheduler follows: the moved slot's job starts when it comes, and is then done.
    REQUIRE(f.api.wait_until(
        [&] {
            for (const auto& t : f.texts(kOwner)) {
                if (t.find("Candidates sent: 3") != std::string::npos)
                    return true;
            }
            return false;
        },
        kWait + 120s));
    REQUIRE(f.api.wait_until(
        [&] {
            const auto s = json::parse(read_text(f.schedule_file()), nullptr, false);
            return !s.is_discarded() && s["plan"]["slots"][1]["status"] == "done";
        },
        kWait));
    f.api.push_message(kOwner, kOwner, "/scheduleinfo");
    const auto last = f.texts(kOwner).size() + 1;
    CHECK(f.message(kOwner, last).find("\n#2 " + f.zone.clock(moved) + " — ✅ done\n#3 ") !=
          std::string::npos);
}

TEST_CASE("bad /setnext input gets a reason and the usage line, and changes nothing") {
    Fixture f;
    const auto t0 = std::chrono::floor<std::chrono::seconds>(Clock::now());
    f.plan({{t0 - 60min, "done"}, {t0 + 2h, "pending"}, {t0 + 3h, "pending"}});
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    const auto base = f.texts(kOwner).size();
    const auto answer = [&](std::size_t n) { return f.message(kOwner, base + n); };
    // The plan as the bot saved it at start-up (before it polls): nothing below may change it.
    f.api.push_message(kOwner, kOwner, "/setnext");
    CHECK(answer(1) == kUsage);
    const auto plan_before = read_text(f.schedule_file());

    const auto now = Clock::now();
    const auto past = now - 2h;
    const auto tomorrow = f.zone.date(now + 24h);
    f.api.push_message(kStranger, kStranger, "/setnext 2 +1h");
    f.api.push_message(kOwner, kOwner, "/setnext 2");
    f.api.push_message(kOwner, kOwner, "/setnext two 16:30");
    f.api.push_message(kOwner, kOwner, "/setnext 2 25:99");
    f.api.push_message(kOwner, kOwner, "/setnext 9 16:30");
    f.api.push_message(kOwner, kOwner, "/setnext 1 +1h");
    f.api.push_message(kOwner, kOwner, "/setnext 2 " + f.zone.clock(past));
    f.api.push_message(kOwner, kOwner, "/setnext 2 +50h");
    f.api.push_message(kOwner, kOwner, "/setnext 2 " + tomorrow + " 01:00");
    CHECK(answer(2) == kUsage);
    CHECK(answer(3) == kUsage);
    CHECK(answer(4) == kUsage);
    CHECK(answer(5) ==
          std::string("There is no slot #9: the plan has 3 (/scheduleinfo).\n") + kUsage);
    CHECK(answer(6) == std::string("Slot #1 is ✅ done: only pending slots move.\n") + kUsage);
    const auto passed = answer(7);
    CHECK(passed.starts_with(f.zone.date(past) + " " + f.zone.clock(past) + " has passed (now "));
    CHECK(passed.ends_with("): choose a later time.\n" + std::string(kUsage)));
    CHECK(answer(8) == fmt::format("{} {} is more than 48 h ahead: a slot moves within its day.\n",
                                   f.zone.date(t0 + 2h + 50h), f.zone.clock(t0 + 2h + 50h)) +
                           kUsage);
    CHECK(answer(9) == fmt::format("{} 01:00 is not on {}, the plan's day: a slot moves within "
                                   "its day.\n",
                                   tomorrow, f.zone.date(now)) +
                           kUsage);
    CHECK(f.texts(kOwner).size() == base + 9);
    CHECK(f.texts(kStranger) ==
          std::vector<std::string>{"Sorry, this bot only works for its owner."});
    CHECK(read_text(f.schedule_file()) == plan_before);
}

TEST_CASE("/rebuildschedule draws the pending slots anew and keeps the others") {
    Fixture f;
    const auto t0 = std::chrono::floor<std::chrono::seconds>(Clock::now());
    f.plan({{t0 - 90min, "done"}, {t0 - 30min, "skipped"}, {t0 + 3h, "pending"}});
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    const auto base = f.texts(kOwner).size();
    f.api.push_message(kOwner, kOwner, "/rebuildschedule");
    const auto reply = f.message(kOwner, base + 1);
    const auto saved = json::parse(read_text(f.schedule_file()));
    const auto& slots = saved["plan"]["slots"];
    REQUIRE(slots.size() == 3);
    CHECK(saved_time(slots[0]["when"]) == t0 - 90min);
    CHECK(slots[0]["status"] == "done");
    CHECK(saved_time(slots[1]["when"]) == t0 - 30min);
    CHECK(slots[1]["status"] == "skipped");
    CHECK(slots[2]["status"] == "pending");
    const auto redrawn = saved_time(slots[2]["when"]);
    CHECK(redrawn != t0 + 3h);
    const auto redrawn_clock = f.zone.clock(redrawn);
    CHECK(reply.starts_with("🔄 Drawn anew: 1 slot.\n\n🗓 Schedule\n"));
    CHECK(reply.ends_with(fmt::format("\n#1 {} — ✅ done\n#2 {} — ⏭ missed\n#3 {} — 🕒 pending",
                                      f.zone.clock(t0 - 90min), f.zone.clock(t0 - 30min),
                                      redrawn_clock)));
    // The rest of the window: after now, before local midnight.
    CHECK(f.zone.date(redrawn) == f.zone.date(t0));
    CHECK(redrawn > t0);
}

TEST_CASE("/cleanup removes old work files and says how many; the sweep also runs at start") {
    Fixture f;
    f.config["daily_generations"] = 0;
    // A partial download a killed bot left in the meme library two days ago.
    const auto incoming = f.dir / "media" / ".incoming-leftover";
    std::ofstream(incoming) << std::string(1000, 'x');
    const auto two_days_ago = std::chrono::file_clock::now() - 48h;
    std::filesystem::last_write_time(incoming, two_days_ago);
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
    REQUIRE(f.api.wait_until([&] { return !std::filesystem::exists(incoming); }, kWait));

    const auto work = f.dir / "state" / "work";
    std::filesystem::create_directories(work);
    for (const char* name : {"old1.mp4", "old2.mp4"}) {
        std::ofstream(work / name) << std::string(750'000, 'x');
        std::filesystem::last_write_time(work / name, two_days_ago);
    }
    std::ofstream(work / "young.mp4") << std::string(1000, 'x');
    f.api.push_message(kOwner, kOwner, "/cleanup");
    CHECK(f.message(kOwner, 1) == "🧹 Removed 2 work files older than 24 h (1.5 MB).");
    CHECK(std::filesystem::exists(work / "young.mp4"));
    CHECK_FALSE(std::filesystem::exists(work / "old1.mp4"));
    f.api.push_message(kAdmin, kAdmin, "/cleanup");
    CHECK(f.message(kAdmin, 1) == "🧹 No work file is older than 24 h.");
    f.api.push_message(kStranger, kStranger, "/cleanup");
    CHECK(f.message(kStranger, 1) == "Sorry, this bot only works for its owner.");
    CHECK(bot.log().find("cleanup: 1 work file(s) older than 24 h removed (0.0 MB)") !=
          std::string::npos);
}

TEST_CASE("/chatid answers the chat's id to the owner and admins only") {
    Fixture f;
    f.config["daily_generations"] = 0;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
    constexpr std::int64_t kGroup = -1001234567;
    f.api.push_message(kOwner, kOwner, "/chatid");
    f.api.push_message(kAdmin, kGroup, "/chatid");
    f.api.push_message(kStranger, kGroup, "/chatid");
    f.api.push_message(kOwner, kOwner, "/help");
    CHECK(f.message(kOwner, 1) ==
          "This chat's id: 1001 (your private chat with the bot, for review_chat; "
          "for a group's id, send /chatid there).");
    CHECK(f.message(kGroup, 1) == "This chat's id: -1001234567");
    const auto help = f.message(kOwner, 2);
    CHECK(f.message(kGroup, 2) == "Sorry, this bot only works for its owner.");
    CHECK(f.texts(kGroup).size() == 2);
    for (const char* line : {"/scheduleinfo — today's slots, numbered, and what became of them",
                             "/setnext # time — move a slot: HH:MM, +30m, -1h or YYYY-MM-DD HH:MM",
                             "/rebuildschedule — draw today's pending slots anew",
                             "/cleanup — remove work files older than cleanup_hours",
                             "/chatid — this chat's id (for channel or review_chat)"}) {
        CAPTURE(line);
        CHECK(help.find(line) != std::string::npos);
    }
    std::vector<std::string> menu;
    for (const auto& c : f.api.commands())
        menu.push_back(c["command"].get<std::string>());
    for (const char* name : {"scheduleinfo", "setnext", "rebuildschedule", "cleanup", "chatid"}) {
        CAPTURE(name);
        CHECK(std::find(menu.begin(), menu.end(), name) != menu.end());
    }
}
