#pragma once
/// \file bot_api.hpp
/// The Telegram Bot API client: JSON calls over HTTPS (certificate verification on) or plain
/// HTTP (a self-hosted Bot API server), typed errors, the retry policy, uploads streamed from
/// disk, downloads with a size cap. The connections, stoppable waits and attempt counting are
/// the bot's one transport (net/http_transport); cpp-httplib stays out of this header.
/// Errors: TelegramError, whose texts never hold the token (it is in every request path).
///
/// Thread safety: every call uses its own connection, except getUpdates, which keeps one
/// keep-alive connection for its polls (one poll at a time); a polling thread and worker
/// threads may call any method concurrently.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "telegram/telegram_error.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// When and how failed calls are repeated.
struct RetryPolicy {
    /// Attempts per call in total, the first included.
    int max_attempts = 6;
    /// First backoff after a 5xx, a reset or a timeout.
    std::chrono::milliseconds initial_backoff{1000};
    /// Growth of the backoff per attempt.
    double backoff_multiplier = 1.5;
    /// Cap of the backoff.
    std::chrono::milliseconds max_backoff{30000};
    /// Added to Telegram's retry_after so the retry lands after the window.
    std::chrono::milliseconds retry_after_margin{500};
    /// A 429 asking to wait longer than this is reported instead of waited out.
    std::chrono::seconds max_retry_after{300};
};

/// How to reach the Bot API.
struct BotApiOptions {
    /// The bot token ("123456:ABC..."); registered as a log secret.
    std::string token;
    /// Scheme, host, optional port and path prefix: "https://api.telegram.org",
    /// "http://127.0.0.1:8081" (self-hosted server), "https://proxy.example/tg".
    std::string base_url = "https://api.telegram.org";
    /// CA bundle used to verify the server's certificate (https only).
    std::string ca_file = "/etc/ssl/certs/ca-certificates.crt";
    /// TCP (and TLS) connect timeout.
    std::chrono::milliseconds connect_timeout{10000};
    /// Read/write timeout of ordinary calls.
    std::chrono::milliseconds request_timeout{30000};
    /// Read/write timeout of uploads and downloads.
    std::chrono::milliseconds transfer_timeout{300000};
    /// Added to the long-poll timeout to get getUpdates' read timeout.
    std::chrono::milliseconds long_poll_margin{15000};
    /// Least time from one getUpdates to the next after a poll came back empty sooner than
    /// asked (a server or proxy that does not hold the poll): without it the bot would spin.
    std::chrono::milliseconds min_poll_interval{1000};
    /// Retry policy of every call.
    RetryPolicy retry;
};

/// A Bot API client; see the file comment for thread safety.
class BotApi {
  public:
    /// Validates the options; throws memegen::Error for an empty token or a bad base_url.
    explicit BotApi(BotApiOptions options);

    /// The options in use.
    [[nodiscard]] const BotApiOptions& options() const noexcept { return options_; }

    /// Calls `method` with JSON `params`, retrying per the policy; returns Telegram's `result`.
    /// Throws TelegramError. Sends (send*, edit*, ...) are repeated only when Telegram surely
    /// did not act on them (a 429/5xx answer, or a failure before the request was written).
    nlohmann::json call(std::string_view method,
                        const nlohmann::json& params = nlohmann::json::object(),
                        std::stop_token stop = {}) const;

    /// getMe: the bot's User object.
    nlohmann::json get_me(std::stop_token stop = {}) const;

    /// getUpdates long poll (timeout clamped to 0–50 s). Returns the updates, or none when
    /// `stop` was requested during the poll. `offset` = last handled update_id + 1 confirms.
    /// Polls share one keep-alive connection. When the previous poll came back empty before
    /// its timeout, this one first waits (stoppably) until min_poll_interval has passed since
    /// that poll began; a server that holds the poll sees no change.
    std::vector<nlohmann::json> get_updates(std::int64_t offset, int timeout_s,
                                            const std::vector<std::string>& allowed_updates,
                                            std::stop_token stop) const;

    /// sendMessage; returns the sent Message.
    nlohmann::json send_message(const ChatId& chat_id, std::string_view text,
                                const MessageOptions& options = {},
                                std::stop_token stop = {}) const;

    /// editMessageText; returns the edited Message. Throws with is_not_modified() if unchanged.
    nlohmann::json edit_message_text(const ChatId& chat_id, std::int64_t message_id,
                                     std::string_view text, const MessageOptions& options = {},
                                     std::stop_token stop = {}) const;

    /// editMessageCaption (a video's caption, HTML); the keyboard becomes `reply_markup`, or
    /// goes when it is empty (Telegram drops a keyboard an edit does not repeat). Throws with
    /// is_not_modified() if nothing changed.
    nlohmann::json edit_message_caption(const ChatId& chat_id, std::int64_t message_id,
                                        std::string_view caption,
                                        const std::optional<nlohmann::json>& reply_markup,
                                        std::stop_token stop = {}) const;

    /// editMessageReplyMarkup; an empty `reply_markup` removes the keyboard.
    nlohmann::json edit_message_reply_markup(const ChatId& chat_id, std::int64_t message_id,
                                             const std::optional<nlohmann::json>& reply_markup,
                                             std::stop_token stop = {}) const;

    /// sendChatAction ("typing", "upload_video", ...); lasts ≤ 5 s on the user's side.
    void send_chat_action(const ChatId& chat_id, std::string_view action,
                          std::stop_token stop = {}) const;

    /// answerCallbackQuery, optionally with a notification text or an alert.
    void answer_callback_query(std::string_view callback_query_id, std::string_view text = {},
                               bool show_alert = false, std::stop_token stop = {}) const;

    /// setMyCommands for the default scope.
    void set_my_commands(const std::vector<BotCommand>& commands, std::stop_token stop = {}) const;

    /// deleteWebhook, so getUpdates works.
    void delete_webhook(bool drop_pending_updates = false, std::stop_token stop = {}) const;

    /// getFile: the path to download a file sent to the bot.
    FileInfo get_file(std::string_view file_id, std::stop_token stop = {}) const;

    /// Downloads `file_path` (from get_file) to `destination`, streaming to disk; throws
    /// TelegramError (limit_exceeded) if it is larger than `max_bytes`, leaving no file
    /// behind. Returns the byte count.
    std::uint64_t download_file(std::string_view file_path,
                                const std::filesystem::path& destination, std::uint64_t max_bytes,
                                std::stop_token stop = {}) const;

    /// sendVideo as multipart/form-data streamed from disk with Content-Length; returns the
    /// sent Message (its video.file_id re-sends the video without re-uploading).
    nlohmann::json send_video(const VideoUpload& upload, std::stop_token stop = {}) const;

    /// sendVideo by a file_id Telegram issued earlier (no upload).
    nlohmann::json send_video_by_file_id(const ChatId& chat_id, std::string_view file_id,
                                         std::string_view caption,
                                         const MessageOptions& options = {},
                                         std::stop_token stop = {}) const;

  private:
    struct Poller;  // the getUpdates connection and pacing (cpp-httplib stays in the .cpp)

    BotApiOptions options_;
    std::shared_ptr<Poller> poller_;
    std::string scheme_host_port_;
    std::string path_prefix_;
};

namespace detail {

/// True for methods that must not be repeated once Telegram may have acted (send*, edit*,
/// forward*, copy*, answer*, ...): a repeat would duplicate a message.
[[nodiscard]] bool is_non_idempotent(std::string_view method) noexcept;

/// The backoff before retry number `retry` (0-based), without jitter.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry);

}  // namespace detail
}  // namespace memegen::bot
