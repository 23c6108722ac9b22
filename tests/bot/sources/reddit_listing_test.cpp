// Listing parsing (which posts of Reddit's real listing shape are taken, which are skipped and
// why), the magic-byte sniffing, URL handling, file stems and the retry timing helpers.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "fake_reddit.hpp"
#include "net/url.hpp"
#include "sources/media_sniff.hpp"
#include "sources/reddit_client.hpp"
#include "sources/reddit_listing.hpp"
#include "sources/reddit_source.hpp"

using memegen::bot::ListingPage;
using memegen::bot::ListingRules;
using memegen::bot::MediaFormat;
using memegen::bot::parse_listing;
using memegen::bot::parse_listing_json;
using memegen::bot::RedditMediaKind;
using memegen::bot::sniff_media_format;
using memegen::bot::SourceProblemKind;
using memegen::test::FakeReddit;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

ListingRules loopback_rules() {
    ListingRules rules;
    rules.media_hosts = {"127.0.0.1"};
    rules.allow_http = true;
    return rules;
}

std::string reason_of(const ListingPage& page, const std::string& id) {
    for (const auto& s : page.skipped) {
        if (s.id == id)
            return s.reason;
    }
    return "(not skipped)";
}

/// A one-post listing of r/memes whose post data is `data` on top of a valid image post.
json one_post(const json& data, const char* kind = "t3") {
    json d = {{"id", "abc123"},
              {"title", "A title"},
              {"permalink", "/r/memes/comments/abc123/a_title/"},
              {"url", "https://i.redd.it/abc123.png"},
              {"domain", "i.redd.it"},
              {"post_hint", "image"},
              {"is_self", false},
              {"is_video", false},
              {"over_18", false},
              {"stickied", false}};
    for (const auto& [k, v] : data.items())
        d[k] = v;
    return {{"kind", "Listing"},
            {"data", {{"children", json::array({{{"kind", kind}, {"data", d}}})}}}};
}

ListingPage parse_ok(const json& listing, const ListingRules& rules = {}) {
    auto r = parse_listing_json(listing, "memes", "https://www.reddit.com/r/memes/hot.json", rules);
    REQUIRE(r.ok());
    return *r.value;
}

}  // namespace

TEST_CASE("the sample listing: images, GIF, imgur gifv and v.redd.it are taken in order") {
    FakeReddit reddit;
    const auto page = parse_ok(reddit.sample_listing("memes"), loopback_rules());
    const auto id = [](const char* role) { return FakeReddit::sample_post_id("memes", role); };
    REQUIRE(page.posts.size() == 5);
    CHECK(page.posts[0].id == id("png"));
    CHECK(page.posts[0].kind == RedditMediaKind::image);
    CHECK(page.posts[0].media_url == reddit.url(FakeReddit::sample_media_path("memes", "png")));
    CHECK(page.posts[0].permalink == FakeReddit::sample_permalink("memes", "png"));
    CHECK(page.posts[0].title == "When the build passes on the first try");
    CHECK(page.posts[0].subreddit == "memes");
    CHECK_FALSE(page.posts[0].nsfw);
    CHECK(page.posts[1].id == id("jpg"));
    CHECK(page.posts[1].kind == RedditMediaKind::image);
    CHECK(page.posts[2].id == id("gif"));
    CHECK(page.posts[2].kind == RedditMediaKind::gif);
    SUBCASE("imgur's .gifv is fetched as its .mp4") {
        CHECK(page.posts[3].id == id("gifv"));
        CHECK(page.posts[3].kind == RedditMediaKind::video);
        CHECK(page.posts[3].media_url ==
              reddit.url(FakeReddit::sample_media_path("memes", "gifv")));
    }
    SUBCASE("a Reddit video is fetched from media.reddit_video.fallback_url") {
        CHECK(page.posts[4].id == id("video"));
        CHECK(page.posts[4].kind == RedditMediaKind::video);
        CHECK(page.posts[4].media_url ==
              reddit.url(FakeReddit::sample_media_path("memes", "video")) + "?source=fallback");
    }
    SUBCASE("the others are skipped with their reason") {
        CHECK(page.skipped.size() == 6);
        CHECK(reason_of(page, id("sticky")) == "stickied (pinned by the moderators)");
        CHECK(reason_of(page, id("self")) == "text post");
        CHECK(reason_of(page, id("gallery")) == "gallery (several images; not supported)");
        CHECK(reason_of(page, id("nsfw")) == "NSFW (allow_nsfw is false)");
        CHECK(reason_of(page, id("youtube")) ==
              "embedded player from youtube.com (not a downloadable file)");
        CHECK(reason_of(page, id("article")) ==
              "link to news.example.com/developers-meetings is not an image, GIF or video file");
        for (const auto& s : page.skipped)
            CHECK(s.permalink.rfind("https://www.reddit.com/r/memes/comments/", 0) == 0);
    }
}

