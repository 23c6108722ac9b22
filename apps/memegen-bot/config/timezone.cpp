#include "config/timezone.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <mutex>

namespace memegen::bot {

namespace {

using std::chrono::system_clock;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

date::year_month_day to_ymd(const LocalDate& d) {
    return date::year_month_day{date::year{d.year}, date::month{static_cast<unsigned>(d.month)},
                                date::day{static_cast<unsigned>(d.day)}};
}

LocalDate from_ymd(const date::year_month_day& ymd) {
    return LocalDate{static_cast<int>(ymd.year()),
                     static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// date/tz throws std::runtime_error for an unknown name, and when tzdata itself is missing.
const date::time_zone* find_iana_zone(std::string_view name) noexcept {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr;
    }
}

// The zone apply_timezone() chose; TimeZone is two words, so a mutex is the simple way.
struct BotZone {
    std::mutex mutex;
    TimeZone zone = TimeZone::system();
};

BotZone& bot_zone() {
    static BotZone zone;
    return zone;
}

}  // namespace

std::optional<std::chrono::minutes> parse_utc_offset(std::string_view zone) {
    if (zone.size() < 2 || (zone[0] != '+' && zone[0] != '-'))
        return std::nullopt;
    const bool east = zone[0] == '+';
    std::string_view rest = zone.substr(1);
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits]))
        ++digits;
    if (digits < 1 || digits > 2)
        return std::nullopt;
    int hours = 0;
    for (std::size_t i = 0; i < digits; ++i)
        hours = hours * 10 + (rest[i] - '0');
    rest.remove_prefix(digits);
    int minutes = 0;
    if (!rest.empty()) {
        if (rest.size() != 3 || rest[0] != ':' || !is_digit(rest[1]) || !is_digit(rest[2]))
            return std::nullopt;
        minutes = (rest[1] - '0') * 10 + (rest[2] - '0');
    }
    if (minutes > 59 || hours * 60 + minutes > 14 * 60)
        return std::nullopt;
    return std::chrono::minutes(east ? hours * 60 + minutes : -(hours * 60 + minutes));
}

std::optional<TimeZone> TimeZone::locate(std::string_view zone) {
    TimeZone out;
    if (!zone.empty() && (zone[0] == '+' || zone[0] == '-')) {
        const auto offset = parse_utc_offset(zone);
        if (!offset)
            return std::nullopt;
        out.fixed_ = *offset;
        return out;
    }
    // Only names the database lists are found: "../../etc/passwd" or "/tmp/x" never are.
    out.zone_ = zone.empty() ? nullptr : find_iana_zone(zone);
    if (out.zone_ == nullptr)
        return std::nullopt;
    return out;
}

TimeZone TimeZone::system() {
    // date/tz 3.0.1's current_zone() ignores $TZ, which the C library honours: read it first
    // so that "the system's zone" stays what it was when the bot used localtime_r.
    if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
        const std::string_view name = *tz == ':' ? tz + 1 : tz;
        if (const auto zone = locate(name))
            return *zone;
    }
    TimeZone out;
    try {
        out.zone_ = date::current_zone();
    } catch (const std::exception&) {
        out.zone_ = find_iana_zone("Etc/UTC");  // no /etc/localtime: UTC, as in the C library
    }
    return out;
}

std::chrono::seconds TimeZone::offset_at(system_clock::time_point when) const {
    if (zone_ == nullptr)
        return fixed_;
    return zone_->get_info(std::chrono::floor<std::chrono::seconds>(when)).offset;
}

LocalDate TimeZone::date_of(system_clock::time_point when) const {
    const auto local = std::chrono::floor<std::chrono::seconds>(when) + offset_at(when);
    return from_ymd(date::year_month_day{std::chrono::floor<date::days>(local)});
}

system_clock::time_point TimeZone::to_utc(const LocalDate& d, int minutes) const {
    const auto wall = date::local_days{to_ymd(d)} + std::chrono::minutes(minutes);
    if (zone_ == nullptr)
        return system_clock::time_point{wall.time_since_epoch() - fixed_};
    // For a wall time that does not exist (spring forward) `first` is the offset before the
    // gap, which reads 02:30 as 03:30; for one shown twice (fall back) it is the earlier
    // occurrence. Both are what mktime did when the bot used the C library.
    const auto info = zone_->get_info(wall);
    return system_clock::time_point{wall.time_since_epoch() - info.first.offset};
}

std::string TimeZone::clock_text(system_clock::time_point when) const {
    const auto local = std::chrono::floor<std::chrono::seconds>(when) + offset_at(when);
    const date::hh_mm_ss time{local - std::chrono::floor<date::days>(local)};
    return fmt::format("{:02}:{:02}:{:02}", time.hours().count(), time.minutes().count(),
                       time.seconds().count());
}

std::optional<std::string> validate_timezone(std::string_view zone) {
    if (zone.empty() || TimeZone::locate(zone))
        return std::nullopt;
    if (zone[0] == '+' || zone[0] == '-')
        return fmt::format("invalid UTC offset \"{}\" (expected ±HH:MM, at most 14:00)", zone);
    return fmt::format(
        "unknown time zone \"{}\" (expected an IANA name such as \"Asia/Tomsk\" found under {}, "
        "or a UTC offset such as \"+07:00\")",
        zone, kZoneInfoDir);
}

std::optional<std::string> apply_timezone(const std::string& zone) {
    if (auto error = validate_timezone(zone))
        return error;
    const TimeZone chosen = zone.empty() ? TimeZone::system() : *TimeZone::locate(zone);
    BotZone& current = bot_zone();
    const std::lock_guard lock(current.mutex);
    current.zone = chosen;
    return std::nullopt;
}

TimeZone bot_timezone() {
    BotZone& current = bot_zone();
    const std::lock_guard lock(current.mutex);
    return current.zone;
}

LocalDate local_date_of(system_clock::time_point when) {
    return bot_timezone().date_of(when);
}

system_clock::time_point local_to_utc(const LocalDate& date, int minutes) {
    return bot_timezone().to_utc(date, minutes);
}

std::string local_clock_text(system_clock::time_point when) {
    return bot_timezone().clock_text(when);
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
    const LocalDate date{number(0, 4), number(5, 2), number(8, 2)};
    if (!to_ymd(date).ok())  // "2026-02-30"
        return std::nullopt;
    return date;
}

LocalDate LocalDate::next() const {
    return from_ymd(date::year_month_day{date::sys_days{to_ymd(*this)} + date::days{1}});
}

}  // namespace memegen::bot
