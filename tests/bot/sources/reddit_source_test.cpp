// RedditSource::fetch_one against the fake Reddit: a good page gives a downloaded file with
// the served bytes and its permalink; used permalinks, NSFW, broken media, bad listings,
// timeouts and rate limits end as skipped posts or problems, never as exceptions.

#include <doctest/doctest.h>

#include <set>

#include "fake_reddit.hpp"
#include "sources/reddit_source.hpp"
#include "sources_test_helpers.hpp"

using memegen::bot::FetchResult;
using memegen::bot::MediaFormat;
using memegen::bot::RedditMediaKind;
using memegen::bot::RedditSource;
using memegen::bot::SourceProblemKind;
using memegen::test::demo_media;
using memegen::test::FakeReddit;
using memegen::test::fast_config;
using memegen::test::kTestUserAgent;
using memegen::test::LogCapture;
using memegen::test::partial_files;
using memegen::test::read_bytes;
using memegen::test::RedditFault;
using memegen::test::TempDir;
using Fault = RedditFault::Kind;
using namespace std::chrono_literals;

namespace {

std::string permalink(const char* role, const std::string& sub = "memes") {
    return FakeReddit::sample_permalink(sub, role);
}

bool has_problem(const FetchResult& r, SourceProblemKind kind, std::string_view part = {}) {
    for (const auto& p : r.problems) {
        if (p.kind == kind && p.to_string().find(part) != std::string::npos)
            return true;
    }
    return false;
}

bool skipped_as(const FetchResult& r, const std::string& link, std::string_view reason) {
    for (const auto& s : r.skipped) {
        if (s.permalink == link && s.reason == reason)
            return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a good listing gives the first usable post's media, downloaded byte for byte") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    TempDir dir;
    RedditSource source(fast_config(reddit, {"memes"}));
    const auto r = source.fetch_one(dir.path() / "reddit", {});
    REQUIRE(r.ok());
    const auto& m = *r.meme;
    CHECK(m.path == dir.path() / "reddit" /
                        ("reddit_memes_" + FakeReddit::sample_post_id("memes", "png") + ".png"));
    CHECK(read_bytes(m.path) == media.png);
    CHECK(m.bytes == media.png.size());
    CHECK(m.format == MediaFormat::png);
    CHECK(m.kind == RedditMediaKind::image);
    CHECK(m.source_url == permalink("png"));
    CHECK(m.media_url == reddit.url(FakeReddit::sample_media_path("memes", "png")));
    CHECK(m.title == "When the build passes on the first try");
    CHECK(m.subreddit == "memes");
    CHECK(m.post_id == FakeReddit::sample_post_id("memes", "png"));
    CHECK(r.problems.empty());
    CHECK(skipped_as(r, permalink("sticky"), "stickied (pinned by the moderators)"));
    SUBCASE("every request carried the User-Agent") {
        const auto requests = reddit.requests();
        REQUIRE(requests.size() == 2);  // the listing, then the image
        CHECK(requests[0].path == "/r/memes/hot.json");
        CHECK(requests[1].path == FakeReddit::sample_media_path("memes", "png"));
        for (const auto& q : requests)
            CHECK(q.user_agent == kTestUserAgent);
        CHECK(r.attempts.size() == 2);
    }
}

TEST_CASE("successive fetches walk the listing once, each kind arriving intact") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    TempDir dir;
    RedditSource source(fast_config(reddit, {"memes"}));
    std::set<std::string> used;
    std::vector<memegen::bot::FetchedMeme> got;
    for (int i = 0; i < 5; ++i) {
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        used.insert(r.meme->source_url);
        got.push_back(*r.meme);
    }
    CHECK(got[0].source_url == permalink("png"));
    CHECK(got[1].source_url == permalink("jpg"));
    CHECK(read_bytes(got[1].path) == media.jpg);
    CHECK(got[1].path.extension() == ".jpg");
    CHECK(got[2].source_url == permalink("gif"));
    CHECK(read_bytes(got[2].path) == media.gif);
    CHECK(got[2].kind == RedditMediaKind::gif);
    CHECK(got[3].source_url == permalink("gifv"));
    CHECK(got[3].path.extension() == ".mp4");
    CHECK(read_bytes(got[3].path) == media.mp4);
    CHECK(got[4].source_url == permalink("video"));
    CHECK(got[4].kind == RedditMediaKind::video);
    CHECK(read_bytes(got[4].path) == media.mp4);
    SUBCASE("the listing was requested once (listing_ttl)") {
        CHECK(reddit.request_count("/r/memes/hot.json") == 1);
    }
    SUBCASE("then nothing is left: no meme, a no_candidates problem, no exception") {
        const auto r = source.fetch_one(dir.path(), used);
        CHECK_FALSE(r.ok());
        CHECK(
            has_problem(r, SourceProblemKind::no_candidates, "no post of r/memes could be taken"));
    }
}

TEST_CASE("permalinks in the used set are never returned") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    TempDir dir;
    RedditSource source(fast_config(reddit, {"memes"}));
    SUBCASE("by permalink") {
        const std::set<std::string> used = {permalink("png"), permalink("jpg")};
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        CHECK(r.meme->source_url == permalink("gif"));
        CHECK(skipped_as(r, permalink("png"), "already used"));
        CHECK(skipped_as(r, permalink("jpg"), "already used"));
        CHECK(reddit.request_count(FakeReddit::sample_media_path("memes", "png")) == 0);
    }
    SUBCASE("by media URL") {
        const std::set<std::string> used = {
            reddit.url(FakeReddit::sample_media_path("memes", "png"))};
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        CHECK(r.meme->source_url == permalink("jpg"));
    }
    SUBCASE("all of them") {
        std::set<std::string> used;
        for (const char* role : {"png", "jpg", "gif", "gifv", "video"})
            used.insert(permalink(role));
        const auto r = source.fetch_one(dir.path(), used);
        CHECK_FALSE(r.ok());
        CHECK(has_problem(r, SourceProblemKind::no_candidates));
        CHECK(reddit.requests().size() == 1);  // only the listing
    }
}

