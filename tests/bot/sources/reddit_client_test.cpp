// RedditClient against the fake Reddit on loopback: the request it sends (path, query,
// User-Agent), the retry policy (429 with Retry-After / x-ratelimit-reset, 5xx, timeouts) as
// reported attempts and waits, and capped, checked downloads.

#include <doctest/doctest.h>

#include <thread>

#include "fake_reddit.hpp"
#include "sources/reddit_client.hpp"
#include "sources_test_helpers.hpp"

using memegen::bot::MediaFormat;
using memegen::bot::RedditClient;
using memegen::bot::SourceProblemKind;
using memegen::bot::SubredditSource;
using memegen::test::demo_media;
using memegen::test::FakeReddit;
using memegen::test::fast_config;
using memegen::test::kTestUserAgent;
using memegen::test::partial_files;
using memegen::test::read_bytes;
using memegen::test::RedditFault;
using memegen::test::TempDir;
using Fault = RedditFault::Kind;
using namespace std::chrono_literals;

namespace {

SubredditSource memes() {
    SubredditSource s;
    s.name = "memes";
    return s;
}

constexpr const char* kHot = "/r/memes/hot.json";

}  // namespace

TEST_CASE("a listing request sends the configured User-Agent, path and query") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    SUBCASE("hot with a limit") {
        auto s = memes();
        s.limit = 25;
        const auto r = client.get_listing(s);
        REQUIRE(r.ok());
        CHECK(r.value->find("\"Listing\"") != std::string::npos);
        REQUIRE(reddit.requests().size() == 1);
        const auto req = reddit.requests()[0];
        CHECK(req.path == kHot);
        CHECK(req.query == "limit=25&raw_json=1");
        CHECK(req.user_agent == kTestUserAgent);
        CHECK(req.accept == "application/json");
        REQUIRE(r.attempts.size() == 1);
        CHECK(r.attempts[0].status == 200);
        CHECK(r.attempts[0].url == reddit.base_url() + "/r/memes/hot.json?limit=25&raw_json=1");
    }
    SUBCASE("top of the week") {
        auto s = memes();
        s.sort = "top";
        s.time = "week";
        REQUIRE(client.get_listing(s).ok());
        CHECK(reddit.requests().at(0).path == "/r/memes/top.json");
        CHECK(reddit.requests().at(0).query == "limit=50&raw_json=1&t=week");
    }
}

TEST_CASE("a 429 with Retry-After is waited out, then the listing arrives") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.fail_next(kHot, 1, RedditFault::rate_limit(1));
    const auto r = client.get_listing(memes());
    REQUIRE(r.ok());
    CHECK(reddit.request_count(kHot) == 2);
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[0].status == 429);
    CHECK(r.attempts[0].wait_before_next == 1000ms);  // Retry-After: 1, not the 10 ms backoff
    CHECK(r.attempts[0].note.find("HTTP 429 Too Many Requests") != std::string::npos);
    CHECK(r.attempts[1].status == 200);
    CHECK(r.attempts[1].wait_before_next == 0ms);
}

TEST_CASE("without Retry-After a 429 waits for x-ratelimit-reset") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.fail_next(kHot, 1, RedditFault::rate_limit(-1, 0));
    const auto r = client.get_listing(memes());
    REQUIRE(r.ok());
    REQUIRE(r.attempts.size() == 2);
    CHECK(r.attempts[0].wait_before_next == 0ms);  // reset: 0 s, not the 10 ms backoff
}

TEST_CASE("a 429 asking for more than max_retry_after is reported at once") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    auto config = fast_config(reddit, {"memes"});
    config.max_retry_after = 60s;
    RedditClient client(config);
    reddit.fail_next(kHot, 1, RedditFault::rate_limit(3600));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(reddit.request_count(kHot) == 1);
    CHECK(r.problem->kind == SourceProblemKind::rate_limited);
    CHECK(r.problem->subreddit == "memes");
    CHECK(r.problem->message.find("asks to wait 3600 s, more than max_retry_after_s 60") !=
          std::string::npos);
}

