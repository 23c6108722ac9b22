#include "telegram/bot_api.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "memegen/log.hpp"
#include "net/http_transport.hpp"
#include "net/url.hpp"
#include "telegram/html.hpp"
#include "telegram/multipart.hpp"

namespace memegen::bot {

using nlohmann::json;
using Clock = net::Clock;
using Kind = TelegramError::Kind;

namespace {

/// The policy's backoff; jittered so that bots that failed together do not retry in lockstep.
net::Backoff backoff_of(const RetryPolicy& policy) noexcept {
    return {policy.initial_backoff, policy.backoff_multiplier, policy.max_backoff, true};
}

}  // namespace

namespace detail {

bool is_non_idempotent(std::string_view method) noexcept {
    static constexpr std::string_view kPrefixes[] = {"send",   "edit", "forward", "copy",
                                                     "answer", "stop", "delete"};
    // deleteWebhook is the one delete* that is harmless to repeat.
    if (method == "deleteWebhook" || method == "sendChatAction")
        return false;
    for (const auto prefix : kPrefixes) {
        if (method.substr(0, prefix.size()) == prefix)
            return true;
    }
    return false;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry) {
    return backoff_of(policy).delay(retry);
}

}  // namespace detail

namespace {

/// The one place that knows the token: connection settings and the token-bearing paths.
struct Connection {
    const BotApiOptions& options;
    const std::string& scheme_host_port;
    const std::string& prefix;
};

std::unique_ptr<httplib::Client> make_client(const Connection& c,
                                             std::chrono::milliseconds io_timeout) {
    return net::make_client(c.scheme_host_port,
                            {c.options.connect_timeout, io_timeout, c.options.ca_file});
}

TelegramError make_error(Kind kind, std::string_view method, std::string description,
                         bool may_have_reached, int code = 0) {
    TelegramError::Details d;
    d.kind = kind;
    d.method = std::string(method);
    d.description = std::move(description);
    d.may_have_reached = may_have_reached;
    d.error_code = code;
    return TelegramError(std::move(d));
}

TelegramError transport_error(std::string_view method, httplib::Error error,
                              Clock::duration elapsed, std::chrono::milliseconds io_timeout,
                              const std::string& host) {
    const std::string what = httplib::to_string(error);
    switch (error) {
        case httplib::Error::Connection:
        case httplib::Error::BindIPAddress:
            return make_error(Kind::network, method,
                              fmt::format("could not connect to {} ({})", host, what), false);
        case httplib::Error::ConnectionTimeout:
            return make_error(Kind::timeout, method,
                              fmt::format("connecting to {} timed out", host), false);
        case httplib::Error::SSLConnection:
            return make_error(Kind::network, method,
                              fmt::format("TLS handshake with {} failed ({})", host, what), false);
        case httplib::Error::SSLServerVerification:
            return make_error(Kind::tls, method,
                              fmt::format("TLS certificate verification of {} failed: the "
                                          "certificate is not trusted by ca_file or does not "
                                          "match the host",
                                          host),
                              false);
        case httplib::Error::SSLLoadingCerts:
            return make_error(Kind::tls, method,
                              fmt::format("cannot load the CA certificates of ca_file ({})", what),
                              false);
        case httplib::Error::Write:
            // The request was not completely written, so Telegram cannot have acted on it.
            return make_error(
                Kind::network, method,
                fmt::format("connection to {} failed while sending the request", host), false);
        case httplib::Error::Read: {
            if (net::read_timed_out(elapsed, io_timeout)) {
                return make_error(Kind::timeout, method,
                                  fmt::format("no answer from {} within {}", host, io_timeout),
                                  true);
            }
            return make_error(Kind::network, method,
                              fmt::format("connection to {} closed before a complete answer", host),
                              true);
        }
        default:
            return make_error(Kind::network, method,
                              fmt::format("request to {} failed ({})", host, what), true);
    }
}

/// Turns an HTTP answer into `result` or a TelegramError.
json parse_response(std::string_view method, int status, const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) {
        throw make_error(Kind::bad_response, method,
                         fmt::format("HTTP {} with a body that is not a Bot API answer", status),
                         true, status == 200 ? 0 : status);
    }
    if (j["ok"].get<bool>()) {
        if (!j.contains("result")) {
            throw make_error(Kind::bad_response, method, "ok answer without a result", true);
        }
        return std::move(j["result"]);
    }
    TelegramError::Details d;
    d.kind = Kind::api;
    d.method = std::string(method);
    d.error_code = j.value("error_code", status);
    if (d.error_code == 0)
        d.error_code = status;
    d.description = j.value("description", std::string("(no description)"));
    if (const auto p = j.find("parameters"); p != j.end() && p->is_object()) {
        if (const auto r = p->find("retry_after"); r != p->end() && r->is_number_integer()) {
            d.retry_after = r->get<int>();
        }
        if (const auto m = p->find("migrate_to_chat_id"); m != p->end() && m->is_number_integer()) {
            d.migrate_to_chat_id = m->get<std::int64_t>();
        }
    }
    // Telegram rejected the request: it did not act on it.
    d.may_have_reached = false;
    throw TelegramError(std::move(d));
}

/// How long to wait before repeating after `e`, or nothing if it must not be repeated.
std::optional<std::chrono::milliseconds> retry_delay(const RetryPolicy& policy,
                                                     const TelegramError& e, bool idempotent,
                                                     net::Retries& retries) {
    const auto backoff = [&] { return retries.next_backoff(); };
    switch (e.kind()) {
        case Kind::api:
            if (e.error_code() == 429) {
                const auto wait = std::chrono::seconds(e.retry_after().value_or(1));
                if (wait > policy.max_retry_after)
                    return std::nullopt;
                return std::chrono::duration_cast<std::chrono::milliseconds>(wait) +
                       policy.retry_after_margin;
            }
            // A 5xx JSON answer means Telegram did not act; 4xx will not get better.
            if (e.error_code() >= 500)
                return backoff();
            return std::nullopt;
        case Kind::network:
        case Kind::timeout:
        case Kind::bad_response:
            if (idempotent || !e.may_have_reached())
                return backoff();
            return std::nullopt;
        case Kind::tls:
        case Kind::limit_exceeded:
        case Kind::cancelled:
            return std::nullopt;
    }
    return std::nullopt;
}

/// Runs `attempt` until it succeeds or the policy says stop.
template <typename Attempt>
auto with_retries(const RetryPolicy& policy, std::string_view method, const std::stop_token& stop,
                  Attempt&& attempt) -> decltype(attempt()) {
    const bool idempotent = !detail::is_non_idempotent(method);
    net::Retries retries(policy.max_attempts, backoff_of(policy), stop);
    for (;;) {
        if (retries.stop_requested()) {
            throw make_error(Kind::cancelled, method, "stop requested before the request", false);
        }
        try {
            return attempt();
        } catch (const TelegramError& e) {
            const auto delay = retry_delay(policy, e, idempotent, retries);
            if (!delay || retries.exhausted())
                throw;
            // e.what() is redacted: the token is a registered log secret.
            memegen::log_warning("Telegram {} failed ({}); retry {}/{} in {} ms", method, e.what(),
                                 retries.attempt(), policy.max_attempts - 1, delay->count());
            if (!retries.wait(*delay)) {
                throw make_error(
                    Kind::cancelled, method,
                    fmt::format("stop requested while waiting to retry after: {}", e.description()),
                    e.may_have_reached());
            }
        }
    }
}

using Send = std::function<httplib::Result(httplib::Client&)>;

/// One HTTP exchange on a fresh connection (or on `reuse`, a caller's keep-alive client),
/// interruptible by `stop`.
httplib::Result exchange(const Connection& c, std::string_view method,
                         std::chrono::milliseconds io_timeout, const std::stop_token& stop,
                         const Send& send, httplib::Client* reuse = nullptr) {
    std::unique_ptr<httplib::Client> fresh;
    httplib::Client* client = reuse;
    if (client == nullptr) {
        fresh = make_client(c, io_timeout);
        client = fresh.get();
    } else {
        net::set_io_timeout(*client, io_timeout);
    }
    const auto host = c.scheme_host_port;
    const auto started = Clock::now();
    httplib::Result result = net::send_stoppable(*client, stop, [&] {
        if (stop.stop_requested()) {
            throw make_error(Kind::cancelled, method, "stop requested before the request", false);
        }
        return send(*client);
    });
    // A complete answer is kept even if stop came meanwhile: a delivered send must be reported.
    if (!result && stop.stop_requested()) {
        throw make_error(Kind::cancelled, method, "stop requested during the request", true);
    }
    if (!result) {
        throw transport_error(method, result.error(), Clock::now() - started, io_timeout, host);
    }
    return result;
}

}  // namespace