TEST_CASE("allow_nsfw takes the NSFW post and marks it") {
    FakeReddit reddit;
    auto rules = loopback_rules();
    rules.allow_nsfw = true;
    const auto page = parse_ok(reddit.sample_listing("memes"), rules);
    REQUIRE(page.posts.size() == 6);
    CHECK(page.posts[1].id == FakeReddit::sample_post_id("memes", "nsfw"));
    CHECK(page.posts[1].nsfw);
}

TEST_CASE("media hosts and schemes are enforced") {
    FakeReddit reddit;
    SUBCASE("a host that is not listed is skipped") {
        ListingRules rules;  // Reddit's and imgur's hosts
        rules.allow_http = true;
        const auto page = parse_ok(reddit.sample_listing("memes"), rules);
        CHECK(page.posts.empty());
        CHECK(reason_of(page, FakeReddit::sample_post_id("memes", "png")) ==
              "media host 127.0.0.1 is not supported");
    }
    SUBCASE("plain http is refused unless allowed") {
        ListingRules rules;
        rules.media_hosts = {"127.0.0.1"};
        const auto page = parse_ok(reddit.sample_listing("memes"), rules);
        CHECK(page.posts.empty());
        CHECK(reason_of(page, FakeReddit::sample_post_id("memes", "png")).find("is not https") !=
              std::string::npos);
    }
    SUBCASE("real Reddit hosts over https are taken with the default rules") {
        const auto page = parse_ok(one_post(json::object()));
        REQUIRE(page.posts.size() == 1);
        CHECK(page.posts[0].media_url == "https://i.redd.it/abc123.png");
        CHECK(page.posts[0].permalink == "https://www.reddit.com/r/memes/comments/abc123/a_title/");
    }
}

TEST_CASE("url_overridden_by_dest wins over url, and unusual links fall back to previews") {
    SUBCASE("url_overridden_by_dest") {
        const auto page =
            parse_ok(one_post({{"url", "https://www.reddit.com/r/memes/x"},
                               {"url_overridden_by_dest", "https://i.redd.it/q.gif"}}));
        REQUIRE(page.posts.size() == 1);
        CHECK(page.posts[0].media_url == "https://i.redd.it/q.gif");
        CHECK(page.posts[0].kind == RedditMediaKind::gif);
    }
    SUBCASE("a link without a media extension uses Reddit's mp4 rendition") {
        const json preview = {
            {"images",
             json::array(
                 {{{"source", {{"url", "https://external-preview.redd.it/p.gif"}}},
                   {"variants",
                    {{"gif", {{"source", {{"url", "https://external-preview.redd.it/p.gif"}}}}},
                     {"mp4",
                      {{"source",
                        {{"url",
                          "https://external-preview.redd.it/p.gif?format=mp4&s=1"}}}}}}}}})}};
        const auto page = parse_ok(one_post({{"url", "https://giphy.com/gifs/abc"},
                                             {"domain", "giphy.com"},
                                             {"post_hint", "link"},
                                             {"preview", preview}}));
        REQUIRE(page.posts.size() == 1);
        CHECK(page.posts[0].kind == RedditMediaKind::video);
        CHECK(page.posts[0].media_url == "https://external-preview.redd.it/p.gif?format=mp4&s=1");
    }
    SUBCASE("secure_media carries the video as well") {
        const auto page = parse_ok(one_post(
            {{"is_video", true},
             {"url", "https://v.redd.it/vid1"},
             {"secure_media",
              {{"reddit_video",
                {{"fallback_url", "https://v.redd.it/vid1/DASH_720.mp4?source=fallback"}}}}}}));
        REQUIRE(page.posts.size() == 1);
        CHECK(page.posts[0].media_url == "https://v.redd.it/vid1/DASH_720.mp4?source=fallback");
    }
    SUBCASE("a video without a fallback_url is skipped") {
        const auto page = parse_ok(one_post({{"is_video", true}, {"url", "https://v.redd.it/x"}}));
        CHECK(page.posts.empty());
        CHECK(reason_of(page, "abc123") == "Reddit video without media.reddit_video.fallback_url");
    }
    SUBCASE("an unsupported extension is skipped") {
        const auto page = parse_ok(one_post({{"url", "https://i.redd.it/abc.tiff"}}));
        CHECK(page.posts.empty());
        CHECK(reason_of(page, "abc123").find("is not an image, GIF or video file") !=
              std::string::npos);
    }
}

