#include "commands/callback_codec.hpp"

#include <utility>

namespace memegen::bot {

namespace {

constexpr std::pair<ReviewAction, char> kVerbs[] = {
    {ReviewAction::publish, 'p'},    {ReviewAction::change_track, 't'},
    {ReviewAction::regenerate, 'r'}, {ReviewAction::regenerate_all, 'a'},
    {ReviewAction::published, 'x'},  {ReviewAction::delete_candidate, 'd'},
    {ReviewAction::dislike, 'l'},    {ReviewAction::edit_captions, 'e'},
};

}  // namespace

std::string encode_callback(const ReviewCallback& callback) {
    for (const auto& [action, verb] : kVerbs) {
        if (action == callback.action)
            return std::string(1, verb) + ":" + callback.target;
    }
    return {};
}

std::optional<ReviewCallback> decode_callback(std::string_view data) {
    if (data.size() < 2 || data[1] != ':')
        return std::nullopt;
    for (const auto& [action, verb] : kVerbs) {
        if (verb == data[0])
            return ReviewCallback{action, std::string(data.substr(2))};
    }
    return std::nullopt;
}

}  // namespace memegen::bot
