// Which file of a message sent to the bot goes into which library, under which name, and
// what its sidecar says (issue 12: upload intake in its own files). Pure functions.

#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "intake/sent_file.hpp"

using namespace memegen::bot;
using memegen::MediaRole;
using nlohmann::json;

TEST_CASE("a photo goes to the memes in its largest size") {
    const json message = {
        {"photo", json::array({{{"file_id", "small"}, {"file_unique_id", "u1"}},
                               {{"file_id", "large"}, {"file_unique_id", "u2"}}})}};
    const auto sent = sent_file_of(message);
    REQUIRE(sent);
    CHECK(sent->role == MediaRole::meme);
    CHECK(sent->file["file_id"] == "large");
    CHECK(sent->name == "photo_u2.jpg");
}

TEST_CASE("each kind of message finds its library and a name") {
    const auto sent = [](const char* field, json file) {
        file["file_id"] = "id";
        file["file_unique_id"] = "uq";
        return sent_file_of(json{{field, file}});
    };
    CHECK(sent("animation", {})->name == "animation_uq.mp4");
    CHECK(sent("video", {{"file_name", "clip.mov"}})->name == "clip.mov");
    CHECK(sent("video_note", {})->name == "video_note_uq.mp4");
    CHECK(sent("audio", {})->role == MediaRole::music);
    CHECK(sent("audio", {{"file_name", "song.flac"}})->name == "song.flac");
    CHECK(sent("voice", {})->name == "voice_uq.ogg");
    CHECK(sent("voice", {})->role == MediaRole::music);

    SUBCASE("a document by its MIME type, else by its extension") {
        CHECK(sent("document", {{"mime_type", "image/png"}})->role == MediaRole::meme);
        CHECK(sent("document", {{"mime_type", "video/mp4"}})->role == MediaRole::meme);
        CHECK(sent("document", {{"mime_type", "audio/mpeg"}})->role == MediaRole::music);
        CHECK(sent("document", {{"file_name", "track.mp3"}})->role == MediaRole::music);
        CHECK(sent("document", {{"file_name", "cat.gif"}})->role == MediaRole::meme);
        CHECK(sent("document", {{"mime_type", "image/png"}})->name == "document_uq");
        CHECK_FALSE(sent("document", {{"file_name", "notes.txt"}, {"mime_type", "text/plain"}}));
    }
}

TEST_CASE("kinds no library takes, and files without an id, are not taken") {
    CHECK_FALSE(sent_file_of(json{{"sticker", {{"file_id", "s"}}}}));
    CHECK_FALSE(sent_file_of(json{{"video", {{"file_unique_id", "no id"}}}}));
    CHECK_FALSE(sent_file_of(json{{"photo", json::array()}}));
    CHECK_FALSE(sent_file_of(json{{"text", "hello"}}));
}

TEST_CASE("a sent file's sidecar names the sender; a plain caption becomes its title") {
    CHECK(sent_file_sidecar(json::object(), "@ann") == json{{"source", "sent to the bot by @ann"}});
    CHECK(sent_file_sidecar(json{{"caption", "Monday mood"}}, "#7")["title"] == "Monday mood");
    CHECK_FALSE(sent_file_sidecar(json{{"caption", "two\nlines"}}, "@ann").contains("title"));
    CHECK_FALSE(
        sent_file_sidecar(json{{"caption", std::string(301, 'x')}}, "@ann").contains("title"));
}
