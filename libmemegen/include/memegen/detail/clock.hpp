#pragma once
// Local wall-clock timestamps with their UTC offset ("2025-10-03T15:30:45+07:00"),
// the form the seed's generation_state.json uses. The zone is the process's
// (TZ or /etc/localtime); the bot sets TZ from its configuration.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace memegen::detail {

using SystemClock = std::chrono::system_clock;

inline std::tm local_tm(std::time_t t) noexcept {
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

/// "+07:00" for the local zone's offset at `tm`.
inline std::string utc_offset(const std::tm& tm) {
    long offset = tm.tm_gmtoff;
    const char sign = offset < 0 ? '-' : '+';
    if (offset < 0)
        offset = -offset;
    return fmt::format("{}{:02}:{:02}", sign, offset / 3600, (offset % 3600) / 60);
}

/// ISO 8601 local time with offset, seconds precision.
inline std::string local_timestamp(SystemClock::time_point when = SystemClock::now()) {
    const std::tm tm = local_tm(SystemClock::to_time_t(when));
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, utc_offset(tm));
}

/// ISO 8601 local time with offset and milliseconds, for log lines.
inline std::string local_timestamp_ms(SystemClock::time_point when = SystemClock::now()) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()) % 1000;
    const std::tm tm = local_tm(SystemClock::to_time_t(when));
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       static_cast<int>(ms.count()), utc_offset(tm));
}

/// "20251003T153045" for file names (moved-aside state files).
inline std::string compact_local_timestamp(SystemClock::time_point when = SystemClock::now()) {
    const std::tm tm = local_tm(SystemClock::to_time_t(when));
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/// Parses what local_timestamp() writes (any offset); nullopt if malformed.
inline std::optional<SystemClock::time_point> parse_timestamp(std::string_view text) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, off_h = 0, off_m = 0;
    char sign = '+';
    const std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &year, &month, &day, &hour,
                    &minute, &second, &sign, &off_h, &off_m) != 9 ||
        (sign != '+' && sign != '-')) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t as_utc = timegm(&tm);
    if (as_utc == static_cast<std::time_t>(-1))
        return std::nullopt;
    const long offset = (off_h * 3600L + off_m * 60L) * (sign == '-' ? -1 : 1);
    return SystemClock::from_time_t(as_utc - offset);
}

}  // namespace memegen::detail
