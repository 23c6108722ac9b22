// End-to-end: the real memegen-bot binary against the fake Bot API — media sent to the bot
// (downloaded with getFile, probed once in a child, added or refused with the reason), broken
// library files that never reach a render, and sidecar captions that reach the candidate.

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "../../render/media_probe.hpp"
#include "bot_process.hpp"
#include "fake_bot_api.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kAdmin;
using memegen::test::kOwner;
using memegen::test::kStranger;
using memegen::test::kWait;
using memegen::test::read_all;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

struct Fixture {
    TempDir dir{"memegen-e2e-library"};
    FakeBotApi api;
    json config;

    Fixture() {
        memegen::test::make_libraries(dir / "media", dir / "music", 2);
        config = memegen::test::test_config(api, dir.path());
    }

    std::vector<std::string> texts(std::int64_t chat) const { return api.sent_texts(chat); }

    // The first message to `chat` containing `needle` (waits for it); "" on timeout.
    std::string wait_for_text(std::int64_t chat, const std::string& needle) const {
        std::string found;
        api.wait_until(
            [&] {
                for (const auto& t : texts(chat)) {
                    if (t.find(needle) != std::string::npos) {
                        found = t;
                        return true;
                    }
                }
                return false;
            },
            kWait);
        return found;
    }

    bool wait_ready() const { return api.wait_for_calls("setMyCommands", 1, kWait); }

    // Asks /status until its text contains `needle` (the libraries are checked in the
    // background, so counts settle a moment after start-up); the last reply either way.
    std::string status_when(const std::string& needle) {
        std::string status;
        const auto deadline = std::chrono::steady_clock::now() + kWait;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto before = texts(kOwner).size();
            api.push_message(kOwner, kOwner, "/status");
            if (!api.wait_until([&] { return texts(kOwner).size() > before; }, kWait))
                break;
            status = texts(kOwner).back();
            if (status.find(needle) != std::string::npos)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        return status;
    }

    std::vector<std::string> media_files() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(dir / "media"))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

}  // namespace

TEST_CASE("a photo sent by the owner is downloaded, probed and added to the meme library") {
    Fixture f;
    // Not testsrc2: the library's meme0.png is that picture, and a copy would be refused.
    memegen::test::make_fixture("-f lavfi -i rgbtestsrc=s=320x240 -frames:v 1 " +
                                (f.dir / "sent.jpg").string());
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_photo(kOwner, kOwner, read_all(f.dir / "sent.jpg"), 320, 240, "cat in a box");
    const auto reply = f.wait_for_text(kOwner, "Added to the meme library");
    REQUIRE(!reply.empty());
    CHECK(reply.find("still · 320×240") != std::string::npos);
    CHECK(f.api.call_count("getFile") == 1);
    std::string added;
    for (const auto& name : f.media_files()) {
        if (name.starts_with("photo_") && name.ends_with(".jpg"))
            added = name;
    }
    REQUIRE(!added.empty());
    CHECK(reply.find(added) != std::string::npos);
    // Its own sidecar says where it came from; the caption became its title.
    const auto sidecar = json::parse(read_all(f.dir / "media" / (added + ".json")));
    CHECK(sidecar["source"] == "sent to the bot by @user1001");
    CHECK(sidecar["title"] == "cat in a box");

    SUBCASE("and it counts in /status with the library's own files") {
        // The sent file was probed on arrival; the two the library started with may still be
        // in their background check.
        const auto status = f.status_when("Library: 3 memes");
        INFO(status);
        CHECK(status.find("Library: 3 memes") != std::string::npos);
    }
    SUBCASE("an admin's audio goes to the music library") {
        memegen::test::make_fixture("-f lavfi -i sine=f=330:d=1 -c:a libmp3lame " +
                                    (f.dir / "song.mp3").string());
        json audio_message = {
            {"message",
             {{"message_id", 9001},
              {"date", 0},
              {"from", {{"id", kAdmin}, {"is_bot", false}, {"first_name", "A"}}},
              {"chat", {{"id", kAdmin}, {"type", "private"}}},
              {"audio",
               {{"file_id", f.api.register_file(read_all(f.dir / "song.mp3"), "song.mp3")},
                {"file_unique_id", "AgADsong"},
                {"duration", 1},
                {"file_name", "My Song.mp3"},
                {"mime_type", "audio/mpeg"}}}}}};
        f.api.push_update(audio_message);
        const auto added_audio = f.wait_for_text(kAdmin, "Added to the music library");
        REQUIRE(!added_audio.empty());
        CHECK(added_audio.find("My Song.mp3") != std::string::npos);
        CHECK(std::filesystem::exists(f.dir / "music" / "My Song.mp3"));
    }
    CHECK(bot.log().find(f.api.token()) == std::string::npos);
}

