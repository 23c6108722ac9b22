// End-to-end: the real memegen-bot's metrics endpoint scraped over HTTP while it works, and
// memes fetched from a fake Reddit joining its library (and staying used across a restart).
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "fake_reddit.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::FakeReddit;
using memegen::test::kOwner;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A port that was free a moment ago (bind to 0, read it, close).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// "name{labels}" -> value of a scraped page.
std::map<std::string, double> scrape(int port) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10, 0);
    const auto response = client.Get("/metrics");
    REQUIRE(response);
    REQUIRE(response->status == 200);
    std::map<std::string, double> samples;
    std::istringstream lines(response->body);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        const auto space = line.rfind(' ');
        samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return samples;
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(50ms);
    }
    return condition();
}

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string last_text(const FakeBotApi& api, std::int64_t chat) {
    const auto messages = api.sent_messages(chat);
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
        if (it->contains("text"))
            return (*it)["text"].get<std::string>();
    }
    return {};
}

}  // namespace

TEST_CASE("the metrics endpoint counts a /generate and a scraper sees it") {
    TempDir dir{"memegen-e2e-metrics"};
    FakeBotApi api;
    memegen::test::make_libraries(dir / "media", dir / "music", 3);
    auto config = memegen::test::test_config(api, dir.path());
    const int port = free_port();
    config["metrics"] = {{"enabled", true}, {"address", "127.0.0.1"}, {"port", port}};
    BotProcess bot(dir.path(), config);
    REQUIRE(api.wait_for_calls("setMyCommands", 1, kWait));
    REQUIRE(wait_for([&] { return bot.log().find("metrics: serving") != std::string::npos; }));

    auto page = scrape(port);
    CHECK(page.at("memegen_generation_guard_held") == 0);
    CHECK(page.at("memegen_generations_total{trigger=\"command\",result=\"ok\"}") == 0);
    CHECK(page.at("process_resident_memory_bytes") > 1e6);
    // The bot itself, idle: renders are children. Under AddressSanitizer its shadow memory and
    // quarantine count in RSS too (114 MB idle with the publish and housekeeping threads).
#if defined(__SANITIZE_ADDRESS__)
    constexpr double kIdleBound = 300e6;
#else
    constexpr double kIdleBound = 100e6;
#endif
    CHECK(page.at("process_resident_memory_bytes") < kIdleBound);

    api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(api.wait_for_calls("sendVideo", 1, kWait));
    REQUIRE(wait_for([&] {
        return scrape(port).at("memegen_generations_total{trigger=\"command\",result=\"ok\"}") == 1;
    }));
    page = scrape(port);
    CHECK(page.at("memegen_render_duration_seconds_count") >= 1);
    CHECK(page.at("memegen_render_duration_seconds_sum") > 0);
    CHECK(page.at("memegen_generations_total{trigger=\"batch\",result=\"ok\"}") == 0);

    SUBCASE("/status and stats.json agree with it, and the count survives a restart") {
        api.push_message(kOwner, kOwner, "/status");
        REQUIRE(api.wait_until(
            [&] {
                return last_text(api, kOwner).find("Generations today: 1 done / 0 failed") !=
                       std::string::npos;
            },
            kWait));
        const auto stats = json::parse(read_text(dir / "state" / "stats.json"));
        CHECK(stats["done"] == 1);
        CHECK(stats["last_render_peak_bytes"].get<double>() > 0);
    }
    CHECK(bot.log().find(api.token()) == std::string::npos);
}

