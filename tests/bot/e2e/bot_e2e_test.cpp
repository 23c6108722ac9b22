// End-to-end: the real memegen-bot binary against the fake Bot API on loopback, rendering
// real videos in child processes, checked by what arrives at the fake server.

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <memegen/detail/clock.hpp>
#include <memegen/generation_guard.hpp>

#include "../../render/media_probe.hpp"
#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kAdmin;
using memegen::test::kChannel;
using memegen::test::kOwner;
using memegen::test::kStranger;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

struct Fixture {
    TempDir dir{"memegen-e2e"};
    FakeBotApi api;
    json config;

    explicit Fixture(int memes = 4) {
        memegen::test::make_libraries(dir / "media", dir / "music", memes);
        config = memegen::test::test_config(api, dir.path());
    }

    // Texts of the messages the bot sent to `chat`, in order.
    std::vector<std::string> texts(std::int64_t chat) const { return api.sent_texts(chat); }

    bool wait_for_text(std::int64_t chat, const std::string& needle,
                       std::chrono::milliseconds timeout = kWait) const {
        return api.wait_until(
            [&] {
                for (const auto& t : texts(chat)) {
                    if (t.find(needle) != std::string::npos)
                        return true;
                }
                return false;
            },
            timeout);
    }

    int count_texts(std::int64_t chat, const std::string& needle) const {
        int n = 0;
        for (const auto& t : texts(chat))
            n += t.find(needle) != std::string::npos;
        return n;
    }

    // A configuration whose renders take long enough (1320 frames at 1080x1920, x264
    // medium: many seconds on any machine) to be interrupted mid-way.
    json long_render_config() const {
        auto c = config;
        c["render"]["min_seconds"] = 55.0;
        c["render"]["max_seconds"] = 55.0;
        c["render"]["size"] = "1080x1920";
        c["render"]["fps"] = 24;
        c["render"]["preset"] = "medium";
        return c;
    }

    bool wait_ready() const { return api.wait_for_calls("setMyCommands", 1, kWait); }

    // A render child is running (the bot also starts short-lived probe children for its
    // libraries, so "has a child" is not enough).
    static bool wait_render_started(const BotProcess& bot) {
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (std::chrono::steady_clock::now() < deadline) {
            if (bot.log().find("render child started") != std::string::npos)
                return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    // The guard is released after a job's last message: wait for the unlock line.
    static bool wait_unlocked(const BotProcess& bot, int count = 1) {
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto log = bot.log();
            int n = 0;
            for (auto pos = log.find("Generation unlocked"); pos != std::string::npos;
                 pos = log.find("Generation unlocked", pos + 1)) {
                ++n;
            }
            if (n >= count)
                return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
};

// Videos under `state` that are not finished: the renders' temporary files, and any MP4 a
// render did not complete.
std::vector<std::string> partial_videos(const std::filesystem::path& state) {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(state, ec)) {
        if (e.path().extension() == ".mp4")  // not "meme.mp4.request.json"
            found.push_back(e.path());
    }
    return found;
}

}  // namespace

TEST_CASE("/status on an idle bot shows memory and FREE") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "System status"));
    const auto status = f.texts(kOwner).back();
    CHECK(status.find("RSS: ") != std::string::npos);
    CHECK(status.find("VMS: ") != std::string::npos);
    CHECK(status.find("Threads: ") != std::string::npos);
    CHECK(status.find("Generation: FREE") != std::string::npos);
    CHECK(f.api.commands().size() >= 5);

    SUBCASE("and SIGTERM ends it cleanly, confirming the offset") {
        bot.signal(SIGTERM);
        const auto status_code = bot.wait_exit(10s);
        REQUIRE(status_code);
        CHECK(WIFEXITED(*status_code));
        CHECK(WEXITSTATUS(*status_code) == 0);
        CHECK(f.api.pending_updates() == 0);
    }
    CHECK(bot.log().find(f.api.token()) == std::string::npos);
}