TEST_CASE("a file above library.max_upload_mb is refused before it is downloaded") {
    Fixture f;
    f.config["library"] = {{"max_upload_mb", 1}};
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    const auto before = f.media_files();
    f.api.push_document(kOwner, kOwner, "big.mp4", std::string(1'500'000, 'x'), "video/mp4");
    const auto reply = f.wait_for_text(kOwner, "Not added");
    REQUIRE(!reply.empty());
    CHECK(reply.find("1.5 MB, more than the 1 MB limit") != std::string::npos);
    CHECK(f.api.call_count("getFile") == 0);
    CHECK(f.media_files() == before);
}

TEST_CASE("a file whose stated size is wrong is stopped while downloading") {
    Fixture f;
    f.config["library"] = {{"max_upload_mb", 1}};
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    const auto before = f.media_files();
    const auto id = f.api.register_file(std::string(1'500'000, 'x'), "big.mp4");
    f.api.state_file_size(id, 1000);
    f.api.push_update({{"message",
                        {{"message_id", 9002},
                         {"date", 0},
                         {"from", {{"id", kOwner}, {"is_bot", false}, {"first_name", "O"}}},
                         {"chat", {{"id", kOwner}, {"type", "private"}}},
                         {"document",
                          {{"file_id", id},
                           {"file_unique_id", "AgADbig"},
                           {"file_size", 1000},
                           {"file_name", "big.mp4"},
                           {"mime_type", "video/mp4"}}}}}});
    const auto reply = f.wait_for_text(kOwner, "Not added");
    REQUIRE(!reply.empty());
    CHECK(reply.find("larger than the 1 MB limit") != std::string::npos);
    CHECK(f.api.call_count("getFile") == 1);
    CHECK(f.media_files() == before);  // the partial download is gone too
    CHECK(bot.log().find(f.api.token()) == std::string::npos);
}

TEST_CASE("a broken file is refused with the reason and leaves nothing behind") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    const auto before = f.media_files();
    SUBCASE("text sent as a video") {
        f.api.push_video(kOwner, kOwner, "this is text, not a video", 320, 240, 3);
        const auto reply = f.wait_for_text(kOwner, "Not added");
        CHECK(reply.find("not a readable media file") != std::string::npos);
    }
    SUBCASE("a truncated GIF sent as a document") {
        memegen::test::make_fixture("-f lavfi -i testsrc2=s=120x90:r=10 -t 1 " +
                                    (f.dir / "anim.gif").string());
        const auto gif = read_all(f.dir / "anim.gif");
        f.api.push_document(kOwner, kOwner, "anim.gif", gif.substr(0, gif.size() / 2), "image/gif");
        const auto reply = f.wait_for_text(kOwner, "Not added");
        CHECK(reply.find("truncated GIF") != std::string::npos);
    }
    SUBCASE("a PDF") {
        f.api.push_document(kOwner, kOwner, "paper.pdf", "%PDF-1.4 ...", "application/pdf");
        const auto reply = f.wait_for_text(kOwner, "Not added");
        CHECK(reply.find("send a photo, GIF, video or audio") != std::string::npos);
    }
    CHECK(f.media_files() == before);  // no temporary file left either
    CHECK(bot.log().find(f.api.token()) == std::string::npos);
}

TEST_CASE("media from a stranger is refused and nothing is downloaded") {
    Fixture f;
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    const auto before = f.media_files();
    f.api.push_photo(kStranger, kStranger, "\x89PNG fake", 10, 10);
    REQUIRE(!f.wait_for_text(kStranger, "only works for its owner").empty());
    // Sent files are taken one at a time, in the order they came: once the owner's later file
    // is answered, a download of the stranger's would have come before it.
    f.api.push_photo(kOwner, kOwner, "not a picture", 10, 10);
    REQUIRE(!f.wait_for_text(kOwner, "Not added").empty());
    CHECK(f.api.call_count("getFile") == 1);  // the owner's
    CHECK(f.media_files() == before);
}

