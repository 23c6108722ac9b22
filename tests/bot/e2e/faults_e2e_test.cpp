// Fault injection, end to end (issue 11): the real memegen-bot killed with -9 mid-render and
// restarted at once, started on broken state files, and polling a server that does not hold
// long polls — checked by what the fake Bot API receives and what /proc shows.

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kOwner;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Render children of this test's bots alive now: processes whose command line has
// --render-job and a path under `dir` (other tests on the machine render too).
int render_children(const std::string& dir) {
    int n = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string cmdline = read_text(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find("--render-job") == std::string::npos ||
            cmdline.find(dir) == std::string::npos) {
            continue;
        }
        // A zombie renders no more: only living children count.
        const auto stat = read_text(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z')
            continue;
        // A task a render child cloned is part of that render, not a second one: under ASan,
        // LeakSanitizer's exit-time check clones a tracer (CLONE_VM, no CLONE_THREAD) that
        // shows in /proc with the child's own command line.
        if (close != std::string::npos) {
            std::istringstream fields(stat.substr(close + 2));
            char state = 0;
            pid_t parent = 0;
            fields >> state >> parent;
            std::string parent_cmdline =
                read_text(std::filesystem::path("/proc") / std::to_string(parent) / "cmdline");
            if (parent_cmdline.find("--render-job") != std::string::npos)
                continue;
        }
        ++n;
    }
    return n;
}

// utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat).
long long cpu_ticks(pid_t pid) {
    const auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::stoll(field);
        if (i == 15)
            stime = std::stoll(field);
    }
    return utime + stime;
}

struct Fixture {
    TempDir dir{"memegen-faults"};
    FakeBotApi api;
    json config;

    explicit Fixture(FakeBotApi::Options options = {}) : api(std::move(options)) {
        memegen::test::make_libraries(dir / "media", dir / "music", 4);
        config = memegen::test::test_config(api, dir.path());
    }

    std::filesystem::path state() const { return dir / "state"; }

    std::vector<std::string> texts(std::int64_t chat) const { return api.sent_texts(chat); }

    bool wait_for_text(std::int64_t chat, const std::string& needle, std::size_t after = 0) const {
        return api.wait_until(
            [&] {
                const auto all = texts(chat);
                for (std::size_t i = after; i < all.size(); ++i) {
                    if (all[i].find(needle) != std::string::npos)
                        return true;
                }
                return false;
            },
            kWait);
    }

    static bool wait_log(const BotProcess& bot, const std::string& needle, std::size_t count = 1) {
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto log = bot.log();
            std::size_t n = 0;
            for (auto pos = log.find(needle); pos != std::string::npos;
                 pos = log.find(needle, pos + 1)) {
                ++n;
            }
            if (n >= count)
                return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }
};

// Watches /proc every 20 ms for the highest number of render children alive at once.
class RenderSampler {
  public:
    explicit RenderSampler(std::string dir)
        : thread_([this, dir = std::move(dir)](std::stop_token stop) {
              while (!stop.stop_requested()) {
                  const int n = render_children(dir);
                  peak_ = std::max(peak_.load(), n);
                  if (n > 0)
                      ++seen_;
                  std::this_thread::sleep_for(20ms);
              }
          }) {}
    [[nodiscard]] int peak() const { return peak_; }
    [[nodiscard]] int samples_with_render() const { return seen_; }

  private:
    std::atomic<int> peak_{0};
    std::atomic<int> seen_{0};
    std::jthread thread_;
};

}  // namespace

TEST_CASE("kill -9 mid-render and an immediate restart never run two renders at once") {
    Fixture f;
    // Renders long enough (1080x1920, 55 s, x264 medium) to be killed mid-way every time.
    auto long_config = f.config;
    long_config["render"]["min_seconds"] = 55.0;
    long_config["render"]["max_seconds"] = 55.0;
    long_config["render"]["size"] = "1080x1920";
    long_config["render"]["fps"] = 24;
    long_config["render"]["preset"] = "medium";

    RenderSampler sampler(f.dir.path().string());
    constexpr int kCycles = 20;
    for (int cycle = 0; cycle < kCycles; ++cycle) {
        f.api.push_message(kOwner, kOwner, "/generate");
        BotProcess bot(f.dir.path(), long_config);
        REQUIRE(Fixture::wait_log(bot, "render child started"));
        bot.signal(SIGKILL);
        REQUIRE(bot.wait_exit(kWait));
        // The next bot starts at once: its start must wait for the orphan, not run beside it.
    }
    // Then a normal run: the interrupted generations end and a candidate still arrives.
    {
        BotProcess bot(f.dir.path(), f.config);
        REQUIRE(f.api.wait_for_calls("setMyCommands", kCycles + 1, kWait));
        const auto videos = f.api.call_count("sendVideo");
        f.api.push_message(kOwner, kOwner, "/generate");
        REQUIRE(f.api.wait_for_calls("sendVideo", videos + 1, kWait));
        CHECK(f.wait_for_text(kOwner, "ended"));  // the unclean end is reported to the owner
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(kWait));
    }
    CHECK(sampler.samples_with_render() > 0);  // the sampler did see the renders
    CHECK(sampler.peak() == 1);
    // No orphan render outlived its bot, and none left files behind in work/.
    CHECK(render_children(f.dir.path().string()) == 0);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(f.state() / "work", ec))
        CHECK_MESSAGE(entry.path().extension() != ".json", entry.path().string());
}

