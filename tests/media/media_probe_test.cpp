// probe_media(): every file that should enter a library does, with the right facts; every
// broken or wrong one is refused with a MediaError naming the file and the cause.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <memegen/render_entry.h>
#include <memegen/error.hpp>
#include <memegen/media_probe.hpp>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "test_files.hpp"

using memegen::MediaError;
using memegen::MediaInfo;
using memegen::MediaRole;
using memegen::probe_media;
using memegen::ProbedKind;
using memegen::ProbeLimits;
using memegen::test::ffmpeg;
using memegen::test::read_all;
using memegen::test::TempDir;
using memegen::test::write_all;

namespace {

// A copy of `from` cut to `fraction` of its bytes.
std::filesystem::path truncated(const std::filesystem::path& from, double fraction,
                                const std::filesystem::path& to) {
    const auto bytes = read_all(from);
    write_all(to, bytes.substr(0, static_cast<std::size_t>(bytes.size() * fraction)));
    return to;
}

// The message of the MediaError that probing `path` throws ("" if it does not throw).
std::string refusal(const std::filesystem::path& path, const ProbeLimits& limits = {}) {
    try {
        (void)probe_media(path, limits);
    } catch (const MediaError& e) {
        return e.what();
    }
    return "";
}

// Fixtures shared by all cases: made once per process.
struct Fixtures {
    TempDir dir{"memegen-probe"};
    std::filesystem::path png = dir / "still.png";
    std::filesystem::path jpg = dir / "still.jpg";
    std::filesystem::path gif = dir / "anim.gif";
    std::filesystem::path mp4 = dir / "clip.mp4";           // h264 + aac, faststart
    std::filesystem::path mp4_silent = dir / "silent.mp4";  // h264 only
    std::filesystem::path webm = dir / "clip.webm";
    std::filesystem::path m4a = dir / "track.m4a";
    std::filesystem::path mp3 = dir / "track.mp3";
    // 60 s of a tone cut to its first 50 kB: its header still says 60 s, about 3 s decode.
    std::filesystem::path cut_mp3 = dir / "cut.mp3";
    std::filesystem::path empty_wav = dir / "empty.wav";  // a header and no samples
    std::filesystem::path zeros_wav = dir / "zeros.wav";  // 5 s of digital silence
    std::filesystem::path zeros_m4a = dir / "zeros.m4a";  // the same, encoded

