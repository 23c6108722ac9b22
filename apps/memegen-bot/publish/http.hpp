#pragma once
// Internal to publish/: what every target's HTTP client shares — splitting configured base
// URLs, a cpp-httplib client with TLS checks and timeouts, stoppable waits and requests —
// as publish/'s names for net/ (the transport every client of the bot uses), plus the
// texts of publish/'s errors. cpp-httplib stays out of publisher.hpp so the review flow
// does not compile it.

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "net/http_transport.hpp"
#include "publish/publisher.hpp"

namespace memegen::bot::publish::detail {

using HttpOptions = HttpSettings;

/// An absolute http(s) URL split as cpp-httplib needs it.
struct SplitUrl {
    std::string origin;  ///< "https://www.googleapis.com", "http://127.0.0.1:8080"
    std::string target;  ///< path and query, "" or starting with '/'
};

/// Splits "http(s)://host[:port][/path...]" as net::parse_http_url does (nothing for other
/// schemes, bad hosts or ports); the target loses trailing '/'.
[[nodiscard]] std::optional<SplitUrl> split_url(std::string_view url);

/// net::make_client with the target's settings: timeouts, no keep-alive, no redirects
/// followed (a redirect would carry the Authorization header), certificate checks on https.
[[nodiscard]] std::unique_ptr<httplib::Client> make_client(const std::string& origin,
                                                           const HttpOptions& options);

using net::send_stoppable;
using net::sleep_for;

/// "could not connect to <origin> (...)" and the like, for a transport failure.
[[nodiscard]] std::string describe(httplib::Error error, std::string_view origin);

using net::is_tls_trust_failure;

/// www-form-urlencodes `value` (RFC 3986 unreserved kept, everything else %XX).
[[nodiscard]] std::string form_encode(std::string_view value);

/// The first `max` bytes of a response body, on one line, for an error text.
[[nodiscard]] std::string body_excerpt(std::string_view body, std::size_t max = 200);

}  // namespace memegen::bot::publish::detail