TEST_CASE("429s on every attempt end as rate_limited after max_attempts") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    auto config = fast_config(reddit, {"memes"});
    config.max_attempts = 2;
    RedditClient client(config);
    reddit.fail_next(kHot, 5, RedditFault::rate_limit(0));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(reddit.request_count(kHot) == 2);
    CHECK(r.problem->kind == SourceProblemKind::rate_limited);
    CHECK(r.problem->message.find("(after 2 attempts)") != std::string::npos);
}

TEST_CASE("5xx answers back off, doubling, and succeed when the server recovers") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.fail_next(kHot, 2, RedditFault::of(Fault::server_error));
    const auto r = client.get_listing(memes());
    REQUIRE(r.ok());
    CHECK(reddit.request_count(kHot) == 3);
    REQUIRE(r.attempts.size() == 3);
    CHECK(r.attempts[0].status == 500);
    CHECK(r.attempts[0].wait_before_next == 10ms);
    CHECK(r.attempts[1].wait_before_next == 20ms);
    CHECK(r.attempts[2].status == 200);
}

TEST_CASE("5xx on every attempt is an http_status problem after max_attempts requests") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.fail_next(kHot, 10, RedditFault::of(Fault::server_error));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(reddit.request_count(kHot) == 3);
    CHECK(r.attempts.size() == 3);
    CHECK(r.problem->kind == SourceProblemKind::http_status);
    CHECK(r.problem->to_string() ==
          "[reddit.http_status] r/memes: " + reddit.base_url() +
              "/r/memes/hot.json?limit=50&raw_json=1: HTTP 500 Internal Server Error (after 3 "
              "attempts)");
}

TEST_CASE("a listing slower than the read timeout is a timeout problem, retried") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    auto config = fast_config(reddit, {"memes"});
    config.read_timeout = 300ms;
    config.max_attempts = 2;
    RedditClient client(config);
    reddit.fail_next(kHot, 2, RedditFault::slow(5s));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(reddit.request_count(kHot) == 2);
    CHECK(r.problem->kind == SourceProblemKind::timeout);
    CHECK(r.problem->message.find("read timeout") != std::string::npos);
    CHECK(r.attempts[0].status == 0);
}

TEST_CASE("a spent rate-limit budget (x-ratelimit-remaining 0) holds the next listing back") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    auto config = fast_config(reddit, {"memes"});
    config.max_retry_after = 60s;
    RedditClient client(config);
    SUBCASE("a reset beyond max_retry_after is reported without a request") {
        reddit.set_rate_limit_headers("0.0", "3600");
        REQUIRE(client.get_listing(memes()).ok());
        const auto r = client.get_listing(memes());
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::rate_limited);
        CHECK(r.problem->message.find("budget is spent for another 3600 s") != std::string::npos);
        CHECK(r.attempts.empty());
        CHECK(reddit.request_count(kHot) == 1);
    }
    SUBCASE("a reset that has passed lets the request go") {
        reddit.set_rate_limit_headers("0.0", "0");
        REQUIRE(client.get_listing(memes()).ok());
        REQUIRE(client.get_listing(memes()).ok());
        CHECK(reddit.request_count(kHot) == 2);
    }
    SUBCASE("budget left: no wait") {
        reddit.set_rate_limit_headers("3.0", "3600");
        REQUIRE(client.get_listing(memes()).ok());
        REQUIRE(client.get_listing(memes()).ok());
        CHECK(reddit.request_count(kHot) == 2);
    }
}

TEST_CASE("a missing subreddit (404) is not retried") {
    FakeReddit reddit;
    RedditClient client(fast_config(reddit, {"memes"}));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(reddit.request_count(kHot) == 1);
    CHECK(r.problem->kind == SourceProblemKind::http_status);
    CHECK(r.problem->message == "HTTP 404 Not Found (a banned or missing subreddit)");
}

TEST_CASE("a listing redirect is reported, not followed") {
    FakeReddit reddit;
    reddit.add_redirect(kHot, "/subreddits/search.json?q=memes");
    RedditClient client(fast_config(reddit, {"memes"}));
    const auto r = client.get_listing(memes());
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem->kind == SourceProblemKind::redirect);
    CHECK(r.problem->message.find("to /subreddits/search.json?q=memes") != std::string::npos);
    CHECK(reddit.request_count("/subreddits/search.json") == 0);
}