TEST_CASE("NSFW posts are taken only with allow_nsfw") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    TempDir dir;
    auto config = fast_config(reddit, {"memes"});
    const std::set<std::string> used = {permalink("png")};
    SUBCASE("off") {
        RedditSource source(config);
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        CHECK(r.meme->source_url == permalink("jpg"));
        CHECK(skipped_as(r, permalink("nsfw"), "NSFW (allow_nsfw is false)"));
    }
    SUBCASE("on") {
        config.allow_nsfw = true;
        RedditSource source(config);
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        CHECK(r.meme->source_url == permalink("nsfw"));
    }
}

TEST_CASE("a media URL answering HTML is a problem, and the next post is taken") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    const std::string png_path = FakeReddit::sample_media_path("memes", "png");
    reddit.fail_next(png_path, 1, RedditFault::of(Fault::html_page));
    TempDir dir;
    LogCapture log;
    RedditSource source(fast_config(reddit, {"memes"}));
    const auto r = source.fetch_one(dir.path(), {});
    REQUIRE(r.ok());
    CHECK(r.meme->source_url == permalink("jpg"));
    REQUIRE(r.problems.size() == 1);
    const auto& p = r.problems[0];
    CHECK(p.kind == SourceProblemKind::not_media);
    CHECK(p.subreddit == "memes");
    CHECK(p.url == reddit.url(png_path));
    CHECK(p.message.find("text/html") != std::string::npos);
    CHECK(p.message.find(permalink("png")) != std::string::npos);
    CHECK(log.contains({"[reddit.not_media]", "r/memes", png_path, "text/html"}));
    CHECK(partial_files(dir.path()) == 0);
    SUBCASE("the failed post is not tried again from the same listing") {
        const auto again = source.fetch_one(dir.path(), {r.meme->source_url});
        REQUIRE(again.ok());
        CHECK(again.meme->source_url == permalink("gif"));
        CHECK(reddit.request_count(png_path) == 1);
    }
}

TEST_CASE("an oversized media file is skipped with a too_large problem") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    // Serve the PNG post a file above the cap (the demo PNG and JPEG are 227 kB and 132 kB).
    auto config = fast_config(reddit, {"memes"});
    config.max_download_bytes = 200 * 1024;
    TempDir dir;
    RedditSource source(config);
    const auto r = source.fetch_one(dir.path(), {});
    REQUIRE(r.ok());
    CHECK(r.meme->source_url == permalink("jpg"));
    CHECK(has_problem(r, SourceProblemKind::too_large, "above max_download_mb"));
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("max_downloads_per_fetch bounds one fetch") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    for (const char* role : {"png", "jpg", "gif"})
        reddit.fail_next(FakeReddit::sample_media_path("memes", role), 1,
                         RedditFault::of(Fault::not_found));
    auto config = fast_config(reddit, {"memes"});
    config.max_downloads_per_fetch = 2;
    TempDir dir;
    RedditSource source(config);
    const auto r = source.fetch_one(dir.path(), {});
    CHECK_FALSE(r.ok());
    CHECK(has_problem(r, SourceProblemKind::http_status, "HTTP 404"));
    CHECK(has_problem(r, SourceProblemKind::no_candidates, "gave up after 2 failed downloads"));
    CHECK(reddit.request_count(FakeReddit::sample_media_path("memes", "gif")) == 0);
}