TEST_CASE("broken library files never reach a render; sidecar captions and track names do") {
    Fixture f;
    std::ofstream(f.dir / "media" / "text.mp4") << "not a video at all";
    std::ofstream(f.dir / "media" / "zero.png");
    std::ofstream(f.dir / "media" / "library.json")
        << R"({"defaults": {"captions": {"top": "TOP LINE"}}, "files": {"meme0.png": {"title": 7}}})";
    std::ofstream(f.dir / "music" / "library.json")
        << R"({"defaults": {"artist": "The Testers", "title": "Sine"}})";
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    f.api.push_message(kOwner, kOwner, "/generate 2");
    REQUIRE(!f.wait_for_text(kOwner, "Done. OK: 2, failed: 0.").empty());
    const auto videos = f.api.calls("sendVideo");
    REQUIRE(videos.size() == 2);
    for (const auto& call : videos) {
        const auto caption = call.params["caption"].get<std::string>();
        CHECK(caption.find("🎵 The Testers — Sine") != std::string::npos);
        CHECK(caption.find("text.mp4") == std::string::npos);
        CHECK(caption.find("zero.png") == std::string::npos);
    }
    const auto log = bot.log();
    INFO(log);
    CHECK(log.find("skipped [memegen.media] '") != std::string::npos);
    CHECK(log.find("text.mp4': not a readable media file") != std::string::npos);
    CHECK(log.find("zero.png': file is empty") != std::string::npos);
    CHECK(log.find("files.\"meme0.png\": \"title\" must be a string") != std::string::npos);
    CHECK(log.find("render failed") == std::string::npos);
    const auto status = f.status_when("Library: 2 memes, 2 tracks, 2 rejected");
    INFO(status);
    CHECK(status.find("Library: 2 memes, 2 tracks, 2 rejected") != std::string::npos);
}

TEST_CASE("a copy of a library meme sent to the bot is refused naming it; a new meme is added") {
    Fixture f;  // meme0.png (testsrc2, 160x120) and meme1.png (mandelbrot, 120x160)
    // The copy a chat app would make of meme0.png: twice the size, as a JPEG.
    memegen::test::make_fixture("-i " + (f.dir / "media" / "meme0.png").string() +
                                " -vf scale=320:240 -q:v 8 " + (f.dir / "copy.jpg").string());
    memegen::test::make_fixture("-f lavfi -i rgbtestsrc=s=320x240 -frames:v 1 " +
                                (f.dir / "new.jpg").string());
    BotProcess bot(f.dir.path(), f.config);
    REQUIRE(f.wait_ready());
    // Both library memes are probed (and hashed) in the background first.
    REQUIRE(f.status_when("Library: 2 memes").find("Library: 2 memes") != std::string::npos);
    const auto files_before = f.media_files();

    f.api.push_photo(kOwner, kOwner, read_all(f.dir / "copy.jpg"), 320, 240);
    const auto refusal = f.wait_for_text(kOwner, "Not added");
    INFO(refusal);
    CHECK(
        refusal.starts_with("❌ Not added: it looks like meme0.png, already in the meme library ("));
    CHECK(refusal.ends_with(" of 64 bits apart; library.duplicate_distance is 12)."));
    CHECK(f.media_files() == files_before);  // nothing kept, not even the download

    f.api.push_photo(kOwner, kOwner, read_all(f.dir / "new.jpg"), 320, 240);
    const auto added = f.wait_for_text(kOwner, "Added to the meme library");
    CHECK(added.find("still · 320×240") != std::string::npos);
    CHECK(f.media_files().size() == files_before.size() + 2);  // the meme and its sidecar

    // Each sent file got one answer, in order; /status counts the refusal.
    const auto status = f.status_when("Near-duplicates refused today: 1");
    CHECK(status.find("Near-duplicates refused today: 1") != std::string::npos);
    int refusals = 0, additions = 0;
    for (const auto& t : f.texts(kOwner)) {
        refusals += t.find("Not added") != std::string::npos;
        additions += t.find("Added to the meme library") != std::string::npos;
        if (t.find("Added to the meme library") != std::string::npos)
            CHECK(refusals == 1);  // the refusal came first
    }
    CHECK(refusals == 1);
    CHECK(additions == 1);
}