struct BotApi::Poller {
    std::mutex mutex;  // one poll at a time on the one connection
    std::unique_ptr<httplib::Client> client;
    // Set when the last poll came back empty before its timeout: the next one waits.
    std::optional<Clock::time_point> early_empty_start;
};

BotApi::BotApi(BotApiOptions options)
    : options_(std::move(options)), poller_(std::make_shared<Poller>()) {
    net::ignore_sigpipe();
    if (options_.token.empty() ||
        options_.token.find_first_of("/?#% \t\r\n") != std::string::npos) {
        throw memegen::Error("[memegen.telegram] the bot token is empty or malformed");
    }
    memegen::register_secret(options_.token);
    const auto parsed = parse_base_url(options_.base_url);
    if (!parsed) {
        throw memegen::Error(memegen::redact(
            fmt::format("[memegen.telegram] base_url '{}' is not http(s)://host[:port][/prefix]",
                        options_.base_url)));
    }
    scheme_host_port_ = parsed->scheme_host_port;
    path_prefix_ = parsed->target;
}

json BotApi::call(std::string_view method, const json& params, std::stop_token stop) const {
    const Connection c{options_, scheme_host_port_, path_prefix_};
    const std::string path = path_prefix_ + "/bot" + options_.token + "/" + std::string(method);
    // Invalid UTF-8 becomes U+FFFD instead of an exception or a 400.
    const std::string body = params.dump(-1, ' ', false, json::error_handler_t::replace);
    auto io_timeout = options_.request_timeout;
    if (method == "getUpdates") {
        const auto t = params.find("timeout");
        const int seconds = t != params.end() && t->is_number_integer() ? t->get<int>() : 0;
        io_timeout = std::chrono::seconds(seconds) + options_.long_poll_margin;
    }
    return with_retries(options_.retry, method, stop, [&] {
        auto res = exchange(c, method, io_timeout, stop, [&](httplib::Client& client) {
            return client.Post(path, body, "application/json");
        });
        return parse_response(method, res->status, res->body);
    });
}

