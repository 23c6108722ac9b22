#include "sources/reddit_client.hpp"

#include <httplib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "memegen/log.hpp"
#include "net/http_transport.hpp"
#include "net/url.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;
using Clock = net::Clock;
using Kind = SourceProblemKind;

namespace {

/// Doubling per retry up to 16x, no jitter (one bot, one Reddit budget).
net::Backoff backoff_of(std::chrono::milliseconds initial) noexcept {
    return {initial, 2.0, initial * 16, false};
}

}  // namespace

namespace detail {

std::optional<std::chrono::milliseconds> server_wait(std::string_view retry_after,
                                                     std::string_view ratelimit_reset,
                                                     std::chrono::system_clock::time_point now) {
    const auto seconds = [](std::string_view text) -> std::optional<std::chrono::milliseconds> {
        const std::string s(text);
        if (s.empty())
            return std::nullopt;
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end == s.c_str() || *end != '\0' || !std::isfinite(v))
            return std::nullopt;
        return std::chrono::milliseconds(std::llround(std::clamp(v, 0.0, 1e9) * 1000));
    };
    if (auto s = seconds(retry_after))
        return s;
    if (!retry_after.empty()) {
        // HTTP-date: "Wed, 21 Oct 2015 07:28:00 GMT".
        std::tm tm{};
        const std::string s(retry_after);
        if (const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
            end && *end == '\0') {
            const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
            return std::max(wait, std::chrono::milliseconds(0));
        }
    }
    return seconds(ratelimit_reset);
}

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds initial, int retry) noexcept {
    return backoff_of(initial).delay(retry);
}

}  // namespace detail

