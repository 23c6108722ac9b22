#pragma once
/// \file stale_press.hpp
/// The first check of every button under a candidate: a candidate that is unknown (fell out
/// of candidates.json), replaced or deleted answers the press and nothing else happens.

#include <optional>
#include <string>

#include "core/candidate_store.hpp"
#include "core/messages.hpp"

namespace memegen::bot {

/// The answer to a press on `candidate` when it is gone (unknown or replaced: a stale button;
/// deleted: it was deleted); nullopt when the press may go on.
[[nodiscard]] inline std::optional<std::string> stale_press(
    const std::optional<Candidate>& candidate, const Messages& text) {
    if (!candidate || candidate->status == CandidateStatus::replaced)
        return text.stale_button();
    if (candidate->status == CandidateStatus::deleted)
        return text.already_deleted();
    return std::nullopt;
}

}  // namespace memegen::bot
