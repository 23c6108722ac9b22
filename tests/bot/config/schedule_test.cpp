#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "config/schedule.hpp"
#include "config/timezone.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using memegen::test::TempDir;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
namespace fs = std::filesystem;

namespace {

TimePoint utc(int year, int month, int day, int hour, int minute, int second = 0) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// Local wall-clock time in the process's zone.
TimePoint local(const char* date, int hour, int minute) {
    return local_to_utc(*LocalDate::parse(date), hour * 60 + minute);
}

void use_zone(const std::string& zone) {
    const auto error = apply_timezone(zone);
    REQUIRE_MESSAGE(!error, *error);
}

ScheduleSettings tomsk_settings(int n = 3,
                                MissedSlotPolicy policy = MissedSlotPolicy::catch_up_one) {
    ScheduleSettings s;
    s.daily_generations = n;
    s.missed_slots = policy;
    s.timezone = "Asia/Tomsk";
    return s;
}

// Checks the seed's rule for every slot of `plan`: inside its segment, within the jitter of
// the segment's middle, inside the window, in order.
void check_plan_shape(const DailyPlan& plan, const ScheduleSettings& s) {
    const auto date = *LocalDate::parse(plan.date);
    const TimePoint start = local_to_utc(date, s.window_start.minutes);
    const TimePoint end = local_to_utc(date, s.window_end.minutes);
    REQUIRE(plan.slots.size() == static_cast<std::size_t>(s.daily_generations));
    const double total = std::chrono::duration<double>(end - start).count();
    const double segment = total / s.daily_generations;
    const double jitter = std::min(std::floor(segment) / 3.0, 1800.0);
    for (std::size_t i = 0; i < plan.slots.size(); ++i) {
        const double at = std::chrono::duration<double>(plan.slots[i].when - start).count();
        const double middle = segment * (static_cast<double>(i) + 0.5);
        CAPTURE(i);
        CHECK(plan.slots[i].status == SlotStatus::pending);
        CHECK(std::abs(at - middle) <= jitter + 1.0);
        CHECK(std::abs(at - middle) <= 1800.0 + 1.0);
        CHECK(at >= segment * static_cast<double>(i));
        CHECK(at < segment * static_cast<double>(i + 1));
        CHECK(plan.slots[i].when >= start);
        CHECK(plan.slots[i].when < end);
        CHECK(local_date_of(plan.slots[i].when).to_string() == plan.date);
        if (i > 0)
            CHECK(plan.slots[i - 1].when < plan.slots[i].when);
    }
}

}  // namespace

TEST_CASE("fixed offsets are ±HH or ±HH:MM up to 14:00") {
    CHECK(parse_utc_offset("+07:00") == hours(7));
    CHECK(parse_utc_offset("+7") == hours(7));
    CHECK(parse_utc_offset("-03:30") == -minutes(210));
    CHECK(parse_utc_offset("+05:45") == minutes(345));
    CHECK(parse_utc_offset("+00:00") == minutes(0));
    CHECK(parse_utc_offset("+14:00") == hours(14));
    CHECK_FALSE(parse_utc_offset("+14:30"));
    CHECK_FALSE(parse_utc_offset("07:00"));
    CHECK_FALSE(parse_utc_offset("+07:0"));
    CHECK_FALSE(parse_utc_offset("+07:60"));
}

TEST_CASE("a fixed offset zone converts local wall time to UTC") {
    use_zone("+07:00");
    CHECK(local("2026-11-21", 10, 0) == utc(2026, 11, 21, 3, 0));
    CHECK(local_to_utc(*LocalDate::parse("2026-11-21"), 1440) == utc(2026, 11, 21, 17, 0));
    CHECK(local_clock_text(utc(2026, 11, 21, 9, 30, 5)) == "16:30:05");
    use_zone("-03:30");
    CHECK(local("2026-11-21", 10, 0) == utc(2026, 11, 21, 13, 30));
}

