#include "publish/google_oauth.hpp"

#include <fmt/format.h>

#include <optional>

#include <nlohmann/json.hpp>

#include <memegen/detail/files.hpp>

#include "memegen/log.hpp"
#include "publish/http.hpp"
#include "state/state_file.hpp"

namespace memegen::bot::publish {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kTarget = "youtube";
constexpr std::string_view kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

/// The token file holds the refresh token: private to the bot's user.
JsonStateFile token_state(const std::filesystem::path& file) {
    return JsonStateFile(file, "a token file", 0600);
}

/// The stored refresh token. Checks types instead of letting nlohmann throw: a parse
/// exception's text goes into the problem text, and must never quote the secret.
std::optional<std::string> parse_token(const json& stored) {
    if (!stored.is_object() || !stored.value("refresh_token", json()).is_string())
        return std::nullopt;
    return stored["refresh_token"].get<std::string>();
}

}  // namespace

/// One answer of the token (or device) endpoint; `error` is Google's error code, if any.
struct GoogleOAuth::TokenAnswer {
    int status = 0;
    std::optional<httplib::Error> transport;
    json body;
    std::string error;  ///< "authorization_pending", "invalid_grant", ...
};

GoogleOAuth::GoogleOAuth(GoogleOAuthConfig config) : config_(std::move(config)) {
    memegen::register_secret(config_.client_secret);
    if (!config_.token_file.empty()) {
        auto loaded = token_state(config_.token_file).load(parse_token);
        if (loaded.problem)
            memegen::log_warning("YouTube authorization: {}", *loaded.problem);
        if (loaded.value)
            refresh_token_ = std::move(*loaded.value);
    }
    if (refresh_token_.empty())
        refresh_token_ = config_.refresh_token;
    memegen::register_secret(refresh_token_);
}

GoogleOAuth::TokenAnswer GoogleOAuth::post_token(const std::string& form,
                                                 const std::stop_token& stop) const {
    const auto base = detail::split_url(config_.oauth_url);
    if (!base)
        throw PublishError(kTarget,
                           fmt::format("oauth_url '{}' is not an http(s) URL", config_.oauth_url));
    auto client = detail::make_client(base->origin, config_.http);
    TokenAnswer a;
    // `form` is "path?body" so one helper serves /device/code, /token and /revoke.
    const auto q = form.find('?');
    const std::string path = base->target + form.substr(0, q);
    const std::string body = form.substr(q + 1);
    auto result = detail::send_stoppable(*client, stop, [&] {
        return client->Post(path.c_str(), body, "application/x-www-form-urlencoded");
    });
    if (!result) {
        a.transport = result.error();
        return a;
    }
    a.status = result->status;
    a.body = json::parse(result->body, nullptr, false);
    if (a.body.is_object() && a.body.value("error", json()).is_string())
        a.error = a.body["error"].get<std::string>();
    return a;
}

DeviceCode GoogleOAuth::start_device_flow(const std::stop_token& stop) {
    const std::string form = "/device/code?client_id=" + detail::form_encode(config_.client_id) +
                             "&scope=" + detail::form_encode(config_.scope);
    const TokenAnswer a = post_token(form, stop);
    if (a.transport)
        throw PublishError(kTarget, detail::describe(*a.transport, config_.oauth_url), true);
    if (a.status != 200 || !a.body.is_object())
        throw PublishError(
            kTarget,
            fmt::format("the device endpoint answered HTTP {}{}", a.status,
                        a.error.empty() ? ""
                                        : " " + a.error +
                                              (a.error == "invalid_scope"
                                                   ? " (the device flow allows only some scopes)"
                                                   : "")),
            a.status >= 500);
    DeviceCode code;
    try {
        code.device_code = a.body.at("device_code").get<std::string>();
        code.user_code = a.body.at("user_code").get<std::string>();
        code.verification_url = a.body.at("verification_url").get<std::string>();
        code.expires_in = a.body.value("expires_in", 1800);
        code.interval = a.body.value("interval", 5);
    } catch (const json::exception& e) {
        throw PublishError(kTarget, fmt::format("the device endpoint's answer lacks {}", e.what()));
    }
    memegen::register_secret(code.device_code);
    return code;
}

