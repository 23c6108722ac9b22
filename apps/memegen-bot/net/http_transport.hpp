#pragma once
/// \file http_transport.hpp
/// The HTTP plumbing every client of the bot shares (telegram/bot_api, sources/reddit_client,
/// publish/): a cpp-httplib client with certificate checks and timeouts, requests and sleeps
/// that a std::stop_token interrupts, the SIGPIPE guard, exponential backoff, and the attempt
/// counting of a retry loop. What a failure means (retry or not, which error text) stays with
/// each client: Telegram throws TelegramError, Reddit reports SourceProblem values.
///
/// Include only from .cpp files: it brings in <httplib.h>.
/// Secrets: nothing here logs or formats a URL; callers keep tokens out of their texts.

#include <httplib.h>

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <utility>

namespace memegen::bot::net {

using Clock = std::chrono::steady_clock;

/// Connection settings of one client.
struct ClientOptions {
    /// TCP (and TLS) connect timeout.
    std::chrono::milliseconds connect_timeout{10000};
    /// Read and write timeout.
    std::chrono::milliseconds io_timeout{30000};
    /// CA bundle that verifies https servers; empty: OpenSSL's default paths.
    std::string ca_file;
};

/// Ignores SIGPIPE once per process: a peer closing the socket mid-write must surface as a
/// write error, not kill the bot. cpp-httplib's Client does not do it (only its Server does).
void ignore_sigpipe() noexcept;

/// A client for `scheme_host_port` ("https://api.telegram.org", "http://127.0.0.1:8081"):
/// the options' timeouts, no keep-alive (one connection per request, so nothing is shared
/// between threads and a stale connection never makes a delivered request look lost), no
/// redirects followed (each client checks every hop itself, and a redirect would carry an
/// Authorization header), certificate verification on for https. Calls ignore_sigpipe().
[[nodiscard]] std::unique_ptr<httplib::Client> make_client(const std::string& scheme_host_port,
                                                           const ClientOptions& options);

/// Sets the read and write timeouts of a client that is reused for requests of other kinds.
void set_io_timeout(httplib::Client& client, std::chrono::milliseconds timeout);

/// Runs `send` (one request on `client`) with `client.stop()` wired to `stop`: shutting the
/// socket down wakes a blocked read at once (cpp-httplib allows stop() from another thread
/// for exactly this). A request that has not started when stop comes still runs and fails.
template <typename Send>
httplib::Result send_stoppable(httplib::Client& client, const std::stop_token& stop, Send&& send) {
    std::stop_callback on_stop(stop, [&client] { client.stop(); });
    return std::forward<Send>(send)();
}

/// Sleeps `delay` unless `stop` is requested first; false when interrupted.
bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop);

/// Sleeps until `deadline` unless `stop` is requested first; false when interrupted.
bool sleep_until(Clock::time_point deadline, const std::stop_token& stop);

/// cpp-httplib reports a read timeout and a reset alike (Error::Read); the clock tells them
/// apart: a read that failed after 90 % of the timeout timed out.
[[nodiscard]] bool read_timed_out(Clock::duration elapsed,
                                  std::chrono::milliseconds io_timeout) noexcept;

/// True for failures of trust (bad certificate, unreadable CA file): retrying cannot mend them.
[[nodiscard]] bool is_tls_trust_failure(httplib::Error error) noexcept;

/// Exponential backoff: initial * multiplier^retry, capped at max.
struct Backoff {
    std::chrono::milliseconds initial{1000};
    double multiplier = 2.0;
    std::chrono::milliseconds max{16000};
    /// Spreads each delay over ±20 % (still capped at max), so that clients that failed
    /// together do not retry in lockstep.
    bool jitter = false;

    /// The delay before retry number `retry` (0-based), without jitter.
    [[nodiscard]] std::chrono::milliseconds delay(int retry) const noexcept;
    /// delay(retry) with the jitter, if enabled.
    [[nodiscard]] std::chrono::milliseconds jittered(int retry) const;
};

/// The attempt counting and the waits of one request's retry loop. A client's loop:
///
///     net::Retries retries(max_attempts, backoff, stop);
///     for (;;) {
///         if (retries.stop_requested()) ...cancelled...
///         ...attempt; on success return...
///         ...decide: a server-given wait, retries.next_backoff(), or give up;
///            give up too when retries.exhausted()...
///         if (!retries.wait(delay)) ...cancelled while waiting...
///     }
class Retries {
  public:
    Retries(int max_attempts, Backoff backoff, std::stop_token stop)
        : max_attempts_(max_attempts), backoff_(backoff), stop_(std::move(stop)) {}

    /// The number of the current attempt, 1-based.
    [[nodiscard]] int attempt() const noexcept { return attempt_; }
    /// The most attempts allowed.
    [[nodiscard]] int max_attempts() const noexcept { return max_attempts_; }
    /// True when the current attempt is the last one allowed.
    [[nodiscard]] bool exhausted() const noexcept { return attempt_ >= max_attempts_; }
    /// True once the request should be abandoned.
    [[nodiscard]] bool stop_requested() const noexcept { return stop_.stop_requested(); }
    /// The stop token the loop observes.
    [[nodiscard]] const std::stop_token& stop_token() const noexcept { return stop_; }

    /// The next backoff delay (jittered if the Backoff says so); each call counts one backoff.
    [[nodiscard]] std::chrono::milliseconds next_backoff() {
        return backoff_.jittered(backoffs_++);
    }

    /// Waits `delay`, then counts the next attempt; false, with no next attempt, when stop
    /// was requested before the delay passed.
    [[nodiscard]] bool wait(std::chrono::milliseconds delay);

  private:
    int max_attempts_;
    Backoff backoff_;
    std::stop_token stop_;
    int attempt_ = 1;
    int backoffs_ = 0;
};

}  // namespace memegen::bot::net