TEST_CASE("an unknown zone is refused and leaves the current zone in place") {
    use_zone("Asia/Tomsk");
    const auto error = apply_timezone("Mars/Olympus_Mons");
    REQUIRE(error);
    CHECK(error->find("Mars/Olympus_Mons") != std::string::npos);
    CHECK(local("2026-11-21", 10, 0) == utc(2026, 11, 21, 3, 0));  // still Tomsk (+07)
    CHECK(apply_timezone("../../etc/passwd"));
    CHECK(apply_timezone("/usr/share/zoneinfo/Asia/Tomsk"));
}

TEST_CASE("choosing the bot's zone leaves the process's TZ alone") {
    const char* before = std::getenv("TZ");
    const std::optional<std::string> saved =
        before ? std::optional<std::string>(before) : std::nullopt;
    use_zone("Asia/Tomsk");
    const char* after = std::getenv("TZ");
    CHECK(saved == (after ? std::optional<std::string>(after) : std::nullopt));
    SUBCASE("and a zone is a value: two zones convert side by side") {
        const auto tomsk = TimeZone::locate("Asia/Tomsk");
        const auto berlin = TimeZone::locate("Europe/Berlin");
        REQUIRE(tomsk);
        REQUIRE(berlin);
        const auto noon = utc(2026, 7, 1, 12, 0);
        CHECK(tomsk->clock_text(noon) == "19:00:00");
        CHECK(berlin->clock_text(noon) == "14:00:00");
        CHECK(tomsk->date_of(utc(2026, 7, 1, 18, 0)).to_string() == "2026-07-02");
        CHECK(berlin->date_of(utc(2026, 7, 1, 18, 0)).to_string() == "2026-07-01");
    }
}

TEST_CASE("local dates parse, validate and advance across months and years") {
    CHECK(LocalDate::parse("2026-12-31")->next().to_string() == "2027-01-01");
    CHECK(LocalDate::parse("2028-02-28")->next().to_string() == "2028-02-29");
    CHECK_FALSE(LocalDate::parse("2026-02-30"));
    CHECK_FALSE(LocalDate::parse("2026-1-01"));
}

TEST_CASE("slots lie in their segments within the jitter bound, over many seeds") {
    use_zone("Asia/Tomsk");
    const auto date = *LocalDate::parse("2026-11-21");
    for (const int n : {1, 2, 3, 5, 7, 24}) {
        CAPTURE(n);
        const auto settings = tomsk_settings(n);
        for (std::uint64_t seed = 0; seed < 200; ++seed) {
            std::mt19937_64 random(seed);
            check_plan_shape(draw_plan(date, settings, random), settings);
        }
    }
}

TEST_CASE("the jitter is a third of the segment, at most 30 minutes") {
    CHECK(max_jitter(hours(1)) == minutes(20));
    CHECK(max_jitter(hours(14) / 3) == minutes(30));
    CHECK(max_jitter(seconds(3)) == seconds(1));
}

TEST_CASE("the jitter actually varies the slots") {
    use_zone("Asia/Tomsk");
    const auto date = *LocalDate::parse("2026-11-21");
    std::set<TimePoint> firsts;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        std::mt19937_64 random(seed);
        firsts.insert(draw_plan(date, tomsk_settings(), random).slots[0].when);
    }
    CHECK(firsts.size() > 40);
}

TEST_CASE("the same seed draws the same plan") {
    use_zone("Asia/Tomsk");
    const auto date = *LocalDate::parse("2026-11-21");
    std::mt19937_64 a(1234);
    std::mt19937_64 b(1234);
    const auto pa = draw_plan(date, tomsk_settings(5), a);
    const auto pb = draw_plan(date, tomsk_settings(5), b);
    REQUIRE(pa.slots.size() == pb.slots.size());
    for (std::size_t i = 0; i < pa.slots.size(); ++i)
        CHECK(pa.slots[i].when == pb.slots[i].when);
}

