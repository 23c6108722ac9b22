#pragma once
/// \file telegram_replies.hpp
/// Replies over the Bot API client, with the bot's Telegram error policy.

#include <functional>
#include <stop_token>

#include "replies/quiet_policy.hpp"
#include "replies/replies.hpp"
#include "telegram/bot_api.hpp"

namespace memegen::bot {

/// The real replies. The policy: 401 calls `on_token_rejected` (the bot stops), 403 is a
/// warning (blocked or removed from the chat), "message is not modified" is no failure,
/// anything else is logged as an error with what was being done.
class TelegramReplies final : public Replies {
  public:
    /// `api` and `stop` must outlive this; `stop` cancels requests when the bot stops.
    TelegramReplies(const BotApi& api, std::stop_token stop,
                    std::function<void()> on_token_rejected);

    std::optional<std::int64_t> say(const ChatId& chat, const std::string& html,
                                    const std::optional<nlohmann::json>& markup = {}) override;
    void answer(const std::string& callback_id, const std::string& text = {},
                bool alert = false) override;
    void edit_text(const ChatId& chat, std::int64_t message_id, const std::string& html) override;
    void edit_caption(const ChatId& chat, std::int64_t message_id, const std::string& html,
                      const std::optional<nlohmann::json>& markup) override;
    void edit_markup(const ChatId& chat, std::int64_t message_id,
                     const std::optional<nlohmann::json>& markup) override;
    void chat_action(const ChatId& chat, std::string_view action) override;
    VideoOutcome send_video(const VideoUpload& upload) override;
    VideoOutcome send_video_by_file_id(const ChatId& chat, const std::string& file_id) override;
    std::optional<std::int64_t> say_while_stopping(const ChatId& chat,
                                                   const std::string& html) override;
    void edit_while_stopping(const ChatId& chat, std::int64_t message_id,
                             const std::string& html) override;

    /// Quiet hours: sends to the owner's chats ask `policy` whether to go silently (none: all
    /// notify). `policy` must outlive this; set before the first send.
    void set_quiet_policy(const QuietPolicy* policy) noexcept { quiet_ = policy; }

    /// The policy itself, for callers that use the client directly (downloads).
    void note_error(const std::exception& e, const char* what) const;

  private:
    [[nodiscard]] BotApi stopping_client() const;
    [[nodiscard]] bool silent(const ChatId& chat) const;

    const BotApi& api_;
    std::stop_token stop_;
    std::function<void()> on_token_rejected_;
    const QuietPolicy* quiet_ = nullptr;
};

}  // namespace memegen::bot
