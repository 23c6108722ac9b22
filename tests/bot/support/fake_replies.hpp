#pragma once
// Test support: a Replies that records what a flow sends instead of sending it, so the bot's
// flows are tested in-process, without a server and without waiting. Include
// "fake_replies.hpp" (tests/bot/support is on the include path of fake_bot_api_dep users and
// of the flow tests).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replies/replies.hpp"

namespace memegen::test {

/// Every Replies call as a row: what was done, where, and with what.
struct ReplyCall {
    std::string
        kind;  ///< say, answer, edit_text, edit_caption, edit_markup, chat_action, send_video,
               ///< send_video_by_file_id, say_while_stopping, edit_while_stopping
    std::string chat;  ///< ChatId::to_string(), or the callback id for answer
    std::string text;  ///< the HTML, the answer's text, the action, or the file id
    std::optional<nlohmann::json> markup;
    std::int64_t message_id = 0;  ///< the id given (say, videos) or edited
    bool alert = false;
};

/// Records calls; message ids count up from 100. `fail_videos` makes video sends fail.
class FakeReplies : public memegen::bot::Replies {
  public:
    using ChatId = memegen::bot::ChatId;

    bool fail_videos = false;
    std::string video_error = "Bad Request: wrong file";

    std::optional<std::int64_t> say(const ChatId& chat, const std::string& html,
                                    const std::optional<nlohmann::json>& markup = {}) override {
        return add({"say", chat.to_string(), html, markup});
    }
    void answer(const std::string& callback_id, const std::string& text = {},
                bool alert = false) override {
        ReplyCall c{"answer", callback_id, text, std::nullopt};
        c.alert = alert;
        record(c);
    }
    void edit_text(const ChatId& chat, std::int64_t message_id, const std::string& html) override {
        ReplyCall c{"edit_text", chat.to_string(), html, std::nullopt};
        c.message_id = message_id;
        record(c);
    }
    void edit_caption(const ChatId& chat, std::int64_t message_id, const std::string& html,
                      const std::optional<nlohmann::json>& markup) override {
        ReplyCall c{"edit_caption", chat.to_string(), html, markup};
        c.message_id = message_id;
        record(c);
    }
    void edit_markup(const ChatId& chat, std::int64_t message_id,
                     const std::optional<nlohmann::json>& markup) override {
        ReplyCall c{"edit_markup", chat.to_string(), "", markup};
        c.message_id = message_id;
        record(c);
    }
    void chat_action(const ChatId& chat, std::string_view action) override {
        record({"chat_action", chat.to_string(), std::string(action), std::nullopt});
    }
    memegen::bot::VideoOutcome send_video(const memegen::bot::VideoUpload& upload) override {
        if (fail_videos) {
            record({"send_video", upload.chat_id.to_string(), upload.caption,
                    upload.options.reply_markup});
            return {std::nullopt, video_error};
        }
        const auto id = add({"send_video", upload.chat_id.to_string(), upload.caption,
                             upload.options.reply_markup});
        return {memegen::bot::SentVideo{id, "file-" + std::to_string(id)}, {}};
    }
    memegen::bot::VideoOutcome send_video_by_file_id(const ChatId& chat,
                                                     const std::string& file_id) override {
        if (fail_videos) {
            record({"send_video_by_file_id", chat.to_string(), file_id, std::nullopt});
            return {std::nullopt, video_error};
        }
        const auto id = add({"send_video_by_file_id", chat.to_string(), file_id, std::nullopt});
        return {memegen::bot::SentVideo{id, file_id}, {}};
    }
    std::optional<std::int64_t> say_while_stopping(const ChatId& chat,
                                                   const std::string& html) override {
        return add({"say_while_stopping", chat.to_string(), html, std::nullopt});
    }
    void edit_while_stopping(const ChatId& chat, std::int64_t message_id,
                             const std::string& html) override {
        ReplyCall c{"edit_while_stopping", chat.to_string(), html, std::nullopt};
        c.message_id = message_id;
        record(c);
    }

    /// All calls so far, oldest first.
    [[nodiscard]] std::vector<ReplyCall> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    /// The calls of one kind.
    [[nodiscard]] std::vector<ReplyCall> calls(const std::string& kind) const {
        std::vector<ReplyCall> out;
        for (const auto& c : calls()) {
            if (c.kind == kind)
                out.push_back(c);
        }
        return out;
    }
    /// How many calls of `kind` contain `part` in their text.
    [[nodiscard]] std::size_t count(const std::string& kind, const std::string& part) const {
        std::size_t n = 0;
        for (const auto& c : calls(kind)) {
            if (c.text.find(part) != std::string::npos)
                ++n;
        }
        return n;
    }

  private:
    std::int64_t add(ReplyCall call) {
        std::lock_guard lock(mutex_);
        call.message_id = next_id_++;
        calls_.push_back(std::move(call));
        return calls_.back().message_id;
    }
    void record(const ReplyCall& call) {
        std::lock_guard lock(mutex_);
        calls_.push_back(call);
    }

    mutable std::mutex mutex_;
    std::vector<ReplyCall> calls_;
    std::int64_t next_id_ = 100;
};

}  // namespace memegen::test
