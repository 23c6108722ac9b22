#include "replies/telegram_replies.hpp"

#include <memegen/log.hpp>

#include "telegram/html.hpp"
#include "telegram/telegram_error.hpp"

namespace memegen::bot {

namespace {

SentVideo sent_video_of(const nlohmann::json& message) {
    SentVideo out;
    out.message_id = message.value("message_id", std::int64_t{0});
    for (const char* field : {"video", "document"}) {
        if (message.contains(field) && message[field].contains("file_id")) {
            out.file_id = message[field]["file_id"].get<std::string>();
            break;
        }
    }
    return out;
}

}  // namespace

TelegramReplies::TelegramReplies(const BotApi& api, std::stop_token stop,
                                 std::function<void()> on_token_rejected)
    : api_(api), stop_(std::move(stop)), on_token_rejected_(std::move(on_token_rejected)) {}

bool TelegramReplies::silent(const ChatId& chat) const {
    return quiet_ != nullptr && quiet_->silent(chat, std::chrono::system_clock::now());
}

void TelegramReplies::note_error(const std::exception& e, const char* what) const {
    if (const auto* te = dynamic_cast<const TelegramError*>(&e)) {
        if (te->is_unauthorized()) {
            log_error("the bot token was rejected (401) while {}: exiting", what);
            if (on_token_rejected_)
                on_token_rejected_();
            return;
        }
        if (te->is_forbidden()) {
            log_warning("{}: the bot was blocked or removed from the chat (403)", what);
            return;
        }
        if (te->is_not_modified())
            return;
    }
    log_error("{} failed: {}", what, e.what());
}

std::optional<std::int64_t> TelegramReplies::say(const ChatId& chat, const std::string& html,
                                                 const std::optional<nlohmann::json>& markup) {
    try {
        std::optional<std::int64_t> last;
        const auto parts = split_html(html);
        const bool quiet = silent(chat);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            MessageOptions options;
            options.disable_notification = quiet;
            // The keyboard belongs under the last part.
            if (i + 1 == parts.size())
                options.reply_markup = markup;
            last = api_.send_message(chat, parts[i], options, stop_)
                       .value("message_id", std::int64_t{0});
        }
        return last;
    } catch (const std::exception& e) {
        note_error(e, "sendMessage");
        return std::nullopt;
    }
}

void TelegramReplies::answer(const std::string& callback_id, const std::string& text, bool alert) {
    try {
        api_.answer_callback_query(callback_id, truncate_html(escape_html(text), 190), alert,
                                   stop_);
    } catch (const std::exception& e) {
        note_error(e, "answerCallbackQuery");
    }
}

void TelegramReplies::edit_text(const ChatId& chat, std::int64_t message_id,
                                const std::string& html) {
    try {
        api_.edit_message_text(chat, message_id, html, MessageOptions{}, stop_);
    } catch (const std::exception& e) {
        note_error(e, "editMessageText");
    }
}

void TelegramReplies::edit_caption(const ChatId& chat, std::int64_t message_id,
                                   const std::string& html,
                                   const std::optional<nlohmann::json>& markup) {
    try {
        api_.edit_message_caption(chat, message_id, html, markup, stop_);
    } catch (const std::exception& e) {
        note_error(e, "editMessageCaption");
    }
}

void TelegramReplies::edit_markup(const ChatId& chat, std::int64_t message_id,
                                  const std::optional<nlohmann::json>& markup) {
    try {
        api_.edit_message_reply_markup(chat, message_id, markup, stop_);
    } catch (const std::exception& e) {
        note_error(e, "editMessageReplyMarkup");
    }
}

void TelegramReplies::chat_action(const ChatId& chat, std::string_view action) {
    try {
        api_.send_chat_action(chat, action, stop_);
    } catch (const std::exception& e) {
        log_debug("sendChatAction failed: {}", e.what());
    }
}

VideoOutcome TelegramReplies::send_video(const VideoUpload& upload) {
    try {
        if (!silent(upload.chat_id))
            return {sent_video_of(api_.send_video(upload, stop_)), {}};
        VideoUpload quiet = upload;
        quiet.options.disable_notification = true;
        return {sent_video_of(api_.send_video(quiet, stop_)), {}};
    } catch (const std::exception& e) {
        note_error(e, "sendVideo");
        return {std::nullopt, e.what()};
    }
}

VideoOutcome TelegramReplies::send_video_by_file_id(const ChatId& chat,
                                                    const std::string& file_id) {
    try {
        MessageOptions options;
        options.disable_notification = silent(chat);
        return {sent_video_of(api_.send_video_by_file_id(chat, file_id, "", options, stop_)), {}};
    } catch (const std::exception& e) {
        note_error(e, "sendVideo by file_id");
        return {std::nullopt, e.what()};
    }
}

// One attempt, a short timeout and no stop token, so systemd's 15 s stop timeout is kept
// (render cancel ≤ 3 s + this ≤ 5 s).
BotApi TelegramReplies::stopping_client() const {
    BotApiOptions o = api_.options();
    o.retry.max_attempts = 1;
    o.request_timeout = std::chrono::seconds(5);
    return BotApi(o);
}

std::optional<std::int64_t> TelegramReplies::say_while_stopping(const ChatId& chat,
                                                                const std::string& html) {
    try {
        const auto api = stopping_client();
        MessageOptions options;
        options.disable_notification = silent(chat);
        return api.send_message(chat, html, options, {}).value("message_id", std::int64_t{0});
    } catch (const std::exception& e) {
        note_error(e, "sendMessage while stopping");
        return std::nullopt;
    }
}

void TelegramReplies::edit_while_stopping(const ChatId& chat, std::int64_t message_id,
                                          const std::string& html) {
    try {
        const auto api = stopping_client();
        api.edit_message_text(chat, message_id, html, MessageOptions{}, {});
    } catch (const std::exception& e) {
        note_error(e, "editMessageText while stopping");
    }
}

}  // namespace memegen::bot