json BotApi::get_me(std::stop_token stop) const {
    return call("getMe", json::object(), stop);
}

std::vector<json> BotApi::get_updates(std::int64_t offset, int timeout_s,
                                      const std::vector<std::string>& allowed_updates,
                                      std::stop_token stop) const {
    json params = {{"offset", offset}, {"timeout", std::clamp(timeout_s, 0, 50)}};
    if (!allowed_updates.empty())
        params["allowed_updates"] = allowed_updates;
    if (stop.stop_requested())
        return {};
    std::lock_guard poll_lock(poller_->mutex);
    if (poller_->early_empty_start) {
        if (!net::sleep_until(*poller_->early_empty_start + options_.min_poll_interval, stop))
            return {};
    }
    const Connection c{options_, scheme_host_port_, path_prefix_};
    if (!poller_->client) {
        poller_->client = make_client(c, options_.request_timeout);
        // One connection for every poll: a server that answers at once must not cost a TCP
        // (and TLS) handshake per poll. getUpdates is safe to repeat on a stale connection.
        poller_->client->set_keep_alive(true);
    }
    const std::string path = path_prefix_ + "/bot" + options_.token + "/getUpdates";
    const std::string body = params.dump(-1, ' ', false, json::error_handler_t::replace);
    const auto io_timeout =
        std::chrono::seconds(params["timeout"].get<int>()) + options_.long_poll_margin;
    const auto started = Clock::now();
    poller_->early_empty_start.reset();
    try {
        json result = with_retries(options_.retry, "getUpdates", stop, [&] {
            auto res = exchange(
                c, "getUpdates", io_timeout, stop,
                [&](httplib::Client& client) {
                    return client.Post(path, body, "application/json");
                },
                poller_->client.get());
            return parse_response("getUpdates", res->status, res->body);
        });
        if (!result.is_array()) {
            throw make_error(Kind::bad_response, "getUpdates", "result is not an array", true);
        }
        const auto asked = std::chrono::seconds(params["timeout"].get<int>());
        if (result.empty() && asked.count() > 0 && Clock::now() - started < asked)
            poller_->early_empty_start = started;
        return result.get<std::vector<json>>();
    } catch (const TelegramError& e) {
        if (e.kind() == Kind::cancelled)
            return {};
        throw;
    }
}

namespace {

void add_message_options(json& params, const MessageOptions& o) {
    if (!o.parse_mode.empty())
        params["parse_mode"] = o.parse_mode;
    if (o.reply_markup)
        params["reply_markup"] = *o.reply_markup;
    if (o.reply_to_message_id) {
        params["reply_parameters"] = {{"message_id", *o.reply_to_message_id},
                                      {"allow_sending_without_reply", true}};
    }
    if (o.disable_notification)
        params["disable_notification"] = true;
}

}  // namespace

json BotApi::send_message(const ChatId& chat_id, std::string_view text,
                          const MessageOptions& options, std::stop_token stop) const {
    json params = {{"chat_id", chat_id.to_json()}, {"text", sanitize_utf8(text)}};
    add_message_options(params, options);
    if (options.disable_link_preview)
        params["link_preview_options"] = {{"is_disabled", true}};
    return call("sendMessage", params, stop);
}

