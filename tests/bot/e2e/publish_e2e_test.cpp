// Publishing end to end (issue 14): the real bot, the fake Bot API, and fake Google/YouTube
// and X on loopback. Publish sends the review's exact MP4 to every target with the metadata
// the templates say; the review message itself ends with a line and a link per target; a
// restart in the middle of an upload resumes it and posts nothing twice.

#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../publish/fake_platforms.hpp"
#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::FakeGoogle;
using memegen::test::FakeX;
using memegen::test::kChannel;
using memegen::test::kOwner;
using memegen::test::kWait;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The video part of a sendVideo upload.
std::string video_bytes(const memegen::test::RecordedCall& upload) {
    for (const auto& file : upload.files) {
        if (file.field == "video")
            return read_bytes(file.saved_path);
    }
    FAIL("no video part");
    return {};
}

struct Fixture {
    TempDir dir{"memegen-publish-e2e"};
    FakeBotApi api;
    FakeGoogle google;
    FakeX x;
    json config;

    Fixture() {
        memegen::test::make_libraries(dir / "media", dir / "music", 2);
        // Captions and tags for every meme, which the posts' texts quote.
        std::ofstream(dir / "media" / "library.json")
            << R"({"defaults": {"tags": ["friday", "Memes"],
                   "captions": {"top": "WHEN IT WORKS", "bottom": "ON FRIDAY"}}})";
        config = memegen::test::test_config(api, dir.path());
        config["publish"] = {{"default_targets", {"telegram", "youtube", "x"}},
                             {"youtube",
                              {{"client_id", "fake-client.apps.googleusercontent.com"},
                               {"client_secret", google.client_secret},
                               {"refresh_token", google.refresh_token},
                               {"api_url", google.base_url()},
                               {"oauth_url", google.base_url()},
                               {"privacy", "unlisted"},
                               {"title_template", "{source} meme"},
                               {"tags", {"memes", "test"}}}},
                             {"x",
                              {{"consumer_key", x.consumer_key},
                               {"consumer_secret", x.consumer_secret},
                               {"access_token", x.access_token},
                               {"access_token_secret", x.access_token_secret},
                               {"api_url", x.base_url()},
                               {"text_template", "New: {source}"}}}};
    }

    std::vector<std::string> texts() const {
        std::vector<std::string> out;
        for (const auto& m : api.sent_messages(kOwner)) {
            if (m.contains("text"))
                out.push_back(m["text"].get<std::string>());
        }
        return out;
    }

    // /generate, then the review message (a video) once it is there.
    json review() {
        api.push_message(kOwner, kOwner, "/generate");
        REQUIRE(api.wait_until(
            [&] {
                const auto sent = api.sent_messages(kOwner);
                return !sent.empty() && sent.back().contains("video");
            },
            kWait));
        return api.sent_messages(kOwner).back();
    }

    void press_publish(const json& review) {
        const auto data = review["reply_markup"]["inline_keyboard"][0][0]["callback_data"];
        REQUIRE(data.get<std::string>().rfind("p:", 0) == 0);
        api.push_callback(kOwner, review["message_id"].get<std::int64_t>(), data);
    }

    // The review message's caption once every target has its outcome (✅ or ❌, no ⏳ left).
    std::string final_caption(const json& review) {
        std::string caption;
        const bool done = api.wait_until(
            [&] {
                const auto m = api.message(review["message_id"].get<std::int64_t>());
                caption = m ? m->value("caption", std::string{}) : std::string{};
                const auto lines = caption.rfind("\n\n");
                return lines != std::string::npos &&
                       caption.find("⏳", lines) == std::string::npos &&
                       (caption.find("✅", lines) != std::string::npos ||
                        caption.find("❌", lines) != std::string::npos);
            },
            kWait);
        REQUIRE(done);
        return caption;
    }
};

}  // namespace

