// The publishing targets against fake Google, YouTube and X servers on loopback: the bytes
// that arrive are compared with the MP4's, the metadata with what was asked for, and the
// protocols' errors (dropped connection, 401, 403 quota, 5xx, device-flow answers, 429,
// processing states, a thumbnail refused) are served as the platforms document them. Protocol
// seconds are shrunk to milliseconds; the only real wait is X's x-rate-limit-reset (whole epoch
// seconds).

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_platforms.hpp"
#include "memegen/log.hpp"
#include "publish/google_oauth.hpp"
#include "publish/oauth1.hpp"
#include "publish/publish_journal.hpp"
#include "publish/x_publisher.hpp"
#include "publish/youtube_publisher.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot::publish;
using memegen::test::FakeGoogle;
using memegen::test::FakeX;
using memegen::test::TempDir;
using namespace std::chrono_literals;

namespace {

std::filesystem::path demo_mp4() {
    return std::filesystem::path(MEMEGEN_SOURCE_ROOT) / "data/demo/memes/daily_standup.mp4";
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

GoogleOAuthConfig oauth_config(const FakeGoogle& google, const TempDir& dir) {
    GoogleOAuthConfig c;
    c.client_id = "fake-client.apps.googleusercontent.com";
    c.client_secret = google.client_secret;
    c.oauth_url = google.base_url();
    c.token_file = dir / "state" / "youtube_token.json";
    c.protocol_second = 10ms;
    return c;
}

YouTubeConfig youtube_config(const FakeGoogle& google) {
    YouTubeConfig c;
    c.api_url = google.base_url();
    c.chunk_size = 256 * 1024;
    c.retry_backoff = 5ms;
    c.privacy = "unlisted";
    return c;
}

PublishItem item(std::string id = "cand-1") {
    PublishItem i;
    i.candidate_id = std::move(id);
    i.video = demo_mp4();
    i.title = "Daily standup #Shorts";
    i.description = "From r/ProgrammerHumor\n#Shorts";
    i.tags = {"memes", "programming"};
    i.caption = "Daily standup 🎵";
    return i;
}

}  // namespace

// The expected signature was computed over https://api.twitter.com/...: docs.x.com now shows
// api.x.com in the text but kept the old signature (checked with `openssl dgst -sha1 -hmac`),
// so the example is signed with the host it was made for.
TEST_CASE("the OAuth 1.0a signature matches the worked example of X's 'Creating a signature'") {
    const OAuthParams params = {
        {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
        {"include_entities", "true"},
        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
        {"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "1318622958"},
        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
        {"oauth_version", "1.0"},
    };
    const std::string base =
        oauth_signature_base("post", "https://api.twitter.com/1.1/statuses/update.json", params);
    CHECK(base.rfind("POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&"
                     "include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog",
                     0) == 0);
    CHECK(base.find("status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%"
                    "2520OAuth%2520request%2521") != std::string::npos);
    CHECK(oauth_sign(base, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                     "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE") ==
          "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");

    SUBCASE("and the Authorization header carries it percent-encoded") {
        OAuth1Credentials keys{"xvz1evFS4wEEPTGEFPHBog",
                               "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                               "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                               "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};
        const std::string header =
            oauth_authorization(keys, "POST", "https://api.twitter.com/1.1/statuses/update.json",
                                {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
                                 {"include_entities", "true"}},
                                "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958);
        CHECK(header.find("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\"") !=
              std::string::npos);
    }
}

TEST_CASE("the device flow waits through pending and slow_down and stores the refresh token") {
    FakeGoogle google;
    TempDir dir("publish-oauth");
    google.device_interval = 2;
    GoogleOAuth oauth(oauth_config(google, dir));
    CHECK_FALSE(oauth.connected());
    const DeviceCode code = oauth.start_device_flow({});
    CHECK(code.user_code == "GQVQ-JKEC");
    CHECK(code.verification_url == "https://www.google.com/device");

    SUBCASE("authorized") {
        google.script_device_polls(
            {"authorization_pending", "slow_down", "authorization_pending", "ok"});
        CHECK(oauth.finish_device_flow(code, {}) == DeviceFlowEnd::authorized);
        CHECK(oauth.connected());
        const auto polls = google.poll_times();
        REQUIRE(polls.size() == 4);
        // interval 2 protocol seconds, then 2 + 5 after slow_down
        CHECK(polls[1] - polls[0] >= 20ms);
        CHECK(polls[2] - polls[1] >= 20ms);
        CHECK(polls[3] - polls[2] >= 70ms);
        const auto file = dir / "state" / "youtube_token.json";
        REQUIRE(std::filesystem::exists(file));
        CHECK(read_all(file).find(google.refresh_token) != std::string::npos);
        struct stat st {};
        REQUIRE(::stat(file.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);

        SUBCASE("a new process finds it, and revoking forgets it") {
            GoogleOAuth again(oauth_config(google, dir));
            CHECK(again.connected());
            again.revoke({});
            CHECK(google.revoked() == std::vector<std::string>{google.refresh_token});
            CHECK_FALSE(again.connected());
            CHECK_FALSE(std::filesystem::exists(file));
        }
    }
    SUBCASE("denied") {
        google.script_device_polls({"authorization_pending", "access_denied"});
        CHECK(oauth.finish_device_flow(code, {}) == DeviceFlowEnd::access_denied);
        CHECK_FALSE(oauth.connected());
    }
    SUBCASE("expired") {
        google.script_device_polls({"authorization_pending", "expired_token"});
        CHECK(oauth.finish_device_flow(code, {}) == DeviceFlowEnd::expired_token);
        CHECK_FALSE(oauth.connected());
    }
    SUBCASE("cancelled by the stop token") {
        google.script_device_polls({"authorization_pending"});
        std::stop_source stop;
        stop.request_stop();
        CHECK(oauth.finish_device_flow(code, stop.get_token()) == DeviceFlowEnd::cancelled);
    }
}

TEST_CASE(
    "a broken token file is moved aside and named, never quoted; the configured token serves") {
    FakeGoogle google;
    TempDir dir("publish-oauth");
    const auto file = dir / "state" / "youtube_token.json";
    std::filesystem::create_directories(file.parent_path());
    const std::string secret = "1//stored-refresh-secret";
    std::string reason;
    SUBCASE("cut short") {
        std::ofstream(file) << R"({"refresh_token": ")" << secret;
        reason = "(it is not valid JSON)";
    }
    SUBCASE("the token of the wrong type") {
        std::ofstream(file) << R"({"refresh_token": [")" << secret << R"("]})";
        reason = "(it is not a token file)";
    }
    std::vector<std::string> lines;
    memegen::set_log_sink(
        [&](memegen::LogLevel, std::string_view line) { lines.emplace_back(line); });
    auto config = oauth_config(google, dir);
    config.refresh_token = google.refresh_token;
    GoogleOAuth oauth(config);
    memegen::set_log_sink({});
    CHECK(oauth.connected());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("YouTube authorization: youtube_token.json was unreadable " + reason +
                        "; moved aside to youtube_token.json.corrupt-") != std::string::npos);
    CHECK(lines[0].find("stored-refresh-secret") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("a YouTube upload arrives byte for byte with the requested metadata") {
    FakeGoogle google;
    TempDir dir("publish-youtube");
    auto oc = oauth_config(google, dir);
    oc.refresh_token = google.refresh_token;
    GoogleOAuth oauth(oc);
    PublishJournal journal(dir / "state" / "publish_journal.json");
    YouTubePublisher youtube(youtube_config(google), oauth, journal);
    const std::string mp4 = read_all(demo_mp4());
    REQUIRE(mp4.size() > 256 * 1024);  // at least two chunks

    SUBCASE("through a dropped connection, resumed with the 308 Range") {
        google.drop_next_chunk(100000);
        std::vector<std::uint64_t> progress;
        const auto o = youtube.publish(item(), {}, [&](std::uint64_t sent, std::uint64_t total) {
            CHECK(total == mp4.size());
            progress.push_back(sent);
        });
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.url == "https://youtube.com/shorts/vids0");
        CHECK(google.sessions() == 1);
        CHECK(google.status_queries() >= 1);
        CHECK(google.session_bytes(0) == mp4);
        CHECK(progress.back() == mp4.size());
        const auto resource = google.session_resource(0);
        CHECK(resource["snippet"]["title"] == "Daily standup #Shorts");
        CHECK(resource["snippet"]["tags"] == nlohmann::json({"memes", "programming"}));
        CHECK(resource["status"]["privacyStatus"] == "unlisted");
        CHECK(resource["status"]["selfDeclaredMadeForKids"] == false);
        CHECK(google.session_headers(0)["X-Upload-Content-Length"] == std::to_string(mp4.size()));
        CHECK(google.session_headers(0)["X-Upload-Content-Type"] == "video/mp4");

        SUBCASE("and publishing the same candidate again posts nothing") {
            const auto again = youtube.publish(item(), {}, {});
            CHECK(again.ok);
            CHECK(again.url == o.url);
            CHECK(google.init_requests() == 1);
        }
    }
    SUBCASE("after an expired access token is refreshed once") {
        google.expire_access_tokens();
        (void)oauth.access_token({});  // cache a token, then make the API refuse it
        google.expire_access_tokens();
        const int before = google.refreshes();
        const auto o = youtube.publish(item(), {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(google.refreshes() == before + 1);
        CHECK(google.session_bytes(0) == mp4);
    }
    SUBCASE("through 5xx answers, retried") {
        google.fail_next_chunks(2);
        const auto o = youtube.publish(item(), {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(google.sessions() == 1);
        CHECK(google.session_bytes(0) == mp4);
    }
}

TEST_CASE("a YouTube quota 403 ends with the reason and is not retried") {
    FakeGoogle google;
    TempDir dir("publish-quota");
    auto oc = oauth_config(google, dir);
    oc.refresh_token = google.refresh_token;
    memegen::register_secret(oc.client_secret);
    GoogleOAuth oauth(oc);
    PublishJournal journal(dir / "publish_journal.json");
    YouTubePublisher youtube(youtube_config(google), oauth, journal);
    google.forbid_next_init("quotaExceeded");
    const auto o = youtube.publish(item(), {}, {});
    CHECK_FALSE(o.ok);
    CHECK_FALSE(o.retryable);
    CHECK(o.error.find("[memegen.publish] youtube:") == 0);
    CHECK(o.error.find("quotaExceeded") != std::string::npos);
    CHECK(o.error.find("quota") != std::string::npos);
    CHECK(google.init_requests() == 1);
    CHECK(o.error.find(google.refresh_token) == std::string::npos);
    CHECK(o.error.find(google.client_secret) == std::string::npos);
}

TEST_CASE("a restart resumes the journal's YouTube session instead of making a second video") {
    FakeGoogle google;
    TempDir dir("publish-restart");
    auto oc = oauth_config(google, dir);
    oc.refresh_token = google.refresh_token;
    const auto journal_file = dir / "state" / "publish_journal.json";
    const std::string mp4 = read_all(demo_mp4());
    {
        GoogleOAuth oauth(oc);
        PublishJournal journal(journal_file);
        YouTubePublisher youtube(youtube_config(google), oauth, journal);
        std::stop_source stop;
        // The bot stops (shutdown) as soon as the first chunk is acknowledged.
        const auto o = youtube.publish(item(), stop.get_token(),
                                       [&](std::uint64_t, std::uint64_t) { stop.request_stop(); });
        CHECK_FALSE(o.ok);
        CHECK(o.retryable);
        REQUIRE(google.session_bytes(0).size() == 256 * 1024);
        struct stat st {};
        REQUIRE(::stat(journal_file.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
    GoogleOAuth oauth(oc);
    PublishJournal journal(journal_file);
    CHECK_FALSE(journal.problem());
    YouTubePublisher youtube(youtube_config(google), oauth, journal);
    const auto o = youtube.publish(item(), {}, {});
    REQUIRE_MESSAGE(o.ok, o.error);
    CHECK(o.resumed);
    CHECK(google.sessions() == 1);
    CHECK(google.init_requests() == 1);
    CHECK(google.session_bytes(0) == mp4);
}

namespace {

std::filesystem::path demo_jpeg() {
    return std::filesystem::path(MEMEGEN_SOURCE_ROOT) / "data/demo/memes/tests_green.jpg";
}

}  // namespace

TEST_CASE(
    "after the upload the video's thumbnail is the candidate's JPEG, or a note says why not") {
    FakeGoogle google;
    TempDir dir("publish-thumbnail");
    auto oc = oauth_config(google, dir);
    oc.refresh_token = google.refresh_token;
    memegen::register_secret(oc.client_secret);
    GoogleOAuth oauth(oc);
    PublishJournal journal(dir / "state" / "publish_journal.json");
    auto config = youtube_config(google);
    auto with_thumbnail = item();
    with_thumbnail.thumbnail = demo_jpeg();
    const std::string jpeg = read_all(demo_jpeg());
    REQUIRE(jpeg.rfind("\xFF\xD8\xFF", 0) == 0);
    const std::string link = "https://youtube.com/shorts/vids0";

    SUBCASE("the fake receives exactly the JPEG for the new video") {
        YouTubePublisher youtube(config, oauth, journal);
        const auto o = youtube.publish(with_thumbnail, {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.url == link);
        CHECK(o.note.empty());
        const auto got = google.thumbnails();
        REQUIRE(got.size() == 1);
        CHECK(got[0].video_id == "vids0");
        CHECK(got[0].content_type == "image/jpeg");
        CHECK(got[0].bytes == jpeg);
        CHECK(journal.find("cand-1", "youtube")->state == "done");

        SUBCASE("and publishing again sets nothing more") {
            CHECK(youtube.publish(with_thumbnail, {}, {}).url == link);
            CHECK(google.thumbnail_requests() == 1);
        }
    }
    SUBCASE("a 403 leaves the video published, with the reason in a note, and is not retried") {
        google.forbid_next_thumbnail("forbidden");
        std::vector<std::string> lines;
        memegen::set_log_sink([&](memegen::LogLevel level, std::string_view line) {
            if (level == memegen::LogLevel::warning)
                lines.emplace_back(line);
        });
        const auto o = YouTubePublisher(config, oauth, journal).publish(with_thumbnail, {}, {});
        memegen::set_log_sink({});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.url == link);
        CHECK(
            o.note.starts_with("thumbnail not set: HTTP 403 forbidden (the account may not set "
                               "custom thumbnails"));
        CHECK(google.thumbnail_requests() == 1);
        CHECK(google.thumbnails().empty());
        CHECK(journal.find("cand-1", "youtube")->state == "done");
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find(o.note) != std::string::npos);
        for (const auto& secret : {google.refresh_token, google.client_secret})
            CHECK(lines[0].find(secret) == std::string::npos);
    }
    SUBCASE("an image YouTube cannot read (400 invalidImage) is not retried") {
        with_thumbnail.thumbnail = demo_mp4();  // not a JPEG
        const auto o = YouTubePublisher(config, oauth, journal).publish(with_thumbnail, {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note == "thumbnail not set: HTTP 400 invalidImage (YouTube cannot read the image)");
        CHECK(google.thumbnail_requests() == 1);
    }
    SUBCASE("a 500 is retried") {
        google.fail_next_thumbnails(1);
        const auto o = YouTubePublisher(config, oauth, journal).publish(with_thumbnail, {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note.empty());
        CHECK(google.thumbnail_requests() == 2);
        REQUIRE(google.thumbnails().size() == 1);
        CHECK(google.thumbnails()[0].bytes == jpeg);
    }
    SUBCASE("an access token that expired after the upload is refreshed once") {
        (void)oauth.access_token({});  // cached before, refused from the thumbnail on
        const int before = google.refreshes();
        const auto o =
            YouTubePublisher(config, oauth, journal)
                .publish(with_thumbnail, {}, [&](std::uint64_t sent, std::uint64_t total) {
                    if (sent == total)
                        google.expire_access_tokens();
                });
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note.empty());
        CHECK(google.refreshes() == before + 1);
        CHECK(google.thumbnails().size() == 1);
    }
    SUBCASE("nothing is sent without a thumbnail") {
        const auto o = YouTubePublisher(config, oauth, journal).publish(item(), {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note.empty());
        CHECK(google.thumbnail_requests() == 0);
    }
    SUBCASE("nothing is sent with publish.youtube.thumbnail off") {
        config.thumbnail = false;
        const auto o = YouTubePublisher(config, oauth, journal).publish(with_thumbnail, {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note.empty());
        CHECK(google.thumbnail_requests() == 0);
    }
    SUBCASE("nothing is sent for a JPEG over 2 MB, and the note says so") {
        with_thumbnail.thumbnail = dir / "big.jpg";
        std::ofstream(with_thumbnail.thumbnail, std::ios::binary)
            << jpeg << std::string(2 * 1024 * 1024, '\0');
        const auto o = YouTubePublisher(config, oauth, journal).publish(with_thumbnail, {}, {});
        REQUIRE_MESSAGE(o.ok, o.error);
        CHECK(o.note == "thumbnail not set: 'big.jpg' is " +
                            std::to_string(jpeg.size() + 2 * 1024 * 1024) +
                            " bytes, over YouTube's limit of 2097152 (2 MB)");
        CHECK(google.thumbnail_requests() == 0);
    }
}

TEST_CASE("a restart between the upload and the thumbnail sets it without a second video") {
    FakeGoogle google;
    TempDir dir("publish-thumbnail-restart");
    auto oc = oauth_config(google, dir);
    oc.refresh_token = google.refresh_token;
    const auto journal_file = dir / "state" / "publish_journal.json";
    auto with_thumbnail = item();
    with_thumbnail.thumbnail = demo_jpeg();
    {
        GoogleOAuth oauth(oc);
        PublishJournal journal(journal_file);
        YouTubePublisher youtube(youtube_config(google), oauth, journal);
        std::stop_source stop;
        // The bot stops (shutdown) as soon as the video is complete.
        const auto o = youtube.publish(with_thumbnail, stop.get_token(),
                                       [&](std::uint64_t sent, std::uint64_t total) {
                                           if (sent == total)
                                               stop.request_stop();
                                       });
        CHECK_FALSE(o.ok);
        CHECK(o.retryable);
        REQUIRE(google.sessions() == 1);
        CHECK(google.session_bytes(0) == read_all(demo_mp4()));
        CHECK(google.thumbnail_requests() == 0);
    }
    GoogleOAuth oauth(oc);
    PublishJournal journal(journal_file);
    YouTubePublisher youtube(youtube_config(google), oauth, journal);
    const auto o = youtube.publish(with_thumbnail, {}, {});
    REQUIRE_MESSAGE(o.ok, o.error);
    CHECK(o.resumed);
    CHECK(o.url == "https://youtube.com/shorts/vids0");
    CHECK(o.note.empty());
    CHECK(google.init_requests() == 1);
    CHECK(google.sessions() == 1);
    REQUIRE(google.thumbnails().size() == 1);
    CHECK(google.thumbnails()[0].video_id == "vids0");
    CHECK(google.thumbnails()[0].bytes == read_all(demo_jpeg()));
}

namespace {

// The X target against `x`, with X's protocol second shortened for the processing polls.
XConfig x_config(const FakeX& x) {
    XConfig c;
    c.api_url = x.base_url();
    c.credentials = {x.consumer_key, x.consumer_secret, x.access_token, x.access_token_secret};
    c.protocol_second = 10ms;
    return c;
}

}  // namespace

TEST_CASE("X receives the exact bytes in chunks, waits for processing and a 429, then posts") {
    FakeX x;
    TempDir dir("publish-x");
    PublishJournal journal(dir / "publish_journal.json");
    auto c = x_config(x);
    c.chunk_size = 100 * 1000;
    c.retry_backoff = 5ms;
    XPublisher publisher(c, journal);
    const std::string mp4 = read_all(demo_mp4());
    x.rate_limit_next_post(1);

    const auto o = publisher.publish(item(), {}, {});
    REQUIRE_MESSAGE(o.ok, o.error);
    CHECK(o.url == "https://x.com/i/web/status/1445880548472328192");
    CHECK(x.bad_signatures() == 0);
    CHECK(x.media_bytes() == mp4);
    CHECK(x.segments() == std::vector<int>{0, 1, 2});
    CHECK(x.init_body()["total_bytes"] == mp4.size());
    CHECK(x.init_body()["media_type"] == "video/mp4");
    CHECK(x.status_requests() == 2);  // in_progress, then succeeded
    CHECK(x.post_requests() == 2);    // the 429, then the post
    REQUIRE(x.posts().size() == 1);
    CHECK(x.posts()[0]["text"] == "Daily standup 🎵");
    CHECK(x.posts()[0]["media"]["media_ids"] == nlohmann::json({"1880028106020515840"}));

    SUBCASE("and the same candidate is not posted twice") {
        XPublisher after_restart(c, journal);
        CHECK(after_restart.publish(item(), {}, {}).url == o.url);
        CHECK(x.post_requests() == 2);
    }
}

TEST_CASE("X that keeps answering 429 without a reset time ends in a retryable failure") {
    FakeX x;
    TempDir dir("publish-x-429");
    PublishJournal journal(dir / "publish_journal.json");
    auto c = x_config(x);
    c.max_attempts = 2;
    x.rate_limit_next_post(-1, 1000);
    const auto o = XPublisher(c, journal).publish(item(), {}, {});
    CHECK_FALSE(o.ok);
    CHECK(o.retryable);
    CHECK_MESSAGE(
        o.error.find("still rate limited during posting after 2 waits") != std::string::npos,
        o.error);
    CHECK(x.post_requests() == 3);
    CHECK(x.posts().empty());
}

TEST_CASE("X processing that fails ends with X's reason") {
    FakeX x;
    TempDir dir("publish-x-fail");
    PublishJournal journal(dir / "publish_journal.json");
    auto c = x_config(x);
    x.processing_states = {"in_progress", "failed"};
    const auto o = XPublisher(c, journal).publish(item(), {}, {});
    CHECK_FALSE(o.ok);
    CHECK(o.error.find("Unsupported") != std::string::npos);
    CHECK(x.post_requests() == 0);
}
