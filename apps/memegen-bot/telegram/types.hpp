#pragma once
/// \file types.hpp
/// Small value types of the Bot API client: chat ids, send options, uploads, file info.
/// Telegram objects that callers only pass through (Message, Update, markup) stay JSON.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::bot {

/// A chat: a numeric id or a public "@channelusername". The one chat type of the bot: user
/// ids, the configured review chat and channel, the chats of updates and stored candidates.
class ChatId {
  public:
    /// No chat (id 0).
    ChatId() : value_(std::int64_t{0}) {}
    /// A numeric chat id (negative for groups and channels).
    ChatId(std::int64_t id) : value_(id) {}  // NOLINT(google-explicit-constructor)
    /// A "@username" of a public channel or supergroup.
    ChatId(std::string username) : value_(std::move(username)) {}  // NOLINT
    /// Same as ChatId(std::string).
    ChatId(const char* username) : value_(std::string(username)) {}  // NOLINT

    /// True for no chat (id 0, the default).
    [[nodiscard]] bool empty() const noexcept {
        const auto* id = std::get_if<std::int64_t>(&value_);
        return id ? *id == 0 : std::get<std::string>(value_).empty();
    }

    /// The JSON value Telegram expects for chat_id.
    [[nodiscard]] nlohmann::json to_json() const {
        return std::visit([](const auto& v) { return nlohmann::json(v); }, value_);
    }
    /// The value as a form field.
    [[nodiscard]] std::string to_string() const {
        if (const auto* id = std::get_if<std::int64_t>(&value_))
            return std::to_string(*id);
        return std::get<std::string>(value_);
    }

    /// "123" or "-100123" → a numeric id; "@name" → a username; nullopt otherwise.
    [[nodiscard]] static std::optional<ChatId> parse(std::string_view text) {
        if (text.size() > 1 && text.front() == '@')
            return ChatId(std::string(text));
        std::int64_t id = 0;
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, id);
        if (text.empty() || ec != std::errc() || ptr != end)
            return std::nullopt;
        return ChatId(id);
    }

    friend bool operator==(const ChatId&, const ChatId&) = default;

  private:
    std::variant<std::int64_t, std::string> value_;
};

/// Options shared by message sends and edits.
struct MessageOptions {
    /// "HTML" (default), "MarkdownV2", or empty for plain text.
    std::string parse_mode = "HTML";
    /// An InlineKeyboardMarkup (or other markup) object; none when empty.
    std::optional<nlohmann::json> reply_markup;
    /// Message to reply to.
    std::optional<std::int64_t> reply_to_message_id;
    /// Send silently.
    bool disable_notification = false;
    /// Suppress link previews (link_preview_options.is_disabled).
    bool disable_link_preview = true;
};

/// A video to upload with sendVideo, streamed from disk.
struct VideoUpload {
    /// Destination chat.
    ChatId chat_id = std::int64_t{0};
    /// The MP4 file to upload.
    std::filesystem::path video;
    /// Name shown to users; defaults to the file's name.
    std::string filename;
    /// Video width in pixels, if known.
    std::optional<int> width;
    /// Video height in pixels, if known.
    std::optional<int> height;
    /// Duration in seconds, if known.
    std::optional<int> duration;
    /// A JPEG thumbnail (≤ 200 kB, ≤ 320 px), if any.
    std::optional<std::filesystem::path> thumbnail;
    /// Caption (≤ 1024 units after entity parsing; see html.hpp).
    std::string caption;
    /// Parse mode, reply markup, reply-to, notification.
    MessageOptions options;
    /// Lets clients play the video before it is fully downloaded.
    bool supports_streaming = true;
};

/// A command shown in the bot's menu.
struct BotCommand {
    /// 1–32 characters: lowercase letters, digits, underscores.
    std::string command;
    /// 1–256 characters.
    std::string description;
};

/// What getFile returns.
struct FileInfo {
    /// Identifier usable to download or re-send the file.
    std::string file_id;
    /// Identifier stable across bots; cannot be used to download.
    std::string file_unique_id;
    /// Size in bytes, if Telegram knows it.
    std::optional<std::int64_t> file_size;
    /// Path for download_file(); empty if the file is not downloadable.
    std::string file_path;
};

}  // namespace memegen::bot