TEST_CASE("a DST day keeps every slot inside the window with the right count") {
    use_zone("Europe/Berlin");
    ScheduleSettings s;
    s.timezone = "Europe/Berlin";
    SUBCASE("spring forward: a 23-hour day") {
        const auto date = *LocalDate::parse("2026-03-29");
        s.window_start = ClockTime{0};
        s.window_end = ClockTime{1440};
        CHECK(local_to_utc(date, 1440) - local_to_utc(date, 0) == hours(23));
        for (const int n : {3, 24}) {
            s.daily_generations = n;
            for (std::uint64_t seed = 0; seed < 50; ++seed) {
                std::mt19937_64 random(seed);
                check_plan_shape(draw_plan(date, s, random), s);
            }
        }
        // 02:30 does not exist that day: it is read past the gap (03:30 CEST = 01:30 UTC).
        CHECK(local_to_utc(date, 150) == utc(2026, 3, 29, 1, 30));
        CHECK(local_to_utc(date, 120) == utc(2026, 3, 29, 1, 0));
        CHECK(local_to_utc(date, 600) == utc(2026, 3, 29, 8, 0));  // 10:00 CEST
    }
    SUBCASE("fall back: a 25-hour day") {
        const auto date = *LocalDate::parse("2026-10-25");
        s.window_start = ClockTime{60};
        s.window_end = ClockTime{600};
        CHECK(local_to_utc(date, 600) - local_to_utc(date, 60) == hours(10));
        // 02:30 is shown twice that day: the first time (02:30 CEST = 00:30 UTC) counts.
        CHECK(local_to_utc(date, 150) == utc(2026, 10, 25, 0, 30));
        CHECK(local_to_utc(date, 210) == utc(2026, 10, 25, 2, 30));  // 03:30 CET
        s.daily_generations = 6;
        for (std::uint64_t seed = 0; seed < 50; ++seed) {
            std::mt19937_64 random(seed);
            check_plan_shape(draw_plan(date, s, random), s);
        }
    }
    SUBCASE("the default window 10:00-24:00 on the change days") {
        s.daily_generations = 3;
        for (const char* day : {"2026-03-29", "2026-10-25"}) {
            std::mt19937_64 random(7);
            check_plan_shape(draw_plan(*LocalDate::parse(day), s, random), s);
        }
    }
}

TEST_CASE("a plan survives a restart through schedule.json") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    const TimePoint morning = local("2026-11-21", 8, 0);
    Scheduler first(dir.path(), tomsk_settings(), morning, 1);
    const DailyPlan plan = first.plan();
    CHECK(plan.date == "2026-11-21");
    REQUIRE(plan.slots.size() == 3);
    REQUIRE(first.mark({plan.date, 0}, SlotStatus::running));
    REQUIRE(first.mark({plan.date, 0}, SlotStatus::done));

    Scheduler second(dir.path(), tomsk_settings(), morning + minutes(1), 999);
    REQUIRE(second.plan().slots.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(second.plan().slots[i].when == plan.slots[i].when);
    CHECK(second.plan().slots[0].status == SlotStatus::done);
    CHECK(second.startup().problems.empty());
    CHECK(second.startup().missed.empty());

    struct stat st {};
    REQUIRE(::stat(second.file().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a corrupt schedule.json is moved aside and a new plan drawn") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    std::ofstream(dir / "schedule.json") << "{\"version\": 1, \"plan\": [tru";
    Scheduler scheduler(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 1);
    REQUIRE(scheduler.startup().problems.size() == 1);
    CHECK(scheduler.startup().problems[0].find("moved aside to schedule.json.corrupt-") !=
          std::string::npos);
    CHECK(scheduler.plan().slots.size() == 3);
    int quarantined = 0;
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        if (entry.path().filename().string().starts_with("schedule.json.corrupt-"))
            ++quarantined;
    }
    CHECK(quarantined == 1);
    CHECK(fs::exists(dir / "schedule.json"));
    SUBCASE("a well-formed file with a wrong shape too") {
        std::ofstream(dir / "schedule.json") << R"({"version": 1, "plan": {"date": "x"}})";
        Scheduler again(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 1);
        CHECK(again.startup().problems.size() == 1);
    }
}

TEST_CASE("due slots come one at a time as the clock passes them") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    Scheduler scheduler(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 3);
    const auto plan = scheduler.plan();
    const TimePoint first = plan.slots[0].when;
    CHECK(scheduler.due(first - seconds(1)).empty());
    CHECK(scheduler.next_slot(first - minutes(45)) == first);
    const auto due = scheduler.due(first);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == SlotId{"2026-11-21", 0});
    CHECK(scheduler.when(due[0]) == first);
    scheduler.mark(due[0], SlotStatus::running);
    CHECK(scheduler.due(first + seconds(5)).empty());
    CHECK(scheduler.next_slot(first + seconds(5)) == plan.slots[1].when);
    scheduler.mark(due[0], SlotStatus::failed);
    CHECK(scheduler.today_counts(first).failed == 1);
    CHECK_FALSE(scheduler.mark({"1999-01-01", 0}, SlotStatus::done));
}