TEST_CASE("Publish sends the reviewed MP4 to the channel, YouTube and X, with a link for each") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    const auto review = f.review();
    const auto upload = f.api.calls("sendVideo").back();
    const auto mp4 = video_bytes(upload);
    REQUIRE(mp4.size() > 1000);
    // Kept for the targets that upload it.
    const auto state = f.dir / "state";
    std::string id = review["reply_markup"]["inline_keyboard"][0][0]["callback_data"];
    id = id.substr(2);
    // Kept once sendVideo has answered (the bot moves it just after).
    CHECK(f.api.wait_until(
        [&] { return std::filesystem::exists(state / "candidates" / (id + ".mp4")); }, kWait));

    const auto messages_before = f.api.call_count("sendMessage");
    f.press_publish(review);
    const auto caption = f.final_caption(review);

    // Each fake received the exact bytes and the metadata of the templates.
    REQUIRE(f.google.sessions() == 1);
    CHECK(f.google.session_bytes(0) == mp4);
    const auto resource = f.google.session_resource(0);
    const auto source = resource["snippet"]["title"].get<std::string>();
    CHECK(source.ends_with(" meme"));
    // The default description: the captions drawn on the video, the meme, the track, #Shorts.
    const auto description = resource["snippet"]["description"].get<std::string>();
    CHECK_MESSAGE(description.starts_with("WHEN IT WORKS ON FRIDAY\n" +
                                          source.substr(0, source.size() - 5) + "\n🎵 "),
                  description);
    CHECK(description.ends_with("\n\n#Shorts"));
    // The configured tags, then the meme's own (a repeat, whatever its case, once).
    CHECK(resource["snippet"]["tags"] == json::array({"memes", "test", "friday"}));
    CHECK(resource["status"]["privacyStatus"] == "unlisted");
    CHECK(resource["status"]["selfDeclaredMadeForKids"] == false);
    // The video's thumbnail is the JPEG the review was sent with.
    REQUIRE(f.google.thumbnails().size() == 1);
    CHECK(f.google.thumbnails()[0].video_id == "vids0");
    const auto review_jpeg =
        std::find_if(upload.files.begin(), upload.files.end(),
                     [](const auto& file) { return file.field == "thumbnail"; });
    REQUIRE(review_jpeg != upload.files.end());
    CHECK(f.google.thumbnails()[0].bytes == read_bytes(review_jpeg->saved_path));
    CHECK(f.x.media_bytes() == mp4);
    REQUIRE(f.x.posts().size() == 1);
    CHECK(f.x.posts()[0]["text"] == "New: " + source.substr(0, source.size() - 5));
    CHECK(f.x.bad_signatures() == 0);
    const auto in_channel = f.api.sent_messages(kChannel);
    REQUIRE(in_channel.size() == 1);

    // What the owner reads: the review caption as it was, then a line per target in the order
    // configured, in the review message itself; no other message.
    CHECK(caption.starts_with(review["caption"].get<std::string>() + "\n\n"));
    std::istringstream lines(caption.substr(caption.rfind("\n\n") + 2));
    std::string line;
    std::vector<std::string> got;
    while (std::getline(lines, line))
        got.push_back(line);
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "✅ Telegram " + std::to_string(kChannel) + ": https://t.me/c/" +
                        std::to_string(kChannel).substr(4) + "/" +
                        std::to_string(in_channel[0]["message_id"].get<std::int64_t>()));
    CHECK(got[1].starts_with("✅ YouTube: https://"));
    CHECK(got[2].starts_with("✅ X: https://"));
    CHECK(f.api.call_count("sendMessage") == messages_before);
    // Every target done: the review keyboard says so and the kept video is freed.
    REQUIRE(f.api.wait_until(
        [&] {
            for (const auto& m : f.api.sent_messages(kOwner)) {
                if (m["message_id"] == review["message_id"])
                    return m["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "x:" + id;
            }
            return false;
        },
        kWait));
    CHECK_FALSE(std::filesystem::exists(state / "candidates" / (id + ".mp4")));
    // No secret reached the log.
    bot.signal(SIGTERM);
    REQUIRE(bot.wait_exit(10s));
    for (const auto& entry : std::filesystem::directory_iterator(f.dir.path())) {
        if (entry.path().extension() != ".log")
            continue;
        const auto log = read_bytes(entry.path());
        for (const auto& secret : {f.google.client_secret, f.google.refresh_token,
                                   f.x.consumer_secret, f.x.access_token_secret}) {
            CAPTURE(secret);
            CHECK(log.find(secret) == std::string::npos);
        }
    }
}

TEST_CASE("a restart in the middle of a YouTube upload resumes it and posts nothing twice") {
    Fixture f;
    f.config["publish"]["default_targets"] = {"telegram", "youtube"};
    auto bot = std::make_unique<BotProcess>(f.dir.path(), f.config);
    const auto review = f.review();
    const auto mp4 = video_bytes(f.api.calls("sendVideo").back());
    // The upload's chunks fail with 503 for a while: the bot backs off, then is stopped.
    f.google.fail_next_chunks(3);
    f.press_publish(review);
    REQUIRE(f.api.wait_until([&] { return f.google.status_queries() >= 1; }, kWait));
    bot->signal(SIGTERM);
    REQUIRE(bot->wait_exit(30s));
    bot.reset();
    CHECK(f.google.sessions() == 1);

    // A channel that may not set custom thumbnails: the video is published all the same.
    f.google.forbid_next_thumbnail("forbidden");
    BotProcess again(f.dir.path(), f.config);
    const auto caption = f.final_caption(review);
    CHECK(caption.find(
              "✅ YouTube: https://youtube.com/shorts/vids0 — ⚠️ thumbnail not set: HTTP "
              "403 forbidden (") != std::string::npos);
    CHECK(f.google.init_requests() == 1);  // the journal's session was resumed
    REQUIRE(f.google.sessions() == 1);
    CHECK(f.google.session_bytes(0) == mp4);
    CHECK(f.api.sent_messages(kChannel).size() == 1);
}

