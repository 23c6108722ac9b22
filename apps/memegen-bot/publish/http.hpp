#pragma once
// Internal to publish/: what every target's HTTP client shares — splitting configured base
// URLs, a cpp-httplib client with TLS checks and timeouts, stoppable waits and requests.
// cpp-httplib stays out of publisher.hpp so the review flow does not compile it.

#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "publish/publisher.hpp"

namespace memegen::bot::publish::detail {

using HttpOptions = HttpSettings;

/// An absolute http(s) URL split as cpp-httplib needs it.
struct SplitUrl {
    std::string origin;  ///< "https://www.googleapis.com", "http://127.0.0.1:8080"
    std::string target;  ///< path and query, "" or starting with '/'
};

/// Splits "http(s)://host[:port][/path...]"; nothing for other schemes or no host.
[[nodiscard]] std::optional<SplitUrl> split_url(std::string_view url);

/// A client for `origin`: timeouts, no keep-alive, no redirects followed, certificate checks
/// on for https. Ignores SIGPIPE once (cpp-httplib's Client does not).
[[nodiscard]] std::unique_ptr<httplib::Client> make_client(const std::string& origin,
                                                           const HttpOptions& options);

/// Runs `send` with `client.stop()` wired to `stop`.
httplib::Result send_stoppable(httplib::Client& client, const std::stop_token& stop,
                               const std::function<httplib::Result()>& send);

/// Sleeps `delay` unless `stop` is requested first; false when interrupted.
bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop);

/// "could not connect to <origin> (...)" and the like, for a transport failure.
[[nodiscard]] std::string describe(httplib::Error error, std::string_view origin);

/// True for failures of trust (bad certificate, CA file), which retrying cannot mend.
[[nodiscard]] bool is_tls_trust_failure(httplib::Error error) noexcept;

/// www-form-urlencodes `value` (RFC 3986 unreserved kept, everything else %XX).
[[nodiscard]] std::string form_encode(std::string_view value);

/// The first `max` bytes of a response body, on one line, for an error text.
[[nodiscard]] std::string body_excerpt(std::string_view body, std::size_t max = 200);

}  // namespace memegen::bot::publish::detail