TEST_CASE("/generate 3 then /generate 2 at once: the second is refused, exactly 3 videos arrive") {
    Fixture f(6);
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate 3");
    f.api.push_message(kOwner, kOwner, "/generate 2");
    REQUIRE(f.wait_for_text(kOwner, "A generation is already running (started "));
    REQUIRE(f.wait_for_text(kOwner, "Done. OK: 3, failed: 0."));
    const auto videos = f.api.calls("sendVideo");
    REQUIRE(videos.size() == 3);
    std::set<std::string> captions;
    for (const auto& call : videos) {
        const auto video_part =
            std::find_if(call.files.begin(), call.files.end(),
                         [](const auto& file) { return file.field == "video"; });
        REQUIRE(video_part != call.files.end());
        const auto& video = *video_part;
        CHECK(video.filename == "meme.mp4");
        const auto thumb = std::find_if(call.files.begin(), call.files.end(),
                                        [](const auto& file) { return file.field == "thumbnail"; });
        REQUIRE(thumb != call.files.end());
        CHECK(thumb->size > 0);
        CHECK(thumb->size < 200 * 1024);
        CHECK(call.params["width"] == "180");
        CHECK(call.params["height"] == "320");
        CHECK(call.params["supports_streaming"] == "true");
        CHECK(json::parse(call.params["reply_markup"].get<std::string>())
                  .contains("inline_keyboard"));
        const auto facts = memegen::test::probe(video.saved_path);
        CHECK(facts.video_codec == "h264");
        CHECK(facts.width == 180);
        CHECK(facts.height == 320);
        CHECK(facts.audio_codec == "aac");
        captions.insert(call.params["caption"].get<std::string>().substr(0, 20));
    }
    CHECK(captions.size() == 3);  // three different memes
    CHECK(f.count_texts(kOwner, "A generation is already running") == 1);
    REQUIRE(Fixture::wait_unlocked(bot));
    const auto log = bot.log();
    INFO(log);
    CHECK(log.find("🔒 Generation locked (/generate 3 by @user1001)") != std::string::npos);
    CHECK(log.find("[gen_2_0_end] Memory: ") != std::string::npos);
    CHECK(log.find("[after_unlock] Memory: ") != std::string::npos);
    CHECK(log.find(f.api.token()) == std::string::npos);
}

TEST_CASE("a stranger is refused once and nothing renders; a bad N gets the usage") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kStranger, kStranger, "/generate");
    f.api.push_message(kStranger, kStranger, "/generate 5");
    f.api.push_message(kAdmin, kAdmin, "/generate 0");
    f.api.push_message(kAdmin, kAdmin, "/generate 21");
    f.api.push_message(kAdmin, kAdmin, "/generate abc");
    REQUIRE(
        f.api.wait_until([&] { return f.count_texts(kAdmin, "Usage: /generate") == 3; }, kWait));
    // Updates are handled in order and a refusal is sent before the next update is taken: once
    // the admin's later commands are answered, every reply to the stranger has been sent.
    CHECK(f.texts(kStranger).size() == 1);
    CHECK(f.count_texts(kStranger, "only works for its owner") == 1);
    CHECK(f.api.call_count("sendVideo") == 0);
}

TEST_CASE("Publish posts to the channel once, however often it is pressed") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    // A call is recorded when it arrives; the message exists once it has been answered.
    REQUIRE(f.api.wait_until(
        [&] {
            const auto sent = f.api.sent_messages(kOwner);
            return !sent.empty() && sent.back().contains("video");
        },
        kWait));
    const auto sent = f.api.sent_messages(kOwner);
    REQUIRE(!sent.empty());
    const auto review = sent.back();
    REQUIRE(review.contains("video"));
    const auto keyboard = review["reply_markup"]["inline_keyboard"];
    const auto publish = keyboard[0][0]["callback_data"].get<std::string>();
    REQUIRE(publish.rfind("p:", 0) == 0);

    f.api.push_callback(kOwner, review["message_id"].get<std::int64_t>(), publish);
    f.api.push_callback(kOwner, review["message_id"].get<std::int64_t>(), publish);
    REQUIRE(f.api.wait_until([&] { return f.api.answered_callbacks().size() == 2; }, kWait));
    // The post goes out from the Telegram target's worker; the candidate's caption ends with
    // its link.
    const auto review_id = review["message_id"].get<std::int64_t>();
    REQUIRE(f.api.wait_until(
        [&] {
            return f.api.message(review_id)->value("caption", std::string{}).find("✅ Telegram") !=
                   std::string::npos;
        },
        kWait));
    const auto in_channel = f.api.sent_messages(kChannel);
    REQUIRE(in_channel.size() == 1);
    CHECK(f.api.message(review_id)->value("caption", std::string{}) ==
          review["caption"].get<std::string>() + "\n\n✅ Telegram " + std::to_string(kChannel) +
              ": https://t.me/c/" + std::to_string(kChannel).substr(4) + "/" +
              std::to_string(in_channel[0]["message_id"].get<std::int64_t>()));
    CHECK(in_channel[0].contains("video"));
    // Published by file_id: one upload in all.
    CHECK(f.api.call_count("sendVideo") == 2);
    CHECK(f.api.calls("sendVideo").back().files.empty());

    SUBCASE("and after a restart the button still answers without posting again") {
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
        BotProcess again(f.dir.path(), f.config);
        REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
        f.api.push_callback(kOwner, review["message_id"].get<std::int64_t>(), publish);
        REQUIRE(f.api.wait_until([&] { return f.api.answered_callbacks().size() == 3; }, kWait));
        CHECK(f.api.sent_messages(kChannel).size() == 1);
    }
}