TEST_CASE("an upload in flight never blocks /generate, and its line says it is under way") {
    Fixture f;
    f.config["publish"]["default_targets"] = {"youtube"};
    f.google.hold_chunks();
    BotProcess bot(f.dir.path(), f.config);
    const auto review = f.review();
    const auto review_id = review["message_id"].get<std::int64_t>();
    f.press_publish(review);
    // YouTube has the upload and does not answer it yet.
    REQUIRE(f.api.wait_until([&] { return f.google.held_chunks() == 1; }, kWait));
    REQUIRE(f.api.wait_until(
        [&] {
            return f.api.message(review_id)
                ->value("caption", "")
                .ends_with("\n\n⏳ YouTube: uploading…");
        },
        kWait));
    // Meanwhile a new meme is made and sent for review: the upload holds no lock it needs.
    const auto videos = f.api.call_count("sendVideo");
    f.api.push_message(kOwner, kOwner, "/generate");
    REQUIRE(f.api.wait_for_calls("sendVideo", videos + 1, kWait));
    CHECK(f.google.held_chunks() == 1);
    CHECK(f.google.sessions() == 1);

    f.google.release_chunks();
    const auto caption = f.final_caption(review);
    CHECK(caption.find("✅ YouTube: https://youtube.com/shorts/vids0") != std::string::npos);
}

TEST_CASE("auto_publish sends a scheduled batch's first meme to the targets, lines under it") {
    Fixture f;
    f.config["auto_publish"] = true;
    f.config["candidates"] = 2;
    f.config["publish"]["default_targets"] = {"telegram", "youtube"};
    BotProcess bot(f.dir.path(), f.config);
    f.api.push_message(kOwner, kOwner, "/runscheduled");
    json review;
    REQUIRE(f.api.wait_until(
        [&] {
            for (const auto& m : f.api.sent_messages(kOwner)) {
                if (m.contains("video"))
                    review = m;
            }
            return !review.is_null();
        },
        kWait));
    const auto caption = f.final_caption(review);

    // The owner sees the one meme that went out, with where it went; the other was dropped.
    int videos = 0;
    for (const auto& m : f.api.sent_messages(kOwner))
        videos += m.contains("video") ? 1 : 0;
    CHECK(videos == 1);
    const auto in_channel = f.api.sent_messages(kChannel);
    REQUIRE(in_channel.size() == 1);
    CHECK(caption.find("\n\n✅ Telegram " + std::to_string(kChannel) + ": https://t.me/c/") !=
          std::string::npos);
    CHECK(caption.find("\n✅ YouTube: https://") != std::string::npos);
    REQUIRE(f.google.sessions() == 1);
    CHECK(f.google.session_bytes(0) == video_bytes(f.api.calls("sendVideo").front()));
    // Published: the keyboard is one "Published" button, nothing left to press twice.
    const auto keyboard =
        f.api.message(review["message_id"].get<std::int64_t>())->at("reply_markup");
    REQUIRE(keyboard["inline_keyboard"].size() == 1);
    CHECK(keyboard["inline_keyboard"][0][0]["callback_data"].get<std::string>().starts_with("x:"));
}

