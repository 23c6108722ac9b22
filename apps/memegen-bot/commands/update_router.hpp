#pragma once
/// \file update_router.hpp
/// From a Telegram update to the feature that handles it: the update is parsed once into a
/// typed command, button press or upload (parse_update), the access policy is applied, and
/// a stranger is refused once (not on every message).

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "commands/callback_codec.hpp"
#include "commands/command_table.hpp"
#include "config/config.hpp"
#include "core/messages.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// A text message that starts with '/'.
struct CommandUpdate {
    ChatId chat;
    std::int64_t user = 0;
    std::string who;
    std::string name;  ///< "generate" for "/generate@my_bot 3"
    std::string argument;
};

/// A press of an inline button.
struct CallbackUpdate {
    std::string id;  ///< the callback query id to answer
    ChatId chat;     ///< the chat of the button's message (the owner's if unknown)
    std::int64_t user = 0;
    std::string who;
    std::string data;
};

/// A message that carries a file (photo, animation, video, audio, document, voice, note).
struct UploadUpdate {
    ChatId chat;
    std::int64_t user = 0;
    std::string who;
    nlohmann::json message;
};

/// A text (not a command) written as a reply to one of the bot's messages: Edit captions'
/// "top | bottom" (issue 13). Replies to other people's messages are ignored like any chat.
struct ReplyUpdate {
    ChatId chat;
    std::int64_t user = 0;
    std::string who;
    std::string text;
    std::int64_t replied_message_id = 0;  ///< the bot's message replied to
};

/// What an update is; monostate for anything the bot ignores.
using ParsedUpdate =
    std::variant<std::monostate, CommandUpdate, CallbackUpdate, UploadUpdate, ReplyUpdate>;

/// Parses a Bot API Update. `owner` is the chat for a button press whose message is unknown.
[[nodiscard]] ParsedUpdate parse_update(const nlohmann::json& update, const ChatId& owner);

/// "@name", or "#<id>" (marked so in any language) for users without a username.
[[nodiscard]] std::string who_of(const nlohmann::json& user);

/// A button press by an admin, decoded.
struct ButtonPress {
    std::string id;
    ChatId chat;
    std::int64_t user = 0;
    std::string who;
    ReviewCallback callback;
};

/// Routes updates to the command table, the button handler and the upload handler.
/// Thread-safe; called from the polling thread.
class UpdateRouter {
  public:
    using ButtonHandler = std::function<void(const ButtonPress&)>;
    using UploadHandler = std::function<void(const UploadUpdate&)>;

    UpdateRouter(const BotConfig& config, const Messages& text, Replies& replies,
                 CommandTable commands, ButtonHandler on_button, UploadHandler on_upload);

    void route(const nlohmann::json& update);

    // Issue 13, set before the first route(): an admin's text reply to a bot message, and
    // every action of an admin (quiet hours: replies to someone awake still notify). A reply
    // without a handler, or by anyone else, is ignored.
    using ReplyHandler = std::function<void(const ReplyUpdate&)>;
    void set_reply_handler(ReplyHandler handler) { on_reply_ = std::move(handler); }
    void set_admin_activity(std::function<void()> hook) { on_admin_activity_ = std::move(hook); }

    [[nodiscard]] const CommandTable& commands() const noexcept { return commands_; }

  private:
    void on_command(const CommandUpdate& command);
    void on_callback(const CallbackUpdate& callback);
    void on_upload(const UploadUpdate& upload);
    void on_reply(const ReplyUpdate& reply);
    void admin_active() const;
    // Strangers hear "not allowed" once; later messages of theirs are dropped silently.
    void refuse_once(std::int64_t user, const ChatId& chat, std::string_view what,
                     const std::string& who);

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    CommandTable commands_;
    ButtonHandler on_button_;
    UploadHandler on_upload_;
    ReplyHandler on_reply_;
    std::function<void()> on_admin_activity_;
    std::mutex refused_mutex_;
    std::set<std::int64_t> refused_;
};

}  // namespace memegen::bot
