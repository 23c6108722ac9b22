#pragma once
/// \file callback_codec.hpp
/// The data of the review buttons, encoded and decoded in one place. On the wire it is
/// "<verb>:<id>" (p publish, t change track, r regenerate, a regenerate all, x already
/// published; d delete, l dislike, e edit captions), "y:<id>:<platform>" (retry one publishing
/// target), "g:<id>" / "c:<id>" (open / cancel Choose platforms) and "s:<id>:<hex>" /
/// "S:<id>:<hex>" (toggle / publish the selection): buttons sent by older versions keep working,
/// and a verb once sent is never given another meaning.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace memegen::bot {

/// What a review button asks for.
enum class ReviewAction {
    publish,           ///< post the candidate to the channel
    change_track,      ///< the same meme and look with another track
    regenerate,        ///< another meme in the candidate's place
    regenerate_all,    ///< a new batch in place of the batch `target`
    published,         ///< the button left on a published candidate
    delete_candidate,  ///< discard the candidate: no keyboard, never published
    dislike,           ///< its source is not picked again for dislike_days
    edit_captions,     ///< says how: reply to the video with "top | bottom"
    retry_target,      ///< publish `target` again to the failed `platform`
    // 🎯 Choose platforms: `selection` is a bit set over the configured targets, in order.
    choose_targets,    ///< show one toggle per target under `target`
    toggle_target,     ///< the toggles with `selection` (one bit flipped)
    publish_selected,  ///< publish `target` to the targets in `selection`
    cancel_choice,     ///< back to the review buttons
};

/// A decoded button: the action and the candidate (or, for regenerate_all, batch) id.
struct ReviewCallback {
    // A constructor rather than an aggregate, so {action, id} stays complete without platform.
    ReviewCallback(ReviewAction a = ReviewAction::publish, std::string t = {}, std::string p = {},
                   unsigned s = 0)
        : action(a), target(std::move(t)), platform(std::move(p)), selection(s) {}

    ReviewAction action = ReviewAction::publish;
    std::string target;
    std::string platform;    ///< retry_target: the publishing target's name ("youtube")
    unsigned selection = 0;  ///< toggle_target, publish_selected: chosen targets (bit i: i-th)

    friend bool operator==(const ReviewCallback&, const ReviewCallback&) = default;
};

/// The callback_data of a button (at most 64 bytes: ids are 10 characters).
[[nodiscard]] std::string encode_callback(const ReviewCallback& callback);
/// The button `data` stands for; nullopt for data no version of the bot sent.
[[nodiscard]] std::optional<ReviewCallback> decode_callback(std::string_view data);

}  // namespace memegen::bot
