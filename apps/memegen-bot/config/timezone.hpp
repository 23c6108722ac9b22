#pragma once
/// \file timezone.hpp
/// The bot's time zone. g++ 12 has no chrono time-zone database, so the configured zone is
/// applied process-wide through `TZ` + tzset(), and local<->UTC conversions go through the C
/// library (localtime_r/mktime), which reads the system's tzdata and knows every DST rule.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace memegen::bot {

/// Where the IANA zone files live on Debian (package tzdata).
inline constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo";

/// The POSIX TZ value for a fixed offset such as "+07:00" ("<+07>-7"); nullopt if `zone` is not
/// a fixed offset of the form ±HH or ±HH:MM (|offset| <= 14:00).
[[nodiscard]] std::optional<std::string> posix_tz_for_offset(std::string_view zone);

/// Checks `zone`: an IANA name with a TZif file under `zoneinfo_dir`, or a fixed offset.
/// Returns nullopt when valid, else the reason ("unknown time zone ...").
[[nodiscard]] std::optional<std::string> validate_timezone(
    std::string_view zone, const std::filesystem::path& zoneinfo_dir = kZoneInfoDir);

/// Sets TZ for the whole process (IANA name as is, fixed offset as a POSIX rule) and calls
/// tzset(); an empty `zone` keeps the system's zone. Returns nullopt on success, else the
/// reason, leaving TZ untouched. Not thread-safe (setenv): call it at start-up, before threads.
[[nodiscard]] std::optional<std::string> apply_timezone(const std::string& zone);

/// A calendar day in the local zone.
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

/// The local date of `when` in the process's zone.
[[nodiscard]] LocalDate local_date_of(std::chrono::system_clock::time_point when);

/// The instant when the local clock shows `minutes` after midnight of `date` (1440 = the next
/// midnight). A wall time skipped by a DST change is read past the gap (02:30 → 03:30).
[[nodiscard]] std::chrono::system_clock::time_point local_to_utc(const LocalDate& date,
                                                                 int minutes);

/// "16:30:00": the local wall-clock time of `when`.
[[nodiscard]] std::string local_clock_text(std::chrono::system_clock::time_point when);

}  // namespace memegen::bot
