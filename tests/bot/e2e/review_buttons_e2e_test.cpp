// End-to-end (issue 13): Edit captions, Dislike and Delete under a real candidate, and quiet
// hours, with the real memegen-bot binary against the fake Bot API. Checked by what the owner
// reads, in order, once each; the edited video's captions are read back with tesseract.

#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include <memegen/detail/clock.hpp>

#include "../../render/media_probe.hpp"
#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kChannel;
using memegen::test::kOwner;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

struct Fixture {
    TempDir dir{"memegen-buttons-e2e"};
    FakeBotApi api;
    json config;

    Fixture() {
        memegen::test::make_libraries(dir / "media", dir / "music", 4);
        config = memegen::test::test_config(api, dir.path());
    }

    bool wait_ready(std::size_t starts = 1) const {
        return api.wait_for_calls("setMyCommands", starts, kWait);
    }

    // Texts of the messages the bot sent to the owner, in order.
    std::vector<std::string> texts() const {
        std::vector<std::string> out;
        for (const auto& m : api.sent_messages(kOwner)) {
            if (m.contains("text"))
                out.push_back(m["text"].get<std::string>());
        }
        return out;
    }

    bool wait_texts(std::size_t n) const {
        return api.wait_until([&] { return texts().size() >= n; }, kWait);
    }

    // The owner's messages that carry a video, in order.
    std::vector<json> videos() const {
        std::vector<json> out;
        for (const auto& m : api.sent_messages(kOwner)) {
            if (m.contains("video"))
                out.push_back(m);
        }
        return out;
    }

    // The answer to the n-th (0-based) button press, once it came.
    json answer(std::size_t n) const {
        REQUIRE(api.wait_until([&] { return api.answered_callbacks().size() > n; }, kWait));
        const auto calls = api.calls("answerCallbackQuery");
        REQUIRE(calls.size() > n);
        return calls[n].params;
    }

    // The owner replies `text` to the bot's message `replied`.
    void reply(const json& replied, const std::string& text) {
        json message = {{"message_id", 900000 + (next_reply_++)},
                        {"from", {{"id", kOwner}, {"is_bot", false}, {"first_name", "Owner"}}},
                        {"chat", {{"id", kOwner}, {"type", "private"}}},
                        {"date", 1764547200},
                        {"text", text},
                        {"reply_to_message", replied}};
        api.push_update({{"message", message}});
    }

    static std::string data(const json& message, int row, int column) {
        return message["reply_markup"]["inline_keyboard"][row][column]["callback_data"]
            .get<std::string>();
    }

    bool wait_no_keyboard(std::int64_t message_id) const {
        return api.wait_until(
            [&] {
                const auto m = api.message(message_id);
                return m && !m->contains("reply_markup");
            },
            kWait);
    }

    int next_reply_ = 0;
};

// The guard is released after a job's last message: wait for the unlock line.
bool wait_unlocked(const BotProcess& bot, int count) {
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

// The words tesseract reads in one decoded frame, as dark text on light (what it reads
// best): captions are white with a dark outline, so the luma is inverted, or — where the
// meme behind is busy — only the near-white pixels are kept, as black.
std::string ocr_frame(const std::filesystem::path& video, int frame, bool white_only,
                      const std::filesystem::path& dir) {
    const auto picture = memegen::test::decode_frame(video, frame);
    const auto pgm = dir / "frame.pgm";
    {
        std::ofstream out(pgm, std::ios::binary);
        out << "P5\n" << picture.width << ' ' << picture.height << "\n255\n";
        for (const auto y : picture.y) {
            const int ink = white_only ? (y >= 200 ? 0 : 255) : 255 - y;
            out.put(static_cast<char>(ink));
        }
    }
    const std::string command = "tesseract " + pgm.string() + " stdout --psm 11 2>/dev/null";
    std::string text;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[4096];
        while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
            text += buffer;
        ::pclose(pipe);
    }
    return text;
}