TEST_CASE("a crosspost takes its media, and its NSFW flag, from the original post") {
    const json parent = {{"id", "orig1"},
                         {"url", "https://i.redd.it/orig1.jpg"},
                         {"post_hint", "image"},
                         {"over_18", false}};
    SUBCASE("media from the parent") {
        const auto page = parse_ok(one_post({{"url", "/r/other/comments/orig1/x/"},
                                             {"crosspost_parent_list", json::array({parent})}}));
        REQUIRE(page.posts.size() == 1);
        CHECK(page.posts[0].id == "abc123");
        CHECK(page.posts[0].media_url == "https://i.redd.it/orig1.jpg");
    }
    SUBCASE("an NSFW parent makes the crosspost NSFW") {
        json nsfw_parent = parent;
        nsfw_parent["over_18"] = true;
        const auto page =
            parse_ok(one_post({{"crosspost_parent_list", json::array({nsfw_parent})}}));
        CHECK(page.posts.empty());
        CHECK(reason_of(page, "abc123") == "NSFW (allow_nsfw is false)");
    }
}

TEST_CASE("malformed posts are skipped, never fatal") {
    json listing = one_post(json::object());
    auto& children = listing["data"]["children"];
    children.push_back(42);
    children.push_back({{"kind", "t3"}, {"data", "not an object"}});
    children.push_back({{"kind", "t1"}, {"data", {{"id", "c1"}, {"permalink", "/r/memes/c1"}}}});
    children.push_back({{"kind", "t3"}, {"data", {{"title", "no id"}}}});
    children.push_back({{"kind", "t3"}, {"data", {{"id", "../../etc"}, {"permalink", "/r/x/"}}}});
    children.push_back(
        {{"kind", "t3"}, {"data", {{"id", "noperma"}, {"url", "https://i.redd.it/a.png"}}}});
    children.push_back(
        {{"kind", "t3"}, {"data", {{"id", "nourl"}, {"permalink", "/r/memes/comments/nourl/"}}}});
    children.push_back({{"kind", "t3"},
                        {"data",
                         {{"id", "badurl"},
                          {"permalink", "/r/memes/comments/badurl/"},
                          {"url", "javascript:alert(1)"}}}});
    const auto page = parse_ok(listing);
    CHECK(page.posts.size() == 1);
    REQUIRE(page.skipped.size() == 8);
    CHECK(page.skipped[0].reason == "malformed entry (no data object)");
    CHECK(page.skipped[1].reason == "malformed entry (no data object)");
    CHECK(page.skipped[2].reason == "not a post (kind \"t1\")");
    CHECK(page.skipped[3].reason == "missing or malformed id");
    CHECK(page.skipped[4].reason == "missing or malformed id");
    CHECK(page.skipped[5].reason == "missing or malformed permalink");
    CHECK(page.skipped[6].reason == "no url");
    CHECK(page.skipped[7].reason == "url \"javascript:alert(1)\" is not an http(s) URL");
}

