// The bot's library scan: every file is probed once (in a child process, as the bot does),
// good files become pickable, broken or wrong ones are skipped with a logged reason, verdicts
// persist in library_index.json, and files sent to the bot are admitted or refused.

#include <doctest/doctest.h>

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <memegen/log.hpp>

#include "library/library_catalog.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

using memegen::MediaRole;
using memegen::bot::LibraryCatalog;
using memegen::bot::LibraryCatalogOptions;
using memegen::test::ffmpeg;
using memegen::test::read_all;
using memegen::test::TempDir;
using memegen::test::write_all;

namespace {

struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    LogCapture() {
        memegen::set_log_sink([this](memegen::LogLevel, std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        });
    }
    ~LogCapture() { memegen::set_log_sink({}); }
    bool has(const std::string& a, const std::string& b) {
        std::lock_guard lock(mutex);
        for (const auto& l : lines) {
            if (l.find(a) != std::string::npos && l.find(b) != std::string::npos)
                return true;
        }
        return false;
    }
};

// A meme library with good and broken files, and a music library with one track that has no
// audio. Made once per process.
struct Libraries {
    TempDir dir{"memegen-catalog"};
    std::filesystem::path media = dir / "media";
    std::filesystem::path music = dir / "music";
    std::filesystem::path outside = dir / "outside";

    Libraries() {
        std::filesystem::create_directories(media);
        std::filesystem::create_directories(music);
        std::filesystem::create_directories(outside);
        ffmpeg("-f lavfi -i testsrc2=s=160x120 -frames:v 1 " + (media / "good.png").string());
        ffmpeg("-f lavfi -i testsrc2=s=120x90:r=10 -t 1 " + (media / "good.gif").string());
        ffmpeg(
            "-f lavfi -i testsrc2=s=160x120:r=12 -t 1 -c:v libx264 -preset ultrafast "
            "-pix_fmt yuv420p -movflags +faststart " +
            (media / "good.mp4").string());
        const auto png = read_all(media / "good.png");
        const auto gif = read_all(media / "good.gif");
        const auto mp4 = read_all(media / "good.mp4");
        write_all(media / "truncated.png", png.substr(0, png.size() / 2));
        write_all(media / "truncated.gif", gif.substr(0, gif.size() / 2));
        write_all(media / "truncated.mp4", mp4.substr(0, mp4.size() * 2 / 3));
        write_all(media / "text.mp4", "this is a text file, not a video\n");
        write_all(media / "zero.jpg", "");
        auto huge = png;
        const unsigned char size[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30};  // 30000x30000
        huge.replace(16, 8, reinterpret_cast<const char*>(size), 8);
        write_all(media / "huge.png", huge);
        write_all(media / "notes.txt", "not a media name: never probed");
        write_all(media / "library.json", "{}");
        std::filesystem::copy_file(media / "good.png", outside / "elsewhere.png");
        std::filesystem::create_symlink(outside / "elsewhere.png", media / "escape.png");

        ffmpeg("-f lavfi -i sine=f=440:d=1 -c:a aac -b:a 48k " + (music / "tone.m4a").string());
        ffmpeg("-f lavfi -i testsrc2=s=64x64:r=5 -t 1 -c:v libx264 -preset ultrafast -f mp4 " +
               (music / "silent.m4a").string());
    }
};

LibraryCatalogOptions options_for(const Libraries& l, const std::filesystem::path& state) {
    LibraryCatalogOptions o;
    o.media_dir = l.media;
    o.music_dir = l.music;
    o.index_file = state / "library_index.json";
    o.prober.work_dir = state / "work";
    const char* bot = std::getenv("MEMEGEN_BOT_BINARY");
    REQUIRE(bot != nullptr);
    o.prober.program = bot;
    o.batch = 4;
    return o;
}

std::vector<std::string> names(const std::vector<std::filesystem::path>& files) {
    std::vector<std::string> out;
    for (const auto& f : files)
        out.push_back(f.filename().string());
    return out;
}

}  // namespace

