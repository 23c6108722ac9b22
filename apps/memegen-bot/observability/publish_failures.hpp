#pragma once
/// \file publish_failures.hpp
/// The publications that failed and wait for the owner, as /status lists them: one per
/// (candidate, target) whose state in candidates.json is "failed". A Retry takes the target out
/// of "failed" at once, and a deleted or replaced candidate has no Retry left, so neither is
/// listed. Read from the live store (the bot) and from the state directory (memegen-status)
/// alike, so both say the same.

#include <string>
#include <vector>

#include "core/candidate_store.hpp"

namespace memegen::bot {

/// One failed publication.
struct PublishFailure {
    std::string candidate;      ///< the candidate's id
    std::string target;         ///< the target's name ("youtube", "telegram:@memes")
    std::string label;          ///< what people read for it ("YouTube", "Telegram @memes")
    std::string media;          ///< the source meme's file name
    std::string reason;         ///< the cause, without the "[memegen.publish] <target>: " prefix
    bool needs_reauth = false;  ///< the authorization is gone: the owner must reconnect
    /// The command that connects the account again ("/connect youtube"); empty when the target
    /// is not connected with a command (X: keys in the config) or needs no reconnecting.
    std::string reconnect;
};

/// The failed publications among `candidates` (oldest first, as the store keeps them), newest
/// candidate first, its targets by name.
[[nodiscard]] std::vector<PublishFailure> publish_failures(
    const std::vector<Candidate>& candidates);

}  // namespace memegen::bot