TEST_CASE("a body that is not JSON is a bad_json problem naming the subreddit and URL") {
    const auto r = parse_listing("<!doctype html><html>blocked</html>", "memes",
                                 "https://www.reddit.com/r/memes/hot.json", {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.problem->kind == SourceProblemKind::bad_json);
    CHECK(r.problem->subreddit == "memes");
    CHECK(r.problem->url == "https://www.reddit.com/r/memes/hot.json");
    CHECK(r.problem->to_string() ==
          "[reddit.bad_json] r/memes: https://www.reddit.com/r/memes/hot.json: the listing is not "
          "JSON (35 bytes, starting \"<!doctype html><html>blocked</html>\")");
}

TEST_CASE("JSON in another shape is a bad_shape problem saying what was wrong") {
    struct Case {
        const char* body;
        const char* message;
    };
    const Case cases[] = {
        {"[]", "the listing is an array, not an object"},
        {"\"Listing\"", "the listing is a string, not an object"},
        {R"({"kind": "Listing", "data": []})", "\"data\" is missing or not an object"},
        {R"({"kind": "Listing"})", "\"data\" is missing or not an object"},
        {R"({"kind": "Listing", "data": {"after": null}})",
         "\"data.children\" is missing or not an array"},
        {R"({"kind": "Listing", "data": {"children": {}}})",
         "\"data.children\" is missing or not an array"},
        {R"({"kind": "t3", "data": {"children": []}})", "\"kind\" is \"t3\", expected \"Listing\""},
        {R"({"message": "Not Found", "error": 404})",
         "Reddit answered an error instead of a listing: {\"error\":404,\"message\":\"Not "
         "Found\"}"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        const auto r = parse_listing(c.body, "memes", "u", {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.problem->kind == SourceProblemKind::bad_shape);
        CHECK(r.problem->message == c.message);
    }
}

TEST_CASE("an empty listing is valid and has nothing to take") {
    const auto r =
        parse_listing(R"({"kind": "Listing", "data": {"children": []}})", "memes", "u", {});
    REQUIRE(r.ok());
    CHECK(r.value->posts.empty());
    CHECK(r.value->skipped.empty());
}

TEST_CASE("media formats are recognised by their first bytes") {
    using namespace std::string_literals;
    CHECK(sniff_media_format("\x89PNG\r\n\x1a\n\0\0\0\x0d"s) == MediaFormat::png);
    CHECK(sniff_media_format("\xff\xd8\xff\xe0\0\x10JFIF\0\x01"s) == MediaFormat::jpeg);
    CHECK(sniff_media_format("GIF89a\x01\0\x01\0\0\0"s) == MediaFormat::gif);
    CHECK(sniff_media_format("GIF87a\x01\0\x01\0\0\0"s) == MediaFormat::gif);
    CHECK(sniff_media_format("RIFF\x10\0\0\0WEBP"s) == MediaFormat::webp);
    CHECK(sniff_media_format("RIFF\x10\0\0\0WAVE"s) == MediaFormat::unknown);
    CHECK(sniff_media_format("\0\0\0\x20"
                             "ftypisom"s) == MediaFormat::mp4);
    CHECK(sniff_media_format("\0\0\0\x08"
                             "moov\0\0\0\0"s) == MediaFormat::mp4);
    CHECK(sniff_media_format("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81"s) ==
          MediaFormat::webm);
    CHECK(sniff_media_format("<!doctype html>") == MediaFormat::unknown);
    CHECK(sniff_media_format("{\"error\": 404}") == MediaFormat::unknown);
    CHECK(sniff_media_format("") == MediaFormat::unknown);
    CHECK(sniff_media_format("\x89PN") == MediaFormat::unknown);
    CHECK(extension_of(MediaFormat::jpeg) == ".jpg");
    CHECK(to_string(MediaFormat::jpeg) == "jpeg");
    CHECK(to_string(MediaFormat::webm) == "webm");
    CHECK(extension_of(MediaFormat::unknown).empty());
}

TEST_CASE("absolute http(s) URLs are split for the client; others are refused") {
    using memegen::bot::parse_http_url;
    const auto u = parse_http_url("HTTPS://I.Redd.It/abc.PNG?width=640&s=1#frag");
    REQUIRE(u);
    CHECK(u->https);
    CHECK(u->host == "i.redd.it");
    CHECK(u->scheme_host_port == "https://i.redd.it");
    CHECK(u->target == "/abc.PNG?width=640&s=1");
    CHECK(u->path() == "/abc.PNG");
    CHECK(url_extension(*u) == ".png");
    const auto local = parse_http_url("http://127.0.0.1:8080");
    REQUIRE(local);
    CHECK(local->scheme_host_port == "http://127.0.0.1:8080");
    CHECK(local->target == "/");
    CHECK(url_extension(*local).empty());
    CHECK_FALSE(parse_http_url("ftp://i.redd.it/a.png"));
    CHECK_FALSE(parse_http_url("https://user:pw@i.redd.it/a.png"));
    CHECK_FALSE(parse_http_url("https://i.redd.it:/a.png"));
    CHECK_FALSE(parse_http_url("https://i.redd.it:123456/a.png"));
    CHECK_FALSE(parse_http_url("https:///a.png"));
    CHECK_FALSE(parse_http_url("https://i.redd.it/a b.png"));
    CHECK_FALSE(parse_http_url("https://i.redd.it/a\r\nX-Evil: 1"));
    CHECK_FALSE(parse_http_url("https://exa_mple.com/"));
}

TEST_CASE("redirect locations resolve against the answering URL") {
    using memegen::bot::parse_http_url;
    using memegen::bot::resolve_location;
    const auto base = *parse_http_url("https://i.imgur.com/abc.png");
    CHECK(resolve_location(base, "/removed.png")->to_string() == "https://i.imgur.com/removed.png");
    CHECK(resolve_location(base, "//i.redd.it/x.gif")->to_string() == "https://i.redd.it/x.gif");
    CHECK(resolve_location(base, "http://example.com/y")->to_string() == "http://example.com/y");
    CHECK_FALSE(resolve_location(base, "relative/path.png"));
    CHECK_FALSE(resolve_location(base, "/a b"));
}

TEST_CASE("downloaded file stems are sanitised") {
    using memegen::bot::reddit_file_stem;
    CHECK(reddit_file_stem("memes", "1abc2de") == "reddit_memes_1abc2de");
    CHECK(reddit_file_stem("Pro_Humor", "../../x") == "reddit_Pro_Humor_______x");
    CHECK(reddit_file_stem("memes", "a/b\\c\0d") == "reddit_memes_a_b_c");
    CHECK(reddit_file_stem("memes", std::string(200, 'z')).size() == 80);
}

TEST_CASE("429 waits come from Retry-After, else x-ratelimit-reset") {
    using memegen::bot::detail::server_wait;
    CHECK(server_wait("7", "") == 7000ms);
    CHECK(server_wait("1.5", "99") == 1500ms);
    CHECK(server_wait("", "42") == 42000ms);
    CHECK(server_wait("", "12.0") == 12000ms);
    CHECK(server_wait("-3", "") == 0ms);
    CHECK_FALSE(server_wait("", ""));
    CHECK_FALSE(server_wait("soon", "later"));
    CHECK(server_wait("soon", "5") == 5000ms);
    const auto now = std::chrono::system_clock::from_time_t(1445412470);  // 07:27:50 GMT
    CHECK(server_wait("Wed, 21 Oct 2015 07:28:00 GMT", "", now) == 10000ms);
    CHECK(server_wait("Wed, 21 Oct 2015 07:27:00 GMT", "", now) == 0ms);
}

TEST_CASE("the backoff doubles per retry and stops growing at 16 times the first") {
    using memegen::bot::detail::backoff_delay;
    CHECK(backoff_delay(100ms, 0) == 100ms);
    CHECK(backoff_delay(100ms, 1) == 200ms);
    CHECK(backoff_delay(100ms, 3) == 800ms);
    CHECK(backoff_delay(100ms, 4) == 1600ms);
    CHECK(backoff_delay(100ms, 9) == 1600ms);
}
