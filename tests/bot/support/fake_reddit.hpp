#pragma once
/// \file fake_reddit.hpp
/// A fake Reddit on 127.0.0.1 for tests: subreddit listings in Reddit's real JSON shape
/// (GET /r/<name>/<sort>.json), media files, redirects, and scripted faults (garbage JSON,
/// an unexpected shape, a slow answer, 429 with Retry-After / x-ratelimit-reset, 5xx, an
/// HTML page where media should be, 404). It records every request (path, query, the
/// User-Agent) so tests can assert on what the client sent.
///
/// Typical use:
///   FakeReddit reddit;
///   reddit.install_sample("memes", media);           // a realistic listing + its files
///   config.base_url = reddit.base_url();
///   config.media_hosts = {"127.0.0.1"};
///   reddit.fail_next("/r/memes/hot.json", 1, RedditFault::rate_limit(1));
///   ... fetch ...
///   CHECK(reddit.request_count("/r/memes/hot.json") == 2);

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::test {

/// One request the fake received.
struct RedditRequest {
    std::string path;        ///< "/r/memes/hot.json"
    std::string query;       ///< "limit=50&raw_json=1" (parameters sorted by name)
    std::string user_agent;  ///< the User-Agent header as sent
    std::string accept;      ///< the Accept header as sent
    int status = 0;          ///< the status answered (0 while the handler runs)
};

/// A scripted answer that replaces the normal one for a path.
struct RedditFault {
    /// What the fake does instead.
    enum class Kind {
        garbage_json,      ///< 200 application/json with a truncated, unparsable body
        unexpected_shape,  ///< 200 JSON in another shape: {"kind": "Listing", "data": []}
        slow,              ///< waits `delay`, then answers normally
        rate_limit,        ///< 429 with Retry-After and/or x-ratelimit-reset
        server_error,      ///< 500 with an HTML body (as Reddit's CDN does)
        html_page,         ///< 200 text/html: a login/interstitial page
        not_found,         ///< 404 {"message": "Not Found", "error": 404}
    };
    Kind kind = Kind::server_error;
    std::chrono::milliseconds delay{0};  ///< slow
    int retry_after_s = 1;               ///< rate_limit: Retry-After value; < 0 leaves it out
    int ratelimit_reset_s = -1;          ///< rate_limit: x-ratelimit-reset; < 0 leaves it out

    /// A fault of `kind` with default knobs.
    static RedditFault of(Kind kind) {
        RedditFault f;
        f.kind = kind;
        return f;
    }
    /// 429 with "Retry-After: <retry_after_s>" and, if >= 0, x-ratelimit-reset.
    static RedditFault rate_limit(int retry_after_s, int ratelimit_reset_s = -1) {
        RedditFault f = of(Kind::rate_limit);
        f.retry_after_s = retry_after_s;
        f.ratelimit_reset_s = ratelimit_reset_s;
        return f;
    }
    /// Answers normally after `delay` (a timeout when it exceeds the client's read timeout).
    static RedditFault slow(std::chrono::milliseconds delay) {
        RedditFault f = of(Kind::slow);
        f.delay = delay;
        return f;
    }
};

/// Files for install_sample(); empty ones are not served (their URLs answer 404).
struct SampleMedia {
    std::string png;  ///< served as the i.redd.it PNG post's image
    std::string jpg;  ///< the JPEG post's image
    std::string gif;  ///< the GIF post's image
    std::string mp4;  ///< the imgur .gifv post's .mp4 and the v.redd.it fallback video
};

/// The fake server; listens from construction until stop() or destruction.
class FakeReddit {
  public:
    /// Starts listening on 127.0.0.1 with a free port; throws std::runtime_error.
    FakeReddit();
    FakeReddit(const FakeReddit&) = delete;
    FakeReddit& operator=(const FakeReddit&) = delete;
    /// Stops the server (slow answers are released at once).
    ~FakeReddit();

    /// Stops listening; idempotent.
    void stop();

    /// "http://127.0.0.1:<port>".
    [[nodiscard]] std::string base_url() const;
    /// base_url() + `path`.
    [[nodiscard]] std::string url(std::string_view path) const;

    /// Serves `listing` at /r/<subreddit>/<any sort>.json.
    void set_listing(const std::string& subreddit, nlohmann::json listing);
    /// Serves `bytes` at `path` with `content_type`; `chunked` leaves out Content-Length
    /// (the client must enforce its size cap while streaming).
    void add_media(const std::string& path, std::string bytes, std::string content_type,
                   bool chunked = false);
    /// Answers `path` with a redirect to `location`.
    void add_redirect(const std::string& path, const std::string& location, int status = 302);
    /// The x-ratelimit-remaining and x-ratelimit-reset headers of listing answers
    /// (default "95.0" and "420": plenty left).
    void set_rate_limit_headers(std::string remaining, std::string reset);
    /// The next `count` requests of `path` get `fault` instead of the normal answer.
    void fail_next(const std::string& path, int count, RedditFault fault);

    /// Every request so far, in arrival order.
    [[nodiscard]] std::vector<RedditRequest> requests() const;
    /// How many requests of exactly `path` arrived.
    [[nodiscard]] std::size_t request_count(std::string_view path) const;

    // ---- Realistic content ----

    /// A listing of `subreddit` in Reddit's shape whose media URLs point at this server:
    ///   s<sub>0 stickied image, i<sub>1 PNG (i.redd.it), self post, gallery, NSFW image,
    ///   JPEG, GIF (with preview variants), imgur .gifv (-> .mp4), v.redd.it video
    ///   (media.reddit_video.fallback_url), YouTube embed (rich:video), news article link.
    /// The ids and media paths are listed by sample_post_ids()/sample_media_path().
    [[nodiscard]] nlohmann::json sample_listing(const std::string& subreddit) const;
    /// Sets sample_listing(subreddit) and serves `media` at its media paths.
    void install_sample(const std::string& subreddit, const SampleMedia& media);
    /// The post id of sample post `role` ("sticky", "png", "self", "gallery", "nsfw", "jpg",
    /// "gif", "gifv", "video", "youtube", "article") of `subreddit`.
    [[nodiscard]] static std::string sample_post_id(const std::string& subreddit,
                                                    std::string_view role);
    /// The permalink Reddit would give that post, absolute ("https://www.reddit.com/r/...").
    [[nodiscard]] static std::string sample_permalink(const std::string& subreddit,
                                                      std::string_view role);
    /// The path on this server where sample post `role` has its media ("/i/memes/pngid.png").
    [[nodiscard]] static std::string sample_media_path(const std::string& subreddit,
                                                       std::string_view role);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace memegen::test
