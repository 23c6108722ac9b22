#include "telegram/telegram_error.hpp"

#include <fmt/format.h>

#include "memegen/log.hpp"

namespace memegen::bot {
namespace {

std::string build_message(TelegramError::Details& d) {
    d.description = memegen::redact(std::move(d.description));
    std::string reason;
    switch (d.kind) {
        case TelegramError::Kind::api:
            if (d.error_code == 401) {
                reason = fmt::format("the bot token was rejected (401 {})", d.description);
            } else if (d.error_code == 409) {
                reason = fmt::format(
                    "409 {} (another instance is polling getUpdates with this token, or a "
                    "webhook is set: stop the other instance or call deleteWebhook)",
                    d.description);
            } else if (d.error_code == 429 && d.retry_after) {
                reason = fmt::format("429 {} (retry after {} s)", d.description, *d.retry_after);
            } else {
                reason = fmt::format("{} {}", d.error_code, d.description);
            }
            break;
        case TelegramError::Kind::network:
        case TelegramError::Kind::timeout:
        case TelegramError::Kind::bad_response:
        case TelegramError::Kind::tls:
        case TelegramError::Kind::limit_exceeded:
        case TelegramError::Kind::cancelled:
            reason = fmt::format("{}: {}", to_string(d.kind), d.description);
            if (d.may_have_reached)
                reason += " (the request may have reached Telegram)";
            break;
    }
    return memegen::redact(fmt::format("[memegen.telegram] {}: {}", d.method, reason));
}

}  // namespace

TelegramError::TelegramError(Details details)
    : Error(build_message(details)), d_(std::move(details)) {}

bool TelegramError::is_not_modified() const noexcept {
    return is_api(400) && d_.description.find("message is not modified") != std::string::npos;
}

std::string_view to_string(TelegramError::Kind kind) noexcept {
    switch (kind) {
        case TelegramError::Kind::network:
            return "network error";
        case TelegramError::Kind::timeout:
            return "timeout";
        case TelegramError::Kind::api:
            return "api error";
        case TelegramError::Kind::bad_response:
            return "bad response";
        case TelegramError::Kind::tls:
            return "TLS error";
        case TelegramError::Kind::limit_exceeded:
            return "limit exceeded";
        case TelegramError::Kind::cancelled:
            return "cancelled";
    }
    return "unknown";
}

}  // namespace memegen::bot