namespace {

/// What one request ended with, as the retry loop needs it.
struct AttemptResult {
    int status = 0;
    std::optional<SourceProblem> problem;  ///< empty: success
    bool retryable = false;
    std::optional<std::chrono::milliseconds> server_wait;  ///< a 429's Retry-After
    std::optional<HttpUrl> redirect_to;                    ///< follow this (media only)
};

std::string status_text(int status) {
    std::string_view reason;
    switch (status) {
        case 301:
            reason = " Moved Permanently";
            break;
        case 302:
            reason = " Found";
            break;
        case 303:
            reason = " See Other";
            break;
        case 307:
            reason = " Temporary Redirect";
            break;
        case 308:
            reason = " Permanent Redirect";
            break;
        case 400:
            reason = " Bad Request";
            break;
        case 401:
            reason = " Unauthorized";
            break;
        case 403:
            reason = " Forbidden";
            break;
        case 404:
            reason = " Not Found";
            break;
        case 410:
            reason = " Gone";
            break;
        case 429:
            reason = " Too Many Requests";
            break;
        case 500:
            reason = " Internal Server Error";
            break;
        case 502:
            reason = " Bad Gateway";
            break;
        case 503:
            reason = " Service Unavailable";
            break;
        case 504:
            reason = " Gateway Timeout";
            break;
        default:
            break;
    }
    return fmt::format("HTTP {}{}", status, reason);
}

/// A transport failure as a problem; retryable unless TLS trust failed.
AttemptResult transport_failure(httplib::Error error, Clock::duration elapsed,
                                std::chrono::milliseconds read_timeout, std::string_view subreddit,
                                const HttpUrl& url) {
    AttemptResult r;
    r.retryable = true;
    const std::string host = url.scheme_host_port;
    const std::string what = httplib::to_string(error);
    Kind kind = Kind::network;
    std::string message;
    switch (error) {
        case httplib::Error::Connection:
            message = fmt::format("could not connect to {} ({})", host, what);
            break;
        case httplib::Error::ConnectionTimeout:
            kind = Kind::timeout;
            message = fmt::format("connecting to {} timed out", host);
            break;
        case httplib::Error::SSLConnection:
            message = fmt::format("TLS handshake with {} failed", host);
            break;
        case httplib::Error::SSLServerVerification:
            kind = Kind::tls;
            r.retryable = false;
            message = fmt::format(
                "the certificate of {} is not trusted by ca_file or does not match the host", host);
            break;
        case httplib::Error::SSLLoadingCerts:
            kind = Kind::tls;
            r.retryable = false;
            message = "cannot load the CA certificates of ca_file";
            break;
        case httplib::Error::Read:
            if (net::read_timed_out(elapsed, read_timeout)) {
                kind = Kind::timeout;
                message =
                    fmt::format("no complete answer within the read timeout of {}", read_timeout);
            } else {
                message = "the connection closed before a complete answer";
            }
            break;
        default:
            message = fmt::format("request failed ({})", what);
            break;
    }
    r.problem = make_source_problem(kind, subreddit, url.to_string(), std::move(message));
    return r;
}

/// A non-200 answer as a problem: 429 and 5xx retry, the rest do not.
AttemptResult status_failure(int status, const httplib::Headers& headers,
                             std::string_view subreddit, const HttpUrl& url, bool listing) {
    AttemptResult r;
    r.status = status;
    const auto header = [&](const char* name) {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    };
    std::string message = status_text(status);
    Kind kind = Kind::http_status;
    if (status == 429) {
        kind = Kind::rate_limited;
        r.retryable = true;
        r.server_wait = detail::server_wait(header("Retry-After"), header("x-ratelimit-reset"));
        message += " (rate limited)";
    } else if (status >= 500) {
        r.retryable = true;
    } else if (listing && status == 403) {
        message += " (a private or quarantined subreddit, or Reddit refuses this User-Agent)";
    } else if (listing && status == 404) {
        message += " (a banned or missing subreddit)";
    } else if (status == 404 || status == 410) {
        message += " (the media was deleted)";
    }
    r.problem = make_source_problem(kind, subreddit, url.to_string(), std::move(message));
    return r;
}

/// Redirects are followed by hand (run_with_retries) so that every hop is checked.
std::unique_ptr<httplib::Client> make_client(const RedditSourcesConfig& config,
                                             const HttpUrl& url) {
    return net::make_client(url.scheme_host_port,
                            {config.connect_timeout, config.read_timeout, config.ca_file});
}

httplib::Headers request_headers(const RedditSourcesConfig& config, std::string_view accept) {
    return {{"User-Agent", config.user_agent}, {"Accept", std::string(accept)}};
}

/// Runs attempts until success or the policy says stop; follows redirects the attempt asks
/// for (at most `max_redirects`, not counted as attempts).
template <typename Attempt>
std::optional<SourceProblem> run_with_retries(const RedditSourcesConfig& config,
                                              std::string_view subreddit, HttpUrl url,
                                              int max_redirects, const std::stop_token& stop,
                                              std::vector<HttpAttempt>& attempts,
                                              Attempt&& attempt) {
    int redirects = 0;
    net::Retries retries(config.max_attempts, backoff_of(config.retry_backoff), stop);
    for (;;) {
        const int n = retries.attempt();
        if (stop.stop_requested())
            return make_source_problem(Kind::cancelled, subreddit, url.to_string(),
                                       "stop requested");
        AttemptResult r = attempt(url);
        HttpAttempt record;
        record.url = url.to_string();
        record.status = r.status;
        if (r.problem)
            record.note = r.problem->message;
        attempts.push_back(record);
        if (r.redirect_to) {
            if (++redirects > max_redirects) {
                return make_source_problem(Kind::redirect, subreddit, record.url,
                                           fmt::format("more than {} redirects", max_redirects));
            }
            attempts.back().note = fmt::format("redirect to {}", r.redirect_to->to_string());
            url = *r.redirect_to;
            continue;
        }
        if (!r.problem)
            return std::nullopt;
        if (!r.retryable || retries.exhausted() || stop.stop_requested()) {
            if (r.retryable && n > 1)
                r.problem->message += fmt::format(" (after {} attempts)", n);
            return r.problem;
        }
        std::chrono::milliseconds wait{0};
        if (r.server_wait) {
            if (*r.server_wait > config.max_retry_after) {
                r.problem->message += fmt::format(
                    "; the server asks to wait {} s, more than max_retry_after_s {}",
                    std::chrono::duration_cast<std::chrono::seconds>(*r.server_wait).count(),
                    config.max_retry_after.count());
                return r.problem;
            }
            wait = *r.server_wait;
        } else {
            wait = retries.next_backoff();
        }
        attempts.back().wait_before_next = wait;
        memegen::log_warning("Reddit: {}; retry {}/{} in {} ms", r.problem->to_string(), n,
                             config.max_attempts - 1, wait.count());
        if (!retries.wait(wait)) {
            return make_source_problem(
                Kind::cancelled, subreddit, record.url,
                fmt::format("stop requested while waiting to retry after: {}", r.problem->message));
        }
    }
}

std::string content_type_of(const httplib::Response& response) {
    std::string type = response.get_header_value("Content-Type");
    for (auto& c : type) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return type;
}

std::atomic<unsigned> temp_counter{0};

/// When a successful answer says the rate-limit budget of this window is spent
/// (x-ratelimit-remaining below 1), how long until x-ratelimit-reset; nothing otherwise.
std::optional<std::chrono::milliseconds> spent_budget_wait(const httplib::Headers& headers) {
    const auto value = [&](const char* name) {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    };
    const std::string remaining = value("x-ratelimit-remaining");
    char* end = nullptr;
    const double left = std::strtod(remaining.c_str(), &end);
    if (remaining.empty() || *end != '\0' || left >= 1)
        return std::nullopt;
    return detail::server_wait("", value("x-ratelimit-reset"));
}

}  // namespace

