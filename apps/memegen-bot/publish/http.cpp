#include "publish/http.hpp"

#include <condition_variable>
#include <csignal>
#include <mutex>

#include <fmt/format.h>

namespace memegen::bot::publish::detail {

std::optional<SplitUrl> split_url(std::string_view url) {
    std::size_t scheme_end = 0;
    if (url.substr(0, 8) == "https://")
        scheme_end = 8;
    else if (url.substr(0, 7) == "http://")
        scheme_end = 7;
    else
        return std::nullopt;
    const auto slash = url.find('/', scheme_end);
    SplitUrl s;
    s.origin = std::string(url.substr(0, slash));
    s.target = slash == std::string_view::npos ? std::string() : std::string(url.substr(slash));
    if (s.origin.size() == scheme_end || s.origin.find_first_of("@ ?#") != std::string::npos)
        return std::nullopt;
    while (!s.target.empty() && s.target.back() == '/')
        s.target.pop_back();
    return s;
}

std::unique_ptr<httplib::Client> make_client(const std::string& origin,
                                             const HttpOptions& options) {
    // A peer closing the socket mid-upload must be a write error, not kill the bot.
    static std::once_flag once;
    std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
    auto client = std::make_unique<httplib::Client>(origin);
    client->set_connection_timeout(options.connect_timeout);
    client->set_read_timeout(options.read_timeout);
    client->set_write_timeout(options.read_timeout);
    client->set_keep_alive(false);
    client->set_follow_location(false);  // a redirect would carry the Authorization header
    if (origin.rfind("https://", 0) == 0) {
        if (!options.ca_file.empty())
            client->set_ca_cert_path(options.ca_file);
        client->enable_server_certificate_verification(true);
    }
    return client;
}

httplib::Result send_stoppable(httplib::Client& client, const std::stop_token& stop,
                               const std::function<httplib::Result()>& send) {
    std::stop_callback on_stop(stop, [&client] { client.stop(); });
    return send();
}

bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, stop, delay, [] { return false; });
    return !stop.stop_requested();
}

std::string describe(httplib::Error error, std::string_view origin) {
    switch (error) {
        case httplib::Error::Connection:
            return fmt::format("could not connect to {}", origin);
        case httplib::Error::ConnectionTimeout:
            return fmt::format("connecting to {} timed out", origin);
        case httplib::Error::SSLConnection:
            return fmt::format("TLS handshake with {} failed", origin);
        case httplib::Error::SSLServerVerification:
            return fmt::format("the certificate of {} is not trusted or does not match the host",
                               origin);
        case httplib::Error::SSLLoadingCerts:
            return "cannot load the CA certificates of ca_file";
        case httplib::Error::Read:
            return fmt::format("the connection to {} closed or timed out before a complete answer",
                               origin);
        case httplib::Error::Write:
            return fmt::format("the connection to {} closed while sending", origin);
        case httplib::Error::Canceled:
            return "stop requested";
        default:
            return fmt::format("request to {} failed ({})", origin, httplib::to_string(error));
    }
}

bool is_tls_trust_failure(httplib::Error error) noexcept {
    return error == httplib::Error::SSLServerVerification ||
           error == httplib::Error::SSLLoadingCerts;
}

std::string form_encode(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : value) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string body_excerpt(std::string_view body, std::size_t max) {
    std::string out(body.substr(0, max));
    for (auto& c : out) {
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    }
    if (body.size() > max)
        out += "...";
    return out;
}

}  // namespace memegen::bot::publish::detail