TEST_CASE("broken state files never stop the bot: moved aside, reported, /status works") {
    Fixture f;
    std::filesystem::create_directories(f.state());
    // Files this bot owns and their wrong shapes; each SUBCASE breaks all of them one way (six).
    const std::vector<std::string> files = {
        "generation_state.json", "offset.json", "candidates.json",
        "schedule.json",         "stats.json",  "history.json",
        "library_index.json"};
    std::map<std::string, std::string> content;
    bool as_directory = false;
    SUBCASE("garbage") {
        for (const auto& file : files)
            content[file] = std::string("\x01\x02not json\xff", 12);
    }
    SUBCASE("wrong types") {
        content["generation_state.json"] =
            R"({"state": "generating", "details": {"pid": "abc", "label": 42},)"
            R"( "timestamp": "2025-10-03T15:30:45+07:00"})";
        content["offset.json"] = R"({"last_update_id": "seven"})";
        content["candidates.json"] = R"({"candidates": [{"id": 5}]})";
        content["schedule.json"] = R"({"version": "1", "plan": []})";
        content["stats.json"] = R"({"date": 20261201, "done": "many"})";
        content["history.json"] = R"({"memes": "meme0.png", "music": 7})";
        content["library_index.json"] = R"({"files": {"media/meme0.png": {"size": "big"}}})";
    }
    SUBCASE("a JSON value of another kind") {
        for (const auto& file : files)
            content[file] = "[1, 2, 3]";
        content["generation_state.json"] = "\"generating\"";
    }
    SUBCASE("cut short (a write that a full disk stopped)") {
        for (const auto& file : files)
            content[file] = R"({"state": "generat)";
    }
    SUBCASE("empty") {
        for (const auto& file : files)
            content[file] = "";
    }
    SUBCASE("a directory in the file's place (root reads any file, so this is 'unreadable')") {
        as_directory = true;
    }
    for (const auto& file : files) {
        if (as_directory)
            std::filesystem::create_directories(f.state() / file / "inside");
        else
            std::ofstream(f.state() / file, std::ios::binary) << content[file];
    }

    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "System status"));
    CHECK(bot.running());
    const auto texts = f.texts(kOwner);
    std::string status;
    for (const auto& t : texts) {
        if (t.find("System status") != std::string::npos)
            status = t;
    }
    CHECK(status.find("was unreadable") != std::string::npos);
    for (const auto& file : files) {
        bool moved = false;
        for (const auto& entry : std::filesystem::directory_iterator(f.state()))
            moved = moved || entry.path().filename().string().starts_with(file + ".corrupt-");
        CHECK_MESSAGE(moved, file);
    }
    // Every file was recorded as state_corrupt, naming the file.
    const auto history = json::parse(read_text(f.state() / "problem_history.json"));
    for (const auto& file : files) {
        bool recorded = false;
        for (const auto& p : history) {
            recorded = recorded || (p["stage"] == "state_corrupt" &&
                                    p["error"].get<std::string>().find(file) != std::string::npos);
        }
        CHECK_MESSAGE(recorded, file);
    }
    // And the bot goes on: a generation still works, and its counts and history are saved
    // again where the broken files were.
    f.api.push_message(kOwner, kOwner, "/generate");
    CHECK(f.api.wait_for_calls("sendVideo", 1, kWait));
    // The count is saved just after the upload: wait for it rather than race it.
    CHECK(f.api.wait_until(
        [&] {
            const auto stats = json::parse(read_text(f.state() / "stats.json"), nullptr, false);
            return stats.is_object() && stats.value("done", 0) == 1;
        },
        kWait));
    CHECK(std::filesystem::is_regular_file(f.state() / "history.json"));
    bot.signal(SIGTERM);
    const auto end = bot.wait_exit(kWait);
    REQUIRE(end);
    CHECK(WIFEXITED(*end));
    CHECK(WEXITSTATUS(*end) == 0);
}

