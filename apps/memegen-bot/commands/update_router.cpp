#include "commands/update_router.hpp"

#include <algorithm>

#include <memegen/log.hpp>

#include "config/owner_text.hpp"

namespace memegen::bot {

namespace {

// Message fields that carry a file someone sent (Bot API Message object).
constexpr const char* kMediaFields[] = {"photo",    "animation", "video",     "audio",
                                        "document", "voice",     "video_note"};

// Strangers are remembered only to refuse them once; forget them all rather than let a flood
// of distinct users grow the set without bound (a second refusal is harmless).
constexpr std::size_t kMaxRemembered = 10000;

ChatId chat_of(const nlohmann::json& message) {
    return ChatId(message.at("chat").at("id").get<std::int64_t>());
}

ParsedUpdate parse_message(const nlohmann::json& message) {
    if (!message.contains("from") || !message.contains("chat"))
        return std::monostate{};
    const auto user = message["from"].value("id", std::int64_t{0});
    const auto who = who_of(message["from"]);
    if (std::any_of(std::begin(kMediaFields), std::end(kMediaFields),
                    [&](const char* field) { return message.contains(field); })) {
        return UploadUpdate{chat_of(message), user, who, message};
    }
    const std::string text = message.value("text", std::string{});
    if (text.empty())
        return std::monostate{};
    if (text[0] != '/') {
        // Only a reply to the bot's own message is meant for it (in a group, people also
        // answer each other).
        const auto replied = message.value("reply_to_message", nlohmann::json::object());
        if (!replied.is_object() || !replied.contains("from") || !replied["from"].is_object() ||
            replied["from"].value("is_bot", false) != true ||
            !replied.value("message_id", nlohmann::json()).is_number_integer()) {
            return std::monostate{};
        }
        return ReplyUpdate{chat_of(message), user, who, text,
                           replied["message_id"].get<std::int64_t>()};
    }
    // "/generate@my_bot 3" → command "generate", argument "3".
    const auto space = text.find_first_of(" \n");
    std::string name = text.substr(1, space == std::string::npos ? std::string::npos : space - 1);
    if (const auto at = name.find('@'); at != std::string::npos)
        name.resize(at);
    std::string argument = space == std::string::npos
                               ? ""
                               : std::string(trim_blanks(std::string_view(text).substr(space + 1)));
    return CommandUpdate{chat_of(message), user, who, std::move(name), std::move(argument)};
}

}  // namespace

std::string who_of(const nlohmann::json& user) {
    if (user.contains("username") && user["username"].is_string())
        return "@" + user["username"].get<std::string>();
    return "#" + std::to_string(user.value("id", std::int64_t{0}));
}

ParsedUpdate parse_update(const nlohmann::json& update, const ChatId& owner) {
    if (update.contains("message") && update["message"].is_object())
        return parse_message(update["message"]);
    if (update.contains("callback_query") && update["callback_query"].is_object()) {
        const auto& query = update["callback_query"];
        CallbackUpdate out;
        out.id = query.value("id", std::string{});
        out.chat = query.contains("message") ? chat_of(query["message"]) : owner;
        if (query.contains("from") && query["from"].is_object()) {
            out.user = query["from"].value("id", std::int64_t{0});
            out.who = who_of(query["from"]);
        }
        out.data = query.value("data", std::string{});
        return out;
    }
    return std::monostate{};
}

UpdateRouter::UpdateRouter(const BotConfig& config, const Messages& text, Replies& replies,
                           CommandTable commands, ButtonHandler on_button, UploadHandler on_upload)
    : config_(config),
      text_(text),
      replies_(replies),
      commands_(std::move(commands)),
      on_button_(std::move(on_button)),
      on_upload_(std::move(on_upload)) {}

void UpdateRouter::route(const nlohmann::json& update) {
    std::visit(
        [this](const auto& parsed) {
            using T = std::decay_t<decltype(parsed)>;
            if constexpr (std::is_same_v<T, CommandUpdate>) {
                on_command(parsed);
            } else if constexpr (std::is_same_v<T, CallbackUpdate>) {
                on_callback(parsed);
            } else if constexpr (std::is_same_v<T, UploadUpdate>) {
                on_upload(parsed);
            } else if constexpr (std::is_same_v<T, ReplyUpdate>) {
                on_reply(parsed);
            }
        },
        parse_update(update, ChatId(config_.owner_id)));
}

void UpdateRouter::refuse_once(std::int64_t user, const ChatId& chat, std::string_view what,
                               const std::string& who) {
    {
        std::lock_guard lock(refused_mutex_);
        if (refused_.size() >= kMaxRemembered)
            refused_.clear();
        if (!refused_.insert(user).second)
            return;
    }
    log_info("refused {} from {} (not an admin)", what, who);
    replies_.say(chat, text_.not_allowed());
}

void UpdateRouter::on_command(const CommandUpdate& command) {
    const auto* row = commands_.find(command.name);
    const bool admin = config_.is_admin(command.user);
    const bool open = row != nullptr && row->access == Access::open_without_argument &&
                      config_.open_generate && command.argument.empty();
    if (!admin && !open) {
        refuse_once(command.user, command.chat, command.name, command.who);
        return;
    }
    if (admin)
        admin_active();
    if (row == nullptr) {
        replies_.say(command.chat, text_.unknown_command());
        return;
    }
    row->handler(CommandRequest{command.chat, command.user, command.who, command.argument, admin});
}

void UpdateRouter::on_callback(const CallbackUpdate& callback) {
    if (!config_.is_admin(callback.user)) {
        replies_.answer(callback.id, text_.not_allowed(), true);
        return;
    }
    admin_active();
    const auto decoded = decode_callback(callback.data);
    if (!decoded) {
        replies_.answer(callback.id, text_.stale_button());
        return;
    }
    on_button_(ButtonPress{callback.id, callback.chat, callback.user, callback.who, *decoded});
}

void UpdateRouter::on_upload(const UploadUpdate& upload) {
    if (!config_.is_admin(upload.user)) {
        refuse_once(upload.user, upload.chat, "media", upload.who);
        return;
    }
    admin_active();
    on_upload_(upload);
}

void UpdateRouter::on_reply(const ReplyUpdate& reply) {
    // A stranger's text is chat, not a request: ignored, as any text without a command is.
    if (!config_.is_admin(reply.user) || !on_reply_)
        return;
    admin_active();
    on_reply_(reply);
}

void UpdateRouter::admin_active() const {
    if (on_admin_activity_)
        on_admin_activity_();
}

}  // namespace memegen::bot
