#include "config/slot_time.hpp"

#include <charconv>

#include "config/owner_text.hpp"

namespace memegen::bot {
namespace {

using std::chrono::system_clock;

// Digits only, the whole of `s`, within [lo, hi].
std::optional<int> number(std::string_view s, int lo, int hi) {
    int value = 0;
    if (s.empty() || s.size() > 5)
        return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value < lo || value > hi)
        return std::nullopt;
    return value;
}

// "HH:MM" (one or two hour digits) as minutes after midnight.
std::optional<int> clock_minutes(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || s.size() - colon != 3)
        return std::nullopt;
    const auto h = number(s.substr(0, colon), 0, 23);
    const auto m = number(s.substr(colon + 1), 0, 59);
    if (!h || !m || colon == 0 || colon > 2)
        return std::nullopt;
    return *h * 60 + *m;
}

// "+30m", "-1h", "+90m": a signed shift.
std::optional<std::chrono::minutes> shift(std::string_view s) {
    if (s.size() < 3 || (s.front() != '+' && s.front() != '-'))
        return std::nullopt;
    const bool back = s.front() == '-';
    const char unit = s.back();
    const auto n = number(s.substr(1, s.size() - 2), 1, 99999);  // the horizon decides the rest
    if (!n || (unit != 'm' && unit != 'h'))
        return std::nullopt;
    const std::chrono::minutes amount{unit == 'h' ? *n * 60 : *n};
    return back ? -amount : amount;
}

}  // namespace

SlotTime parse_slot_time(std::string_view text, system_clock::time_point current,
                         system_clock::time_point now, const TimeZone& zone) {
    text = trim_blanks(text);
    std::optional<system_clock::time_point> when;
    if (const auto by = shift(text)) {
        when = current + *by;
    } else if (const auto minutes = clock_minutes(text)) {
        when = zone.to_utc(zone.date_of(now), *minutes);
    } else if (const auto space = text.find(' '); space != std::string_view::npos) {
        const auto date = LocalDate::parse(text.substr(0, space));
        const auto minutes = clock_minutes(trim_blanks(text.substr(space + 1)));
        if (date && minutes)
            when = zone.to_utc(*date, *minutes);
    }
    if (!when)
        return SlotTimeRefusal{};
    if (*when <= now)
        return SlotTimeRefusal{SlotTimeRefusal::Reason::passed, *when};
    if (*when > now + kSlotTimeHorizon)
        return SlotTimeRefusal{SlotTimeRefusal::Reason::too_far, *when};
    return *when;
}

}  // namespace memegen::bot