TEST_CASE("the next day's plan is drawn once today's slots are all handled") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    Scheduler scheduler(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 5);
    const auto today = scheduler.plan();
    for (std::size_t i = 0; i < today.slots.size(); ++i) {
        scheduler.mark({today.date, i}, i == 1 ? SlotStatus::failed : SlotStatus::done);
    }
    const TimePoint evening = today.slots.back().when + minutes(1);
    const auto next = scheduler.next_slot(evening);
    REQUIRE(next);
    CHECK(local_date_of(*next).to_string() == "2026-11-22");
    CHECK(scheduler.plan().date == "2026-11-22");
    const auto counts = scheduler.today_counts(evening);
    CHECK(counts.done == 2);
    CHECK(counts.failed == 1);
    CHECK(scheduler.today_counts(local("2026-11-22", 9, 0)).pending == 3);
    // The next day's plan and today's both survive a restart.
    Scheduler reloaded(dir.path(), tomsk_settings(), evening, 6);
    CHECK(reloaded.plan().date == "2026-11-22");
    CHECK(reloaded.today_counts(evening).done == 2);
}

TEST_CASE("a pending slot left at midnight is skipped and the new day planned") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    Scheduler scheduler(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 5);
    const TimePoint next_morning = local("2026-11-22", 9, 0);
    CHECK(scheduler.due(next_morning).empty());
    CHECK(scheduler.plan().date == "2026-11-22");
    const auto yesterday = scheduler.plan_for_day_of(local("2026-11-21", 23, 0));
    REQUIRE(yesterday);
    CHECK(count_slots(*yesterday).skipped == 3);
}

TEST_CASE("missed slots at start-up follow the missed_slots policy") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    const auto first_run = [&](MissedSlotPolicy policy) {
        return Scheduler(dir.path(), tomsk_settings(3, policy), local("2026-11-21", 8, 0), 11)
            .plan();
    };
    const TimePoint late = local("2026-11-21", 23, 59);

    SUBCASE("catch_up_one runs the most recent missed slot of today, once") {
        const auto plan = first_run(MissedSlotPolicy::catch_up_one);
        Scheduler after(dir.path(), tomsk_settings(3), late, 12);
        CHECK(after.startup().missed.size() == 3);
        REQUIRE(after.startup().caught_up);
        CHECK(*after.startup().caught_up == SlotId{plan.date, 2});
        const auto due = after.due(late);
        REQUIRE(due.size() == 1);
        CHECK(due[0] == SlotId{plan.date, 2});
        CHECK(after.today_counts(late).skipped == 2);
        after.mark(due[0], SlotStatus::done);
        CHECK(after.next_slot(late + seconds(5)));
        CHECK(after.plan().date == "2026-11-22");  // today is handled: tomorrow is drawn
        // A second restart does not catch up again.
        Scheduler again(dir.path(), tomsk_settings(3), late + seconds(10), 13);
        CHECK(again.due(late + seconds(10)).empty());
        CHECK_FALSE(again.startup().caught_up);
    }
    SUBCASE("skip marks every missed slot skipped") {
        first_run(MissedSlotPolicy::skip);
        Scheduler after(dir.path(), tomsk_settings(3, MissedSlotPolicy::skip), late, 12);
        CHECK(after.startup().missed.size() == 3);
        CHECK_FALSE(after.startup().caught_up);
        CHECK(after.due(late).empty());
        CHECK(after.today_counts(late).skipped == 3);
        const auto next = after.next_slot(late);
        REQUIRE(next);
        CHECK(local_date_of(*next).to_string() == "2026-11-22");
    }
    SUBCASE("after a day away, yesterday's slots are skipped and today's policy applies") {
        first_run(MissedSlotPolicy::catch_up_one);
        const TimePoint next_day_late = local("2026-11-22", 23, 59);
        Scheduler after(dir.path(), tomsk_settings(3), next_day_late, 12);
        CHECK(after.startup().missed.size() == 6);
        REQUIRE(after.startup().caught_up);
        CHECK(after.startup().caught_up->date == "2026-11-22");
        CHECK(after.due(next_day_late).size() == 1);
    }
}