TEST_CASE("a broken subreddit falls through to the next one") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    reddit.install_sample("ProgrammerHumor", media);
    TempDir dir;
    LogCapture log;
    RedditSource source(fast_config(reddit, {"memes", "ProgrammerHumor"}));
    SUBCASE("garbage JSON") {
        reddit.fail_next("/r/memes/hot.json", 1, RedditFault::of(Fault::garbage_json));
        const auto r = source.fetch_one(dir.path(), {});
        REQUIRE(r.ok());
        CHECK(r.meme->subreddit == "ProgrammerHumor");
        CHECK(r.meme->source_url == permalink("png", "ProgrammerHumor"));
        CHECK(has_problem(r, SourceProblemKind::bad_json, "r/memes"));
        CHECK(log.contains({"[reddit.bad_json]", "r/memes", "/r/memes/hot.json"}));
    }
    SUBCASE("an unexpected shape") {
        reddit.fail_next("/r/memes/hot.json", 1, RedditFault::of(Fault::unexpected_shape));
        const auto r = source.fetch_one(dir.path(), {});
        REQUIRE(r.ok());
        CHECK(r.meme->subreddit == "ProgrammerHumor");
        CHECK(has_problem(r, SourceProblemKind::bad_shape, "\"data\" is missing or not an object"));
    }
    SUBCASE("an HTML page instead of the listing") {
        reddit.fail_next("/r/memes/hot.json", 1, RedditFault::of(Fault::html_page));
        const auto r = source.fetch_one(dir.path(), {});
        REQUIRE(r.ok());
        CHECK(has_problem(r, SourceProblemKind::bad_json, "starting \"<!doctype html>"));
    }
}

TEST_CASE("when every subreddit fails there is no meme, only problems") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    TempDir dir;
    auto config = fast_config(reddit, {"memes", "nonexistent_sub"});
    config.max_attempts = 1;
    config.read_timeout = 300ms;
    reddit.fail_next("/r/memes/hot.json", 1, RedditFault::slow(5s));
    RedditSource source(config);
    FetchResult r;
    CHECK_NOTHROW(r = source.fetch_one(dir.path(), {}));
    CHECK_FALSE(r.ok());
    CHECK(has_problem(r, SourceProblemKind::timeout, "r/memes"));
    CHECK(has_problem(r, SourceProblemKind::http_status, "r/nonexistent_sub"));
    CHECK(has_problem(r, SourceProblemKind::no_candidates,
                      "no post of r/memes, r/nonexistent_sub could be taken"));
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("a rate-limited listing is retried after Retry-After, reported in the attempts") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    reddit.fail_next("/r/memes/hot.json", 1, RedditFault::rate_limit(1, 1));
    TempDir dir;
    RedditSource source(fast_config(reddit, {"memes"}));
    const auto r = source.fetch_one(dir.path(), {});
    REQUIRE(r.ok());
    CHECK(reddit.request_count("/r/memes/hot.json") == 2);
    REQUIRE(r.attempts.size() == 3);
    CHECK(r.attempts[0].status == 429);
    CHECK(r.attempts[0].wait_before_next == 1000ms);
    CHECK(r.problems.empty());
}

TEST_CASE("fetches start at the next subreddit each time, so a batch spreads") {
    FakeReddit reddit;
    const auto media = demo_media();
    reddit.install_sample("memes", media);
    reddit.install_sample("ProgrammerHumor", media);
    TempDir dir;
    RedditSource source(fast_config(reddit, {"memes", "ProgrammerHumor"}));
    std::set<std::string> used;
    std::vector<std::string> subs;
    for (int i = 0; i < 4; ++i) {
        const auto r = source.fetch_one(dir.path(), used);
        REQUIRE(r.ok());
        used.insert(r.meme->source_url);
        subs.push_back(r.meme->subreddit);
    }
    CHECK(subs == std::vector<std::string>{"memes", "ProgrammerHumor", "memes", "ProgrammerHumor"});
    CHECK(used.size() == 4);
}

TEST_CASE("forget_listings and a zero listing_ttl request the listing again") {
    FakeReddit reddit;
    reddit.install_sample("memes", demo_media());
    TempDir dir;
    auto config = fast_config(reddit, {"memes"});
    SUBCASE("forget_listings") {
        RedditSource source(config);
        REQUIRE(source.fetch_one(dir.path(), {}).ok());
        source.forget_listings();
        REQUIRE(source.fetch_one(dir.path(), {}).ok());
    }
    SUBCASE("listing_ttl 0") {
        config.listing_ttl = 0s;
        RedditSource source(config);
        REQUIRE(source.fetch_one(dir.path(), {}).ok());
        REQUIRE(source.fetch_one(dir.path(), {}).ok());
    }
    CHECK(reddit.request_count("/r/memes/hot.json") == 2);
}

TEST_CASE("no subreddits, or a stop request, give a problem and no request") {
    FakeReddit reddit;
    TempDir dir;
    SUBCASE("no subreddits") {
        RedditSource source(fast_config(reddit, {}));
        const auto r = source.fetch_one(dir.path(), {});
        CHECK_FALSE(r.ok());
        CHECK(has_problem(r, SourceProblemKind::no_candidates, "no subreddits are configured"));
    }
    SUBCASE("stop requested") {
        reddit.install_sample("memes", demo_media());
        RedditSource source(fast_config(reddit, {"memes"}));
        std::stop_source stop;
        stop.request_stop();
        const auto r = source.fetch_one(dir.path(), {}, stop.get_token());
        CHECK_FALSE(r.ok());
        CHECK(has_problem(r, SourceProblemKind::cancelled));
    }
    CHECK(reddit.requests().empty());
}