RedditClient::RedditClient(RedditSourcesConfig config) : config_(std::move(config)) {
    net::ignore_sigpipe();
    const auto base = parse_http_url(config_.base_url);
    allow_http_ = base && !base->https;
}

std::string RedditClient::listing_url(const SubredditSource& s) const {
    std::string url = fmt::format("{}/r/{}/{}.json?limit={}&raw_json=1", config_.base_url, s.name,
                                  s.sort, s.limit);
    if (s.sort == "top")
        url += "&t=" + s.time;
    return url;
}

Outcome<std::string> RedditClient::get_listing(const SubredditSource& subreddit,
                                               std::stop_token stop) const {
    // 100 posts are about 1 MB; anything near this cap is not a listing.
    static constexpr std::size_t kMaxListingBytes = 16 * 1024 * 1024;
    Outcome<std::string> out;
    const std::string url_text = listing_url(subreddit);
    const auto url = parse_http_url(url_text);
    if (!url) {
        out.problem =
            make_source_problem(Kind::config, subreddit.name, url_text, "not a valid listing URL");
        return out;
    }
    std::chrono::milliseconds quiet{0};
    {
        std::lock_guard lock(budget_mutex_);
        if (quiet_until_)
            quiet = std::chrono::ceil<std::chrono::milliseconds>(*quiet_until_ - Clock::now());
    }
    if (quiet > std::chrono::milliseconds(0)) {
        // Reddit said (x-ratelimit-remaining 0) that requests before the reset would be
        // refused: wait for it, or report it without spending a request.
        if (quiet > config_.max_retry_after) {
            out.problem = make_source_problem(
                Kind::rate_limited, subreddit.name, url_text,
                fmt::format("Reddit's request budget is spent for another {} s "
                            "(x-ratelimit-remaining 0), more than max_retry_after_s {}",
                            std::chrono::ceil<std::chrono::seconds>(quiet).count(),
                            config_.max_retry_after.count()));
            return out;
        }
        memegen::log_info("Reddit: request budget spent; waiting {} ms for r/{}", quiet.count(),
                          subreddit.name);
        if (!net::sleep_for(quiet, stop)) {
            out.problem =
                make_source_problem(Kind::cancelled, subreddit.name, url_text,
                                    "stop requested while waiting for Reddit's rate limit reset");
            return out;
        }
    }
    std::string body;
    out.problem = run_with_retries(
        config_, subreddit.name, *url, 0, stop, out.attempts,
        [&](const HttpUrl& target) -> AttemptResult {
            body.clear();
            auto client = make_client(config_, target);
            int status = 0;
            httplib::Headers headers;
            bool too_big = false;
            const auto started = Clock::now();
            auto result = net::send_stoppable(*client, stop, [&] {
                return client->Get(
                    target.target, request_headers(config_, "application/json"),
                    [&](const httplib::Response& response) {
                        status = response.status;
                        headers = response.headers;
                        return status == 200;  // the body of an error answer is not needed
                    },
                    [&](const char* data, std::size_t size) {
                        if (body.size() + size > kMaxListingBytes) {
                            too_big = true;
                            return false;
                        }
                        body.append(data, size);
                        return true;
                    });
            });
            if (stop.stop_requested()) {
                AttemptResult r;
                r.status = status;
                r.problem = make_source_problem(Kind::cancelled, subreddit.name, target.to_string(),
                                                "stop requested during the request");
                return r;
            }
            if (status != 0 && status != 200) {
                if (status >= 300 && status < 400) {
                    AttemptResult r;
                    r.status = status;
                    const auto it = headers.find("Location");
                    r.problem = make_source_problem(
                        Kind::redirect, subreddit.name, target.to_string(),
                        fmt::format("{} to {} (the subreddit may not exist, or be private or "
                                    "banned)",
                                    status_text(status),
                                    it == headers.end() ? "(no Location)" : it->second));
                    return r;
                }
                return status_failure(status, headers, subreddit.name, target, true);
            }
            if (too_big) {
                AttemptResult r;
                r.status = status;
                r.problem = make_source_problem(
                    Kind::bad_shape, subreddit.name, target.to_string(),
                    fmt::format("the listing is larger than {} bytes", kMaxListingBytes));
                return r;
            }
            if (!result) {
                auto r = transport_failure(result.error(), Clock::now() - started,
                                           config_.read_timeout, subreddit.name, target);
                r.status = status;
                return r;
            }
            if (const auto wait = spent_budget_wait(headers)) {
                std::lock_guard lock(budget_mutex_);
                quiet_until_ = Clock::now() + *wait;
            }
            AttemptResult r;
            r.status = status;
            return r;
        });
    if (!out.problem)
        out.value = std::move(body);
    return out;
}