TEST_CASE("/runscheduled sends 3 distinct candidates with Regenerate all") {
    Fixture f(5);
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/runscheduled");
    // Acknowledged at once with a progress message, before any video.
    REQUIRE(f.wait_for_text(kOwner, "Generating: 0 of 3"));
    CHECK(f.api.call_count("sendVideo") == 0);
    REQUIRE(f.api.wait_for_calls("sendVideo", 3, kWait));
    REQUIRE(f.wait_for_text(kOwner, "Candidates sent: 3"));
    // The progress message became the intro of the candidates below it.
    CHECK(f.api.sent_messages(kOwner).front()["text"] ==
          "🗓 Scheduled generation: 3 candidates to review.");
    std::set<std::string> memes;
    for (const auto& call : f.api.calls("sendVideo")) {
        const auto caption = call.params["caption"].get<std::string>();
        memes.insert(caption.substr(0, caption.find('\n')));
    }
    CHECK(memes.size() == 3);
    const auto last = f.api.sent_messages(kOwner).back();
    REQUIRE(last.contains("reply_markup"));
    CHECK(last["reply_markup"]["inline_keyboard"][0][0]["callback_data"].get<std::string>().rfind(
              "a:", 0) == 0);

    SUBCASE("and Change track replaces one candidate with a new video") {
        REQUIRE(Fixture::wait_unlocked(bot));
        const auto first = f.api.sent_messages(kOwner).at(1);  // after the intro text
        REQUIRE(first.contains("video"));
        const auto change =
            first["reply_markup"]["inline_keyboard"][1][0]["callback_data"].get<std::string>();
        REQUIRE(change.rfind("t:", 0) == 0);
        f.api.push_callback(kOwner, first["message_id"].get<std::int64_t>(), change);
        REQUIRE(f.api.wait_for_calls("sendVideo", 4, kWait));
        // Only the music changed: the same meme and the same effects, another track.
        const auto lines = [](const std::string& caption) {
            std::vector<std::string> out;
            std::istringstream in(caption);
            for (std::string line; std::getline(in, line);)
                out.push_back(line);
            return out;
        };
        const auto before = lines(first["caption"].get<std::string>());
        const auto after = lines(f.api.calls("sendVideo").back().params["caption"]);
        REQUIRE(before.size() == 4);
        REQUIRE(after.size() == 4);
        CHECK(after[0] == before[0]);  // 🎬 the meme
        CHECK(after[1] != before[1]);  // 🎵 the track
        CHECK(after[3] == before[3]);  // ✨ the effects
        // The replaced candidate's buttons are removed.
        REQUIRE(f.api.wait_until(
            [&] {
                const auto m = f.api.message(first["message_id"].get<std::int64_t>());
                return m && !m->contains("reply_markup");
            },
            kWait));
    }
}

TEST_CASE("a render child killed with SIGKILL: the bot survives, reports it, /status shows it") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config, {{"MEMEGEN_RENDER_FAULT", "sigkill"}});
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(f.wait_for_text(kOwner, "killed (SIGKILL"));
    REQUIRE(Fixture::wait_unlocked(bot));
    CHECK(bot.running());
    // Every attempt failed (max_attempts 3): the user hears of it once, with what is known.
    // The child killed itself at a few MB: nothing suggests memory, so none is claimed.
    CHECK(f.count_texts(kOwner, "Could not generate a meme") == 1);
    const auto failure = f.texts(kOwner).back();
    CHECK(failure.find("out of memory") == std::string::npos);
    CHECK(failure.find("the OOM-kill counter") != std::string::npos);
    CHECK(bot.log().find("[gen_0_2] render failed") != std::string::npos);  // all three tried
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "Last problem:"));
    const auto status = f.texts(kOwner).back();
    CHECK(status.find("Stage: generation_error") != std::string::npos);
    CHECK(status.find("Generation: FREE") != std::string::npos);
}