TEST_CASE("a slot that was running when the bot stopped counts as failed") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    TimePoint at;
    {
        Scheduler before(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 1);
        at = before.plan().slots[0].when;
        before.mark({"2026-11-21", 0}, SlotStatus::running);
    }
    Scheduler after(dir.path(), tomsk_settings(), at + minutes(2), 2);
    CHECK(after.plan().slots[0].status == SlotStatus::failed);
    CHECK(after.startup().interrupted.size() == 1);
    CHECK(after.due(at + minutes(2)).empty());
}

TEST_CASE("a first start or changed settings skip past slots without catching up") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    const TimePoint late = local("2026-11-21", 23, 59);
    Scheduler fresh(dir.path(), tomsk_settings(3), late, 1);
    CHECK(fresh.startup().missed.empty());
    CHECK(fresh.due(late).empty());
    CHECK(fresh.plan().date == "2026-11-22");  // all of today's slots were past
    Scheduler changed(dir.path(), tomsk_settings(4), late, 2);
    CHECK(changed.plan().slots.size() == 4);
    CHECK(changed.due(late).empty());
}

TEST_CASE("a disabled schedule plans nothing") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    Scheduler scheduler(dir.path(), tomsk_settings(0), local("2026-11-21", 8, 0), 1);
    CHECK(scheduler.plan().slots.empty());
    CHECK_FALSE(scheduler.next_slot(local("2026-11-21", 12, 0)));
    CHECK(scheduler.due(local("2026-11-23", 12, 0)).empty());
}

TEST_CASE("the time until the next slot is formatted in English and Russian") {
    use_zone("Asia/Tomsk");
    const TimePoint slot = local("2026-11-21", 16, 30);
    CHECK(format_time_until(slot, slot - minutes(45), Language::en) == "in 45 min (16:30:00)");
    CHECK(format_time_until(slot, slot - minutes(45), Language::ru) == "через 45 мин (16:30:00)");
    CHECK(format_time_until(slot, slot - minutes(125), Language::en) == "in 2 h 5 min (16:30:00)");
    CHECK(format_time_until(slot, slot - minutes(125), Language::ru) ==
          "через 2 ч 5 мин (16:30:00)");
    CHECK(format_time_until(slot, slot - hours(2), Language::en) == "in 2 h (16:30:00)");
    CHECK(format_time_until(slot, slot - seconds(20), Language::en) == "in 1 min (16:30:00)");
    CHECK(format_time_until(slot, slot + seconds(20), Language::en) == "now (16:30:00)");
    CHECK(format_time_until(slot, slot, Language::ru) == "сейчас (16:30:00)");
}

TEST_CASE("a schedule.json of the wrong type or a directory never stops the start") {
    use_zone("Asia/Tomsk");
    TempDir dir;
    std::string expect;
    SUBCASE("version of another type") {
        std::ofstream(dir / "schedule.json") << R"({"version": "1", "plan": {}})";
        expect = "not a schedule plan";
    }
    SUBCASE("a directory") {
        fs::create_directories(dir / "schedule.json" / "x");
        expect = "directory";
        CHECK_FALSE(memegen::bot::read_saved_schedule(dir / "schedule.json"));
    }
    std::optional<Scheduler> scheduler;
    CHECK_NOTHROW(scheduler.emplace(dir.path(), tomsk_settings(), local("2026-11-21", 8, 0), 1));
    REQUIRE(scheduler);
    REQUIRE(scheduler->startup().problems.size() == 1);
    CHECK(scheduler->startup().problems[0].find(expect) != std::string::npos);
    CHECK(scheduler->plan().slots.size() == 3);
    CHECK(fs::is_regular_file(dir / "schedule.json"));
}
