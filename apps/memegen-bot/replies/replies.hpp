#pragma once
/// \file replies.hpp
/// The seam between the bot's flows and Telegram: what a flow says, answers and edits, with
/// the Telegram error policy applied in one place (telegram_replies.cpp). Flows take a
/// `Replies&`, so each can be tested against a recording fake (tests/bot/support).

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// What sendVideo gave back: the message and Telegram's id of the uploaded file.
struct SentVideo {
    std::int64_t message_id = 0;
    std::string file_id;  ///< empty when Telegram named none
};

/// A video send: the sent message, or the error's text (already logged by the policy).
struct VideoOutcome {
    std::optional<SentVideo> sent;
    std::string error;  ///< why it failed; empty on success
};

/// Everything the bot's flows send. No member throws: a failure is logged by the policy (a
/// rejected token stops the bot, a block is a warning, an unchanged edit is no failure) and
/// shows as nullopt or an error text.
class Replies {
  public:
    virtual ~Replies() = default;

    /// Sends `html` (split into messages of Telegram's size; `markup` under the last one).
    /// The last message's id, or nullopt if sending failed.
    virtual std::optional<std::int64_t> say(const ChatId& chat, const std::string& html,
                                            const std::optional<nlohmann::json>& markup = {}) = 0;
    /// Answers a button press (a toast, or an alert box).
    virtual void answer(const std::string& callback_id, const std::string& text = {},
                        bool alert = false) = 0;
    /// Replaces a message's text.
    virtual void edit_text(const ChatId& chat, std::int64_t message_id,
                           const std::string& html) = 0;
    /// Replaces a video's caption and its keyboard in one edit (nullopt: no keyboard).
    virtual void edit_caption(const ChatId& chat, std::int64_t message_id, const std::string& html,
                              const std::optional<nlohmann::json>& markup) = 0;
    /// Replaces (or with nullopt removes) a message's inline keyboard.
    virtual void edit_markup(const ChatId& chat, std::int64_t message_id,
                             const std::optional<nlohmann::json>& markup) = 0;
    /// "upload_video" and the like; failures are only worth a debug line.
    virtual void chat_action(const ChatId& chat, std::string_view action) = 0;
    /// Uploads a video (sendVideo with a file).
    virtual VideoOutcome send_video(const VideoUpload& upload) = 0;
    /// Re-sends an uploaded video by Telegram's file id (publishing without a new upload).
    virtual VideoOutcome send_video_by_file_id(const ChatId& chat, const std::string& file_id) = 0;

    /// The last words while the bot stops: sent on a request path of their own that the bot's
    /// stop does not cancel, one attempt with a short timeout (systemd's stop timeout holds).
    virtual std::optional<std::int64_t> say_while_stopping(const ChatId& chat,
                                                           const std::string& html) = 0;
    /// Same for an edit of a message's text.
    virtual void edit_while_stopping(const ChatId& chat, std::int64_t message_id,
                                     const std::string& html) = 0;
};

}  // namespace memegen::bot
