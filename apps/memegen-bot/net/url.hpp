#pragma once
/// \file url.hpp
/// Just enough URL handling for every HTTP client of the bot (Telegram, Reddit, publishers)
/// and for the configuration check: split an absolute http(s) URL into what cpp-httplib
/// needs, resolve a redirect's Location, and read the extension of the path. Hand-written on
/// purpose (std::regex trips g++ 12's -Wmaybe-uninitialized under the sanitizers, see
/// telegram/bot_api.cpp).

#include <optional>
#include <string>
#include <string_view>

namespace memegen::bot {

/// An absolute http(s) URL split for cpp-httplib.
struct HttpUrl {
    bool https = false;
    std::string host;              ///< lower-case host name or IP literal, without port
    std::string scheme_host_port;  ///< "https://i.redd.it", "http://127.0.0.1:8080"
    std::string target;            ///< path and query, starting with '/' ("/abc.png?x=1")

    /// The path without the query or fragment ("/abc.png").
    [[nodiscard]] std::string path() const;
    /// scheme_host_port + target.
    [[nodiscard]] std::string to_string() const { return scheme_host_port + target; }
};

/// Parses "http(s)://host[:port][/path][?query]"; nothing for other schemes, user info,
/// bad hosts or ports, or characters that must not appear in a request line. The host is a
/// name, an IPv4 address or a bracketed IPv6 literal ("http://[::1]:8081").
[[nodiscard]] std::optional<HttpUrl> parse_http_url(std::string_view url);

/// Parses a base URL that request paths are appended to ("https://api.telegram.org",
/// "https://proxy.example/tg/"): parse_http_url's rules, and no query or fragment. The
/// result's target is the path prefix without trailing '/' ("" or "/tg"). This is the check
/// of every configured base URL, so the configuration check and the clients agree.
[[nodiscard]] std::optional<HttpUrl> parse_base_url(std::string_view url);

/// Resolves a redirect's Location against the URL that answered it: absolute URLs,
/// protocol-relative ("//host/x") and absolute paths ("/x"). Nothing otherwise.
[[nodiscard]] std::optional<HttpUrl> resolve_location(const HttpUrl& base,
                                                      std::string_view location);

/// The lower-case extension of the URL's last path segment, with the dot (".png"), or "".
[[nodiscard]] std::string url_extension(const HttpUrl& url);

}  // namespace memegen::bot