TEST_CASE(
    "kill -9 of the bot during a render: after restart the guard is free and the owner is told") {
    Fixture f;
    {
        BotProcess bot(f.dir.path(), f.long_render_config());
        REQUIRE(f.wait_ready());
        f.api.push_message(kOwner, kOwner, "/generate");
        REQUIRE(Fixture::wait_render_started(bot));
        for (const auto child : bot.children())
            ::kill(child, SIGKILL);
        bot.signal(SIGKILL);
        REQUIRE(bot.wait_exit(10s));
    }
    BotProcess again(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    REQUIRE(f.wait_for_text(kOwner, "restarted after an unclean end"));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "Stage: unclean_shutdown"));
    CHECK(f.texts(kOwner).back().find("Generation: FREE") != std::string::npos);
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(f.api.wait_for_calls("sendVideo", 1, kWait));
}

TEST_CASE("SIGTERM during a render ends the bot cleanly within systemd's stop timeout") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.long_render_config());
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(Fixture::wait_render_started(bot));
    // Mid-render: the child has begun writing its video.
    REQUIRE(f.api.wait_until([&] { return !partial_videos(f.dir / "state").empty(); }, kWait));
    const auto term = std::chrono::steady_clock::now();
    bot.signal(SIGTERM);
    // The bound is packaging/memegen-bot.service's TimeoutStopSec; how long it took is printed,
    // not asserted (a loaded machine or a sanitizer build is slower, the promise is the same).
    const auto status = bot.wait_exit(15s);
    REQUIRE(status);
    MESSAGE("stopped in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - term).count()
            << " s");
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
    // No half-written video is left behind.
    INFO(bot.log());
    CHECK(partial_videos(f.dir / "state").empty());
}

TEST_CASE("a render child killed mid-render leaves no half-written video behind") {
    Fixture f;
    auto config = f.long_render_config();
    config["max_attempts"] = 1;
    BotProcess bot(f.dir.path(), config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(Fixture::wait_render_started(bot));
    REQUIRE(f.api.wait_until([&] { return !partial_videos(f.dir / "state").empty(); }, kWait));
    // As the OOM killer would: the child cannot clean up after a SIGKILL, the bot must.
    for (const auto child : bot.children())
        ::kill(child, SIGKILL);
    REQUIRE(f.wait_for_text(kOwner, "killed (SIGKILL"));
    REQUIRE(Fixture::wait_unlocked(bot));
    INFO(bot.log());
    CHECK(partial_videos(f.dir / "state").empty());
    CHECK(bot.running());
}

TEST_CASE("a restart neither replays nor loses updates") {
    Fixture f;
    {
        BotProcess bot(f.dir.path(), f.config);
        REQUIRE(f.wait_ready());
        f.api.push_message(kOwner, kOwner, "/help");
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.wait_for_text(kOwner, "System status"));
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
    }
    f.api.push_message(kOwner, kOwner, "/help");  // arrives while the bot is down
    BotProcess again(f.dir.path(), f.config);
    REQUIRE(f.api.wait_until([&] { return f.count_texts(kOwner, "/generate N") == 2; }, kWait));
    // A replay would hand the old updates over before any newer one: once a command sent now
    // is answered, a replayed /help or /status would have been answered too.
    f.api.push_message(kOwner, kOwner, "/cancel");
    REQUIRE(f.wait_for_text(kOwner, "No generation is running"));
    CHECK(f.count_texts(kOwner, "/generate N") == 2);
    CHECK(f.count_texts(kOwner, "System status") == 1);
}

TEST_CASE("429 and 5xx storms: every command is answered exactly once") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.fail_next("sendMessage", 2, memegen::test::Fault::rate_limit(1));
    f.api.fail_next("getUpdates", 2, memegen::test::Fault::internal_error());
    f.api.push_message(kOwner, kOwner, "/help");
    REQUIRE(f.wait_for_text(kOwner, "/generate N"));
    f.api.fail_next("sendMessage", 2, memegen::test::Fault::bad_gateway());
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "System status"));
    // A repeated send would come from the retries of the reply it repeats, before the next
    // update is taken: once a later command is answered, the counts are final.
    f.api.push_message(kOwner, kOwner, "/cancel");
    REQUIRE(f.wait_for_text(kOwner, "No generation is running"));
    CHECK(f.count_texts(kOwner, "/generate N") == 1);
    CHECK(f.count_texts(kOwner, "System status") == 1);
    CHECK(bot.log().find(f.api.token()) == std::string::npos);
}