Outcome<DownloadedMedia> RedditClient::download(std::string_view url_text,
                                                const fs::path& directory, std::string_view stem,
                                                std::stop_token stop) const {
    Outcome<DownloadedMedia> out;
    const std::string subreddit;  // the caller adds it to the problem
    const auto url = parse_http_url(url_text);
    if (!url) {
        out.problem =
            make_source_problem(Kind::not_media, subreddit, url_text, "not an http(s) URL");
        return out;
    }
    if (stem.empty() || stem.find('/') != std::string_view::npos || stem == "." || stem == "..") {
        throw std::invalid_argument(fmt::format("download: stem '{}' is not a file name", stem));
    }
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec) {
        out.problem =
            make_source_problem(Kind::io, subreddit, directory.string(),
                                fmt::format("cannot create the cache directory: {}", ec.message()));
        return out;
    }
    const fs::path partial =
        directory / fmt::format(".{}.part-{}-{}", stem, ::getpid(), temp_counter++);
    const std::uint64_t cap = config_.max_download_bytes;
    DownloadedMedia media;

    out.problem = run_with_retries(
        config_, subreddit, *url, 3, stop, out.attempts,
        [&](const HttpUrl& target) -> AttemptResult {
            auto client = make_client(config_, target);
            std::ofstream file;
            int status = 0;
            httplib::Headers headers;
            std::string head;  // the first bytes, for the signature
            std::uint64_t written = 0;
            std::optional<SourceProblem> refused;  // our own reason to cancel
            bool write_failed = false;
            const auto refuse = [&](Kind kind, std::string message) {
                refused =
                    make_source_problem(kind, subreddit, target.to_string(), std::move(message));
                return false;
            };
            const auto write = [&](const char* data, std::size_t size) {
                if (!file.is_open()) {
                    file.open(partial, std::ios::binary | std::ios::trunc);
                    if (!file) {
                        write_failed = true;
                        return false;
                    }
                }
                file.write(data, static_cast<std::streamsize>(size));
                if (!file) {
                    write_failed = true;
                    return false;
                }
                return true;
            };
            const auto started = Clock::now();
            auto result = net::send_stoppable(*client, stop, [&] {
                return client->Get(
                    target.target, request_headers(config_, "image/*,video/*,*/*;q=0.5"),
                    [&](const httplib::Response& response) {
                        status = response.status;
                        headers = response.headers;
                        if (status != 200)
                            return false;
                        const std::string type = content_type_of(response);
                        if (type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
                            type.find("xml") != std::string::npos) {
                            return refuse(Kind::not_media,
                                          fmt::format("answered Content-Type {} instead of an "
                                                      "image or video (an error or login page, "
                                                      "or a removed post)",
                                                      type));
                        }
                        if (response.has_header("Content-Length")) {
                            const auto length =
                                response.get_header_value<std::uint64_t>("Content-Length");
                            if (length > cap) {
                                return refuse(Kind::too_large,
                                              fmt::format("Content-Length {} bytes is above "
                                                          "max_download_mb ({} bytes)",
                                                          length, cap));
                            }
                        }
                        return true;
                    },
                    [&](const char* data, std::size_t size) {
                        written += size;
                        if (written > cap) {
                            return refuse(Kind::too_large,
                                          fmt::format("more than max_download_mb ({} bytes) "
                                                      "arrived",
                                                      cap));
                        }
                        if (head.size() < kSniffBytes) {
                            const std::size_t take = std::min(size, kSniffBytes - head.size());
                            head.append(data, take);
                            if (head.size() == kSniffBytes) {
                                media.format = sniff_media_format(head);
                                if (media.format == MediaFormat::unknown) {
                                    return refuse(Kind::not_media,
                                                  "the bytes are not PNG, JPEG, GIF, WebP, MP4 "
                                                  "or WebM");
                                }
                            }
                        }
                        return write(data, size);
                    });
            });
            file.close();
            const auto failed = [&](AttemptResult r) {
                fs::remove(partial, ec);
                return r;
            };
            AttemptResult r;
            r.status = status;
            if (stop.stop_requested()) {
                r.problem = make_source_problem(Kind::cancelled, subreddit, target.to_string(),
                                                "stop requested during the download");
                return failed(r);
            }
            if (refused) {
                r.problem = std::move(refused);
                return failed(r);
            }
            if (write_failed) {
                r.problem =
                    make_source_problem(Kind::io, subreddit, partial.string(),
                                        "cannot write the download into the cache directory");
                return failed(r);
            }
            if (status >= 300 && status < 400) {
                const auto it = headers.find("Location");
                const auto next =
                    it == headers.end() ? std::nullopt : resolve_location(target, it->second);
                if (!next) {
                    r.problem = make_source_problem(
                        Kind::redirect, subreddit, target.to_string(),
                        fmt::format("{} without a usable Location", status_text(status)));
                } else if (next->path() == "/removed.png") {
                    r.problem =
                        make_source_problem(Kind::http_status, subreddit, target.to_string(),
                                            "redirected to removed.png (the image was deleted)");
                } else if ((!next->https && !allow_http_) ||
                           std::find(config_.media_hosts.begin(), config_.media_hosts.end(),
                                     next->host) == config_.media_hosts.end()) {
                    r.problem = make_source_problem(
                        Kind::redirect, subreddit, target.to_string(),
                        fmt::format("redirect to {} leaves the allowed media hosts or "
                                    "https",
                                    next->to_string()));
                } else {
                    r.redirect_to = next;
                }
                return failed(r);
            }
            if (status != 0 && status != 200)
                return failed(status_failure(status, headers, subreddit, target, false));
            if (!result) {
                auto t = transport_failure(result.error(), Clock::now() - started,
                                           config_.read_timeout, subreddit, target);
                t.status = status;
                return failed(t);
            }
            if (head.size() < kSniffBytes) {
                media.format = sniff_media_format(head);
                if (media.format == MediaFormat::unknown) {
                    r.problem = make_source_problem(
                        Kind::not_media, subreddit, target.to_string(),
                        fmt::format("only {} bytes, not an image or video", written));
                    return failed(r);
                }
            }
            media.bytes = written;
            media.final_url = target.to_string();
            return r;
        });
    if (out.problem) {
        fs::remove(partial, ec);
        return out;
    }
    media.path = directory / (std::string(stem) + std::string(extension_of(media.format)));
    fs::rename(partial, media.path, ec);
    if (ec) {
        const std::string cause = ec.message();
        fs::remove(partial, ec);
        out.problem =
            make_source_problem(Kind::io, subreddit, media.path.string(),
                                fmt::format("cannot move the download into place: {}", cause));
        return out;
    }
    out.value = std::move(media);
    return out;
}

}  // namespace memegen::bot
