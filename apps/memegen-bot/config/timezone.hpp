#pragma once
/// \file timezone.hpp
/// The bot's time zone. g++ 12 has no chrono time-zone database, so zones come from Howard
/// Hinnant's date/tz (the library C++20's <chrono> zones were standardised from), reading the
/// system's tzdata under /usr/share/zoneinfo. Nothing here touches `TZ` or the C library's
/// zone: the configured zone is a value, not process-wide state shared with every library.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace memegen::bot {

/// Where the IANA zone files live on Debian (package tzdata); date/tz reads them from here.
inline constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo";

/// A calendar day in a local zone.
struct LocalDate {
    int year = 1970;  ///< e.g. 2026
    int month = 1;    ///< 1..12
    int day = 1;      ///< 1..31

    /// "YYYY-MM-DD".
    [[nodiscard]] std::string to_string() const;
    /// Parses "YYYY-MM-DD" (a real calendar day); nullopt otherwise.
    [[nodiscard]] static std::optional<LocalDate> parse(std::string_view text);
    /// The following day.
    [[nodiscard]] LocalDate next() const;

    friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
};

/// The offset of a fixed zone such as "+07:00", "-03:30" or "+7"; nullopt unless `zone` is
/// ±HH or ±HH:MM with |offset| <= 14:00.
[[nodiscard]] std::optional<std::chrono::minutes> parse_utc_offset(std::string_view zone);

/// An IANA zone (DST rules from tzdata) or a fixed offset from UTC. Cheap to copy; the zone
/// data it points to lives as long as the process.
class TimeZone {
  public:
    /// UTC.
    TimeZone() = default;

    /// An IANA name ("Asia/Tomsk") or a fixed offset ("+07:00"); nullopt for anything else.
    [[nodiscard]] static std::optional<TimeZone> locate(std::string_view zone);
    /// The system's zone: $TZ when it names a zone (as the C library reads it), else
    /// /etc/localtime, else UTC (the C library's fallback too).
    [[nodiscard]] static TimeZone system();

    /// The local date of `when`.
    [[nodiscard]] LocalDate date_of(std::chrono::system_clock::time_point when) const;
    /// The instant when the local clock shows `minutes` after midnight of `date` (1440 = the
    /// next midnight). A wall time skipped by a DST change is read past the gap (02:30 →
    /// 03:30); one shown twice is its first occurrence.
    [[nodiscard]] std::chrono::system_clock::time_point to_utc(const LocalDate& date,
                                                               int minutes) const;
    /// "16:30:00": the local wall-clock time of `when`.
    [[nodiscard]] std::string clock_text(std::chrono::system_clock::time_point when) const;

  private:
    [[nodiscard]] std::chrono::seconds offset_at(std::chrono::system_clock::time_point) const;

    const date::time_zone* zone_ = nullptr;  ///< the IANA zone; nullptr: fixed offset
    std::chrono::minutes fixed_{0};          ///< the offset when zone_ is nullptr
};

/// Checks `zone`: an IANA name known to tzdata, a fixed offset, or empty (the system's zone).
/// Returns nullopt when valid, else the reason naming the zone ("unknown time zone ...").
[[nodiscard]] std::optional<std::string> validate_timezone(std::string_view zone);

/// Makes `zone` the bot's zone, used by the functions below; an empty `zone` selects the
/// system's zone. Returns nullopt on success, else the reason, leaving the zone in place.
/// Thread-safe; the process's `TZ` and the C library's zone are left alone.
[[nodiscard]] std::optional<std::string> apply_timezone(const std::string& zone);

/// The bot's zone (the system's until apply_timezone() chose another).
[[nodiscard]] TimeZone bot_timezone();

/// The local date of `when` in the bot's zone.
[[nodiscard]] LocalDate local_date_of(std::chrono::system_clock::time_point when);

/// bot_timezone().to_utc(date, minutes).
[[nodiscard]] std::chrono::system_clock::time_point local_to_utc(const LocalDate& date,
                                                                 int minutes);

/// "16:30:00": the wall-clock time of `when` in the bot's zone.
[[nodiscard]] std::string local_clock_text(std::chrono::system_clock::time_point when);

}  // namespace memegen::bot
