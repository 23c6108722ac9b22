#pragma once
/// \file google_oauth.hpp
/// Google authorization for the YouTube target: OAuth 2.0 for TV and limited-input devices
/// (the owner opens a URL on any device and types a short code, so the bot never needs a
/// browser or a redirect URI), refresh of access tokens, and revocation.
///
/// Scope: Google's device-flow guide lists the scopes that flow allows; for the YouTube Data
/// API v3 they are https://www.googleapis.com/auth/youtube and .../youtube.readonly only —
/// youtube.upload (the narrower scope a web app would ask for) is refused by the device
/// endpoint with invalid_scope. So uploads here use the broad "youtube" scope.
///
/// The refresh token is kept in `token_file` (mode 0600) and registered with
/// memegen::register_secret so no log line or error text can carry it; access tokens are
/// held in memory only and never formatted into any text. Throws PublishError (target
/// "youtube") as publisher.hpp describes.

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "publish/publisher.hpp"

namespace memegen::bot::publish {

/// Settings of the Google OAuth client (publish.youtube.* in the bot's configuration).
struct GoogleOAuthConfig {
    std::string client_id;      ///< of an OAuth client of type "TVs and Limited Input devices"
    std::string client_secret;  ///< that client's secret (Google requires it for this type)
    std::string oauth_url = "https://oauth2.googleapis.com";  ///< tests point it at a fake
    std::string scope = "https://www.googleapis.com/auth/youtube";
    std::filesystem::path token_file;  ///< <state dir>/youtube_token.json
    std::string refresh_token;         ///< an operator-given token, used when token_file has none
    HttpSettings http;
    /// How long one of the protocol's seconds (interval, slow_down's +5) lasts; tests shrink it.
    std::chrono::milliseconds protocol_second{1000};
};

/// What the device endpoint answered: show `verification_url` and `user_code` to the owner.
struct DeviceCode {
    std::string device_code;
    std::string user_code;
    std::string verification_url;
    int expires_in = 1800;  ///< seconds
    int interval = 5;       ///< seconds between polls
};

/// How a device flow ended.
enum class DeviceFlowEnd {
    authorized,     ///< the refresh token is stored; connected() is true
    access_denied,  ///< the owner refused on the consent screen
    expired_token,  ///< the code expired before the owner acted (expires_in passed)
    cancelled,      ///< stop was requested
};

/// The Google side of the YouTube target; safe to use from several threads.
class GoogleOAuth {
  public:
    explicit GoogleOAuth(GoogleOAuthConfig config);

    /// Asks for a device and user code. Throws PublishError.
    [[nodiscard]] DeviceCode start_device_flow(const std::stop_token& stop);
    /// Polls the token endpoint every `interval` (5 more after each slow_down) until the owner
    /// acts, the code expires or `stop`; stores the refresh token on success. Transport
    /// failures and 5xx keep polling. Throws PublishError for other answers (invalid_client,
    /// invalid_scope, ...).
    DeviceFlowEnd finish_device_flow(const DeviceCode& code, const std::stop_token& stop);

    /// True when a refresh token is known (stored or configured).
    [[nodiscard]] bool connected() const;
    /// A valid access token, refreshed when it is about to expire. Throws PublishError;
    /// needs_reauth() when there is no refresh token or Google refuses it (invalid_grant).
    [[nodiscard]] std::string access_token(const std::stop_token& stop);
    /// Refreshes now (after a 401 from the API), whatever the cached token's expiry says.
    [[nodiscard]] std::string refresh_access_token(const std::stop_token& stop);
    /// Revokes the refresh token at Google and forgets it (removes token_file). A token Google
    /// no longer knows counts as revoked. Throws PublishError if Google cannot be reached.
    void revoke(const std::stop_token& stop);

    /// How many times the token endpoint was asked for a refresh (for tests and /status).
    [[nodiscard]] int refresh_count() const;

  private:
    struct TokenAnswer;
    TokenAnswer post_token(const std::string& form, const std::stop_token& stop) const;
    void store_refresh_token_locked(const std::string& token);
    std::string refresh_locked(const std::stop_token& stop);

    GoogleOAuthConfig config_;
    mutable std::mutex mutex_;
    std::string refresh_token_;
    std::string access_token_;
    std::chrono::steady_clock::time_point access_expiry_{};
    int refreshes_ = 0;
};

}  // namespace memegen::bot::publish
