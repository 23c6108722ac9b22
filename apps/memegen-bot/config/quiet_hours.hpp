#pragma once
/// \file quiet_hours.hpp
/// `quiet_hours` (issue 13): a daily span of local time, "00:00-10:00" or across midnight
/// "22:30-07:00", during which messages to the owner are sent without a notification sound.
/// Errors are values (the folder's idiom): parse() returns the reason as text.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/timezone.hpp"

namespace memegen::bot {

/// A daily span [start, end) of local wall-clock minutes; start > end wraps past midnight.
struct QuietHours {
    int start_minute = 0;  ///< 0..1439
    int end_minute = 0;    ///< 0..1439, never equal to start_minute

    /// Reads "HH:MM-HH:MM"; the reason otherwise ("expected HH:MM-HH:MM, e.g. 00:00-10:00",
    /// "start and end are the same time").
    [[nodiscard]] static std::variant<QuietHours, std::string> parse(std::string_view text);
    /// "22:30-07:00".
    [[nodiscard]] std::string to_string() const;
    /// True when `when`, read in `zone`, falls in the span.
    [[nodiscard]] bool contains(std::chrono::system_clock::time_point when,
                                const TimeZone& zone) const;
};

}  // namespace memegen::bot
