#pragma once
/// \file telegram_error.hpp
/// The error every Bot API call reports. Callers branch on kind(), error_code() and the
/// parameters, never on description text (except the documented "message is not modified").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "memegen/error.hpp"

namespace memegen::bot {

/// A failed Bot API request. Its message starts with "[memegen.telegram]", names the method
/// and the reason, and never contains the bot token.
class TelegramError : public memegen::Error {
  public:
    /// What went wrong.
    enum class Kind {
        network,         ///< connect failure, reset or dropped connection
        timeout,         ///< no (complete) answer within the read timeout
        api,             ///< Telegram answered ok=false; see error_code()
        bad_response,    ///< an answer that is not a Bot API JSON object
        tls,             ///< certificate verification or CA loading failed (never retried)
        limit_exceeded,  ///< a local limit was hit (a download larger than allowed)
        cancelled,       ///< interrupted through the stop token
    };

    /// Everything known about the failure.
    struct Details {
        Kind kind = Kind::network;
        std::string method;
        std::string description;
        int error_code = 0;
        std::optional<int> retry_after;
        std::optional<std::int64_t> migrate_to_chat_id;
        bool may_have_reached = false;
    };

    /// Builds the error; the description is redacted of registered secrets.
    explicit TelegramError(Details details);

    /// The kind of failure.
    [[nodiscard]] Kind kind() const noexcept { return d_.kind; }
    /// The Bot API method ("sendMessage").
    [[nodiscard]] const std::string& method() const noexcept { return d_.method; }
    /// Telegram's description or the transport error text (token-free).
    [[nodiscard]] const std::string& description() const noexcept { return d_.description; }
    /// HTTP status / Bot API error_code; 0 when Telegram gave none.
    [[nodiscard]] int error_code() const noexcept { return d_.error_code; }
    /// Seconds to wait before retrying (429), from parameters.retry_after.
    [[nodiscard]] std::optional<int> retry_after() const noexcept { return d_.retry_after; }
    /// The supergroup a group was migrated to, from parameters.migrate_to_chat_id.
    [[nodiscard]] std::optional<std::int64_t> migrate_to_chat_id() const noexcept {
        return d_.migrate_to_chat_id;
    }
    /// True when Telegram may have received and acted on the request (answer lost).
    [[nodiscard]] bool may_have_reached() const noexcept { return d_.may_have_reached; }

    /// 401: the bot token was rejected; the bot should exit.
    [[nodiscard]] bool is_unauthorized() const noexcept { return is_api(401); }
    /// 403: the user blocked the bot or the bot was removed from the chat.
    [[nodiscard]] bool is_forbidden() const noexcept { return is_api(403); }
    /// 409: another instance polls getUpdates with this token, or a webhook is set.
    [[nodiscard]] bool is_conflict() const noexcept { return is_api(409); }
    /// 429: flood control; see retry_after().
    [[nodiscard]] bool is_rate_limited() const noexcept { return is_api(429); }
    /// 400 "message is not modified": an edit that changed nothing, which callers treat as
    /// success (the one case where the description is documented and stable).
    [[nodiscard]] bool is_not_modified() const noexcept;

    /// The full details.
    [[nodiscard]] const Details& details() const noexcept { return d_; }

  private:
    [[nodiscard]] bool is_api(int code) const noexcept {
        return d_.kind == Kind::api && d_.error_code == code;
    }
    Details d_;
};

/// Short human-readable name of a kind ("timeout", "TLS error").
[[nodiscard]] std::string_view to_string(TelegramError::Kind kind) noexcept;

}  // namespace memegen::bot