json BotApi::edit_message_text(const ChatId& chat_id, std::int64_t message_id,
                               std::string_view text, const MessageOptions& options,
                               std::stop_token stop) const {
    json params = {
        {"chat_id", chat_id.to_json()}, {"message_id", message_id}, {"text", sanitize_utf8(text)}};
    add_message_options(params, options);
    params.erase("reply_parameters");
    params.erase("disable_notification");
    if (options.disable_link_preview)
        params["link_preview_options"] = {{"is_disabled", true}};
    return call("editMessageText", params, stop);
}

json BotApi::edit_message_caption(const ChatId& chat_id, std::int64_t message_id,
                                  std::string_view caption, const std::optional<json>& reply_markup,
                                  std::stop_token stop) const {
    json params = {{"chat_id", chat_id.to_json()},
                   {"message_id", message_id},
                   {"caption", sanitize_utf8(caption)},
                   {"parse_mode", "HTML"}};
    if (reply_markup)
        params["reply_markup"] = *reply_markup;
    return call("editMessageCaption", params, stop);
}

json BotApi::edit_message_reply_markup(const ChatId& chat_id, std::int64_t message_id,
                                       const std::optional<json>& reply_markup,
                                       std::stop_token stop) const {
    json params = {{"chat_id", chat_id.to_json()}, {"message_id", message_id}};
    if (reply_markup)
        params["reply_markup"] = *reply_markup;
    return call("editMessageReplyMarkup", params, stop);
}

void BotApi::send_chat_action(const ChatId& chat_id, std::string_view action,
                              std::stop_token stop) const {
    call("sendChatAction", {{"chat_id", chat_id.to_json()}, {"action", std::string(action)}}, stop);
}

void BotApi::answer_callback_query(std::string_view callback_query_id, std::string_view text,
                                   bool show_alert, std::stop_token stop) const {
    json params = {{"callback_query_id", std::string(callback_query_id)}};
    if (!text.empty())
        params["text"] = sanitize_utf8(text);
    if (show_alert)
        params["show_alert"] = true;
    call("answerCallbackQuery", params, stop);
}

void BotApi::set_my_commands(const std::vector<BotCommand>& commands, std::stop_token stop) const {
    json list = json::array();
    for (const auto& c : commands) {
        list.push_back({{"command", c.command}, {"description", c.description}});
    }
    call("setMyCommands", {{"commands", list}}, stop);
}

void BotApi::delete_webhook(bool drop_pending_updates, std::stop_token stop) const {
    call("deleteWebhook", {{"drop_pending_updates", drop_pending_updates}}, stop);
}

FileInfo BotApi::get_file(std::string_view file_id, std::stop_token stop) const {
    const json r = call("getFile", {{"file_id", std::string(file_id)}}, stop);
    FileInfo info;
    info.file_id = r.value("file_id", std::string());
    info.file_unique_id = r.value("file_unique_id", std::string());
    if (r.contains("file_size") && r["file_size"].is_number_integer()) {
        info.file_size = r["file_size"].get<std::int64_t>();
    }
    info.file_path = r.value("file_path", std::string());
    return info;
}

std::uint64_t BotApi::download_file(std::string_view file_path,
                                    const std::filesystem::path& destination,
                                    std::uint64_t max_bytes, std::stop_token stop) const {
    static constexpr std::string_view kMethod = "downloadFile";
    const Connection c{options_, scheme_host_port_, path_prefix_};
    const std::string path =
        path_prefix_ + "/file/bot" + options_.token + "/" + std::string(file_path);
    const std::filesystem::path partial = destination.string() + ".part";
    const auto too_large = [&] {
        return make_error(
            Kind::limit_exceeded, kMethod,
            fmt::format("file '{}' is larger than the allowed {} bytes", file_path, max_bytes),
            true);
    };
    return with_retries(options_.retry, kMethod, stop, [&]() -> std::uint64_t {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out)
            memegen::detail::throw_errno("cannot create download", partial);
        int status = 0;
        bool over_limit = false;
        std::uint64_t written = 0;
        std::string error_body;
        const auto remove_partial = [&] {
            out.close();
            std::error_code ec;
            std::filesystem::remove(partial, ec);
        };
        try {
            exchange(c, kMethod, options_.transfer_timeout, stop, [&](httplib::Client& client) {
                return client.Get(
                    path,
                    [&](const httplib::Response& response) {
                        status = response.status;
                        if (status == 200 && response.has_header("Content-Length") &&
                            response.get_header_value<std::uint64_t>("Content-Length") >
                                max_bytes) {
                            over_limit = true;
                            return false;
                        }
                        return true;
                    },
                    [&](const char* data, std::size_t size) {
                        if (status != 200) {
                            if (error_body.size() < 65536)
                                error_body.append(data, size);
                            return true;
                        }
                        written += size;
                        if (written > max_bytes) {
                            over_limit = true;
                            return false;
                        }
                        out.write(data, static_cast<std::streamsize>(size));
                        return static_cast<bool>(out);
                    });
            });
        } catch (...) {
            remove_partial();
            if (over_limit)
                throw too_large();
            throw;
        }
        if (status != 200) {
            remove_partial();
            parse_response(kMethod, status, error_body);
            throw make_error(Kind::bad_response, kMethod,
                             fmt::format("HTTP {} for a file download", status), false, status);
        }
        out.close();
        if (!out) {
            remove_partial();
            memegen::detail::throw_errno("cannot write download", partial);
        }
        std::error_code ec;
        std::filesystem::rename(partial, destination, ec);
        if (ec) {
            std::filesystem::remove(partial, ec);
            throw SystemError("cannot move download to '" + destination.string() + "'", ec.value());
        }
        return written;
    });
}

