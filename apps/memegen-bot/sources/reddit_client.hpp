#pragma once
/// \file reddit_client.hpp
/// The HTTP side of the subreddit sources: listing requests and capped media downloads over
/// the bot's one transport (net/http_transport: certificate verification on https with the
/// CA bundle of the configuration, connect/read timeouts, stoppable requests and waits), a
/// descriptive User-Agent, and a bounded retry policy. cpp-httplib stays out of this header.
///
/// Retries: a 429 waits what the server asks (Retry-After, else x-ratelimit-reset, which
/// Reddit sends) unless that is longer than max_retry_after; a 5xx, a timeout or a reset
/// waits retry_backoff, doubling per retry up to 16x; everything else fails at once. At most
/// max_attempts requests per URL. A listing answer with x-ratelimit-remaining below 1 holds
/// the next listing request back until its x-ratelimit-reset (or reports rate_limited at once
/// if that is beyond max_retry_after), so the bot does not earn a 429 it was warned about.
/// Every request made is reported in Outcome::attempts, with the wait that followed it.
/// Waits are interruptible through the stop token.
///
/// Thread safety: every call opens its own connection; a RedditClient may be shared.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "sources/media_sniff.hpp"
#include "sources/reddit_sources.hpp"
#include "sources/source_problem.hpp"

namespace memegen::bot {

/// A media file that arrived complete, within the cap, and with a recognised signature.
struct DownloadedMedia {
    std::filesystem::path path;  ///< <directory>/<stem><extension of the real format>
    std::uint64_t bytes = 0;     ///< its size
    MediaFormat format = MediaFormat::unknown;  ///< from its first bytes
    std::string final_url;                      ///< the URL that served it, after redirects
};

/// Reddit listing and media client; see the file comment for the policy.
class RedditClient {
  public:
    /// Uses base_url, user_agent, ca_file, timeouts, retry settings, max_download_bytes and
    /// media_hosts of `config`. Plain http is accepted for media only when base_url is http.
    explicit RedditClient(RedditSourcesConfig config);

    /// The configuration in use.
    [[nodiscard]] const RedditSourcesConfig& config() const noexcept { return config_; }

    /// "<base_url>/r/<name>/<sort>.json?limit=<limit>&raw_json=1[&t=<time>]". raw_json=1
    /// makes Reddit send URLs without HTML escaping ("&" instead of "&amp;").
    [[nodiscard]] std::string listing_url(const SubredditSource& subreddit) const;

    /// GETs the listing and returns its body. A redirect is not followed: Reddit redirects a
    /// missing subreddit to a search page, so it is a redirect problem. 403/404 and other
    /// statuses are http_status problems; 429/5xx/timeouts retry per the policy.
    [[nodiscard]] Outcome<std::string> get_listing(const SubredditSource& subreddit,
                                                   std::stop_token stop = {}) const;

    /// Downloads `url` into `directory` as `stem` + the extension of the format its bytes
    /// have (a .png URL serving JPEG becomes .jpg). Streams to a temporary file in
    /// `directory` and renames it, so a failed download leaves nothing. Rejected, with no
    /// retry: Content-Length or streamed size above max_download_bytes (too_large), a text/*
    /// or JSON Content-Type or bytes that are not PNG/JPEG/GIF/WebP/MP4/WebM (not_media),
    /// 4xx. Redirects (at most 3) are followed only to https (or http when base_url is http)
    /// on media_hosts; imgur's redirect of deleted images to /removed.png is http_status.
    /// `stem` must be a plain file name (no '/'); the caller sanitises it.
    [[nodiscard]] Outcome<DownloadedMedia> download(std::string_view url,
                                                    const std::filesystem::path& directory,
                                                    std::string_view stem,
                                                    std::stop_token stop = {}) const;

  private:
    RedditSourcesConfig config_;
    bool allow_http_ = false;
    mutable std::mutex budget_mutex_;
    /// Until when listing requests would be refused (x-ratelimit-remaining 0 + reset).
    mutable std::optional<std::chrono::steady_clock::time_point> quiet_until_;
};

namespace detail {

/// The wait a 429 asks for: Retry-After (seconds, or an HTTP-date relative to `now`), else
/// x-ratelimit-reset (seconds); nothing when neither parses. Negative waits become zero.
[[nodiscard]] std::optional<std::chrono::milliseconds> server_wait(
    std::string_view retry_after, std::string_view ratelimit_reset,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/// The backoff before retry number `retry` (0-based): initial * 2^retry, capped at 16x.
[[nodiscard]] std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial,
                                                      int retry) noexcept;

}  // namespace detail
}  // namespace memegen::bot
