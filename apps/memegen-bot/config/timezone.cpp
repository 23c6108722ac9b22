#include "config/timezone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace memegen::bot {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::string> posix_tz_for_offset(std::string_view zone) {
    if (zone.size() < 2 || (zone[0] != '+' && zone[0] != '-'))
        return std::nullopt;
    const bool east = zone[0] == '+';
    std::string_view rest = zone.substr(1);
    int hours = 0;
    int minutes = 0;
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits]))
        ++digits;
    if (digits < 1 || digits > 2)
        return std::nullopt;
    for (std::size_t i = 0; i < digits; ++i)
        hours = hours * 10 + (rest[i] - '0');
    rest.remove_prefix(digits);
    if (!rest.empty()) {
        if (rest.size() != 3 || rest[0] != ':' || !is_digit(rest[1]) || !is_digit(rest[2])) {
            return std::nullopt;
        }
        minutes = (rest[1] - '0') * 10 + (rest[2] - '0');
    }
    if (minutes > 59 || hours * 60 + minutes > 14 * 60)
        return std::nullopt;
    // POSIX counts offsets west of Greenwich as positive: UTC+7 is "<+07>-7".
    const std::string name = minutes == 0
                                 ? fmt::format("<{}{:02}>", east ? '+' : '-', hours)
                                 : fmt::format("<{}{:02}{:02}>", east ? '+' : '-', hours, minutes);
    const char* sign = (hours == 0 && minutes == 0) ? "" : (east ? "-" : "");
    return minutes == 0 ? fmt::format("{}{}{}", name, sign, hours)
                        : fmt::format("{}{}{}:{:02}", name, sign, hours, minutes);
}

std::optional<std::string> validate_timezone(std::string_view zone,
                                             const std::filesystem::path& zoneinfo_dir) {
    if (zone.empty())
        return std::nullopt;
    if (zone[0] == '+' || zone[0] == '-') {
        if (posix_tz_for_offset(zone))
            return std::nullopt;
        return fmt::format("invalid UTC offset \"{}\" (expected ±HH:MM, at most 14:00)", zone);
    }
    // Only plain zone names: no absolute paths, no "..", nothing a shell or TZ rule would read.
    bool plain = zone.front() != '/' && zone.find("..") == std::string_view::npos;
    for (const char c : zone) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
                        c == '/' || c == '_' || c == '-' || c == '+';
        if (!ok)
            plain = false;
    }
    const auto unknown = fmt::format(
        "unknown time zone \"{}\" (expected an IANA name such as \"Asia/Tomsk\" found under {}, "
        "or a UTC offset such as \"+07:00\")",
        zone, zoneinfo_dir.string());
    if (!plain)
        return unknown;
    const auto file = zoneinfo_dir / std::string(zone);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        return unknown;
    std::ifstream in(file, std::ios::binary);
    char magic[4] = {};
    if (!in.read(magic, 4) || std::string_view(magic, 4) != "TZif")
        return unknown;
    return std::nullopt;
}

std::optional<std::string> apply_timezone(const std::string& zone) {
    if (auto error = validate_timezone(zone))
        return error;
    if (!zone.empty()) {
        const auto posix = posix_tz_for_offset(zone);
        if (::setenv("TZ", posix ? posix->c_str() : zone.c_str(), 1) != 0) {
            return fmt::format("cannot set TZ to \"{}\"", zone);
        }
    }
    ::tzset();
    return std::nullopt;
}

std::string LocalDate::to_string() const {
    return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::optional<LocalDate> LocalDate::parse(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        return std::nullopt;
    for (const std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
        if (!is_digit(text[i]))
            return std::nullopt;
    }
    auto number = [&](std::size_t from, std::size_t count) {
        int value = 0;
        for (std::size_t i = from; i < from + count; ++i)
            value = value * 10 + (text[i] - '0');
        return value;
    };
    LocalDate date{number(0, 4), number(5, 2), number(8, 2)};
    // Round-trip through timegm so that "2026-02-30" is refused.
    std::tm tm{};
    tm.tm_year = date.year - 1900;
    tm.tm_mon = date.month - 1;
    tm.tm_mday = date.day;
    tm.tm_hour = 12;
    const std::time_t t = ::timegm(&tm);
    std::tm back{};
    ::gmtime_r(&t, &back);
    if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon || back.tm_mday != date.day) {
        return std::nullopt;
    }
    return date;
}

LocalDate LocalDate::next() const {
    // Calendar arithmetic in UTC: no DST can shift a noon-anchored day.
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day + 1;
    tm.tm_hour = 12;
    const std::time_t t = ::timegm(&tm);
    std::tm out{};
    ::gmtime_r(&t, &out);
    return LocalDate{out.tm_year + 1900, out.tm_mon + 1, out.tm_mday};
}

LocalDate local_date_of(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return LocalDate{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

std::chrono::system_clock::time_point local_to_utc(const LocalDate& date, int minutes) {
    std::tm tm{};
    tm.tm_year = date.year - 1900;
    tm.tm_mon = date.month - 1;
    tm.tm_mday = date.day + minutes / 1440;
    tm.tm_hour = (minutes % 1440) / 60;
    tm.tm_min = minutes % 60;
    tm.tm_isdst = -1;  // let the zone's rules decide
    std::tm probe = tm;
    std::time_t t = ::mktime(&probe);
    // A wall time inside a DST gap does not exist and mktime may resolve it either way: take
    // the later reading (02:30 on a spring-forward day becomes 03:30), so that times inside a
    // window never fall before the window's start.
    std::tm check{};
    ::localtime_r(&t, &check);
    std::tm wanted = tm;
    wanted.tm_isdst = 0;
    ::timegm(&wanted);  // normalises day overflow (minutes == 1440) without any zone
    if (check.tm_mday != wanted.tm_mday || check.tm_hour != wanted.tm_hour ||
        check.tm_min != wanted.tm_min) {
        for (const int isdst : {0, 1}) {
            std::tm alt = tm;
            alt.tm_isdst = isdst;
            t = std::max(t, ::mktime(&alt));
        }
    }
    return std::chrono::system_clock::from_time_t(t);
}

std::string local_clock_text(std::chrono::system_clock::time_point when) {
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace memegen::bot
