#include "publish/http.hpp"

#include <fmt/format.h>

#include "net/url.hpp"

namespace memegen::bot::publish::detail {

std::optional<SplitUrl> split_url(std::string_view url) {
    const auto parsed = parse_http_url(url);
    if (!parsed)
        return std::nullopt;
    SplitUrl s{parsed->scheme_host_port, parsed->target};
    while (!s.target.empty() && s.target.back() == '/')
        s.target.pop_back();
    return s;
}

std::unique_ptr<httplib::Client> make_client(const std::string& origin,
                                             const HttpOptions& options) {
    return net::make_client(origin,
                            {options.connect_timeout, options.read_timeout, options.ca_file});
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
