#pragma once
/// \file quiet_policy.hpp
/// When a message to the owner goes without a sound (`quiet_hours`, issue 13). During quiet
/// hours, what the bot sends to the owner's chat or the review chat on its own — scheduled
/// candidates, reports after a restart — carries `disable_notification`. Replies while the
/// owner is active (an admin typed a command, pressed a button, replied or sent a file in the
/// last few minutes, `kAwake`) still notify: whoever just asked is awake and waiting for the
/// answer, a /generate that takes a minute included. Channel posts are never silenced here.
/// Thread-safe; no errors.

#include <atomic>
#include <chrono>
#include <optional>
#include <vector>

#include "config/quiet_hours.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// Decides disable_notification for one send.
class QuietPolicy {
  public:
    using Clock = std::chrono::system_clock;
    /// How long after the owner's last action replies still notify.
    static constexpr std::chrono::minutes kAwake{10};

    /// `hours` none: never silent. `owner_chats`: the owner's chat and the review chat.
    /// Times are read in the bot's zone (bot_timezone()).
    QuietPolicy(std::optional<QuietHours> hours, std::vector<ChatId> owner_chats);

    /// The owner (or an admin) just did something: the next kAwake of replies notify.
    void owner_active(Clock::time_point now) noexcept;
    /// True when a message to `chat` sent at `now` should come without a sound.
    [[nodiscard]] bool silent(const ChatId& chat, Clock::time_point now) const;

  private:
    std::optional<QuietHours> hours_;
    std::vector<ChatId> owner_chats_;
    std::atomic<Clock::rep> last_active_{0};  // ticks since the epoch; 0: never
};

}  // namespace memegen::bot