json BotApi::send_video(const VideoUpload& upload, std::stop_token stop) const {
    static constexpr std::string_view kMethod = "sendVideo";
    const Connection c{options_, scheme_host_port_, path_prefix_};
    const std::string path = path_prefix_ + "/bot" + options_.token + "/sendVideo";

    memegen::bot::detail::MultipartBody body;
    body.add_field("chat_id", upload.chat_id.to_string());
    body.add_file("video", upload.video,
                  upload.filename.empty() ? upload.video.filename().string() : upload.filename,
                  "video/mp4");
    if (upload.width)
        body.add_field("width", std::to_string(*upload.width));
    if (upload.height)
        body.add_field("height", std::to_string(*upload.height));
    if (upload.duration)
        body.add_field("duration", std::to_string(*upload.duration));
    if (upload.supports_streaming)
        body.add_field("supports_streaming", "true");
    if (upload.thumbnail)
        body.add_file("thumbnail", *upload.thumbnail, "thumbnail.jpg", "image/jpeg");
    if (!upload.caption.empty()) {
        body.add_field("caption", sanitize_utf8(upload.caption));
        if (!upload.options.parse_mode.empty()) {
            body.add_field("parse_mode", upload.options.parse_mode);
        }
    }
    const auto dump = [](const json& j) {
        return j.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    if (upload.options.reply_markup)
        body.add_field("reply_markup", dump(*upload.options.reply_markup));
    if (upload.options.reply_to_message_id) {
        body.add_field("reply_parameters",
                       dump({{"message_id", *upload.options.reply_to_message_id},
                             {"allow_sending_without_reply", true}}));
    }
    if (upload.options.disable_notification)
        body.add_field("disable_notification", "true");

    const std::size_t size = body.size();
    const std::string content_type = body.content_type();
    return with_retries(options_.retry, kMethod, stop, [&] {
        memegen::bot::detail::MultipartBody::Reader reader(body);
        std::vector<char> buffer(64 * 1024);
        std::exception_ptr local_error;
        auto res = [&] {
            try {
                return exchange(
                    c, kMethod, options_.transfer_timeout, stop, [&](httplib::Client& client) {
                        return client.Post(
                            path, httplib::Headers{}, size,
                            [&](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                try {
                                    const std::size_t n = reader.read(
                                        offset, buffer.data(), std::min(length, buffer.size()));
                                    return n > 0 && sink.write(buffer.data(), n);
                                } catch (...) {
                                    local_error = std::current_exception();
                                    return false;
                                }
                            },
                            content_type);
                    });
            } catch (const TelegramError&) {
                // A local file problem explains the failure better than the aborted request.
                if (local_error)
                    std::rethrow_exception(local_error);
                throw;
            }
        }();
        return parse_response(kMethod, res->status, res->body);
    });
}

json BotApi::send_video_by_file_id(const ChatId& chat_id, std::string_view file_id,
                                   std::string_view caption, const MessageOptions& options,
                                   std::stop_token stop) const {
    json params = {{"chat_id", chat_id.to_json()},
                   {"video", std::string(file_id)},
                   {"supports_streaming", true}};
    if (!caption.empty())
        params["caption"] = sanitize_utf8(caption);
    add_message_options(params, options);
    if (caption.empty())
        params.erase("parse_mode");
    return call("sendVideo", params, stop);
}

}  // namespace memegen::bot