TEST_CASE("a second bot on the same state directory refuses to start and names the first") {
    Fixture f;
    BotProcess first(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
    BotProcess second(f.dir.path(), f.config);
    const auto end = second.wait_exit(kWait);
    REQUIRE(end);
    CHECK(WIFEXITED(*end));
    CHECK(WEXITSTATUS(*end) == 3);
    CHECK(second.log().find("pid " + std::to_string(first.pid())) != std::string::npos);
    CHECK(first.running());
}

TEST_CASE("a server that answers getUpdates at once does not make the bot spin") {
    FakeBotApi::Options options;
    options.hold_polls = false;
    Fixture f(options);
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
    // Let start-up work finish before measuring the idle loop: the library check has probed
    // all 4 memes and 2 tracks (the index is written atomically after each batch).
    REQUIRE(f.api.wait_until(
        [&] {
            const auto index =
                json::parse(read_text(f.state() / "library_index.json"), nullptr, false);
            return index.is_object() && index.contains("files") && index["files"].size() == 6;
        },
        kWait));
    REQUIRE(f.api.wait_for_calls("getUpdates", 3, kWait));
    const long long ticks_before = cpu_ticks(bot.pid());
    const auto polls_before = f.api.call_count("getUpdates");
    const auto start = std::chrono::steady_clock::now();
    // A measurement window, not a wait for an event: CPU use is a rate.
    std::this_thread::sleep_for(5s);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = static_cast<double>(cpu_ticks(bot.pid()) - ticks_before) /
                       static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
    const auto polls = f.api.call_count("getUpdates") - polls_before;
    MESSAGE("CPU " << cpu * 100 << " %, " << polls << " polls in " << seconds << " s");
    CHECK(cpu < 0.05);
    CHECK(polls <= static_cast<std::size_t>(seconds) + 2);
    CHECK(polls >= 1);
    bot.signal(SIGTERM);
    REQUIRE(bot.wait_exit(kWait));
}

TEST_CASE("SIGTERM mid-batch: the progress message says so before exit; the owner is told after") {
    Fixture f;
    auto long_config = f.config;
    long_config["render"]["min_seconds"] = 55.0;
    long_config["render"]["max_seconds"] = 55.0;
    long_config["render"]["size"] = "1080x1920";
    long_config["render"]["fps"] = 24;
    long_config["render"]["preset"] = "medium";
    std::int64_t progress_id = 0;
    {
        BotProcess bot(f.dir.path(), long_config);
        REQUIRE(f.api.wait_for_calls("setMyCommands", 1, kWait));
        f.api.push_message(kOwner, kOwner, "/generate 3");
        REQUIRE(f.wait_for_text(kOwner, "Generating: 0 of 3"));
        progress_id = f.api.sent_messages(kOwner).front()["message_id"].get<std::int64_t>();
        REQUIRE(Fixture::wait_log(bot, "render child started"));
        const auto term = std::chrono::steady_clock::now();
        bot.signal(SIGTERM);
        // systemd's stop timeout (TimeoutStopSec, 15 s by default) is the bound.
        const auto end = bot.wait_exit(15s);
        REQUIRE(end);
        MESSAGE("stopped in "
                << std::chrono::duration<double>(std::chrono::steady_clock::now() - term).count()
                << " s");
        CHECK(WIFEXITED(*end));
        CHECK(WEXITSTATUS(*end) == 0);
        const auto log = bot.log();
        CHECK(log.find("received SIGTERM: stopping") != std::string::npos);
        CHECK(log.find("stop requested before the request") == std::string::npos);
    }
    // The progress message, edited in place before the exit: one message, its last word.
    const auto progress = f.api.message(progress_id);
    REQUIRE(progress);
    CHECK((*progress)["text"] == "⏹ Stopped by shutdown: 0 of 3 made.");
    CHECK(f.api.call_count("sendVideo") == 0);
    const auto before = f.texts(kOwner).size();
    CHECK(before == 1);  // only the progress message: no "cancelled", no failure

    BotProcess again(f.dir.path(), f.config);
    REQUIRE(f.wait_for_text(kOwner, "was interrupted", before));
    const auto texts = f.texts(kOwner);
    int told = 0;
    for (const auto& t : texts) {
        if (t.find("was interrupted") != std::string::npos) {
            ++told;
            CHECK(t.find("/generate 3") != std::string::npos);
            CHECK(t.find("0 of 3 made") != std::string::npos);
        }
    }
    CHECK(told == 1);
    // Said once: a further restart has nothing to tell.
    again.signal(SIGTERM);
    REQUIRE(again.wait_exit(kWait));
    CHECK_FALSE(std::filesystem::exists(f.state() / "batch.json"));
    BotProcess third(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 3, kWait));
    f.api.push_message(kOwner, kOwner, "/help");
    REQUIRE(f.wait_for_text(kOwner, "/runscheduled"));
    int told_again = 0;
    for (const auto& t : f.texts(kOwner))
        told_again += t.find("was interrupted") != std::string::npos;
    CHECK(told_again == 1);
}