// The words of a few frames across the first seconds: the meme and its effects are drawn from
// a fresh seed, and one frame of a busy meme (or a flash, a shake) can hide a caption from
// tesseract while a viewer reads it over the seconds it stays on screen.
std::string ocr(const std::filesystem::path& video, const std::filesystem::path& dir) {
    std::string words;
    for (const int frame : {6, 12, 24, 48}) {
        try {
            words += ocr_frame(video, frame, false, dir) + "\n";
            words += ocr_frame(video, frame, true, dir) + "\n";
        } catch (const std::exception&) {
            break;  // a short clip: its frames are read
        }
    }
    return words;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("Edit captions, Dislike and Delete: what the owner reads, in order, once each") {
    Fixture f;
    // Large enough for tesseract to read the captions back, over flat memes of four shades:
    // whichever is drawn, no busy test pattern stands behind the words OCR looks for.
    f.config["render"]["size"] = "540x960";
    const char* shades[] = {"0x606060", "0x808080", "0x4060a0", "0xa06040"};
    for (int i = 0; i < 4; ++i) {
        memegen::test::make_fixture(
            "-f lavfi -i color=c=" + std::string(shades[i]) + ":s=160x120 -frames:v 1 " +
            (f.dir / "media" / ("meme" + std::to_string(i) + ".png")).string());
    }
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(f.api.wait_until([&] { return f.videos().size() == 1; }, kWait));
    REQUIRE(wait_unlocked(bot, 1));
    const auto first = f.videos()[0];
    const auto first_id = first["message_id"].get<std::int64_t>();
    REQUIRE(Fixture::data(first, 2, 0).rfind("e:", 0) == 0);
    REQUIRE(Fixture::data(first, 2, 1).rfind("l:", 0) == 0);
    REQUIRE(Fixture::data(first, 2, 2).rfind("d:", 0) == 0);
    const auto texts_before = f.texts().size();

    // ✏️ says how; the reply renders the same meme, track and effects with the new captions.
    f.api.push_callback(kOwner, first_id, Fixture::data(first, 2, 0));
    const auto how = f.answer(0);
    CHECK(how["text"].get<std::string>().find("top text | bottom text") != std::string::npos);
    CHECK(how["show_alert"] == true);
    f.reply(first, "HELLO WORLD | GOOD NIGHT");
    REQUIRE(f.api.wait_until([&] { return f.videos().size() == 2; }, kWait));
    REQUIRE(wait_unlocked(bot, 2));
    const auto second = f.videos()[1];
    const auto before = lines(first["caption"].get<std::string>());
    const auto after = lines(second["caption"].get<std::string>());
    REQUIRE(before.size() == 4);
    REQUIRE(after.size() == 5);
    CHECK(after[0] == before[0]);  // 🎬 the meme
    CHECK(after[1] == before[1]);  // 🎵 the track
    CHECK(after[3] == before[3]);  // ✨ the effects
    CHECK(after[4] == "💬 HELLO WORLD | GOOD NIGHT");
    CHECK(f.wait_no_keyboard(first_id));  // the old candidate is replaced
    std::filesystem::path uploaded;
    const auto upload = f.api.calls("sendVideo").back();
    for (const auto& file : upload.files) {
        if (file.field == "video")
            uploaded = file.saved_path;
    }
    REQUIRE(!uploaded.empty());
    const auto words = ocr(uploaded, f.dir.path());
    CHECK_MESSAGE(words.find("HELLO") != std::string::npos, words);
    CHECK_MESSAGE(words.find("NIGHT") != std::string::npos, words);

    // A second reply to the replaced video is answered, nothing renders.
    f.reply(first, "AGAIN | NOPE");
    REQUIRE(f.wait_texts(texts_before + 1));

    // 👎: answered, the keyboard shows it, /status lists it.
    const auto second_id = second["message_id"].get<std::int64_t>();
    f.api.push_callback(kOwner, second_id, Fixture::data(second, 2, 1));
    const auto disliked = f.answer(1)["text"].get<std::string>();
    CHECK(disliked.find("will not be picked for 1 day (until ") != std::string::npos);
    REQUIRE(f.api.wait_until(
        [&] {
            const auto m = f.api.message(second_id);
            return m && Fixture::data(*m, 2, 1) == Fixture::data(second, 2, 1) &&
                   (*m)["reply_markup"]["inline_keyboard"][2][1]["text"] == "👎 Disliked ✓";
        },
        kWait));
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.wait_texts(texts_before + 2));
    const auto meme =
        lines(first["caption"].get<std::string>())[0].substr(std::string("🎬 ").size());
    CHECK(f.texts().back().find("👎 Disliked (1): " + meme) != std::string::npos);

    // 🗑: answered, the keyboard goes, an old Publish posts nothing.
    f.api.push_callback(kOwner, second_id, Fixture::data(second, 2, 2));
    CHECK(f.answer(2)["text"] == "🗑 Deleted: this candidate will not be published.");
    CHECK(f.wait_no_keyboard(second_id));
    f.api.push_callback(kOwner, second_id, Fixture::data(second, 0, 0));
    CHECK(f.answer(3)["text"] == "This candidate was deleted.");
    f.reply(second, "TOO | LATE");
    REQUIRE(f.wait_texts(texts_before + 3));

    // A reply to a message that is not a candidate (the /status answer).
    const auto status = f.api.sent_messages(kOwner)[f.api.sent_messages(kOwner).size() - 2];
    REQUIRE(status["text"].get<std::string>().find("System status") != std::string::npos);
    f.reply(status, "top | bottom");
    REQUIRE(f.wait_texts(texts_before + 4));

    const auto read = f.texts();
    const std::vector<std::string> told(read.begin() + static_cast<long>(texts_before), read.end());
    REQUIRE(told.size() == 4);
    CHECK(told[0] == "This candidate was replaced by a newer one: reply to the newest video.");
    CHECK(told[1].find("System status") != std::string::npos);
    CHECK(told[2] == "This candidate was deleted.");
    CHECK(told[3].find("That message is not a candidate.") == 0);
    // Nothing else happened: two videos, none in the channel, four answers.
    CHECK(f.videos().size() == 2);
    CHECK(f.api.sent_messages(kChannel).empty());
    CHECK(f.api.answered_callbacks().size() == 4);

    SUBCASE("the dislike and the deletion outlive a restart") {
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
        BotProcess again(f.dir.path(), f.config);
        REQUIRE(f.wait_ready(2));
        f.api.push_callback(kOwner, second_id, Fixture::data(second, 0, 0));
        CHECK(f.answer(4)["text"] == "This candidate was deleted.");
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.wait_texts(texts_before + 5));
        CHECK(f.texts().back().find("👎 Disliked (1): " + meme) != std::string::npos);
        CHECK(f.api.sent_messages(kChannel).empty());
    }
}