TEST_CASE("a taken metrics port is reported and the bot serves on") {
    TempDir dir{"memegen-e2e-metrics"};
    FakeBotApi api;
    memegen::test::make_libraries(dir / "media", dir / "music", 2);
    httplib::Server squatter;
    const int port = squatter.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    auto config = memegen::test::test_config(api, dir.path());
    config["metrics"] = {{"enabled", true}, {"port", port}};
    BotProcess bot(dir.path(), config);
    REQUIRE(api.wait_for_calls("setMyCommands", 1, kWait));
    api.push_message(kOwner, kOwner, "/status");
    REQUIRE(api.wait_until(
        [&] { return last_text(api, kOwner).find("System status") != std::string::npos; }, kWait));
    const auto status = last_text(api, kOwner);
    CHECK(status.find("cannot listen on 127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("memes from a subreddit join the library, are rendered, and are not fetched twice") {
    TempDir dir{"memegen-e2e-reddit"};
    FakeBotApi api;
    FakeReddit reddit;
    memegen::test::SampleMedia media;
    const char* demo_dir = std::getenv("MEMEGEN_DEMO_MEMES");
    REQUIRE_MESSAGE(demo_dir != nullptr, "run through meson test");
    const fs::path demo = demo_dir;
    media.png = read_text(demo / "build_passes_first_try.png");
    media.jpg = read_text(demo / "reading_my_own_code.jpg");
    media.gif = "GIF89a not really a gif";  // passes the signature check, fails the probe
    reddit.install_sample("memes", media);

    memegen::test::make_libraries(dir / "media", dir / "music", 1);
    const auto sources = dir / "reddit_sources.json";
    std::ofstream(sources) << json{{"subreddits", {"memes"}},
                                   {"base_url", reddit.base_url()},
                                   {"media_hosts", {"127.0.0.1"}},
                                   {"user_agent", "linux:memegen-bot-test:1 (by /u/test)"},
                                   {"retry_backoff_s", 0.01},
                                   {"max_downloads_per_fetch", 5}}
                                  .dump();
    auto config = memegen::test::test_config(api, dir.path());
    config["reddit"] = {{"sources_file", sources.string()}, {"fetch_count", 3}};

    const auto reddit_files = [&] {
        int n = 0;
        for (const auto& e : fs::directory_iterator(dir / "media")) {
            const auto name = e.path().filename().string();
            n += name.starts_with("reddit_") && !name.ends_with(".json");
        }
        return n;
    };
    {
        BotProcess bot(dir.path(), config);
        REQUIRE(api.wait_for_calls("setMyCommands", 1, kWait));
        // The PNG and the JPEG pass the probe; the fake GIF is refused and recorded.
        REQUIRE(wait_for([&] { return reddit_files() == 2; }));
        REQUIRE(wait_for([&] {
            return read_text(dir / "state" / "problem_history.json").find("source_error") !=
                   std::string::npos;
        }));
        const auto png =
            dir / "media" / ("reddit_memes_" + FakeReddit::sample_post_id("memes", "png") + ".png");
        REQUIRE(fs::exists(png));
        const auto sidecar = json::parse(read_text(png.string() + ".json"));
        CHECK(sidecar["source"] == FakeReddit::sample_permalink("memes", "png"));
        CHECK(read_text(png) == media.png);
        const auto history = read_text(dir / "state" / "reddit_history.json");
        CHECK(history.find(FakeReddit::sample_permalink("memes", "png")) != std::string::npos);
        CHECK_FALSE(
            fs::exists(dir / "media" / ".reddit-incoming" /
                       ("reddit_memes_" + FakeReddit::sample_post_id("memes", "gif") + ".gif")));

        // Three memes now (the local one and two from Reddit): /generate 3 uses them all.
        api.push_message(kOwner, kOwner, "/generate 3");
        REQUIRE(api.wait_for_calls("sendVideo", 3, kWait));
        for (const auto& request : reddit.requests())
            CHECK(request.user_agent == "linux:memegen-bot-test:1 (by /u/test)");
    }
    // After a restart the same posts are not downloaded again.
    const auto png_path = FakeReddit::sample_media_path("memes", "png");
    const auto before = reddit.request_count(png_path);
    CHECK(before == 1);
    const auto video_path = FakeReddit::sample_media_path("memes", "video");
    const auto videos_before = reddit.request_count(video_path);
    {
        BotProcess bot(dir.path(), config);
        REQUIRE(api.wait_for_calls("setMyCommands", 2, kWait));
        // A fetch goes down the listing in order: once this run has reached the video post
        // (the last with media, never admitted), it has passed the PNG.
        REQUIRE(wait_for([&] { return reddit.request_count(video_path) > videos_before; }));
        CHECK(reddit.request_count(png_path) == before);
        CHECK(reddit_files() == 2);
    }
}

TEST_CASE(
    "a subreddit meme that looks like a library meme is refused, counted, messaged to no one") {
    TempDir dir{"memegen-e2e-reddit-look-alike"};
    FakeBotApi api;
    FakeReddit reddit;
    memegen::test::SampleMedia media;
    const char* demo_dir = std::getenv("MEMEGEN_DEMO_MEMES");
    REQUIRE_MESSAGE(demo_dir != nullptr, "run through meson test");
    const fs::path demo = demo_dir;
    media.png = read_text(demo / "build_passes_first_try.png");  // in the library too, below
    media.jpg = read_text(demo / "reading_my_own_code.jpg");
    media.gif = "GIF89a not really a gif";
    reddit.install_sample("memes", media);
    memegen::test::make_libraries(dir / "media", dir / "music", 1);
    fs::copy_file(demo / "build_passes_first_try.png", dir / "media" / "build_passes.png");
    const auto sources = dir / "reddit_sources.json";
    std::ofstream(sources) << json{{"subreddits", {"memes"}},
                                   {"base_url", reddit.base_url()},
                                   {"media_hosts", {"127.0.0.1"}},
                                   {"user_agent", "linux:memegen-bot-test:1 (by /u/test)"},
                                   {"retry_backoff_s", 0.01},
                                   {"max_downloads_per_fetch", 5}}
                                  .dump();
    auto config = memegen::test::test_config(api, dir.path());
    config["reddit"] = {{"sources_file", sources.string()}, {"fetch_count", 3}};

    BotProcess bot(dir.path(), config);
    REQUIRE(api.wait_for_calls("setMyCommands", 1, kWait));
    // The PNG post is the library's build_passes.png: downloaded, refused, logged.
    REQUIRE(wait_for([&] {
        return bot.log().find("refused: it looks like build_passes.png (0 bits apart") !=
               std::string::npos;
    }));
    const auto jpg =
        dir / "media" / ("reddit_memes_" + FakeReddit::sample_post_id("memes", "jpg") + ".jpg");
    REQUIRE(wait_for([&] { return fs::exists(jpg); }));  // the JPEG post is a meme of its own
    CHECK_FALSE(fs::exists(
        dir / "media" / ("reddit_memes_" + FakeReddit::sample_post_id("memes", "png") + ".png")));
    CHECK(read_text(dir / "state" / "problem_history.json").find("build_passes") ==
          std::string::npos);  // not a problem of the source

    api.push_message(kOwner, kOwner, "/status");
    REQUIRE(wait_for(
        [&] { return last_text(api, kOwner).find("System status") != std::string::npos; }));
    CHECK(last_text(api, kOwner).find("Near-duplicates refused today: 1") != std::string::npos);
    // /status's reply is the only message anyone got.
    CHECK(api.all_sent_messages().size() == 1);
}
