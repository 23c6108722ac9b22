// The owner's changes to the daily plan (issue 13): /setnext's move_slot() and its argument,
// /rebuildschedule's redraw_remaining(); pure logic in a real zone, the clock passed in.

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

#include "batch/schedule_commands.hpp"
#include "config/schedule.hpp"
#include "config/timezone.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using memegen::test::TempDir;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

TimePoint local(const char* date, int hour, int minute) {
    return local_to_utc(*LocalDate::parse(date), hour * 60 + minute);
}

ScheduleSettings settings(int n = 3) {
    const auto error = apply_timezone("Asia/Tomsk");
    REQUIRE_MESSAGE(!error, *error);
    ScheduleSettings s;  // window 10:00-24:00
    s.daily_generations = n;
    s.timezone = "Asia/Tomsk";
    return s;
}

std::vector<TimePoint> times(const DailyPlan& plan) {
    std::vector<TimePoint> out;
    for (const auto& slot : plan.slots)
        out.push_back(slot.when);
    return out;
}

}  // namespace

TEST_CASE("a pending slot moves, the plan stays in time order and the move is saved") {
    TempDir dir;
    const auto s = settings();
    const TimePoint morning = local("2026-11-21", 8, 0);
    Scheduler scheduler(dir.path(), s, morning, 7);
    const auto before = scheduler.plan();
    REQUIRE(before.slots.size() == 3);

    SUBCASE("past the next slot: it takes that slot's number, the passed one moves up") {
        const TimePoint late = before.slots[2].when + minutes(10);
        const auto moved = scheduler.move_slot(0, late);
        REQUIRE(moved.index);
        CHECK(*moved.index == 2);
        CHECK(times(scheduler.plan()) ==
              std::vector<TimePoint>{before.slots[1].when, before.slots[2].when, late});
    }
    SUBCASE("within its own place: the numbers stay") {
        const TimePoint earlier = before.slots[1].when - minutes(5);
        const auto moved = scheduler.move_slot(1, earlier);
        REQUIRE(moved.index);
        CHECK(*moved.index == 1);
        CHECK(scheduler.plan().slots[1].when == earlier);
    }
    SUBCASE("to a time another slot has: after it") {
        const auto moved = scheduler.move_slot(2, before.slots[0].when);
        REQUIRE(moved.index);
        CHECK(*moved.index == 1);
        CHECK(scheduler.plan().slots[0].when == scheduler.plan().slots[1].when);
    }
    // Whatever the move, a restart reads the same plan (schedule.json refuses unsorted ones).
    Scheduler reloaded(dir.path(), s, morning + minutes(1), 99);
    CHECK(times(reloaded.plan()) == times(scheduler.plan()));
    CHECK(reloaded.startup().problems.empty());
}

TEST_CASE("a move is refused for an unknown or handled slot and off the plan's day") {
    TempDir dir;
    const auto s = settings();
    Scheduler scheduler(dir.path(), s, local("2026-11-21", 8, 0), 7);
    const auto plan = scheduler.plan();
    REQUIRE(scheduler.mark({plan.date, 0}, SlotStatus::done));
    const auto unchanged = scheduler.plan();

    CHECK(scheduler.move_slot(3, local("2026-11-21", 15, 0)).refusal ==
          SlotMoveRefusal::unknown_slot);
    CHECK(scheduler.move_slot(0, local("2026-11-21", 15, 0)).refusal ==
          SlotMoveRefusal::not_pending);
    REQUIRE(scheduler.mark({plan.date, 1}, SlotStatus::running));
    CHECK(scheduler.move_slot(1, local("2026-11-21", 15, 0)).refusal ==
          SlotMoveRefusal::not_pending);
    const auto other_day = scheduler.move_slot(2, local("2026-11-22", 0, 30));
    CHECK_FALSE(other_day.index);
    CHECK(other_day.refusal == SlotMoveRefusal::other_day);
    CHECK(times(scheduler.plan()) == times(unchanged));
    CHECK(scheduler.plan().slots[2].status == SlotStatus::pending);
}