TEST_CASE("a scan probes each file once in a child; only good files are pickable") {
    Libraries libs;
    TempDir state{"memegen-catalog-state"};
    LogCapture logs;
    std::size_t probed = 0;
    {
        LibraryCatalog catalog(options_for(libs, state.path()));
        probed = catalog.refresh({});
        CHECK(names(catalog.usable(MediaRole::meme)) ==
              std::vector<std::string>{"good.gif", "good.mp4", "good.png"});
        CHECK(names(catalog.usable(MediaRole::music)) == std::vector<std::string>{"tone.m4a"});
        const auto memes = catalog.counts(MediaRole::meme);
        CHECK(memes.usable == 3);
        CHECK(memes.rejected == 6);  // truncated x3, text, zero-byte, 30000x30000
        CHECK(memes.pending == 0);
        CHECK(catalog.counts(MediaRole::music).rejected == 1);
        const auto info = catalog.info(libs.media / "good.mp4");
        REQUIRE(info);
        CHECK(info->kind == memegen::ProbedKind::video);
        CHECK(info->width == 160);
    }
    CHECK(probed == 11);  // notes.txt, library.json and the escaping symlink are not probed
    // Each broken file is skipped with its reason, naming it.
    CHECK(logs.has("truncated.png", "truncated PNG"));
    CHECK(logs.has("truncated.gif", "truncated GIF"));
    CHECK(logs.has("truncated.mp4", "truncated"));
    CHECK(logs.has("text.mp4", "not a readable media file"));
    CHECK(logs.has("zero.jpg", "empty (0 bytes)"));
    CHECK(logs.has("huge.png", "30000x30000"));
    CHECK(logs.has("silent.m4a", "no audio stream"));
    CHECK(logs.has("escape.png", "outside the library"));
    CHECK(std::filesystem::exists(state / "library_index.json"));

    SUBCASE("verdicts persist: a restarted bot probes nothing again") {
        LibraryCatalog again(options_for(libs, state.path()));
        CHECK(again.refresh({}) == 0);
        CHECK(again.usable(MediaRole::meme).size() == 3);
        CHECK(again.counts(MediaRole::meme).rejected == 6);
    }
    SUBCASE("a changed file is probed again; a removed one is forgotten") {
        std::filesystem::copy_file(libs.media / "good.png", libs.media / "truncated.png",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::remove(libs.media / "zero.jpg");
        LibraryCatalog again(options_for(libs, state.path()));
        CHECK(again.refresh({}) == 1);
        CHECK(again.usable(MediaRole::meme).size() == 4);
        CHECK(again.counts(MediaRole::meme).rejected == 4);
    }
    SUBCASE("an index an older probe wrote (no text layouts, older limits) is probed again") {
        auto index = nlohmann::json::parse(read_all(state / "library_index.json"));
        index["version"] = 1;
        write_all(state / "library_index.json", index.dump());
        LibraryCatalog again(options_for(libs, state.path()));
        CHECK(again.refresh({}) == 11);
        CHECK(again.usable(MediaRole::meme).size() == 3);
    }
    SUBCASE("a broken index is moved aside and every file is probed again") {
        write_all(state / "library_index.json", "{ not json");
        LibraryCatalog again(options_for(libs, state.path()));
        CHECK(again.refresh({}) == 11);
        CHECK(again.usable(MediaRole::meme).size() == 3);
    }
}

TEST_CASE("a file that crashes the probe child is rejected by name; the others are still probed") {
    Libraries libs;
    TempDir state{"memegen-catalog-state"};
    std::filesystem::copy_file(libs.media / "good.png", libs.media / "crashme.png");
    ::setenv("MEMEGEN_PROBE_FAULT", "segv:crashme", 1);
    LogCapture logs;
    LibraryCatalog catalog(options_for(libs, state.path()));
    catalog.refresh({});
    ::unsetenv("MEMEGEN_PROBE_FAULT");
    CHECK(names(catalog.usable(MediaRole::meme)) ==
          std::vector<std::string>{"good.gif", "good.mp4", "good.png"});
    // SIGSEGV; under ASan its handler turns the crash into an abort or an exit status.
    CHECK((logs.has("crashme.png", "the probe process crashed (SIG") ||
           logs.has("crashme.png", "the probe process exited with status")));
}

TEST_CASE("in-thread probing gives the same verdicts") {
    Libraries libs;
    TempDir state{"memegen-catalog-state"};
    auto options = options_for(libs, state.path());
    options.prober.isolate = false;
    LibraryCatalog catalog(options);
    catalog.refresh({});
    CHECK(catalog.usable(MediaRole::meme).size() == 3);
    CHECK(catalog.counts(MediaRole::meme).rejected == 6);
}

TEST_CASE("ensure_usable validates before a pick only when nothing usable is known yet") {
    Libraries libs;
    TempDir state{"memegen-catalog-state"};
    LibraryCatalog catalog(options_for(libs, state.path()));
    CHECK(catalog.usable(MediaRole::meme).empty());
    catalog.ensure_usable(MediaRole::meme, 1, {});
    CHECK_FALSE(catalog.usable(MediaRole::meme).empty());
    // Enough were usable: it stopped early and left the rest to the background refresh.
    CHECK(catalog.counts(MediaRole::meme).pending > 0);
    CHECK(catalog.counts(MediaRole::music).usable == 0);
}

TEST_CASE("admitting a sent file: a good one gets a safe name and its real extension") {
    Libraries libs;
    TempDir state{"memegen-catalog-state"};
    LibraryCatalog catalog(options_for(libs, state.path()));
    catalog.refresh({});
    SUBCASE("a PNG sent as '../../evil name.bin'") {
        std::filesystem::copy_file(libs.media / "good.png", libs.media / ".incoming-1");
        const auto a =
            catalog.admit(libs.media / ".incoming-1", MediaRole::meme, "../../evil name.bin", {});
        REQUIRE(a.ok);
        CHECK(a.file == libs.media / "evil name.png");
        CHECK(std::filesystem::exists(a.file));
        CHECK_FALSE(std::filesystem::exists(libs.media / ".incoming-1"));
        CHECK(catalog.usable(MediaRole::meme).size() == 4);
        SUBCASE("a second one of the same name does not replace it") {
            std::filesystem::copy_file(libs.media / "good.png", libs.media / ".incoming-2");
            const auto b =
                catalog.admit(libs.media / ".incoming-2", MediaRole::meme, "evil name.png", {});
            REQUIRE(b.ok);
            CHECK(b.file.filename() == "evil name-2.png");
        }
    }
    SUBCASE("a broken one is deleted and the reason does not show the temporary path") {
        write_all(libs.media / ".incoming-3", "hello, not a video");
        const auto a = catalog.admit(libs.media / ".incoming-3", MediaRole::meme, "clip.mp4", {});
        CHECK_FALSE(a.ok);
        CHECK(a.reason.find("not a readable media file") == 0);
        CHECK(a.reason.find(".incoming") == std::string::npos);
        CHECK_FALSE(std::filesystem::exists(libs.media / ".incoming-3"));
    }
    SUBCASE("a video sent as music is refused: no audio") {
        std::filesystem::copy_file(libs.media / "good.mp4", libs.music / ".incoming-4");
        const auto a = catalog.admit(libs.music / ".incoming-4", MediaRole::music, "x.mp3", {});
        CHECK_FALSE(a.ok);
        CHECK(a.reason.find("no audio stream") != std::string::npos);
    }
}

TEST_CASE("a picture's text is found once, in the probe child, and kept in the index for renders") {
    TempDir dir{"memegen-catalog-text"};
    const auto media = dir.path() / "media";
    const auto music = dir.path() / "music";
    std::filesystem::create_directories(media);
    std::filesystem::create_directories(music);
    ffmpeg(
        "-f lavfi -i gradients=s=640x480:seed=3 -vf \"drawbox=x=0:y=0:w=iw:h=90:color=white:"
        "t=fill,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:"
        "text='WORKS ON MY MACHINE':x=20:y=20:fontsize=44:fontcolor=black\" -frames:v 1 " +
        (media / "text.png").string());
    ffmpeg("-f lavfi -i gradients=s=640x480:seed=3 -frames:v 1 " + (media / "plain.png").string());
    ffmpeg("-f lavfi -i sine=f=440:d=2 -c:a aac " + (music / "tone.m4a").string());
    LibraryCatalogOptions o;
    o.media_dir = media;
    o.music_dir = music;
    o.index_file = dir.path() / "library_index.json";
    o.prober.work_dir = dir.path() / "work";
    const char* bot = std::getenv("MEMEGEN_BOT_BINARY");
    REQUIRE(bot != nullptr);
    o.prober.program = bot;
    {
        LibraryCatalog catalog(o);
        CHECK(catalog.refresh({}) == 3);
        const auto text = catalog.text_layout(media / "text.png");
        REQUIRE(text);
        REQUIRE(text->has_text());
        CHECK(text->width == 640);
        CHECK(text->boxes.front().y < 90);
        const auto plain = catalog.text_layout(media / "plain.png");
        REQUIRE(plain);
        CHECK_FALSE(plain->has_text());
        CHECK_FALSE(catalog.text_layout(music / "tone.m4a"));  // no picture, no layout
    }
    const auto index = nlohmann::json::parse(read_all(o.index_file));
    CHECK(index["files"]["media/text.png"].contains("text_layout"));
    LibraryCatalog restarted(o);
    CHECK(restarted.refresh({}) == 0);  // nothing probed again: the layout comes from the index
    const auto again = restarted.text_layout(media / "text.png");
    REQUIRE(again);
    CHECK(again->has_text());
}
