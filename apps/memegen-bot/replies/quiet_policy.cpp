#include "replies/quiet_policy.hpp"

#include <algorithm>

#include "config/timezone.hpp"

namespace memegen::bot {

QuietPolicy::QuietPolicy(std::optional<QuietHours> hours, std::vector<ChatId> owner_chats)
    : hours_(hours), owner_chats_(std::move(owner_chats)) {}

void QuietPolicy::owner_active(Clock::time_point now) noexcept {
    last_active_.store(now.time_since_epoch().count());
}

bool QuietPolicy::silent(const ChatId& chat, Clock::time_point now) const {
    if (!hours_ ||
        std::find(owner_chats_.begin(), owner_chats_.end(), chat) == owner_chats_.end()) {
        return false;
    }
    const auto last = last_active_.load();
    if (last != 0 && now - Clock::time_point(Clock::duration(last)) < kAwake)
        return false;
    return hours_->contains(now, bot_timezone());
}

}  // namespace memegen::bot
