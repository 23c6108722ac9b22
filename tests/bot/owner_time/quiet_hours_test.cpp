// quiet_hours: the span's forms, its refusals, and which moments fall in it.

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <variant>

#include "config/quiet_hours.hpp"
#include "config/timezone.hpp"

using memegen::bot::LocalDate;
using memegen::bot::QuietHours;
using memegen::bot::TimeZone;

namespace {

QuietHours parsed(const char* text) {
    auto r = QuietHours::parse(text);
    REQUIRE(std::holds_alternative<QuietHours>(r));
    return std::get<QuietHours>(r);
}

}  // namespace

TEST_CASE("quiet hours read back as written, and refuse what is not a span") {
    CHECK(parsed("00:00-10:00").to_string() == "00:00-10:00");
    CHECK(parsed("22:30-07:00").to_string() == "22:30-07:00");
    for (const char* bad :
         {"", "00:00", "0:00-10:00", "00:00-24:00", "10-12", "aa:bb-cc:dd", "00:00 - 10:00"}) {
        CAPTURE(bad);
        const auto r = QuietHours::parse(bad);
        REQUIRE(std::holds_alternative<std::string>(r));
        CHECK(std::get<std::string>(r) == "expected HH:MM-HH:MM, e.g. 00:00-10:00");
    }
    CHECK(std::get<std::string>(QuietHours::parse("08:00-08:00")) ==
          "start and end are the same time");
}

TEST_CASE("a moment is quiet by the local clock, across midnight too") {
    const TimeZone zone = *TimeZone::locate("Asia/Tomsk");  // UTC+7, no DST
    const auto at = [&](int h, int m) { return zone.to_utc(LocalDate{2026, 12, 1}, h * 60 + m); };
    const auto morning = parsed("00:00-10:00");
    CHECK(morning.contains(at(0, 0), zone));
    CHECK(morning.contains(at(9, 59), zone));
    CHECK_FALSE(morning.contains(at(10, 0), zone));
    CHECK_FALSE(morning.contains(at(23, 59), zone));
    const auto night = parsed("22:30-07:00");
    CHECK(night.contains(at(23, 0), zone));
    CHECK(night.contains(at(6, 59), zone));
    CHECK_FALSE(night.contains(at(7, 0), zone));
    CHECK_FALSE(night.contains(at(22, 29), zone));
    // The same instant in another zone is another local time: 15:00 in Tomsk is 08:00 UTC.
    CHECK_FALSE(morning.contains(at(15, 0), zone));
    CHECK(morning.contains(at(15, 0), *TimeZone::locate("UTC")));
}