    Fixtures() {
        ffmpeg("-f lavfi -i testsrc2=s=160x120 -frames:v 1 " + png.string());
        ffmpeg("-f lavfi -i testsrc2=s=160x120 -frames:v 1 " + jpg.string());
        ffmpeg("-f lavfi -i testsrc2=s=120x90:r=10 -t 1 " + gif.string());
        ffmpeg(
            "-f lavfi -i testsrc2=s=160x120:r=12 -f lavfi -i sine=f=440 -t 1 -c:v libx264 "
            "-preset ultrafast -pix_fmt yuv420p -c:a aac -movflags +faststart " +
            mp4.string());
        ffmpeg(
            "-f lavfi -i testsrc2=s=160x120:r=12 -t 1 -c:v libx264 -preset ultrafast "
            "-pix_fmt yuv420p " +
            mp4_silent.string());
        ffmpeg("-f lavfi -i testsrc2=s=160x120:r=12 -t 1 -c:v libvpx -b:v 200k " + webm.string());
        ffmpeg("-f lavfi -i sine=f=440:d=2 -c:a aac -b:a 48k " + m4a.string());
        ffmpeg("-f lavfi -i sine=f=660:d=2 -c:a libmp3lame -b:a 48k " + mp3.string());
        const auto long_mp3 = dir / "long.mp3";
        ffmpeg("-f lavfi -i sine=f=440:d=60 -c:a libmp3lame -b:a 128k " + long_mp3.string());
        write_all(cut_mp3, read_all(long_mp3).substr(0, 50'000));
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 0 " + empty_wav.string());
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 5 " + zeros_wav.string());
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 5 -c:a aac " + zeros_m4a.string());
    }
};

Fixtures& fixtures() {
    static Fixtures f;
    return f;
}

ProbeLimits as(MediaRole role) {
    ProbeLimits limits;
    limits.role = role;
    return limits;
}

}  // namespace

TEST_CASE("good memes and tracks pass with their kind, size and length") {
    auto& f = fixtures();
    SUBCASE("a PNG still") {
        const auto info = probe_media(f.png, as(MediaRole::meme));
        CHECK(info.kind == ProbedKind::still);
        CHECK(info.width == 160);
        CHECK(info.height == 120);
        CHECK(info.has_video);
        CHECK_FALSE(info.has_audio);
        CHECK(info.video_codec == "png");
        CHECK(info.size_bytes == std::filesystem::file_size(f.png));
        CHECK(info.canonical_extension() == ".png");
    }
    SUBCASE("a JPEG still") {
        const auto info = probe_media(f.jpg, as(MediaRole::meme));
        CHECK(info.kind == ProbedKind::still);
        CHECK(info.canonical_extension() == ".jpg");
    }
    SUBCASE("a GIF animation") {
        const auto info = probe_media(f.gif, as(MediaRole::meme));
        CHECK(info.kind == ProbedKind::animation);
        CHECK(info.width == 120);
        CHECK(info.duration_seconds > 0.5);
        CHECK(info.canonical_extension() == ".gif");
    }
    SUBCASE("an MP4 with sound") {
        const auto info = probe_media(f.mp4, as(MediaRole::meme));
        CHECK(info.kind == ProbedKind::video);
        CHECK(info.has_audio);
        CHECK(info.video_codec == "h264");
        CHECK(info.audio_codec == "aac");
        CHECK(info.duration_seconds == doctest::Approx(1.0).epsilon(0.2));
        CHECK(info.canonical_extension() == ".mp4");
    }
    SUBCASE("a WebM") {
        const auto info = probe_media(f.webm, as(MediaRole::meme));
        CHECK(info.kind == ProbedKind::video);
        CHECK(info.canonical_extension() == ".webm");
    }
    SUBCASE("an M4A and an MP3 track") {
        const auto m4a = probe_media(f.m4a, as(MediaRole::music));
        CHECK(m4a.kind == ProbedKind::audio);
        CHECK(m4a.has_audio);
        CHECK_FALSE(m4a.has_video);
        CHECK(m4a.duration_seconds == doctest::Approx(2.0).epsilon(0.1));
        CHECK(m4a.canonical_extension() == ".m4a");
        const auto mp3 = probe_media(f.mp3, as(MediaRole::music));
        CHECK(mp3.audio_codec == "mp3");
        CHECK(mp3.canonical_extension() == ".mp3");
    }
    SUBCASE("a video with sound is also a usable track") {
        CHECK(probe_media(f.mp4, as(MediaRole::music)).has_audio);
    }
}

TEST_CASE("broken and wrong files are refused with the file and the cause in the message") {
    auto& f = fixtures();
    const auto& d = f.dir;
    SUBCASE("missing") {
        const auto why = refusal(d / "nope.png");
        CHECK(why.find("[memegen.media]") == 0);
        CHECK(why.find("nope.png") != std::string::npos);
        CHECK(why.find("file not found") != std::string::npos);
    }
    SUBCASE("zero bytes") {
        write_all(d / "empty.png", "");
        CHECK(refusal(d / "empty.png").find("empty (0 bytes)") != std::string::npos);
    }
    SUBCASE("a directory") {
        std::filesystem::create_directories(d / "folder.mp4");
        CHECK(refusal(d / "folder.mp4").find("not a regular file") != std::string::npos);
    }
    SUBCASE("text named .mp4") {
        write_all(d / "text.mp4", std::string(4000, 'x') + "\nthis is not a video\n");
        const auto why = refusal(d / "text.mp4");
        CHECK(why.find("text.mp4") != std::string::npos);
        CHECK(why.find("not a readable media file") != std::string::npos);
    }
    SUBCASE("a truncated PNG") {
        const auto cut = truncated(f.png, 0.6, d / "cut.png");
        CHECK(refusal(cut).find("truncated PNG") != std::string::npos);
    }
    SUBCASE("a truncated GIF") {
        const auto cut = truncated(f.gif, 0.5, d / "cut.gif");
        CHECK(refusal(cut).find("truncated GIF") != std::string::npos);
    }
    SUBCASE("a truncated MP4 with its index first (faststart)") {
        const auto cut = truncated(f.mp4, 0.7, d / "cut-faststart.mp4");
        const auto why = refusal(cut, as(MediaRole::meme));
        CHECK(why.find("cut-faststart.mp4") != std::string::npos);
        CHECK(why.find("truncated") != std::string::npos);
    }
    SUBCASE("a truncated MP4 whose index was at the end") {
        const auto cut = truncated(f.mp4_silent, 0.7, d / "cut-index.mp4");
        const auto why = refusal(cut, as(MediaRole::meme));
        CHECK(why.find("cut-index.mp4") != std::string::npos);
        CHECK(why.find("not a readable media file") != std::string::npos);
    }
    SUBCASE("a header claiming 30000x30000 is refused before decoding") {
        // A real PNG whose IHDR is rewritten: decoding it would need 3.6 GB.
        auto bytes = read_all(f.png);
        const unsigned char size[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30};
        bytes.replace(16, 8, reinterpret_cast<const char*>(size), 8);
        write_all(d / "huge.png", bytes);
        const auto why = refusal(d / "huge.png");
        CHECK(why.find("30000x30000") != std::string::npos);
        CHECK(why.find("exceeds the limit") != std::string::npos);
    }
    SUBCASE("a picture above a lowered pixel limit") {
        ProbeLimits limits;
        limits.max_pixels = 100 * 100;
        CHECK(refusal(f.mp4, limits).find("160x120") != std::string::npos);
    }
    SUBCASE("a file above the byte limit") {
        ProbeLimits limits;
        limits.max_bytes = 100;
        CHECK(refusal(f.png, limits).find("exceeds the limit of 100 bytes") != std::string::npos);
    }
    SUBCASE("a track without audio") {
        std::filesystem::copy_file(f.mp4_silent, d / "no-audio.m4a");
        const auto why = refusal(d / "no-audio.m4a", as(MediaRole::music));
        CHECK(why.find("no-audio.m4a") != std::string::npos);
        CHECK(why.find("no audio stream") != std::string::npos);
    }
    SUBCASE("a meme without a picture") {
        const auto why = refusal(f.m4a, as(MediaRole::meme));
        CHECK(why.find("only audio") != std::string::npos);
    }
    SUBCASE("corrupt picture data") {
        // The PNG's compressed data overwritten, its chunk structure intact.
        auto bytes = read_all(f.png);
        const auto idat = bytes.find("IDAT");
        REQUIRE(idat != std::string::npos);
        for (std::size_t i = idat + 8; i < idat + 200 && i < bytes.size() - 12; ++i)
            bytes[i] = static_cast<char>(0xA5);
        write_all(d / "corrupt.png", bytes);
        const auto why = refusal(d / "corrupt.png");
        CHECK(why.find("corrupt.png") != std::string::npos);
        CHECK(why.find("decode") != std::string::npos);
    }
}

TEST_CASE("a track's length is what decodes, and a track without real sound is refused") {
    auto& f = fixtures();
    SUBCASE("an intact track reports its decoded length") {
        const auto mp3 = probe_media(f.mp3, as(MediaRole::music));
        CHECK(mp3.duration_seconds == doctest::Approx(2.0).epsilon(0.05));
        CHECK(mp3.audio_seconds == doctest::Approx(mp3.duration_seconds));
    }
    SUBCASE("a video's sound is measured too, and a meme is not refused for it") {
        const auto info = probe_media(f.mp4, as(MediaRole::meme));
        CHECK(info.audio_seconds == doctest::Approx(1.0).epsilon(0.1));
    }
    SUBCASE("an MP3 cut to 3 s whose header says 60 s") {
        for (const auto role : {MediaRole::music, MediaRole::any}) {
            const auto why = refusal(f.cut_mp3, as(role));
            INFO(why);
            CHECK(why.find("cut.mp3") != std::string::npos);
            CHECK(why.find("truncated: 3.") != std::string::npos);
            CHECK(why.find("s of audio where the header says 60.0 s") != std::string::npos);
        }
    }
    SUBCASE("a WAV without samples") {
        const auto why = refusal(f.empty_wav, as(MediaRole::music));
        INFO(why);
        CHECK(why.find("empty.wav") != std::string::npos);
        CHECK(why.find("no audio") != std::string::npos);
    }
    SUBCASE("digital silence, raw or encoded") {
        for (const auto& file : {f.zeros_wav, f.zeros_m4a}) {
            const auto why = refusal(file, as(MediaRole::music));
            INFO(why);
            CHECK(why.find(file.filename().string()) != std::string::npos);
            CHECK(why.find("silent") != std::string::npos);
            CHECK(why.find("digital silence") != std::string::npos);
        }
    }
    SUBCASE("the JSON answer carries the decoded length") {
        const MediaInfo info = probe_media(f.m4a, as(MediaRole::music));
        const nlohmann::json j = info;
        CHECK(j.at("audio_seconds").get<double>() == doctest::Approx(info.audio_seconds));
        CHECK(j.get<MediaInfo>().audio_seconds == doctest::Approx(info.audio_seconds));
    }
}

TEST_CASE("memegen_probe_json answers per file, in order, and reports each result as it goes") {
    auto& f = fixtures();
    write_all(f.dir / "zero.gif", "");
    const nlohmann::json request = {{"files",
                                     {f.png.string(),
                                      {{"path", f.m4a.string()}, {"role", "music"}},
                                      (f.dir / "zero.gif").string(),
                                      {{"path", f.mp4_silent.string()}, {"role", "music"}}}},
                                    {"role", "meme"},
                                    {"max_pixels", 1'000'000}};
    std::vector<std::string> streamed;
    char* raw = memegen_probe_json(
        request.dump().c_str(),
        [](void* user, const char* result) {
            static_cast<std::vector<std::string>*>(user)->push_back(result);
        },
        &streamed);
    REQUIRE(raw != nullptr);
    const auto answer = nlohmann::json::parse(raw);
    memegen_free_string(raw);
    REQUIRE(answer["ok"] == true);
    const auto& results = answer["results"];
    REQUIRE(results.size() == 4);
    CHECK(streamed.size() == 4);
    CHECK(results[0]["ok"] == true);
    CHECK(results[0]["info"]["kind"] == "still");
    CHECK(results[1]["ok"] == true);
    CHECK(results[1]["info"].get<MediaInfo>().kind == ProbedKind::audio);
    CHECK(results[2]["ok"] == false);
    CHECK(results[2]["error"].get<std::string>().find("empty") != std::string::npos);
    CHECK(results[3]["ok"] == false);
    CHECK(results[3]["error"].get<std::string>().find("no audio stream") != std::string::npos);
    CHECK(nlohmann::json::parse(streamed[2]) == results[2]);

    SUBCASE("a malformed request is an error answer, never a crash") {
        for (const char* bad :
             {"", "not json", "{}", R"({"files": 3})", R"({"files": [], "role": "x"})"}) {
            char* text = memegen_probe_json(bad, nullptr, nullptr);
            REQUIRE(text != nullptr);
            const auto a = nlohmann::json::parse(text);
            memegen_free_string(text);
            CHECK(a["ok"] == false);
            CHECK_FALSE(a["error"].get<std::string>().empty());
        }
        char* text = memegen_probe_json(nullptr, nullptr, nullptr);
        REQUIRE(text != nullptr);
        memegen_free_string(text);
    }
}
