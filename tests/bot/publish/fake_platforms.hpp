#pragma once
/// \file fake_platforms.hpp
/// Fake Google (OAuth 2.0 device flow, token refresh and revocation, YouTube Data API v3
/// resumable upload and thumbnails.set) and fake X (v2 chunked media upload, processing status,
/// posts), as real cpp-httplib servers on 127.0.0.1, answering as the published protocols say,
/// including their errors. Scripted faults make one request misbehave; everything received is
/// recorded.

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::test {

/// A cpp-httplib server on a free loopback port, listening from construction to destruction.
class LoopbackServer {
  public:
    LoopbackServer();
    virtual ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;
    [[nodiscard]] std::string base_url() const;

  protected:
    void start();  ///< call at the end of the derived constructor, after the routes
    httplib::Server server_;
    mutable std::mutex mutex_;

  private:
    int port_ = 0;
    std::thread thread_;
};

/// Google's OAuth endpoints and the YouTube upload endpoint on one server.
class FakeGoogle : public LoopbackServer {
  public:
    FakeGoogle();
    ~FakeGoogle() override;

    // ---- OAuth ----
    /// What successive device-flow polls answer: "authorization_pending", "slow_down",
    /// "access_denied", "expired_token" or "ok" (tokens). The last one repeats.
    void script_device_polls(std::vector<std::string> answers);
    int device_interval = 1;  ///< the interval the device endpoint announces (protocol s)
    /// Times of the device-flow polls, in arrival order.
    [[nodiscard]] std::vector<std::chrono::steady_clock::time_point> poll_times() const;
    /// Makes the current access token invalid: the API answers 401 until a refresh.
    void expire_access_tokens();
    [[nodiscard]] int refreshes() const;
    [[nodiscard]] std::vector<std::string> revoked() const;
    std::string refresh_token = "1//fake-refresh-token";
    std::string client_secret = "fake-client-secret";

    // ---- YouTube ----
    /// The next initiation answers 403 with this reason ("quotaExceeded").
    void forbid_next_init(std::string reason);
    /// The next chunk PUT keeps only `keep` bytes of its chunk and drops the connection.
    void drop_next_chunk(std::size_t keep);
    /// The next `n` chunk PUTs answer 503 and store nothing.
    void fail_next_chunks(int n);
    /// From now on chunk PUTs wait, received but unanswered (an upload in flight), until
    /// release_chunks(); held_chunks() says how many wait.
    void hold_chunks();
    void release_chunks();
    [[nodiscard]] int held_chunks() const;
    [[nodiscard]] int init_requests() const;
    [[nodiscard]] std::size_t sessions() const;
    /// Bytes the session `n` (0-based) received, and whether it became a video.
    [[nodiscard]] std::string session_bytes(std::size_t n) const;
    [[nodiscard]] nlohmann::json session_resource(std::size_t n) const;
    [[nodiscard]] std::map<std::string, std::string> session_headers(std::size_t n) const;
    [[nodiscard]] int status_queries() const;

    /// One thumbnails.set request that was accepted.
    struct Thumbnail {
        std::string video_id;
        std::string content_type;
        std::string bytes;
    };
    /// The next thumbnails.set answers 403 with this reason ("forbidden": the channel may not
    /// set custom thumbnails).
    void forbid_next_thumbnail(std::string reason = "forbidden");
    /// The next `n` thumbnails.set requests answer 500 backendError.
    void fail_next_thumbnails(int n);
    [[nodiscard]] std::vector<Thumbnail> thumbnails() const;  ///< accepted, in order
    [[nodiscard]] int thumbnail_requests() const;             ///< every one, refused ones too

  private:
    struct Session {
        nlohmann::json resource;
        std::map<std::string, std::string> headers;
        std::size_t total = 0;
        std::string bytes;
    };
    bool authorized(const httplib::Request& req, httplib::Response& res);
    std::deque<std::string> polls_;
    std::vector<std::chrono::steady_clock::time_point> poll_times_;
    int token_generation_ = 0;
    int refreshes_ = 0;
    std::vector<std::string> revoked_;
    std::string forbid_reason_;
    std::size_t drop_keep_ = 0;
    bool drop_next_ = false;
    int fail_chunks_ = 0;
    bool holding_ = false;
    int held_ = 0;
    std::condition_variable released_;
    int init_requests_ = 0;
    int status_queries_ = 0;
    std::vector<Session> sessions_;
    std::string forbid_thumbnail_reason_;
    int fail_thumbnails_ = 0;
    int thumbnail_requests_ = 0;
    std::vector<Thumbnail> thumbnails_;
};

/// X's v2 media upload and post endpoints; checks every OAuth 1.0a signature.
class FakeX : public LoopbackServer {
  public:
    FakeX();
    std::string consumer_key = "ck-fake", consumer_secret = "cs-fake", access_token = "at-fake",
                access_token_secret = "ats-fake";
    /// STATUS answers these states in turn after FINALIZE's "pending"; the last repeats.
    std::vector<std::string> processing_states = {"in_progress", "succeeded"};
    /// The next `count` POST /2/tweets answer 429 with x-rate-limit-reset `seconds` from now
    /// (a negative `seconds`: without that header, as a proxy in front of X may answer).
    void rate_limit_next_post(int seconds, int count = 1);

    [[nodiscard]] std::string media_bytes() const;
    [[nodiscard]] nlohmann::json init_body() const;
    [[nodiscard]] std::vector<nlohmann::json> posts() const;
    [[nodiscard]] int post_requests() const;
    [[nodiscard]] int status_requests() const;
    [[nodiscard]] int bad_signatures() const;
    [[nodiscard]] std::vector<int> segments() const;

  private:
    bool signed_ok(const httplib::Request& req);
    std::map<int, std::string> chunks_;
    std::vector<int> segments_;
    nlohmann::json init_body_;
    std::vector<nlohmann::json> posts_;
    int post_requests_ = 0;
    int status_requests_ = 0;
    int bad_signatures_ = 0;
    int rate_limit_seconds_ = 0;
    int rate_limited_posts_ = 0;
};

}  // namespace memegen::test