TEST_CASE("a rejected token ends the bot with status 2 and says why, without the token") {
    Fixture f;
    auto config = f.config;
    config["token"] = "987654:WrongTokenValue";
    BotProcess bot(f.dir.path(), config);
    const auto status = bot.wait_exit(kWait);
    REQUIRE(status);
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 2);
    const auto log = bot.log();
    CHECK(log.find("the bot token was rejected") != std::string::npos);
    CHECK(log.find("WrongTokenValue") == std::string::npos);
    // It stopped on its own: no signal was received, and the log does not claim one.
    CHECK(log.find("received SIGTERM") == std::string::npos);
}

TEST_CASE("after an injected render error and a restart, /status shows the last problem") {
    Fixture f;
    {
        BotProcess bot(f.dir.path(), f.config, {{"MEMEGEN_RENDER_FAULT", "error"}});
        REQUIRE(f.wait_ready());
        f.api.push_message(kOwner, kOwner, "/generate");
        REQUIRE(f.wait_for_text(kOwner, "Could not generate a meme"));
        REQUIRE(Fixture::wait_unlocked(bot));
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
    }
    BotProcess again(f.dir.path(), f.config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "Last problem:"));
    const auto status = f.texts(kOwner).back();
    CHECK(status.find("Stage: generation_error") != std::string::npos);
    CHECK(status.find("injected render error") != std::string::npos);
    // Each of the three attempts got a fresh source, and each failure was recorded.
    CHECK(f.api.call_count("sendVideo") == 0);
}

TEST_CASE("the day's schedule survives a restart and /status shows it") {
    Fixture f;
    auto config = f.config;
    config["daily_generations"] = 3;
    config["window_start"] = "00:00";
    config["window_end"] = "24:00";
    std::string plan_before;
    {
        BotProcess bot(f.dir.path(), config);
        REQUIRE(f.wait_ready());
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.wait_for_text(kOwner, "Today: "));
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
        std::ifstream in(f.dir / "state" / "schedule.json");
        plan_before.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(!plan_before.empty());
    const auto before = json::parse(plan_before);
    BotProcess again(f.dir.path(), config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.api.wait_until([&] { return f.count_texts(kOwner, "Today: ") == 2; }, kWait));
    std::ifstream in(f.dir / "state" / "schedule.json");
    const auto after = json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    // The same slots (their times), whatever happened to the ones that came due meanwhile.
    REQUIRE(before.dump().size() > 10);
    const auto times = [](const json& j) {
        std::vector<std::string> out;
        const std::string text = j.dump();
        for (auto pos = text.find("\"when\""); pos != std::string::npos;
             pos = text.find("\"when\"", pos + 1)) {
            out.push_back(text.substr(pos, 40));
        }
        return out;
    };
    CHECK(times(before) == times(after));
    const auto texts = f.texts(kOwner);
    CHECK(texts.back().find("Next generation") != std::string::npos);
}

TEST_CASE("/cancel stops the running render, frees the guard and records the cancellation") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.long_render_config());
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/cancel");
    REQUIRE(f.wait_for_text(kOwner, "No generation is running."));
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(Fixture::wait_render_started(bot));
    f.api.push_message(kOwner, kOwner, "/cancel");
    REQUIRE(f.wait_for_text(kOwner, "Generation cancelled."));
    REQUIRE(Fixture::wait_unlocked(bot));
    CHECK(f.api.call_count("sendVideo") == 0);
    std::ifstream in(f.dir / "state" / "generation_state.json");
    const auto state = json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    CHECK(state["state"] == "cancelled");
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_for_text(kOwner, "Generation: FREE"));
}

TEST_CASE("/cancel during /generate 3 edits the progress message and says so once") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.long_render_config());
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate 3");
    REQUIRE(Fixture::wait_render_started(bot));
    f.api.push_message(kOwner, kOwner, "/cancel");
    REQUIRE(f.wait_for_text(kOwner, "Generation cancelled."));
    REQUIRE(Fixture::wait_unlocked(bot));
    const auto texts = f.texts(kOwner);
    REQUIRE(texts.size() == 3);
    CHECK(texts[0] == "⏹ Cancelled: 0 of 3 made.");  // the progress message, edited
    CHECK(texts[1] == "Cancelling…");
    CHECK(texts[2] == "⏹ Generation cancelled.");
    CHECK(f.api.call_count("sendVideo") == 0);
    CHECK_FALSE(std::filesystem::exists(f.dir / "state" / "batch.json"));
}

