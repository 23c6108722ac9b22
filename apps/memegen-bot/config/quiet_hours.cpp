#include "config/quiet_hours.hpp"

#include <fmt/format.h>

#include <charconv>

namespace memegen::bot {
namespace {

// "HH:MM" as minutes after midnight; -1 when it is not one (an int, not an optional: g++ 12
// warns of an uninitialised optional<int> here at -O1).
int clock_minutes(std::string_view s) {
    int h = 0, m = 0;
    if (s.size() != 5 || s[2] != ':')
        return -1;
    const auto [eh, rh] = std::from_chars(s.data(), s.data() + 2, h);
    const auto [em, rm] = std::from_chars(s.data() + 3, s.data() + 5, m);
    if (rh != std::errc{} || rm != std::errc{} || eh != s.data() + 2 || em != s.data() + 5 ||
        h > 23 || m > 59 || h < 0 || m < 0) {
        return -1;
    }
    return h * 60 + m;
}

}  // namespace

std::variant<QuietHours, std::string> QuietHours::parse(std::string_view text) {
    const auto dash = text.find('-');
    const int start = clock_minutes(text.substr(0, dash));
    const int end = dash == std::string_view::npos ? -1 : clock_minutes(text.substr(dash + 1));
    if (start < 0 || end < 0)
        return std::string("expected HH:MM-HH:MM, e.g. 00:00-10:00");
    if (start == end)
        return std::string("start and end are the same time");
    return QuietHours{start, end};
}

std::string QuietHours::to_string() const {
    return fmt::format("{:02}:{:02}-{:02}:{:02}", start_minute / 60, start_minute % 60,
                       end_minute / 60, end_minute % 60);
}

bool QuietHours::contains(std::chrono::system_clock::time_point when, const TimeZone& zone) const {
    // The local wall clock as shown ("HH:MM:SS"), so a DST change is read as the owner's clock
    // reads it.
    const int minute = clock_minutes(zone.clock_text(when).substr(0, 5));
    if (minute < 0)
        return false;
    return start_minute < end_minute ? minute >= start_minute && minute < end_minute
                                     : minute >= start_minute || minute < end_minute;
}

}  // namespace memegen::bot
