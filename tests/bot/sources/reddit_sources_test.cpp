// reddit_sources.json: the seed's list form, the object form with every option, the example
// file, and every malformed case as a problem naming the file and the key.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "sources/reddit_sources.hpp"
#include "sources_test_helpers.hpp"

using memegen::bot::load_reddit_sources;
using memegen::bot::normalize_subreddit;
using memegen::bot::parse_reddit_sources;
using memegen::bot::RedditSourcesLoadResult;
using memegen::bot::SourceProblemKind;
using memegen::test::TempDir;
using memegen::test::write_text;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

RedditSourcesLoadResult parse(std::string_view text) {
    return parse_reddit_sources(json::parse(text), "/etc/memegen/reddit_sources.json");
}

/// Whether some problem's message starts with "<key>:" and contains `part`.
bool has_problem(const RedditSourcesLoadResult& r, std::string_view key, std::string_view part) {
    for (const auto& p : r.problems) {
        if (p.message.rfind(std::string(key) + ":", 0) == 0 &&
            p.message.find(part) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("the seed's plain list accepts names, r/ names and reddit.com URLs") {
    const auto r = parse(
        R"(["memes", "r/ProgrammerHumor", "/r/me_irl/", "https://www.reddit.com/r/wholesomememes/",
            "https://old.reddit.com/r/dankmemes"])");
    REQUIRE(r.ok());
    REQUIRE(r.config.subreddits.size() == 5);
    CHECK(r.config.subreddits[0].name == "memes");
    CHECK(r.config.subreddits[1].name == "ProgrammerHumor");
    CHECK(r.config.subreddits[2].name == "me_irl");
    CHECK(r.config.subreddits[3].name == "wholesomememes");
    CHECK(r.config.subreddits[4].name == "dankmemes");
    CHECK(r.config.subreddits[0].sort == "hot");
    CHECK(r.config.subreddits[0].limit == 50);
    CHECK_FALSE(r.config.allow_nsfw);
}

TEST_CASE("the object form reads every option and per-entry listing options") {
    const auto r = parse(R"({
        "_comment": "ignored",
        "subreddits": ["memes", {"name": "r/dankmemes", "sort": "top", "time": "week",
                                 "limit": 100, "_note": "ignored too"}],
        "sort": "new", "limit": 25,
        "allow_nsfw": true, "max_download_mb": 1.5, "user_agent": "linux:x:1.0 by /u/me",
        "connect_timeout_s": 2.5, "read_timeout_s": 7, "max_attempts": 5, "retry_backoff_s": 0.2,
        "max_retry_after_s": 30, "listing_ttl_s": 0, "max_downloads_per_fetch": 9,
        "base_url": "http://127.0.0.1:8080/", "ca_file": "/tmp/ca.pem",
        "media_hosts": ["i.redd.it", "127.0.0.1"]})");
    REQUIRE(r.ok());
    const auto& c = r.config;
    REQUIRE(c.subreddits.size() == 2);
    CHECK(c.subreddits[0].name == "memes");
    CHECK(c.subreddits[0].sort == "new");  // the top-level default
    CHECK(c.subreddits[0].limit == 25);
    CHECK(c.subreddits[1].name == "dankmemes");
    CHECK(c.subreddits[1].sort == "top");
    CHECK(c.subreddits[1].time == "week");
    CHECK(c.subreddits[1].limit == 100);
    CHECK(c.allow_nsfw);
    CHECK(c.max_download_bytes == 1572864);
    CHECK(c.user_agent == "linux:x:1.0 by /u/me");
    CHECK(c.connect_timeout == 2500ms);
    CHECK(c.read_timeout == 7000ms);
    CHECK(c.max_attempts == 5);
    CHECK(c.retry_backoff == 200ms);
    CHECK(c.max_retry_after == 30s);
    CHECK(c.listing_ttl == 0s);
    CHECK(c.max_downloads_per_fetch == 9);
    CHECK(c.base_url == "http://127.0.0.1:8080");
    CHECK(c.ca_file == "/tmp/ca.pem");
    CHECK(c.media_hosts == std::vector<std::string>{"i.redd.it", "127.0.0.1"});
}

TEST_CASE("an object with only subreddits gets the documented defaults") {
    const auto r = parse(R"({"subreddits": []})");
    REQUIRE(r.ok());
    const auto& c = r.config;
    CHECK(c.subreddits.empty());
    CHECK_FALSE(c.allow_nsfw);
    CHECK(c.max_download_bytes == 25ull * 1024 * 1024);
    CHECK(c.base_url == "https://www.reddit.com");
    CHECK(c.user_agent.rfind("linux:memegen-bot:", 0) == 0);
    CHECK(c.max_attempts == 3);
    CHECK(c.max_retry_after == 60s);
    CHECK(c.listing_ttl == 600s);
    CHECK(c.media_hosts.size() == 5);
}

TEST_CASE("the example file in apps/memegen-bot/config loads without problems") {
    const char* path = std::getenv("MEMEGEN_REDDIT_EXAMPLE");
    REQUIRE(path != nullptr);
    const auto r = load_reddit_sources(path);
    for (const auto& p : r.problems)
        INFO(p.to_string());
    REQUIRE(r.ok());
    CHECK(r.config.subreddits.size() == 5);
    CHECK(r.config.user_agent.find("(by /u/") != std::string::npos);
}

TEST_CASE("every malformed value is a config problem naming the file and the key") {
    struct Case {
        const char* text;
        const char* key;
        const char* part;
    };
    const Case cases[] = {
        {R"({"sort": "hot"})", "subreddits", "is required"},
        {R"({"subreddits": "memes"})", "subreddits",
         R"(must be an array of subreddits, got "memes")"},
        {R"({"subreddits": [42]})", "subreddits[0]",
         R"(must be a subreddit name or an object with "name", got 42)"},
        {R"({"subreddits": ["r/"]})", "subreddits[0]", "is not a subreddit"},
        {R"({"subreddits": ["a"]})", "subreddits[0]", "is not a subreddit"},
        {R"({"subreddits": ["two words"]})", "subreddits[0]", "is not a subreddit"},
        {R"({"subreddits": ["averyveryverylongsubredditname"]})", "subreddits[0]",
         "is not a subreddit"},
        {R"({"subreddits": ["https://example.com/r/memes"]})", "subreddits[0]",
         "is not a subreddit"},
        {R"({"subreddits": ["https://www.reddit.com/user/someone"]})", "subreddits[0]",
         "is not a subreddit"},
        {R"({"subreddits": ["memes", "r/Memes"]})", "subreddits[1]", "listed twice"},
        {R"({"subreddits": [{"sort": "top"}]})", "subreddits[0].name", "is required"},
        {R"({"subreddits": [{"name": 7}]})", "subreddits[0].name", "must be a string"},
        {R"({"subreddits": [{"name": "memes", "sort": "best"}]})", "subreddits[0].sort",
         "must be one of hot, new, top, rising"},
        {R"({"subreddits": [{"name": "memes", "time": "week"}]})", "subreddits[0].time",
         "only applies to sort \"top\""},
        {R"({"subreddits": [{"name": "memes", "sort": "top", "time": "decade"}]})",
         "subreddits[0].time", "must be one of hour"},
        {R"({"subreddits": [{"name": "memes", "limit": 0}]})", "subreddits[0].limit",
         "must be from 1 to 100"},
        {R"({"subreddits": [{"name": "memes", "limit": 101}]})", "subreddits[0].limit",
         "must be from 1 to 100"},
        {R"({"subreddits": [{"name": "memes", "limit": "50"}]})", "subreddits[0].limit",
         "must be a whole number"},
        {R"({"subreddits": [{"name": "memes", "limit": 5.5}]})", "subreddits[0].limit",
         "must be a whole number from 1 to 100, got 5.5"},
        {R"({"subreddits": [{"name": "memes", "nsfw": true}]})", "subreddits[0].nsfw",
         "unknown key"},
        {R"({"subreddits": [], "sort": 1})", "sort", "must be a string"},
        {R"({"subreddits": [], "time": "week"})", "time", "only applies"},
        {R"({"subreddits": [], "limit": -3})", "limit", "must be from 1 to 100"},
        {R"({"subreddits": [], "allow_nsfw": "yes"})", "allow_nsfw", "must be true or false"},
        {R"({"subreddits": [], "max_download_mb": 0})", "max_download_mb", "above 0"},
        {R"({"subreddits": [], "max_download_mb": -1})", "max_download_mb", "above 0"},
        {R"({"subreddits": [], "max_download_mb": 5000})", "max_download_mb", "at most 2000"},
        {R"({"subreddits": [], "max_download_mb": "25"})", "max_download_mb", "must be a number"},
        {R"({"subreddits": [], "user_agent": ""})", "user_agent", "1 to 256 characters"},
        {R"({"subreddits": [], "user_agent": "a\nX-Injected: 1"})", "user_agent",
         "without control characters"},
        {R"({"subreddits": [], "user_agent": 3})", "user_agent", "must be a string, got 3"},
        {R"({"subreddits": [], "user_agent": ["x"]})", "user_agent",
         "must be a string, got an array"},
        {R"({"subreddits": [], "connect_timeout_s": 0})", "connect_timeout_s", "above 0"},
        {R"({"subreddits": [], "read_timeout_s": "20"})", "read_timeout_s", "must be a number"},
        {R"({"subreddits": [], "max_attempts": 0})", "max_attempts", "from 1 to 10"},
        {R"({"subreddits": [], "max_attempts": 11})", "max_attempts", "from 1 to 10"},
        {R"({"subreddits": [], "max_attempts": 2.5})", "max_attempts", "whole number"},
        {R"({"subreddits": [], "max_attempts": true})", "max_attempts",
         "whole number from 1 to 10, got true"},
        {R"({"subreddits": [], "retry_backoff_s": 0})", "retry_backoff_s", "above 0"},
        {R"({"subreddits": [], "max_retry_after_s": -1})", "max_retry_after_s", "from 0 to 3600"},
        {R"({"subreddits": [], "listing_ttl_s": 100000})", "listing_ttl_s", "from 0 to 86400"},
        {R"({"subreddits": [], "max_downloads_per_fetch": 0})", "max_downloads_per_fetch",
         "from 1 to 50"},
        {R"({"subreddits": [], "base_url": "ftp://reddit.com"})", "base_url", "is not an http(s)"},
        {R"({"subreddits": [], "base_url": "https://www.reddit.com/?q=1"})", "base_url",
         "is not an http(s)"},
        {R"({"subreddits": [], "ca_file": ""})", "ca_file", "must not be empty"},
        {R"({"subreddits": [], "media_hosts": []})", "media_hosts", "non-empty array"},
        {R"({"subreddits": [], "media_hosts": "i.redd.it"})", "media_hosts",
         R"(non-empty array of host names, got "i.redd.it")"},
        {R"({"subreddits": [], "media_hosts": ["I.REDD.IT"]})", "media_hosts[0]",
         "lower-case host"},
        {R"({"subreddits": [], "media_hosts": ["i.redd.it/x"]})", "media_hosts[0]",
         "lower-case host"},
        {R"({"subreddits": [], "media_hosts": [1]})", "media_hosts[0]", "must be a string"},
        {R"({"subreddits": [], "subredits": []})", "subredits", "unknown key"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto r = parse(c.text);
        REQUIRE_FALSE(r.ok());
        for (const auto& p : r.problems)
            INFO(p.to_string());
        CHECK(has_problem(r, c.key, c.part));
        for (const auto& p : r.problems) {
            CHECK(p.kind == SourceProblemKind::config);
            CHECK(p.url == "/etc/memegen/reddit_sources.json");
            CHECK(p.to_string().find("/etc/memegen/reddit_sources.json") != std::string::npos);
        }
    }
}

TEST_CASE("a document that is neither a list nor an object is one problem") {
    for (const char* text : {R"("memes")", "42", "null", "true"}) {
        CAPTURE(text);
        const auto r = parse(text);
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].message.find("must be an array of subreddits or an object") !=
              std::string::npos);
        CHECK(r.problems[0].message.ends_with(std::string(", got ") + text));
    }
}

TEST_CASE("every problem of a file is reported, not only the first") {
    const auto r =
        parse(R"({"subreddits": ["ok_one", 5, "r/"], "allow_nsfw": 1, "max_attempts": 0, "x": 1})");
    CHECK(r.problems.size() == 5);
    CHECK(has_problem(r, "subreddits[1]", "must be"));
    CHECK(has_problem(r, "subreddits[2]", "not a subreddit"));
    CHECK(has_problem(r, "allow_nsfw", "true or false"));
    CHECK(has_problem(r, "max_attempts", "from 1 to 10"));
    CHECK(has_problem(r, "x", "unknown key"));
}

TEST_CASE("file problems: missing, a directory, empty, not JSON") {
    TempDir dir;
    SUBCASE("missing") {
        const auto r = load_reddit_sources(dir.path() / "none.json");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].url == (dir.path() / "none.json").string());
        CHECK(r.problems[0].message == "the file does not exist");
    }
    SUBCASE("a directory") {
        const auto r = load_reddit_sources(dir.path());
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].message.find("is a directory") != std::string::npos);
    }
    SUBCASE("empty") {
        write_text(dir.path() / "empty.json", "  \n");
        const auto r = load_reddit_sources(dir.path() / "empty.json");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].message.find("is empty") != std::string::npos);
    }
    SUBCASE("not JSON") {
        write_text(dir.path() / "bad.json", R"(["memes", "dankmemes",])");
        const auto r = load_reddit_sources(dir.path() / "bad.json");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].kind == SourceProblemKind::config);
        CHECK(r.problems[0].message.find("is not valid JSON (at byte") != std::string::npos);
        CHECK(r.problems[0].to_string().find("bad.json") != std::string::npos);
    }
    SUBCASE("a valid file") {
        write_text(dir.path() / "ok.json", R"(["memes"])");
        const auto r = load_reddit_sources(dir.path() / "ok.json");
        REQUIRE(r.ok());
        CHECK(r.config.subreddits.at(0).name == "memes");
    }
}

TEST_CASE("normalize_subreddit accepts the seed's spellings and rejects the rest") {
    CHECK(normalize_subreddit("memes") == "memes");
    CHECK(normalize_subreddit("  r/memes ") == "memes");
    CHECK(normalize_subreddit("R/memes") == "memes");
    CHECK(normalize_subreddit("/r/memes/") == "memes");
    CHECK(normalize_subreddit("https://www.reddit.com/r/ProgrammerHumor/") == "ProgrammerHumor");
    CHECK(normalize_subreddit("https://reddit.com/r/me_irl/top/?t=week") == "me_irl");
    CHECK(normalize_subreddit("http://old.reddit.com/r/memes") == "memes");
    CHECK(normalize_subreddit("").empty());
    CHECK(normalize_subreddit("/memes").empty());
    CHECK(normalize_subreddit("r/../etc").empty());
    CHECK(normalize_subreddit("memes/hot").empty());
    CHECK(normalize_subreddit("https://notreddit.com/r/memes").empty());
    CHECK(normalize_subreddit("https://www.reddit.com/u/someone").empty());
    CHECK(normalize_subreddit("мемы").empty());
}