TEST_CASE("offsets carry the bot's id; stale and reset-server update ids are logged") {
    FakeBotApi::Options options;
    options.future_offset_from_head = true;  // a server whose ids restarted
    Fixture f(options);
    std::filesystem::create_directories(f.state());
    const auto offset_file = f.state() / "offset.json";

    SUBCASE("offsets of another bot (a state dir reused with another token) start fresh") {
        // Without the id, the saved offset would drop this bot's commands as already handled.
        std::ofstream(offset_file) << R"({"bot_id": 42, "last_update_id": 500003, "attempts": {}})";
        f.api.push_message(kOwner, kOwner, "/help");
        BotProcess bot(f.dir.path(), f.config);
        REQUIRE(f.wait_for_text(kOwner, "/runscheduled"));
        CHECK(bot.log().find("holds the offset of bot 42, this is bot " +
                             std::to_string(FakeBotApi::bot_user_id())) != std::string::npos);
        REQUIRE(f.api.wait_until(
            [&] {
                const auto j = json::parse(read_text(offset_file), nullptr, false);
                return j.is_object() && j["bot_id"] == FakeBotApi::bot_user_id();
            },
            kWait));
    }
    SUBCASE("ids far below the saved offset: the server was reset, the bot re-syncs") {
        std::ofstream(offset_file)
            << json{{"bot_id", FakeBotApi::bot_user_id()}, {"last_update_id", 900000}}.dump();
        f.api.push_message(kOwner, kOwner, "/help");
        BotProcess bot(f.dir.path(), f.config);
        REQUIRE(f.wait_for_text(kOwner, "/runscheduled"));
        CHECK(bot.log().find("re-synced") != std::string::npos);
        CHECK(f.texts(kOwner).size() == 1);
    }
    SUBCASE("an update at or below the saved offset is dropped, and the log says so") {
        // A few ids below the offset: a replay, not a reset.
        std::ofstream(offset_file)
            << json{{"bot_id", FakeBotApi::bot_user_id()}, {"last_update_id", 500010}}.dump();
        const auto stale = f.api.push_message(kOwner, kOwner, "/help");
        BotProcess bot(f.dir.path(), f.config);
        CHECK(Fixture::wait_log(bot, "update " + std::to_string(stale) + " dropped"));
        CHECK(f.texts(kOwner).empty());
    }
}

TEST_CASE("a broken subreddit history is moved aside and recorded; the bot goes on") {
    Fixture f;
    std::filesystem::create_directories(f.state());
    const auto sources = f.dir / "reddit_sources.json";
    // Nothing listens on port 9: fetches fail (and are reported), the history is read first.
    std::ofstream(sources) << json{
        {"subreddits", {"memes"}},
        {"base_url", "http://127.0.0.1:9"},
        {"max_attempts", 1}}.dump();
    f.config["reddit"] = {{"sources_file", sources.string()}};
    const auto history_file = f.state() / "reddit_history.json";
    SUBCASE("garbage") {
        std::ofstream(history_file) << "{\"not\": ";
    }
    SUBCASE("a list of something else") {
        std::ofstream(history_file) << R"(["https://reddit.com/r/memes/1", 5])";
    }
    SUBCASE("a directory") {
        std::filesystem::create_directories(history_file / "inside");
    }
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(Fixture::wait_log(bot, "reddit_history.json was unreadable"));
    REQUIRE(f.api.wait_until(
        [&] {
            const auto text = read_text(f.state() / "problem_history.json");
            return text.find("reddit_history.json was unreadable") != std::string::npos;
        },
        kWait));
    const auto history = json::parse(read_text(f.state() / "problem_history.json"));
    bool recorded = false;
    for (const auto& p : history) {
        recorded = recorded ||
                   (p["stage"] == "state_corrupt" &&
                    p["error"].get<std::string>().find("reddit_history.json") != std::string::npos);
    }
    CHECK(recorded);
    CHECK_FALSE(std::filesystem::is_directory(history_file));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "System status"));
    CHECK(bot.running());
}