TEST_CASE("a stop request before or during a listing request cancels it") {
    FakeReddit reddit;
    reddit.install_sample("memes", {});
    RedditClient client(fast_config(reddit, {"memes"}));
    SUBCASE("before") {
        std::stop_source stop;
        stop.request_stop();
        const auto r = client.get_listing(memes(), stop.get_token());
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::cancelled);
        CHECK(reddit.request_count(kHot) == 0);
    }
    SUBCASE("while waiting for a slow answer") {
        reddit.fail_next(kHot, 1, RedditFault::slow(30s));
        std::stop_source stop;
        std::jthread stopper([&] {
            while (reddit.request_count(kHot) == 0)
                std::this_thread::sleep_for(5ms);
            stop.request_stop();
        });
        const auto r = client.get_listing(memes(), stop.get_token());
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::cancelled);
        CHECK(reddit.request_count(kHot) == 1);
    }
}

TEST_CASE("a download arrives whole, named by its real format, with no temporary left") {
    FakeReddit reddit;
    const auto media = demo_media();
    TempDir dir;
    RedditClient client(fast_config(reddit, {"memes"}));
    SUBCASE("PNG") {
        reddit.add_media("/i/a.png", media.png, "image/png");
        const auto r =
            client.download(reddit.url("/i/a.png"), dir.path() / "cache", "reddit_memes_a");
        REQUIRE(r.ok());
        CHECK(r.value->path == dir.path() / "cache" / "reddit_memes_a.png");
        CHECK(r.value->format == MediaFormat::png);
        CHECK(r.value->bytes == media.png.size());
        CHECK(r.value->final_url == reddit.url("/i/a.png"));
        CHECK(read_bytes(r.value->path) == media.png);
        CHECK(reddit.requests().at(0).user_agent == kTestUserAgent);
    }
    SUBCASE("a JPEG served at a .png URL becomes .jpg") {
        reddit.add_media("/i/b.png", media.jpg, "image/png");
        const auto r = client.download(reddit.url("/i/b.png"), dir.path(), "b");
        REQUIRE(r.ok());
        CHECK(r.value->path.filename() == "b.jpg");
        CHECK(read_bytes(r.value->path) == media.jpg);
    }
    SUBCASE("an MP4 streamed without Content-Length") {
        reddit.add_media("/v/c/DASH_480.mp4", media.mp4, "video/mp4", /*chunked=*/true);
        const auto r =
            client.download(reddit.url("/v/c/DASH_480.mp4?source=fallback"), dir.path(), "c");
        REQUIRE(r.ok());
        CHECK(r.value->format == MediaFormat::mp4);
        CHECK(read_bytes(r.value->path) == media.mp4);
    }
    CHECK(partial_files(dir.path()) == 0);
    CHECK(partial_files(dir.path() / "cache") == 0);
}