TEST_CASE("quiet hours: what the bot sends on its own is silent, a reply to the owner is not") {
    Fixture f;
    // Quiet from an hour ago to an hour from now, in UTC.
    const auto now = std::chrono::system_clock::now();
    const auto minute = [](std::chrono::system_clock::time_point t) {
        const auto m = std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch());
        const auto of_day = static_cast<int>(m.count() % 1440);
        const auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
        return two(of_day / 60) + ":" + two(of_day % 60);
    };
    auto config = f.config;
    config["timezone"] = "+00:00";
    config["quiet_hours"] = minute(now - 1h) + "-" + minute(now + 1h);
    config["daily_generations"] = 3;
    config["window_start"] = "00:00";
    config["window_end"] = "24:00";
    {
        BotProcess bot(f.dir.path(), config);
        REQUIRE(f.wait_ready());
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.wait_texts(1));
        bot.signal(SIGTERM);
        REQUIRE(bot.wait_exit(10s));
    }
    // The reply to the owner's /status rang.
    const auto answered = f.api.calls("sendMessage");
    REQUIRE(answered.size() == 1);
    CHECK_FALSE(answered[0].params.contains("disable_notification"));

    // A slot that came due while the bot was down runs at start, on the bot's own.
    const auto schedule_file = f.dir / "state" / "schedule.json";
    auto schedule = json::parse(
        std::string(std::istreambuf_iterator<char>(std::ifstream(schedule_file).rdbuf()), {}));
    const auto stamp = [](auto t) { return memegen::detail::local_timestamp(t); };
    const auto later = std::chrono::system_clock::now();
    schedule["plan"]["date"] = stamp(later).substr(0, 10);
    schedule["plan"]["slots"] = json::array({{{"when", stamp(later - 60s)}, {"status", "pending"}},
                                             {{"when", stamp(later + 8h)}, {"status", "pending"}},
                                             {{"when", stamp(later + 9h)}, {"status", "pending"}}});
    std::ofstream(schedule_file) << schedule.dump(2);
    BotProcess bot(f.dir.path(), config);
    REQUIRE(f.wait_ready(2));
    REQUIRE(f.api.wait_for_calls("sendVideo", 3, kWait));
    REQUIRE(wait_unlocked(bot, 1));
    for (const auto& call : f.api.calls("sendVideo"))
        CHECK(call.params["disable_notification"] == "true");
    const auto own = f.api.calls("sendMessage");
    REQUIRE(own.size() >= 2);
    for (std::size_t i = 1; i < own.size(); ++i)
        CHECK(own[i].params["disable_notification"] == true);

    // The owner is awake: the answer to a command rings again.
    f.api.push_message(kOwner, kOwner, "/status");
    REQUIRE(f.api.wait_for_calls("sendMessage", own.size() + 1, kWait));
    CHECK_FALSE(f.api.calls("sendMessage").back().params.contains("disable_notification"));
}