TEST_CASE("a redraw draws only the pending future slots, in the rest of the window") {
    TempDir dir;
    const auto s = settings(4);
    Scheduler scheduler(dir.path(), s, local("2026-11-21", 8, 0), 11);
    const auto plan = scheduler.plan();
    REQUIRE(plan.slots.size() == 4);
    REQUIRE(scheduler.mark({plan.date, 0}, SlotStatus::done));
    REQUIRE(scheduler.mark({plan.date, 1}, SlotStatus::skipped));
    const TimePoint now = plan.slots[1].when + minutes(1);
    const TimePoint end = local("2026-11-22", 0, 0);

    std::set<std::vector<TimePoint>> draws;
    for (int round = 0; round < 20; ++round) {
        const auto redraw = scheduler.redraw_remaining(now);
        CHECK(redraw.redrawn == 2);
        CHECK_FALSE(redraw.window_over);
        const auto& after = scheduler.plan();
        REQUIRE(after.slots.size() == 4);
        // The handled slots keep their times, states and numbers.
        CHECK(after.slots[0].when == plan.slots[0].when);
        CHECK(after.slots[0].status == SlotStatus::done);
        CHECK(after.slots[1].when == plan.slots[1].when);
        CHECK(after.slots[1].status == SlotStatus::skipped);
        // The others: pending, ahead, each in its half of what was left, in order.
        const double left = std::chrono::duration<double>(end - now).count();
        for (std::size_t i = 2; i < 4; ++i) {
            CAPTURE(i);
            CHECK(after.slots[i].status == SlotStatus::pending);
            const double at = std::chrono::duration<double>(after.slots[i].when - now).count();
            CHECK(at > left / 2 * static_cast<double>(i - 2));
            CHECK(at < left / 2 * static_cast<double>(i - 1) + 1);
        }
        CHECK(after.slots[2].when < after.slots[3].when);
        draws.insert(times(after));
    }
    CHECK(draws.size() > 1);  // drawn anew, not recomputed
    Scheduler reloaded(dir.path(), s, now, 5);
    CHECK(times(reloaded.plan()) == times(scheduler.plan()));
}

TEST_CASE("a redraw with nothing ahead, or no window left, changes nothing") {
    TempDir dir;
    const auto s = settings();
    Scheduler scheduler(dir.path(), s, local("2026-11-21", 8, 0), 3);
    const auto plan = scheduler.plan();
    SUBCASE("every slot handled or due") {
        REQUIRE(scheduler.mark({plan.date, 0}, SlotStatus::done));
        REQUIRE(scheduler.mark({plan.date, 1}, SlotStatus::failed));
        // Slot 2 is due (pending, its time passed): it runs as it is.
        const auto redraw = scheduler.redraw_remaining(plan.slots[2].when + seconds(1));
        CHECK(redraw.redrawn == 0);
        CHECK_FALSE(redraw.window_over);
    }
    SUBCASE("less than a minute a slot left of the window") {
        REQUIRE(scheduler.mark({plan.date, 0}, SlotStatus::done));
        REQUIRE(scheduler.mark({plan.date, 1}, SlotStatus::done));
        const TimePoint late = local("2026-11-21", 23, 59) + seconds(59);
        REQUIRE(scheduler.move_slot(2, late).index);
        const auto redraw = scheduler.redraw_remaining(local("2026-11-21", 23, 59));
        CHECK(redraw.window_over);
        CHECK(redraw.redrawn == 0);
        CHECK(scheduler.plan().slots[2].when == late);
    }
}

TEST_CASE("/setnext's argument is a slot number and a time text") {
    const auto two = parse_setnext_argument("2 16:30");
    REQUIRE(two);
    CHECK(two->number == 2);
    CHECK(two->time == "16:30");
    const auto hash = parse_setnext_argument("  #3   2026-12-02 09:15 ");
    REQUIRE(hash);
    CHECK(hash->number == 3);
    CHECK(hash->time == "2026-12-02 09:15");
    CHECK(parse_setnext_argument("0 +30m")->number == 0);
    for (const char* bad : {"", "2", "#2", "two 16:30", "-1 16:30", "2x 16:30", "# 16:30",
                            "12345 16:30", "16:30 2"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_setnext_argument(bad));
    }
}
