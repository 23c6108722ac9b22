// Uploads and downloads: sendVideo streamed from disk as multipart with Content-Length,
// filename escaping, re-sending by file_id, and downloads with a size cap.

#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>

#include "fake_bot_api.hpp"
#include "telegram/bot_api.hpp"
#include "telegram/multipart.hpp"
#include "temp_dir.hpp"
#include "test_helpers.hpp"

using namespace std::chrono_literals;
using memegen::bot::BotApi;
using memegen::bot::TelegramError;
using memegen::bot::VideoUpload;
using memegen::test::catch_telegram_error;
using memegen::test::FakeBotApi;
using memegen::test::fast_options;
using memegen::test::Fault;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

constexpr std::int64_t kChat = 555;

std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(size, '\0');
    for (auto& c : out)
        c = static_cast<char>(rng() & 0xFF);
    return out;
}

void write_file(const std::filesystem::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t fnv1a(const std::string& bytes) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace

TEST_CASE("send_video streams the file as multipart with Content-Length and all fields") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    TempDir dir("tg-upload");
    const std::string video = random_bytes(3 * 1024 * 1024 + 17, 1);
    const std::string thumb = random_bytes(12345, 2);
    write_file(dir / "meme.mp4", video);
    write_file(dir / "thumb.jpg", thumb);

    VideoUpload up;
    up.chat_id = kChat;
    up.video = dir / "meme.mp4";
    up.width = 1080;
    up.height = 1920;
    up.duration = 12;
    up.thumbnail = dir / "thumb.jpg";
    up.caption = "<b>Meme</b> of the day &amp; more";
    up.options.reply_markup =
        json{{"inline_keyboard", {{{{"text", "Publish"}, {"callback_data", "p"}}}}}};
    const json message = client.send_video(up);

    REQUIRE(api.call_count("sendVideo") == 1);
    const auto call = api.calls("sendVideo")[0];
    CHECK(call.status == 200);
    CHECK_FALSE(call.chunked);
    REQUIRE(call.content_length);
    CHECK(*call.content_length > video.size() + thumb.size());
    CHECK(call.content_type.rfind("multipart/form-data; boundary=", 0) == 0);
    CHECK(call.params["chat_id"] == "555");
    CHECK(call.params["width"] == "1080");
    CHECK(call.params["height"] == "1920");
    CHECK(call.params["duration"] == "12");
    CHECK(call.params["supports_streaming"] == "true");
    CHECK(call.params["parse_mode"] == "HTML");
    CHECK(json::parse(call.params["reply_markup"].get<std::string>()) == *up.options.reply_markup);
    REQUIRE(call.files.size() == 2);
    for (const auto& f : call.files) {
        if (f.field == "video") {
            CHECK(f.filename == "meme.mp4");
            CHECK(f.content_type == "video/mp4");
            CHECK(f.size == video.size());
            CHECK(fnv1a(read_file(f.saved_path)) == fnv1a(video));
        } else {
            CHECK(f.field == "thumbnail");
            CHECK(f.content_type == "image/jpeg");
            CHECK(read_file(f.saved_path) == thumb);
        }
    }
    CHECK(message["caption"] == "Meme of the day & more");
    const std::string file_id = message["video"]["file_id"];
    CHECK(message["video"]["width"] == 1080);

    SUBCASE("and the returned file_id re-sends it without an upload") {
        const json again = client.send_video_by_file_id(-100777, file_id, "<i>published</i>");
        CHECK(again["video"]["file_id"] == file_id);
        CHECK(again["caption"] == "published");
        const auto calls = api.calls("sendVideo");
        REQUIRE(calls.size() == 2);
        CHECK(calls[1].files.empty());
        CHECK(calls[1].content_type.rfind("application/json", 0) == 0);
    }
    SUBCASE("and its caption and keyboard are edited together; an unchanged edit is refused") {
        const auto id = message["message_id"].get<std::int64_t>();
        const json retry = {{"inline_keyboard", {{{{"text", "Retry"}, {"callback_data", "y"}}}}}};
        const json edited = client.edit_message_caption(
            kChat, id, "<b>Meme</b> of the day\n\n❌ YouTube: quota", retry);
        CHECK(edited["caption"] == "Meme of the day\n\n❌ YouTube: quota");
        CHECK(api.message(id)->at("reply_markup") == retry);
        const auto same = catch_telegram_error([&] {
            client.edit_message_caption(kChat, id, "<b>Meme</b> of the day\n\n❌ YouTube: quota",
                                        retry);
        });
        CHECK(same.is_not_modified());
        client.edit_message_caption(kChat, id, "<b>Meme</b>", std::nullopt);
        CHECK_FALSE(api.message(id)->contains("reply_markup"));  // an edit without one drops it
        const auto too_long = catch_telegram_error(
            [&] { client.edit_message_caption(kChat, id, std::string(1025, 'a'), std::nullopt); });
        CHECK(too_long.description().find("caption is too long") != std::string::npos);
    }
}

