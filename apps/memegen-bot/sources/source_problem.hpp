#pragma once
/// \file source_problem.hpp
/// The error style of the subreddit sources: nothing in sources/ throws for bad input, bad
/// servers or bad files. Every operation returns an Outcome (a value or a SourceProblem) and
/// the HTTP attempts it made, so the caller can fall back to the local library, show the
/// problem in /status, and tests can see what was sent and waited for. Exceptions escape only
/// for programming errors (std::bad_alloc, a violated precondition).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace memegen::bot {

/// What kind of thing went wrong while getting a meme from a subreddit.
enum class SourceProblemKind {
    config,         ///< reddit_sources.json is missing, unreadable or invalid
    network,        ///< could not connect, connection reset, TLS handshake failure
    tls,            ///< the server's certificate is not trusted or does not match the host
    timeout,        ///< connect or read timeout
    http_status,    ///< an HTTP status that is not 200 (404, 403 private subreddit, 5xx, ...)
    rate_limited,   ///< 429 after every attempt, or a Retry-After longer than allowed
    redirect,       ///< a redirect that is not followed (listings, other hosts, too many)
    bad_json,       ///< the listing body is not JSON
    bad_shape,      ///< the listing is JSON but not Reddit's Listing shape
    not_media,      ///< the media URL answered HTML or bytes that are no supported media
    too_large,      ///< the media is larger than max_download_mb
    io,             ///< the cache directory or a file in it could not be written
    no_candidates,  ///< every post of every subreddit was skipped or already used
    cancelled,      ///< the stop token was triggered
};

/// Stable lower-case name of a kind ("rate_limited").
[[nodiscard]] std::string_view to_string(SourceProblemKind kind) noexcept;

/// One thing that went wrong; the message names the subreddit, URL or file and the cause.
struct SourceProblem {
    SourceProblemKind kind = SourceProblemKind::network;
    std::string subreddit;  ///< "memes", or empty when not about one subreddit
    std::string url;        ///< the URL (or the config file's path) involved, may be empty
    std::string message;    ///< the cause, in words ("HTTP 404 Not Found")

    /// "[reddit.<kind>] r/<subreddit>: <url>: <message>", leaving out empty parts.
    [[nodiscard]] std::string to_string() const;
};

/// A SourceProblem from its parts (the subreddit and URL may be empty).
[[nodiscard]] inline SourceProblem make_source_problem(SourceProblemKind kind,
                                                       std::string_view subreddit,
                                                       std::string_view url, std::string message) {
    return SourceProblem{kind, std::string(subreddit), std::string(url), std::move(message)};
}

/// One HTTP request that was made, as the client saw it.
struct HttpAttempt {
    std::string url;  ///< the requested URL
    int status = 0;   ///< the HTTP status, 0 if there was no answer (timeout, reset)
    /// How long the client waited before the next attempt (0 for the last one): the
    /// Retry-After / x-ratelimit-reset of a 429, or the backoff after a 5xx or a timeout.
    std::chrono::milliseconds wait_before_next{0};
    std::string note;  ///< why it failed, empty when it succeeded
};

/// A value or the problem that prevented it, plus the HTTP attempts made on the way.
template <typename T>
struct Outcome {
    std::optional<T> value;                ///< set on success
    std::optional<SourceProblem> problem;  ///< set iff value is not
    std::vector<HttpAttempt> attempts;     ///< every request made, in order

    /// True on success.
    [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
    /// Same as ok().
    explicit operator bool() const noexcept { return ok(); }
};

}  // namespace memegen::bot