DeviceFlowEnd GoogleOAuth::finish_device_flow(const DeviceCode& code, const std::stop_token& stop) {
    const std::string form = "/token?client_id=" + detail::form_encode(config_.client_id) +
                             "&client_secret=" + detail::form_encode(config_.client_secret) +
                             "&device_code=" + detail::form_encode(code.device_code) +
                             "&grant_type=" + detail::form_encode(kDeviceGrant);
    auto interval = config_.protocol_second * std::max(code.interval, 1);
    const auto deadline =
        std::chrono::steady_clock::now() + config_.protocol_second * std::max(code.expires_in, 1);
    for (;;) {
        if (!detail::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(interval),
                               stop))
            return DeviceFlowEnd::cancelled;
        const TokenAnswer a = post_token(form, stop);
        if (stop.stop_requested())
            return DeviceFlowEnd::cancelled;
        // Google answers the polling errors with 4xx codes (428, 403, 400); the error field,
        // not the status, says which, so branch on it.
        if (a.transport || a.status >= 500) {
            memegen::log_warning("YouTube authorization: polling failed ({}); polling on",
                                 a.transport ? detail::describe(*a.transport, config_.oauth_url)
                                             : fmt::format("HTTP {}", a.status));
        } else if (a.status == 200 && a.body.is_object() &&
                   a.body.value("refresh_token", json()).is_string()) {
            std::lock_guard lock(mutex_);
            store_refresh_token_locked(a.body["refresh_token"].get<std::string>());
            access_token_ = a.body.value("access_token", "");
            access_expiry_ = std::chrono::steady_clock::now() +
                             std::chrono::seconds(a.body.value("expires_in", 3600)) - 60s;
            return DeviceFlowEnd::authorized;
        } else if (a.error == "authorization_pending") {
            // keep polling at the same pace
        } else if (a.error == "slow_down") {
            interval += config_.protocol_second * 5;
        } else if (a.error == "access_denied") {
            return DeviceFlowEnd::access_denied;
        } else if (a.error == "expired_token") {
            return DeviceFlowEnd::expired_token;
        } else {
            throw PublishError(kTarget,
                               fmt::format("the token endpoint answered HTTP {} {}", a.status,
                                           a.error.empty() ? "(no error code)" : a.error));
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return DeviceFlowEnd::expired_token;
    }
}

void GoogleOAuth::store_refresh_token_locked(const std::string& token) {
    memegen::register_secret(token);
    refresh_token_ = token;
    if (config_.token_file.empty())
        return;
    if (config_.token_file.has_parent_path())
        memegen::detail::ensure_private_directory(config_.token_file.parent_path());
    const json doc = {{"refresh_token", token}, {"scope", config_.scope}};
    token_state(config_.token_file).save(doc, -1);
}

bool GoogleOAuth::connected() const {
    std::lock_guard lock(mutex_);
    return !refresh_token_.empty();
}

int GoogleOAuth::refresh_count() const {
    std::lock_guard lock(mutex_);
    return refreshes_;
}

std::string GoogleOAuth::access_token(const std::stop_token& stop) {
    std::lock_guard lock(mutex_);
    if (!access_token_.empty() && std::chrono::steady_clock::now() < access_expiry_)
        return access_token_;
    return refresh_locked(stop);
}

std::string GoogleOAuth::refresh_access_token(const std::stop_token& stop) {
    std::lock_guard lock(mutex_);
    return refresh_locked(stop);
}

std::string GoogleOAuth::refresh_locked(const std::stop_token& stop) {
    if (refresh_token_.empty())
        throw PublishError(kTarget, "not connected", false, true);
    ++refreshes_;
    const std::string form = "/token?client_id=" + detail::form_encode(config_.client_id) +
                             "&client_secret=" + detail::form_encode(config_.client_secret) +
                             "&refresh_token=" + detail::form_encode(refresh_token_) +
                             "&grant_type=refresh_token";
    const TokenAnswer a = post_token(form, stop);
    if (a.transport)
        throw PublishError(
            kTarget,
            "refreshing the access token: " + detail::describe(*a.transport, config_.oauth_url),
            !detail::is_tls_trust_failure(*a.transport));
    if (a.error == "invalid_grant")
        throw PublishError(kTarget, "Google refused the stored authorization (revoked or expired)",
                           false, true);
    if (a.status != 200 || !a.body.is_object() || !a.body.value("access_token", json()).is_string())
        throw PublishError(
            kTarget,
            fmt::format("refreshing the access token: HTTP {} {}", a.status,
                        a.error.empty() ? detail::body_excerpt(a.body.dump()) : a.error),
            a.status >= 500 || a.status == 429);
    access_token_ = a.body["access_token"].get<std::string>();
    access_expiry_ = std::chrono::steady_clock::now() +
                     std::chrono::seconds(a.body.value("expires_in", 3600)) - 60s;
    return access_token_;
}

void GoogleOAuth::revoke(const std::stop_token& stop) {
    std::lock_guard lock(mutex_);
    if (!refresh_token_.empty()) {
        const TokenAnswer a =
            post_token("/revoke?token=" + detail::form_encode(refresh_token_), stop);
        if (a.transport)
            throw PublishError(
                kTarget, "revoking: " + detail::describe(*a.transport, config_.oauth_url), true);
        // 400 invalid_token: Google no longer knows it — as good as revoked.
        if (a.status != 200 && a.error != "invalid_token")
            throw PublishError(kTarget, fmt::format("revoking: HTTP {} {}", a.status, a.error),
                               a.status >= 500);
    }
    refresh_token_.clear();
    access_token_.clear();
    std::error_code ec;
    if (!config_.token_file.empty())
        std::filesystem::remove(config_.token_file, ec);
}

}  // namespace memegen::bot::publish
