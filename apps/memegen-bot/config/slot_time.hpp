#pragma once
/// \file slot_time.hpp
/// The time `/setnext <#> <time>` moves a slot to (issue 13), read as the owner writes it:
/// "16:30" (today, in the bot's zone), "+30m" / "-1h" / "+2h" (from the slot's current time),
/// or "2026-12-02 09:15" (a local date and time). The result must lie ahead of now and at most
/// kSlotTimeHorizon ahead: a slot is moved, not planned for next month.
///
/// Errors are values (the folder's idiom): a SlotTimeRefusal says which rule refused, with
/// what the reply needs, and the messages catalogue words it in the owner's language.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "config/timezone.hpp"

namespace memegen::bot {

/// How far ahead a slot may be moved.
inline constexpr std::chrono::hours kSlotTimeHorizon{48};

/// Why a /setnext time was refused.
struct SlotTimeRefusal {
    enum class Reason {
        unreadable,  ///< not one of the forms: the reply shows the usage line
        passed,      ///< at or before now
        too_far,     ///< beyond now + kSlotTimeHorizon
    } reason = Reason::unreadable;
    std::chrono::system_clock::time_point when;  ///< the time read (passed, too_far)
};

/// A moved slot's new time, or why not.
using SlotTime = std::variant<std::chrono::system_clock::time_point, SlotTimeRefusal>;

/// Reads `text` (surrounding spaces ignored) for a slot now planned at `current`, at `now`, in
/// `zone`. Whole minutes: seconds of the result are zero for clock forms, and those of
/// `current` for relative ones.
[[nodiscard]] SlotTime parse_slot_time(std::string_view text,
                                       std::chrono::system_clock::time_point current,
                                       std::chrono::system_clock::time_point now,
                                       const TimeZone& zone);

}  // namespace memegen::bot
