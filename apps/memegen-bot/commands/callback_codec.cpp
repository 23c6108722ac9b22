#include "commands/callback_codec.hpp"

#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace memegen::bot {

namespace {

constexpr std::pair<ReviewAction, char> kVerbs[] = {
    {ReviewAction::publish, 'p'},
    {ReviewAction::change_track, 't'},
    {ReviewAction::regenerate, 'r'},
    {ReviewAction::regenerate_all, 'a'},
    {ReviewAction::published, 'x'},
    {ReviewAction::retry_target, 'y'},
    {ReviewAction::delete_candidate, 'd'},
    {ReviewAction::dislike, 'l'},
    {ReviewAction::edit_captions, 'e'},
    // 🎯 Choose platforms.
    {ReviewAction::choose_targets, 'g'},
    {ReviewAction::toggle_target, 's'},
    {ReviewAction::publish_selected, 'S'},
    {ReviewAction::cancel_choice, 'c'},
};

// Verbs whose data carries a selection (hex) after the id.
bool has_selection(ReviewAction action) {
    return action == ReviewAction::toggle_target || action == ReviewAction::publish_selected;
}

// Verbs whose data names a publishing target after the id.
bool has_platform(ReviewAction action) {
    return action == ReviewAction::retry_target;
}

}  // namespace

std::string encode_callback(const ReviewCallback& callback) {
    for (const auto& [action, verb] : kVerbs) {
        if (action == callback.action) {
            auto data = std::string(1, verb) + ":" + callback.target;
            if (has_platform(action))
                data += ":" + callback.platform;
            if (has_selection(action))
                data += fmt::format(":{:x}", callback.selection);
            return data;
        }
    }
    return {};
}

std::optional<ReviewCallback> decode_callback(std::string_view data) {
    if (data.size() < 2 || data[1] != ':')
        return std::nullopt;
    for (const auto& [action, verb] : kVerbs) {
        if (verb != data[0])
            continue;
        const auto rest = data.substr(2);
        if (has_selection(action)) {
            const auto colon = rest.find(':');
            if (colon == std::string_view::npos || colon == 0)
                return std::nullopt;
            const auto hex = rest.substr(colon + 1);
            unsigned selection = 0;
            const auto [end, error] =
                std::from_chars(hex.data(), hex.data() + hex.size(), selection, 16);
            if (hex.empty() || error != std::errc{} || end != hex.data() + hex.size())
                return std::nullopt;
            return ReviewCallback{action, std::string(rest.substr(0, colon)), {}, selection};
        }
        if (!has_platform(action))
            return ReviewCallback{action, std::string(rest), {}};
        // Ids never hold ':'; target names may ("telegram:@memes").
        const auto colon = rest.find(':');
        if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size())
            return std::nullopt;
        return ReviewCallback{action, std::string(rest.substr(0, colon)),
                              std::string(rest.substr(colon + 1))};
    }
    return std::nullopt;
}

}  // namespace memegen::bot
