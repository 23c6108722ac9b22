// /setnext's time argument: every form, and every refusal, in a zone with DST.

#include <doctest/doctest.h>

#include <chrono>
#include <variant>

#include "config/slot_time.hpp"
#include "config/timezone.hpp"

using namespace std::chrono;
using memegen::bot::LocalDate;
using memegen::bot::parse_slot_time;
using memegen::bot::SlotTimeRefusal;
using memegen::bot::TimeZone;

namespace {

const TimeZone& berlin() {
    static const TimeZone zone = *TimeZone::locate("Europe/Berlin");
    return zone;
}

system_clock::time_point local(int y, int mo, int d, int h, int mi) {
    return berlin().to_utc(LocalDate{y, mo, d}, h * 60 + mi);
}

}  // namespace

TEST_CASE("a slot moves to a clock time today, a shift from its time, or a date and time") {
    const auto now = local(2026, 12, 1, 14, 0);
    const auto slot = local(2026, 12, 1, 16, 0);
    SUBCASE("HH:MM is today in the bot's zone") {
        CHECK(std::get<system_clock::time_point>(parse_slot_time("17:45", slot, now, berlin())) ==
              local(2026, 12, 1, 17, 45));
        CHECK(std::get<system_clock::time_point>(parse_slot_time(
                  " 9:05 ", slot, now + hours(-8), berlin())) == local(2026, 12, 1, 9, 5));
    }
    SUBCASE("+30m, -1h, +2h shift the slot's own time") {
        CHECK(std::get<system_clock::time_point>(parse_slot_time("+30m", slot, now, berlin())) ==
              slot + minutes(30));
        CHECK(std::get<system_clock::time_point>(parse_slot_time("-1h", slot, now, berlin())) ==
              slot - hours(1));
        CHECK(std::get<system_clock::time_point>(parse_slot_time("+2h", slot, now, berlin())) ==
              slot + hours(2));
    }
    SUBCASE("YYYY-MM-DD HH:MM is that local time") {
        CHECK(std::get<system_clock::time_point>(parse_slot_time(
                  "2026-12-02 09:15", slot, now, berlin())) == local(2026, 12, 2, 9, 15));
    }
}

TEST_CASE("a time that has passed or lies too far ahead is refused with the time read") {
    const auto now = local(2026, 12, 1, 14, 0);
    const auto slot = local(2026, 12, 1, 16, 0);
    const auto refusal = [&](const char* text) {
        const auto r = parse_slot_time(text, slot, now, berlin());
        REQUIRE(std::holds_alternative<SlotTimeRefusal>(r));
        return std::get<SlotTimeRefusal>(r);
    };
    CHECK(refusal("13:59").reason == SlotTimeRefusal::Reason::passed);
    CHECK(refusal("13:59").when == local(2026, 12, 1, 13, 59));
    CHECK(refusal("14:00").reason == SlotTimeRefusal::Reason::passed);  // now is not ahead
    CHECK(refusal("-3h").reason == SlotTimeRefusal::Reason::passed);
    CHECK(refusal("2026-12-04 09:00").reason == SlotTimeRefusal::Reason::too_far);
    CHECK(refusal("+48h").reason == SlotTimeRefusal::Reason::too_far);  // from 16:00: past 48 h
    CHECK(refusal("+3000m").reason == SlotTimeRefusal::Reason::too_far);
}

TEST_CASE("anything else is unreadable, never a guess") {
    const auto now = local(2026, 12, 1, 14, 0);
    for (const char* text :
         {"", "soon", "25:00", "16:60", "16:5", "1630", "+30", "30m", "+0m", "++1h", "+1d", "-h",
          "2026-02-30 10:00", "2026-12-02", "2026-12-02 9", "16:30 tomorrow", "+１h"}) {
        CAPTURE(text);
        const auto r = parse_slot_time(text, now, now, berlin());
        REQUIRE(std::holds_alternative<SlotTimeRefusal>(r));
        CHECK(std::get<SlotTimeRefusal>(r).reason == SlotTimeRefusal::Reason::unreadable);
    }
}

TEST_CASE("on the night clocks go back, HH:MM is read as the clock shows it") {
    // 2026-10-25 in Berlin: 03:00 CEST becomes 02:00 CET.
    const auto now = local(2026, 10, 25, 0, 30);
    const auto r = parse_slot_time("04:00", now, now, berlin());
    REQUIRE(std::holds_alternative<system_clock::time_point>(r));
    CHECK(berlin().clock_text(std::get<system_clock::time_point>(r)) == "04:00:00");
}