TEST_CASE("media that is not media is refused and leaves no file") {
    FakeReddit reddit;
    const auto media = demo_media();
    TempDir dir;
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.add_media("/i/a.png", media.png, "image/png");
    SUBCASE("an HTML page (text/html)") {
        reddit.fail_next("/i/a.png", 1, RedditFault::of(Fault::html_page));
        const auto r = client.download(reddit.url("/i/a.png"), dir.path(), "a");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::not_media);
        CHECK(r.problem->url == reddit.url("/i/a.png"));
        CHECK(r.problem->message.find("Content-Type text/html") != std::string::npos);
        CHECK(reddit.request_count("/i/a.png") == 1);  // not retried
    }
    SUBCASE("HTML bytes sent as image/png") {
        reddit.add_media("/i/fake.png", "<html><body>removed</body></html>", "image/png");
        const auto r = client.download(reddit.url("/i/fake.png"), dir.path(), "fake");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::not_media);
        CHECK(r.problem->message == "the bytes are not PNG, JPEG, GIF, WebP, MP4 or WebM");
    }
    SUBCASE("a tiny body") {
        reddit.add_media("/i/tiny.gif", "GIF", "image/gif");
        const auto r = client.download(reddit.url("/i/tiny.gif"), dir.path(), "tiny");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::not_media);
        CHECK(r.problem->message == "only 3 bytes, not an image or video");
    }
    SUBCASE("a deleted file (404) is not retried") {
        const auto r = client.download(reddit.url("/i/gone.png"), dir.path(), "gone");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::http_status);
        CHECK(r.problem->message == "HTTP 404 Not Found (the media was deleted)");
        CHECK(reddit.request_count("/i/gone.png") == 1);
    }
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("a download above max_download_mb is refused, by Content-Length or while streaming") {
    FakeReddit reddit;
    const auto media = demo_media();  // the PNG is 227 kB
    TempDir dir;
    auto config = fast_config(reddit, {"memes"});
    config.max_download_bytes = 100 * 1024;
    RedditClient client(config);
    SUBCASE("Content-Length") {
        reddit.add_media("/i/big.png", media.png, "image/png");
        const auto r = client.download(reddit.url("/i/big.png"), dir.path(), "big");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::too_large);
        CHECK(r.problem->message.find("Content-Length " + std::to_string(media.png.size())) !=
              std::string::npos);
    }
    SUBCASE("chunked, no Content-Length") {
        reddit.add_media("/i/big.png", media.png, "image/png", /*chunked=*/true);
        const auto r = client.download(reddit.url("/i/big.png"), dir.path(), "big");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::too_large);
        CHECK(r.problem->message == "more than max_download_mb (102400 bytes) arrived");
    }
    CHECK(reddit.request_count("/i/big.png") == 1);
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("media redirects are followed on allowed hosts only") {
    FakeReddit reddit;
    const auto media = demo_media();
    TempDir dir;
    RedditClient client(fast_config(reddit, {"memes"}));
    reddit.add_media("/i/real.gif", media.gif, "image/gif");
    SUBCASE("to another path of an allowed host") {
        reddit.add_redirect("/i/moved.gif", "/i/real.gif", 301);
        const auto r = client.download(reddit.url("/i/moved.gif"), dir.path(), "moved");
        REQUIRE(r.ok());
        CHECK(read_bytes(r.value->path) == media.gif);
        CHECK(r.value->final_url == reddit.url("/i/real.gif"));
        REQUIRE(r.attempts.size() == 2);
        CHECK(r.attempts[0].status == 301);
        CHECK(r.attempts[0].note == "redirect to " + reddit.url("/i/real.gif"));
    }
    SUBCASE("to a host that is not in media_hosts") {
        const std::string elsewhere =
            "http://localhost:" + reddit.base_url().substr(reddit.base_url().rfind(':') + 1) +
            "/i/real.gif";
        reddit.add_redirect("/i/away.gif", elsewhere);
        const auto r = client.download(reddit.url("/i/away.gif"), dir.path(), "away");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::redirect);
        CHECK(r.problem->message.find("leaves the allowed media hosts") != std::string::npos);
        CHECK(reddit.request_count("/i/real.gif") == 0);
    }
    SUBCASE("imgur's removed.png") {
        reddit.add_redirect("/i/deleted.png", "/removed.png");
        const auto r = client.download(reddit.url("/i/deleted.png"), dir.path(), "deleted");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::http_status);
        CHECK(r.problem->message == "redirected to removed.png (the image was deleted)");
    }
    SUBCASE("a loop") {
        reddit.add_redirect("/i/loop1.gif", "/i/loop2.gif");
        reddit.add_redirect("/i/loop2.gif", "/i/loop1.gif");
        const auto r = client.download(reddit.url("/i/loop1.gif"), dir.path(), "loop");
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::redirect);
        CHECK(r.problem->message == "more than 3 redirects");
        CHECK(reddit.requests().size() == 4);
    }
}

TEST_CASE("a cache directory that cannot be created is an io problem") {
    FakeReddit reddit;
    TempDir dir;
    memegen::test::write_text(dir.path() / "file", "x");
    RedditClient client(fast_config(reddit, {"memes"}));
    const auto r = client.download(reddit.url("/i/a.png"), dir.path() / "file" / "sub", "a");
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem->kind == SourceProblemKind::io);
    CHECK(r.problem->message.find("cannot create the cache directory") != std::string::npos);
    CHECK(reddit.requests().empty());
}