TEST_CASE("a filename with quotes, line breaks and non-ASCII is escaped in the part header") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    TempDir dir("tg-upload");
    write_file(dir / "v.mp4", "not really a video");
    VideoUpload up;
    up.chat_id = kChat;
    up.video = dir / "v.mp4";
    up.filename = "we\"ird\r\nContent-Type: text/evil\r\n\r\nx \xE2\x9C\x93.mp4";
    client.send_video(up);
    const auto call = api.calls("sendVideo").at(0);
    REQUIRE(call.files.size() == 1);
    CHECK(call.files[0].filename ==
          "we%22ird%0D%0AContent-Type: text/evil%0D%0A%0D%0Ax \xE2\x9C\x93.mp4");
    CHECK(call.files[0].content_type == "video/mp4");
    CHECK(call.files[0].size == 18);
    CHECK(memegen::bot::detail::escape_multipart_value("a\"b\rc\nd") == "a%22b%0Dc%0Ad");
}

TEST_CASE("an upload answered with 5xx is sent again in full; a lost answer is not") {
    FakeBotApi api;
    auto options = fast_options(api);
    options.transfer_timeout = 1000ms;
    BotApi client(options);
    TempDir dir("tg-upload");
    const std::string video = random_bytes(200000, 3);
    write_file(dir / "v.mp4", video);
    VideoUpload up;
    up.chat_id = kChat;
    up.video = dir / "v.mp4";

    SUBCASE("5xx") {
        api.fail_next("sendVideo", 1, Fault::internal_error());
        client.send_video(up);
        const auto calls = api.calls("sendVideo");
        REQUIRE(calls.size() == 2);
        CHECK(calls[1].files.at(0).size == video.size());
        CHECK(api.sent_messages(kChat).size() == 1);
    }
    SUBCASE("lost answer") {
        api.fail_next("sendVideo", 1, Fault::slow_reply(2500ms));
        try {
            client.send_video(up);
            FAIL("expected a timeout");
        } catch (const TelegramError& e) {
            CHECK(e.kind() == TelegramError::Kind::timeout);
            CHECK(e.may_have_reached());
        }
        CHECK(api.call_count("sendVideo") == 1);
    }
}

TEST_CASE("a missing video file fails locally before any request") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    VideoUpload up;
    up.chat_id = kChat;
    up.video = "/nonexistent/video.mp4";
    CHECK_THROWS_AS(client.send_video(up), memegen::SystemError);
    CHECK(api.call_count("sendVideo") == 0);
}

TEST_CASE("download_file streams a file to disk and enforces the size cap") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    TempDir dir("tg-download");
    const std::string content = random_bytes(100000, 4);
    api.push_document(kChat, kChat, "input.gif", content, "image/gif");
    const auto updates = client.get_updates(0, 0, {}, {});
    REQUIRE(updates.size() == 1);
    const std::string file_id = updates[0]["message"]["document"]["file_id"];
    const auto info = client.get_file(file_id);
    REQUIRE(info.file_size);
    CHECK(*info.file_size == 100000);
    REQUIRE_FALSE(info.file_path.empty());

    SUBCASE("within the cap") {
        const auto n = client.download_file(info.file_path, dir / "in.gif", 100000);
        CHECK(n == 100000);
        CHECK(read_file(dir / "in.gif") == content);
        CHECK_FALSE(std::filesystem::exists(dir / "in.gif.part"));
    }
    SUBCASE("above the cap: a clear error and no file") {
        try {
            client.download_file(info.file_path, dir / "in.gif", 99999);
            FAIL("expected limit_exceeded");
        } catch (const TelegramError& e) {
            CHECK(e.kind() == TelegramError::Kind::limit_exceeded);
            CHECK(std::string(e.what()).find("larger than the allowed 99999 bytes") !=
                  std::string::npos);
        }
        CHECK_FALSE(std::filesystem::exists(dir / "in.gif"));
        CHECK_FALSE(std::filesystem::exists(dir / "in.gif.part"));
    }
    SUBCASE("a missing file is a 404 error") {
        try {
            client.download_file("files/nope", dir / "x", 10);
            FAIL("expected a 404");
        } catch (const TelegramError& e) {
            CHECK(e.error_code() == 404);
        }
        CHECK_FALSE(std::filesystem::exists(dir / "x.part"));
    }
}