TEST_CASE("a scheduled job that finds the guard held waits for it, then sends its candidates") {
    Fixture f(5);
    auto config = f.config;
    config["daily_generations"] = 3;
    config["window_start"] = "00:00";
    config["window_end"] = "24:00";
    config["scheduled_wait_minutes"] = 5;
    {
        BotProcess bot(f.dir.path(), config);
        REQUIRE(f.wait_ready());
        // The plan exists once /status can show it (a stop during start-up would come first).
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.wait_for_text(kOwner, "Today: "));
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
    }
    // A slot of today that came due while the bot was down: catch_up_one runs it at start.
    const auto schedule_file = f.dir / "state" / "schedule.json";
    auto schedule = json::parse(
        std::string(std::istreambuf_iterator<char>(std::ifstream(schedule_file).rdbuf()), {}));
    const auto now = std::chrono::system_clock::now();
    const auto stamp = [](auto t) { return memegen::detail::local_timestamp(t); };
    schedule["plan"]["date"] = stamp(now).substr(0, 10);
    schedule["plan"]["slots"] = json::array({{{"when", stamp(now - 120s)}, {"status", "pending"}},
                                             {{"when", stamp(now - 60s)}, {"status", "pending"}},
                                             {{"when", stamp(now + 8h)}, {"status", "pending"}}});
    std::ofstream(schedule_file) << schedule.dump(2);

    memegen::GenerationGuard guard(f.dir / "state");
    auto held = guard.try_acquire("a CLI render");
    REQUIRE(held);
    BotProcess bot(f.dir.path(), config);
    REQUIRE(f.api.wait_for_calls("setMyCommands", 2, kWait));
    // The due slot is marked running before its job waits for the lock; a job that did not
    // wait would then start at once and show its progress message. /status is answered beside
    // the waiting job: after its answer, nothing of the job has been sent.
    const auto slot_status = [&](int i) {
        const auto saved = json::parse(
            std::string(std::istreambuf_iterator<char>(std::ifstream(schedule_file).rdbuf()), {}),
            nullptr, false);
        return saved.is_discarded() ? json() : saved["plan"]["slots"][i]["status"];
    };
    REQUIRE(f.api.wait_until([&] { return slot_status(1) == "running"; }, kWait));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.api.wait_until([&] { return f.count_texts(kOwner, "System status") == 2; }, kWait));
    CHECK(f.count_texts(kOwner, "Generating:") == 0);
    CHECK(f.api.call_count("sendVideo") == 0);  // waiting, not dropped, not parallel
    held.ticket().release();
    REQUIRE(f.api.wait_for_calls("sendVideo", 3, kWait));
    REQUIRE(f.wait_for_text(kOwner, "Candidates sent: 3"));
    REQUIRE(Fixture::wait_unlocked(bot));
    const auto saved = json::parse(
        std::string(std::istreambuf_iterator<char>(std::ifstream(schedule_file).rdbuf()), {}));
    CHECK(saved["plan"]["slots"][0]["status"] == "skipped");
    CHECK(saved["plan"]["slots"][1]["status"] == "done");
    CHECK(saved["plan"]["slots"][2]["status"] == "pending");
}

TEST_CASE("a render child that segfaults: the bot reports the crash and crash.log has the record") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config, {{"MEMEGEN_RENDER_FAULT", "segv"}});
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(f.wait_for_text(kOwner, "the render process crashed (SIGSEGV)"));
    REQUIRE(Fixture::wait_unlocked(bot));
    CHECK(bot.running());
    CHECK(f.count_texts(kOwner, "Could not generate a meme") == 1);  // once, not per attempt
    CHECK(f.texts(kOwner).size() == 1);
    std::ifstream in(f.dir / "state" / "crash.log");
    const std::string log(std::istreambuf_iterator<char>(in), {});
    CHECK(log.find("fatal signal 11 (SIGSEGV)") != std::string::npos);
    CHECK(log.find("backtrace:") != std::string::npos);
    CHECK(log.find(f.api.token()) == std::string::npos);
}