TEST_CASE("/connect youtube sends the code, stores the token 0600; /disconnect revokes it") {
    Fixture f;
    f.config["publish"]["default_targets"] = {"telegram"};
    f.config["publish"]["youtube"].erase("refresh_token");
    f.google.script_device_polls({"authorization_pending", "ok"});
    BotProcess bot(f.dir.path(), f.config);
    f.api.push_message(kOwner, kOwner, "/connect youtube");
    const auto has = [&](const std::string& part) {
        return f.api.wait_until(
            [&] {
                for (const auto& t : f.texts()) {
                    if (t.find(part) != std::string::npos)
                        return true;
                }
                return false;
            },
            kWait);
    };
    REQUIRE(has("✅ YouTube is connected."));
    const auto texts = f.texts();
    REQUIRE(texts.size() == 2);
    CHECK(texts[0].starts_with("🔑 Open "));
    CHECK(texts[0].find("enter the code") != std::string::npos);
    const auto token = f.dir / "state" / "youtube_token.json";
    REQUIRE(std::filesystem::exists(token));
    CHECK((std::filesystem::status(token).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

    f.api.push_message(kOwner, kOwner, "/disconnect youtube");
    REQUIRE(has("YouTube is disconnected"));
    CHECK(f.google.revoked().size() == 1);
    CHECK_FALSE(std::filesystem::exists(token));
    f.api.push_message(kOwner, kOwner, "/connect instagram");
    REQUIRE(has("Usage: /connect youtube"));
}

TEST_CASE("/disconnect during a /connect ends the wait for the code; a new /connect starts") {
    Fixture f;
    f.config["publish"]["default_targets"] = {"telegram"};
    f.config["publish"]["youtube"].erase("refresh_token");
    f.google.script_device_polls({"authorization_pending"});  // the owner never enters the code
    BotProcess bot(f.dir.path(), f.config);
    const auto count = [&](const std::string& part) {
        int n = 0;
        for (const auto& t : f.texts())
            n += t.find(part) != std::string::npos;
        return n;
    };
    f.api.push_message(kOwner, kOwner, "/connect youtube");
    REQUIRE(f.api.wait_until([&] { return count("🔑 Open ") == 1; }, kWait));
    f.api.push_message(kOwner, kOwner, "/disconnect youtube");
    REQUIRE(f.api.wait_until([&] { return count("YouTube is disconnected") == 1; }, kWait));
    f.api.push_message(kOwner, kOwner, "/connect youtube");
    REQUIRE(f.api.wait_until([&] { return count("🔑 Open ") == 2; }, kWait));
    CHECK(count("✅ YouTube is connected.") == 0);
    CHECK_FALSE(std::filesystem::exists(f.dir / "state" / "youtube_token.json"));
}

TEST_CASE("/status lists the targets that failed until a Retry posts, with how to reconnect") {
    Fixture f;
    f.config["publish"]["default_targets"] = {"youtube", "x"};
    f.config["publish"]["youtube"]["refresh_token"] = "revoked-refresh-token";  // invalid_grant
    f.x.rate_limit_next_post(3600);  // longer than X's target waits: a failure, then a Retry
    BotProcess bot(f.dir.path(), f.config);
    const auto review = f.review();
    f.press_publish(review);
    const auto caption = f.final_caption(review);
    REQUIRE(caption.find("❌ YouTube: ") != std::string::npos);
    REQUIRE(caption.find("❌ X: rate limited") != std::string::npos);

    // The meme's file name, as candidates.json knows it.
    const std::string id =
        review["reply_markup"]["inline_keyboard"][0][0]["callback_data"].get<std::string>().substr(
            2);
    const auto candidates = json::parse(read_bytes(f.dir / "state" / "candidates.json"));
    std::string media;
    for (const auto& c : candidates["candidates"]) {
        if (c["id"] == id)
            media = std::filesystem::path(c["media"].get<std::string>()).filename().string();
    }
    REQUIRE_FALSE(media.empty());

    const auto status = [&] {
        const auto before = f.api.sent_texts(kOwner).size();
        f.api.push_message(kOwner, kOwner, "/status");
        REQUIRE(f.api.wait_until(
            [&] {
                const auto texts = f.api.sent_texts(kOwner);
                return texts.size() > before && texts.back().starts_with("📊 System status");
            },
            kWait));
        return f.api.sent_texts(kOwner).back();
    };
    const auto youtube_line = "  ❌ YouTube · " + media +
                              ": Google refused the stored authorization (revoked or expired) "
                              "— send /connect youtube, then press Retry\n";
    // One candidate's targets by name: X before YouTube.
    const auto first = status();
    CAPTURE(first);
    const auto x_line = "  ❌ X · " + media + ": rate limited during ";
    const auto x_at = first.find("\n📤 Failed publications (2):\n" + x_line);
    REQUIRE(x_at != std::string::npos);
    CHECK(first.find("\n" + youtube_line, x_at) != std::string::npos);

    // Retry X under the review message: the post goes out, and /status lists YouTube alone.
    const auto review_id = review["message_id"].get<std::int64_t>();
    const auto keyboard = f.api.message(review_id)->at("reply_markup");
    std::string retry_x;
    for (const auto& row : keyboard["inline_keyboard"]) {
        if (row[0]["text"] == "🔁 Retry X")
            retry_x = row[0]["callback_data"].get<std::string>();
    }
    REQUIRE_FALSE(retry_x.empty());
    f.api.push_callback(kOwner, review_id, retry_x);
    REQUIRE(f.api.wait_until(
        [&] {
            return f.api.message(review_id)->value("caption", "").find("✅ X: https://") !=
                   std::string::npos;
        },
        kWait));
    CHECK(f.x.posts().size() == 1);
    const auto second = status();
    CHECK(second.find("\n📤 Failed publications (1):\n" + youtube_line + "\n") != std::string::npos);
    CHECK(second.find("❌ X") == std::string::npos);
}
