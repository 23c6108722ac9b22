// MemeRenderer: every media kind in, a Telegram-ready MP4 out, checked by reading the output
// back with libavformat; reproducibility, captions, size cap, bad input, cancellation, memory.

#include <doctest/doctest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "media_probe.hpp"
#include "memegen/memegen.hpp"
#include "temp_dir.hpp"

using memegen::test::ffmpeg;
using memegen::test::TempDir;

namespace {

// Fixtures are made once per test binary, with the ffmpeg CLI, at run time.
struct Fixtures {
    TempDir dir{"memegen-render-fixtures"};
    std::filesystem::path still, jpeg, webp, dark, gif, video, mov, mkv, webm, rotated, music,
        noisy, long_video, audio_only, unknown_codec;

    Fixtures() {
        still = dir / "still.png";
        ffmpeg("-f lavfi -i testsrc2=s=320x240 -frames:v 1 " + still.string());
        jpeg = dir / "still.jpg";
        ffmpeg("-f lavfi -i testsrc2=s=240x320 -frames:v 1 " + jpeg.string());
        webp = dir / "still.webp";
        ffmpeg("-f lavfi -i testsrc2=s=200x200 -frames:v 1 -c:v libwebp " + webp.string());
        dark = dir / "dark.png";
        ffmpeg("-f lavfi -i color=c=0x102040:s=320x240 -frames:v 1 " + dark.string());
        gif = dir / "anim.gif";
        ffmpeg("-f lavfi -i testsrc2=s=160x120:r=10:d=1 " + gif.string());
        video = dir / "video.mp4";
        ffmpeg(
            "-f lavfi -i testsrc2=s=320x180:r=25:d=2 -f lavfi -i sine=f=300:d=2 -c:v libx264 "
            "-preset ultrafast -c:a aac -shortest " +
            video.string());
        mov = dir / "video.mov";
        ffmpeg("-i " + video.string() + " -c copy " + mov.string());
        mkv = dir / "video.mkv";
        ffmpeg("-i " + video.string() + " -c copy " + mkv.string());
        webm = dir / "video.webm";
        ffmpeg(
            "-f lavfi -i testsrc2=s=160x90:r=10:d=1 -f lavfi -i sine=d=1 -c:v libvpx "
            "-deadline realtime -cpu-used 8 -c:a libopus " +
            webm.string());
        // A phone video: landscape pixels, a display matrix saying "turn by 90 degrees".
        rotated = dir / "rotated.mp4";
        ffmpeg("-i " + video.string() + " -c copy -metadata:s:v:0 rotate=90 " + rotated.string());
        music = dir / "music.mp3";
        ffmpeg("-f lavfi -i sine=f=1000:d=15 -c:a libmp3lame " + music.string());
        noisy = dir / "noisy.mp4";
        ffmpeg(
            "-f lavfi -i testsrc2=s=320x240:r=24:d=3,noise=alls=100:allf=t -c:v libx264 "
            "-preset ultrafast -crf 5 " +
            noisy.string());
        long_video = dir / "long.mp4";
        ffmpeg("-f lavfi -i color=c=red:s=64x64:r=5:d=600 -c:v libx264 -preset ultrafast " +
               long_video.string());
        audio_only = dir / "audio.m4a";
        ffmpeg("-f lavfi -i sine=d=1 -c:a aac " + audio_only.string());
        unknown_codec = dir / "c64.nut";
        ffmpeg("-f lavfi -i testsrc2=s=320x200:d=0.2 -c:v a64multi " + unknown_codec.string());
    }
};

const Fixtures& fixtures() {
    static const Fixtures f;
    return f;
}

memegen::RenderOptions small_options() {
    memegen::RenderOptions o;
    o.size = {320, 568};
    o.duration_seconds = 2.0;
    o.effects = std::vector<memegen::Effect>{};
    return o;
}

// Checks what every output must be: H.264 yuv420p of the frame size and rate, AAC-LC, the
// index before the data, and the length the result claims (± one frame).
void check_output(const memegen::RenderResult& r, const memegen::RenderOptions& o) {
    REQUIRE(std::filesystem::exists(r.output));
    const auto facts = memegen::test::probe(r.output);
    CHECK(facts.video_codec == "h264");
    CHECK(facts.pix_fmt == "yuv420p");
    CHECK(facts.width == o.size.width);
    CHECK(facts.height == o.size.height);
    CHECK(facts.fps == doctest::Approx(o.fps));
    CHECK(std::abs(facts.duration - r.duration_seconds) <= 1.0 / o.fps + 1e-6);
    CHECK(facts.audio_codec == "aac");
    CHECK(facts.audio_profile == "LC");
    CHECK(std::abs(facts.audio_duration - r.duration_seconds) <= 0.1);
    CHECK(r.has_audio);
    const auto boxes = memegen::test::top_level_boxes(r.output);
    const auto moov = std::find(boxes.begin(), boxes.end(), "moov");
    const auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
    REQUIRE(moov != boxes.end());
    REQUIRE(mdat != boxes.end());
    CHECK(moov < mdat);
    CHECK(r.size_bytes == std::filesystem::file_size(r.output));
    CHECK(r.width == o.size.width);
    CHECK(r.height == o.size.height);
    // Thumbnail: a JPEG beside the output, ≤ 320 px on its longest side, < 200 kB.
    REQUIRE(std::filesystem::exists(r.thumbnail));
    CHECK(r.thumbnail.parent_path() == r.output.parent_path());
    CHECK(std::filesystem::file_size(r.thumbnail) < 200 * 1000);
    const auto thumb = memegen::test::probe(r.thumbnail);
    CHECK(thumb.video_codec == "mjpeg");
    CHECK(std::max(thumb.width, thumb.height) <= 320);
    CHECK(std::max(thumb.width, thumb.height) >= 300);
}

// A caption row count: pixels brighter than `level` in a decoded picture.
std::vector<std::pair<int, int>> bright_pixels(const memegen::test::Picture& p, int level) {
    std::vector<std::pair<int, int>> out;
    for (int y = 0; y < p.height; ++y) {
        for (int x = 0; x < p.width; ++x) {
            if (p.luma(x, y) > level)
                out.emplace_back(x, y);
        }
    }
    return out;
}

std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

// A PNG whose header claims `side`×`side` pixels, followed by a few bytes of data.
void write_huge_png(const std::filesystem::path& file, std::uint32_t side) {
    const auto chunk = [](const std::string& type, const std::string& data) {
        return be32(static_cast<std::uint32_t>(data.size())) + type + data +
               be32(crc32(type + data));
    };
    const std::string ihdr = be32(side) + be32(side) + std::string("\x08\x02\x00\x00\x00", 5);
    std::ofstream out(file, std::ios::binary);
    out << std::string("\x89PNG\r\n\x1a\n", 8) << chunk("IHDR", ihdr)
        << chunk("IDAT", std::string(64, '\0')) << chunk("IEND", "");
}

void truncate_copy(const std::filesystem::path& from, const std::filesystem::path& to) {
    const auto bytes = memegen::test::read_bytes(from);
    std::ofstream(to, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
}

}  // namespace

TEST_CASE("a still PNG becomes an H.264/AAC MP4 of the frame size, rate and length, index first") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 3.0;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().still, out / "still.mp4", o);
    check_output(r, o);
    CHECK(r.duration_seconds == doctest::Approx(3.0));
    CHECK(r.media_kind == "still");
    CHECK(r.frames_encoded == 72);
    CHECK(r.frames_decoded == 1);  // a still's picture is decoded and composed once
    CHECK(r.audio_source == "silence");
    CHECK(r.peak_rss_bytes > 0);
    CHECK(r.thumbnail == out / "still.thumb.jpg");
    SUBCASE("and the result serialises to JSON with the fields sendVideo needs") {
        const nlohmann::json j = r;
        CHECK(j.at("width") == 320);
        CHECK(j.at("height") == 568);
        CHECK(j.at("output") == (out / "still.mp4").string());
        CHECK(j.at("has_audio") == true);
    }
}

TEST_CASE("JPEG and WebP stills render too") {
    TempDir out;
    const auto o = small_options();
    memegen::MemeRenderer renderer;
    for (const auto& input : {fixtures().jpeg, fixtures().webp}) {
        CAPTURE(input);
        check_output(
            renderer.render(
                input,
                out / (input.stem().string() + input.extension().string().substr(1) + ".mp4"), o),
            o);
    }
}

TEST_CASE("a still's length defaults to 7-12 s drawn from the seed") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds.reset();
    o.size = {160, 284};
    memegen::MemeRenderer renderer;
    std::set<double> lengths;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        o.seed = seed;
        const auto r = renderer.render(fixtures().still, out / "s.mp4", o);
        CHECK(r.duration_seconds >= 7.0);
        CHECK(r.duration_seconds <= 12.0);
        lengths.insert(r.duration_seconds);
        o.seed = seed;
        CHECK(renderer.render(fixtures().still, out / "t.mp4", o).duration_seconds ==
              r.duration_seconds);
    }
    CHECK(lengths.size() > 1);
}

TEST_CASE("an animated GIF keeps its frames and is looped up to the minimum length") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds.reset();
    o.min_seconds = 2.5;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().gif, out / "gif.mp4", o);
    check_output(r, o);
    CHECK(r.media_kind == "animation");
    CHECK(r.duration_seconds == doctest::Approx(2.5));
    // 1 s of 10 fps looped three times: every pass decodes its frames again, nothing is kept.
    CHECK(r.frames_decoded >= 25);
    CHECK(r.frames_decoded <= 31);
}

TEST_CASE("a video keeps its length and its own sound when no music is given") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds.reset();
    o.min_seconds = 1.0;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().video, out / "video.mp4", o);
    check_output(r, o);
    CHECK(r.media_kind == "video");
    CHECK(r.duration_seconds == doctest::Approx(2.0).epsilon(0.03));
    CHECK(r.audio_source == "meme");
    SUBCASE("MOV, MKV and WebM containers too") {
        for (const auto& input : {fixtures().mov, fixtures().mkv, fixtures().webm}) {
            CAPTURE(input);
            std::string name = "o";
            name += input.extension().string();
            name += ".mp4";
            const auto other = renderer.render(input, out / name, o);
            check_output(other, o);
            CHECK(other.audio_source == "meme");
        }
    }
}

TEST_CASE("music is trimmed under the video, mixed on request, and silence otherwise") {
    TempDir out;
    auto o = small_options();
    o.music = fixtures().music;
    memegen::MemeRenderer renderer;
    const auto with_music = renderer.render(fixtures().video, out / "m.mp4", o);
    check_output(with_music, o);
    CHECK(with_music.audio_source == "music");
    o.audio = memegen::AudioMode::mix;
    CHECK(renderer.render(fixtures().video, out / "x.mp4", o).audio_source == "mix");
    o.audio = memegen::AudioMode::silent;
    const auto silent = renderer.render(fixtures().video, out / "s.mp4", o);
    check_output(silent, o);
    CHECK(silent.audio_source == "silence");
    o.audio = memegen::AudioMode::music;
    o.music.clear();
    CHECK_THROWS_AS(renderer.render(fixtures().video, out / "n.mp4", o), memegen::MediaError);
}

TEST_CASE("a phone video's display rotation is honoured") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 0.5;
    memegen::MemeRenderer renderer;
    const auto plain = renderer.render(fixtures().video, out / "plain.mp4", o);
    const auto turned = renderer.render(fixtures().rotated, out / "turned.mp4", o);
    const auto a = memegen::test::decode_frame(plain.output, 2);
    const auto b = memegen::test::decode_frame(turned.output, 2);
    // 320x180 landscape fits 320x568 with black above and below; turned it is 180x320 portrait
    // (9:16, as the frame) and fills it: row 40 is black in one and picture in the other.
    int dark_a = 0, dark_b = 0;
    for (int x = 0; x < 320; ++x) {
        dark_a += a.luma(x, 40) <= 20;
        dark_b += b.luma(x, 40) <= 20;
    }
    CHECK(dark_a > 300);
    CHECK(dark_b < 100);
}

// A copy of a JPEG with an EXIF APP1 segment holding only the orientation tag (0x0112), put
// right after the start-of-image marker, as cameras write it. Big-endian TIFF ("MM").
void write_jpeg_with_orientation(const std::filesystem::path& jpeg,
                                 const std::filesystem::path& out, int orientation) {
    const std::string image = memegen::test::read_bytes(jpeg);
    REQUIRE(image.size() > 2);
    REQUIRE(static_cast<unsigned char>(image[0]) == 0xFF);
    REQUIRE(static_cast<unsigned char>(image[1]) == 0xD8);
    const unsigned char tiff[] = {
        'M',  'M',
        0x00, 0x2A,
        0x00, 0x00,
        0x00, 0x08,  // header, IFD0 at offset 8
        0x00, 0x01,  // one entry
        0x01, 0x12,
        0x00, 0x03,
        0x00, 0x00,
        0x00, 0x01,  // Orientation, SHORT, count 1
        0x00, static_cast<unsigned char>(orientation),
        0x00, 0x00,  // value, left-justified
        0x00, 0x00,
        0x00, 0x00,  // no next IFD
    };
    std::string app1 = std::string("Exif\0\0", 6) + std::string(std::begin(tiff), std::end(tiff));
    const std::size_t length = app1.size() + 2;
    std::string segment = {'\xFF', '\xE1', static_cast<char>(length >> 8),
                           static_cast<char>(length & 0xFF)};
    std::ofstream file(out, std::ios::binary);
    file << image.substr(0, 2) << segment << app1 << image.substr(2);
    REQUIRE(file.good());
}

TEST_CASE("a JPEG's EXIF orientation is honoured: all eight turns and mirrors") {
    TempDir out;
    // 200x100, landscape as stored: red top left, green top right, blue bottom left, white
    // bottom right.
    const auto quadrants = out / "quadrants.jpg";
    ffmpeg(
        "-f lavfi -i \"color=c=white:s=200x100,"
        "drawbox=x=0:y=0:w=100:h=50:c=0xFF0000:t=fill,"
        "drawbox=x=100:y=0:w=100:h=50:c=0x00FF00:t=fill,"
        "drawbox=x=0:y=50:w=100:h=50:c=0x0000FF:t=fill\" -frames:v 1 -q:v 2 " +
        quadrants.string());
    enum Colour { red, green, blue, white };
    // What each orientation shows in the top left, top right, bottom left and bottom right of
    // the displayed picture (EXIF 2.3, tag 0x0112).
    const struct {
        int orientation;
        Colour tl, tr, bl, br;
    } cases[] = {
        {1, red, green, blue, white}, {2, green, red, white, blue},  // mirrored
        {3, white, blue, green, red}, {4, blue, white, red, green},  // turned 180, upside down
        {5, red, blue, green, white}, {6, blue, red, white, green},  // transposed, turned 90
        {7, white, green, blue, red}, {8, green, white, red, blue},  // transversed, turned 270
    };
    const auto colour_at = [](const memegen::test::Picture& p, int x, int y) {
        // BT.709 limited range (the renderer's output) of the four pure colours.
        const int reference[4][3] = {
            {63, 102, 240}, {173, 42, 26}, {32, 240, 118}, {235, 128, 128}};
        int best = 0, best_distance = 1 << 30;
        for (int c = 0; c < 4; ++c) {
            const int dy = p.luma(x, y) - reference[c][0];
            const int du = p.cb(x, y) - reference[c][1];
            const int dv = p.cr(x, y) - reference[c][2];
            const int distance = dy * dy + du * du + dv * dv;
            if (distance < best_distance) {
                best_distance = distance;
                best = c;
            }
        }
        return static_cast<Colour>(best);
    };
    auto o = small_options();  // 320x568 on black, no effects
    o.duration_seconds = 0.5;
    memegen::MemeRenderer renderer;
    for (const auto& c : cases) {
        CAPTURE(c.orientation);
        const auto jpeg = out / ("o" + std::to_string(c.orientation) + ".jpg");
        write_jpeg_with_orientation(quadrants, jpeg, c.orientation);
        const auto r = renderer.render(jpeg, out / "o.mp4", o);
        const auto picture = memegen::test::decode_frame(r.output, 0);
        // Upright 200x100 fits as 320x160 (rows 204-363); turned, 100x200 fits as 284x568
        // (columns 18-301). Quadrant centres:
        const bool turned = c.orientation >= 5;
        const int left = turned ? 18 + 71 : 80;
        const int right = turned ? 18 + 213 : 240;
        const int top = turned ? 142 : 204 + 40;
        const int bottom = turned ? 426 : 204 + 120;
        CHECK(colour_at(picture, left, top) == c.tl);
        CHECK(colour_at(picture, right, top) == c.tr);
        CHECK(colour_at(picture, left, bottom) == c.bl);
        CHECK(colour_at(picture, right, bottom) == c.br);
        // The frame outside the picture stays black.
        CHECK(picture.luma(turned ? 4 : 160, turned ? 284 : 100) <= 20);
    }
}

TEST_CASE("effects are selected reproducibly: 2-4 of them, and the five groups differ") {
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        std::set<std::vector<memegen::Effect>> groups;
        for (int g = 0; g < 5; ++g) {
            const auto chosen = memegen::select_effects(seed, g);
            CHECK(chosen.size() >= 2);
            CHECK(chosen.size() <= 4);
            CHECK(chosen == memegen::select_effects(seed, g));
            groups.insert(chosen);
        }
        CHECK(groups.size() == 5);
    }
    CHECK_THROWS_AS((void)memegen::select_effects(0, 5), memegen::MediaError);
    CHECK(memegen::parse_effect("black-and-white") == memegen::Effect::black_and_white);
    CHECK_FALSE(memegen::parse_effect("sparkles").has_value());
    CHECK_THROWS_AS((void)memegen::parse_effect_list("mirror,sparkles"), memegen::MediaError);
    CHECK(memegen::FrameSize::parse("720x1280") == memegen::FrameSize{720, 1280});
    CHECK_THROWS_AS((void)memegen::FrameSize::parse("721x1280"), memegen::MediaError);
    CHECK_THROWS_AS((void)memegen::FrameSize::parse("big"), memegen::MediaError);
}

TEST_CASE("the same inputs and seed give identical bytes; other variant groups differ") {
    TempDir out;
    auto o = small_options();
    o.effects.reset();
    o.seed = 42;
    o.music = fixtures().music;
    memegen::MemeRenderer renderer;
    const auto first = renderer.render(fixtures().gif, out / "a.mp4", o);
    const auto second = renderer.render(fixtures().gif, out / "b.mp4", o);
    CHECK(memegen::test::read_bytes(first.output) == memegen::test::read_bytes(second.output));
    CHECK(first.effects == second.effects);
    std::set<std::string> candidates{memegen::test::read_bytes(first.output)};
    for (int g = 1; g < 5; ++g) {
        o.variant_group = g;
        std::string name = "g";
        name += std::to_string(g);
        name += ".mp4";
        const auto r = renderer.render(fixtures().gif, out / name, o);
        CHECK(r.effects != first.effects);
        candidates.insert(memegen::test::read_bytes(r.output));
    }
    CHECK(candidates.size() == 5);
}

#if defined(__GLIBC__)
// While alive, memory from malloc comes filled with a non-zero byte and freed memory is
// overwritten (glibc's M_PERTURB): an encoder that reads memory it never wrote then sees
// other values than in a fresh process, where such memory is mostly zero.
class DirtyMalloc {
  public:
    DirtyMalloc() { ::mallopt(M_PERTURB, 0x5A); }
    ~DirtyMalloc() { ::mallopt(M_PERTURB, 0); }
    DirtyMalloc(const DirtyMalloc&) = delete;
    DirtyMalloc& operator=(const DirtyMalloc&) = delete;
};
#endif

TEST_CASE("the same seed gives identical bytes whatever malloc's memory held before") {
    // 320 px is 20 macroblocks, not a multiple of 8: the width at which x264's AVX-512 MB-tree
    // code read memory it never wrote (see output_file.cpp).
    TempDir out;
    auto o = small_options();
    o.effects.reset();
    o.seed = 7;
    memegen::MemeRenderer renderer;
    for (const auto& media : {fixtures().video, fixtures().gif}) {
        CAPTURE(media.string());
        const auto clean = renderer.render(media, out / "clean.mp4", o);
        std::filesystem::path dirty_output = out / "dirty.mp4";
        {
#if defined(__GLIBC__)
            const DirtyMalloc dirty;
#endif
            dirty_output = renderer.render(media, dirty_output, o).output;
        }
        CHECK(memegen::test::read_bytes(clean.output) == memegen::test::read_bytes(dirty_output));
    }
}

TEST_CASE("every effect of the bank renders, on black and on a blurred background") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 1.5;
    memegen::MemeRenderer renderer;
    for (auto background : {memegen::Background::black, memegen::Background::blur}) {
        o.background = background;
        for (memegen::Effect e : memegen::kAllEffects) {
            CAPTURE(memegen::to_string(e));
            o.effects = std::vector<memegen::Effect>{e};
            const auto r = renderer.render(fixtures().video, out / "e.mp4", o);
            check_output(r, o);
            CHECK(r.effects == std::vector<memegen::Effect>{e});
        }
    }
    SUBCASE("mirror flips the picture left to right") {
        o.background = memegen::Background::black;
        o.effects = std::vector<memegen::Effect>{};
        const auto plain = memegen::test::decode_frame(
            renderer.render(fixtures().still, out / "p.mp4", o).output, 0);
        o.effects = std::vector<memegen::Effect>{memegen::Effect::mirror};
        const auto flipped = memegen::test::decode_frame(
            renderer.render(fixtures().still, out / "f.mp4", o).output, 0);
        long diff_same = 0, diff_flipped = 0;
        for (int y = 200; y < 360; ++y) {
            for (int x = 0; x < 320; ++x) {
                diff_same += std::abs(plain.luma(x, y) - flipped.luma(x, y));
                diff_flipped += std::abs(plain.luma(x, y) - flipped.luma(319 - x, y));
            }
        }
        CHECK(diff_flipped * 4 < diff_same);
    }
}

TEST_CASE("captions stay inside their boxes and the frame, Latin and Cyrillic alike") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 0.5;
    o.captions.top = "WHEN THE CODE COMPILES";
    o.captions.bottom = "Привет, мир! Ёжик в тумане";
    o.captions.badge = "artist — title";
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().dark, out / "c.mp4", o);
    check_output(r, o);
    REQUIRE(r.captions.size() == 3);
    const auto picture = memegen::test::decode_frame(r.output, 3);
    const auto bright = bright_pixels(picture, 170);
    REQUIRE(bright.size() > 200);
    std::vector<int> per_box(r.captions.size(), 0);
    int outside = 0;
    for (auto [x, y] : bright) {
        bool inside = false;
        for (std::size_t b = 0; b < r.captions.size(); ++b) {
            const auto& box = r.captions[b];
            // One pixel of slack: the encoder's blocks may bleed a little.
            if (x >= box.x - 1 && x <= box.x + box.width && y >= box.y - 1 &&
                y <= box.y + box.height) {
                inside = true;
                ++per_box[b];
            }
        }
        outside += !inside;
    }
    CHECK(outside == 0);
    for (std::size_t b = 0; b < r.captions.size(); ++b) {
        CAPTURE(r.captions[b].role);
        CHECK(per_box[b] > 20);
        CHECK(r.captions[b].x >= 0);
        CHECK(r.captions[b].y >= 0);
        CHECK(r.captions[b].x + r.captions[b].width <= 320);
        CHECK(r.captions[b].y + r.captions[b].height <= 568);
    }
    // Boxes never overlap.
    for (std::size_t a = 0; a < r.captions.size(); ++a) {
        for (std::size_t b = a + 1; b < r.captions.size(); ++b) {
            const auto &p = r.captions[a], &q = r.captions[b];
            CHECK((p.y + p.height <= q.y || q.y + q.height <= p.y));
        }
    }
}

TEST_CASE("Cyrillic captions render as distinct glyphs, not .notdef boxes") {
    // .notdef boxes look alike whatever the letter; real glyphs of different letters do not.
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 0.25;
    memegen::MemeRenderer renderer;
    o.captions.top = "ЖЖЖЖ";
    const auto a =
        memegen::test::decode_frame(renderer.render(fixtures().dark, out / "a.mp4", o).output, 0);
    o.captions.top = "ОООО";
    const auto b =
        memegen::test::decode_frame(renderer.render(fixtures().dark, out / "b.mp4", o).output, 0);
    long diff = 0;
    for (int y = 0; y < 160; ++y) {
        for (int x = 0; x < 320; ++x)
            diff += std::abs(a.luma(x, y) - b.luma(x, y)) > 60;
    }
    CHECK(diff > 300);
    SUBCASE("a character the font lacks comes from a fallback font instead of failing") {
        o.captions.top = "漢字";
        const auto r = renderer.render(fixtures().dark, out / "c.mp4", o);
        REQUIRE(r.captions.size() == 1);
        CHECK(r.captions[0].width > 0);
    }
    SUBCASE("a missing font is named") {
        o.captions.top = "hi";
        o.font = out / "nope.ttf";
        CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().still, out / "f.mp4", o),
                             doctest::Contains("nope.ttf"), memegen::MediaError);
    }
    SUBCASE("a broken font is named") {
        o.captions.top = "hi";
        o.font = out / "broken.ttf";
        std::ofstream(o.font) << "not a font";
        CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().still, out / "f.mp4", o),
                             doctest::Contains("broken.ttf"), memegen::MediaError);
    }
    CHECK_FALSE(std::filesystem::exists(out / "u.mp4"));
    CHECK_FALSE(std::filesystem::exists(out / "f.mp4"));
}

TEST_CASE("the size cap holds: CRF is capped by a bitrate from the duration, or refused") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 3.0;
    o.crf = 4;  // uncapped, this noise would take megabytes (CRF 0 is lossless: no rate control)
    o.max_output_bytes = 300 * 1000;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().noisy, out / "cap.mp4", o);
    check_output(r, o);
    CHECK(r.size_bytes <= o.max_output_bytes);
    CHECK(r.video_bitrate_cap > 0);
    CHECK(r.video_bitrate_cap < 800000);
    SUBCASE("a cap too small for the sound alone is refused before rendering") {
        o.max_output_bytes = 20 * 1000;
        CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().noisy, out / "tiny.mp4", o),
                             doctest::Contains("size cap"), memegen::MediaError);
        CHECK_FALSE(std::filesystem::exists(out / "tiny.mp4"));
    }
}

TEST_CASE("a 10-minute video decodes only the seconds it needs") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds.reset();
    o.max_video_seconds = 3;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().long_video, out / "long.mp4", o);
    check_output(r, o);
    CHECK(r.duration_seconds == doctest::Approx(3.0));
    // 3 s at 5 fps is 15 frames of 3000; decoder threads may run a couple ahead.
    CHECK(r.frames_decoded >= 15);
    CHECK(r.frames_decoded <= 20);
}

TEST_CASE("bad input is refused with a MediaError naming the file and the cause, leaving nothing") {
    TempDir in, out;
    memegen::MemeRenderer renderer;
    const auto o = small_options();
    const auto refuse = [&](const std::filesystem::path& file, const std::string& cause) {
        CAPTURE(file);
        try {
            (void)renderer.render(file, out / "bad.mp4", o);
            FAIL("expected a MediaError");
        } catch (const memegen::MediaError& e) {
            const std::string what = e.what();
            CAPTURE(what);
            CHECK(what.find(file.filename().string()) != std::string::npos);
            CHECK(what.find(cause) != std::string::npos);
        }
        CHECK(memegen::test::entries(out.path()).empty());
    };
    refuse(in / "missing.png", "not found");
    std::ofstream(in / "empty.mp4").close();
    refuse(in / "empty.mp4", "empty");
    std::ofstream(in / "text.mp4") << "this is not a video\n";
    refuse(in / "text.mp4", "not a readable media file");
    truncate_copy(fixtures().video, in / "cut.mp4");
    refuse(in / "cut.mp4", "not a readable media file");
    truncate_copy(fixtures().gif, in / "cut.gif");
    refuse(in / "cut.gif", "truncated");
    truncate_copy(fixtures().still, in / "cut.png");
    refuse(in / "cut.png", "truncated PNG");
    refuse(fixtures().audio_only, "no video stream");
    refuse(fixtures().unknown_codec, "unsupported video codec");
    write_huge_png(in / "huge.png", 30000);
    refuse(in / "huge.png", "limit");
    SUBCASE("an unknown x264 preset is refused before anything is written") {
        auto unknown = o;
        unknown.preset = "turbo";
        CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().still, out / "bad.mp4", unknown),
                             doctest::Contains("preset 'turbo' is not an x264 preset"),
                             memegen::MediaError);
        CHECK(memegen::test::entries(out.path()).empty());
    }
    SUBCASE("the pixel limit is checked on the header, before decoding") {
        write_huge_png(in / "big.png", 4000);  // 16 Mpx: a legal size, above a 10 Mpx limit
        auto limited = o;
        limited.max_input_pixels = 10'000'000;
        CHECK_THROWS_WITH_AS((void)renderer.render(in / "big.png", out / "bad.mp4", limited),
                             doctest::Contains("4000x4000 exceeds the limit"), memegen::MediaError);
    }
}

TEST_CASE("an output folder that is missing or not writable is a SystemError naming it") {
    memegen::MemeRenderer renderer;
    const auto o = small_options();
    CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().still, "/nonexistent-dir/x/out.mp4", o),
                         doctest::Contains("/nonexistent-dir/x"), memegen::SystemError);
    // Even root cannot create files in /proc.
    CHECK_THROWS_WITH_AS((void)renderer.render(fixtures().still, "/proc/out.mp4", o),
                         doctest::Contains("/proc/out.mp4"), memegen::SystemError);
}

MEMEGEN_TEST_CHILD("render_with_file_size_limit") {
    // A full disk, simulated: writes past RLIMIT_FSIZE fail with EFBIG (SIGXFSZ ignored).
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const std::filesystem::path out = args.at(1);
    auto o = small_options();
    o.duration_seconds = 3.0;
    o.crf = 4;
    try {
        memegen::MemeRenderer renderer;
        (void)renderer.render(args.at(0), out, o);
        return 10;
    } catch (const memegen::SystemError& e) {
        const std::string what = e.what();
        if (what.find(out.string()) == std::string::npos)
            return 11;
        if (what.find("too large") == std::string::npos)
            return 12;
        if (!memegen::test::entries(out.parent_path()).empty())
            return 13;
        return 0;
    } catch (...) {
        return 14;
    }
}

TEST_CASE("a full disk fails the render with the output and the cause, leaving nothing") {
    TempDir out;
    memegen::test::Child child("render_with_file_size_limit",
                               {fixtures().noisy.string(), (out / "full.mp4").string()});
    const auto exit = child.wait();
    CHECK(exit.exited);
    CHECK(exit.exit_code == 0);
}

TEST_CASE("cancellation and the time limit stop a render and leave no file") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 5.0;
    memegen::MemeRenderer renderer;
    SUBCASE("through the stop token, from the progress callback") {
        std::stop_source stop;
        o.stop = stop.get_token();
        std::int64_t seen = 0;
        o.on_progress = [&](const memegen::RenderProgress& p) {
            seen = p.frames_done;
            if (p.frames_done == 10)
                stop.request_stop();
        };
        CHECK_THROWS_AS((void)renderer.render(fixtures().video, out / "c.mp4", o),
                        memegen::CancelledError);
        CHECK(seen == 10);
    }
    SUBCASE("through the time limit") {
        o.time_limit = std::chrono::milliseconds(1);
        CHECK_THROWS_AS((void)renderer.render(fixtures().video, out / "c.mp4", o),
                        memegen::CancelledError);
    }
    CHECK(memegen::test::entries(out.path()).empty());
}

TEST_CASE("progress runs from the first frame to 1.0") {
    TempDir out;
    auto o = small_options();
    std::vector<memegen::RenderProgress> seen;
    o.on_progress = [&](const memegen::RenderProgress& p) { seen.push_back(p); };
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().still, out / "p.mp4", o);
    REQUIRE(!seen.empty());
    CHECK(seen.front().frames_done == 1);
    CHECK(seen.back().fraction == doctest::Approx(1.0));
    CHECK(seen.back().frames_total == r.frames_encoded);
    CHECK(std::is_sorted(seen.begin(), seen.end(),
                         [](const auto& a, const auto& b) { return a.fraction < b.fraction; }));
}

TEST_CASE("one 1080x1920 render of the seed's kind stays within its memory target") {
    TempDir out;
    memegen::RenderOptions o;  // the defaults: 1080x1920, 24 fps, seeded effects
    o.duration_seconds = 2.0;
    o.music = fixtures().music;
    memegen::MemeRenderer renderer;
    const auto r = renderer.render(fixtures().video, out / "full.mp4", o);
    check_output(r, o);
#if !defined(__SANITIZE_ADDRESS__)
    // Whole process, test binary included (its own fixtures and doctest): target 200 MB.
    CHECK(r.peak_rss_bytes < 200ull * 1000 * 1000);
#endif
}

TEST_CASE("repeated renders do not grow memory") {
    TempDir out;
    auto o = small_options();
    o.duration_seconds = 1.0;
    o.effects.reset();
    o.music = fixtures().music;
    o.captions.top = "memory";
    memegen::MemeRenderer renderer;
    const memegen::ResourceMonitor monitor;
    // glibc keeps freed memory in per-thread arenas (x264 slices, decoders, the audio thread),
    // so one reading swings by megabytes. Trim before each reading and compare the lowest
    // reading of a warmed-up window with the lowest of the last window: a leak of any size
    // per render raises the floor; arena noise does not.
    constexpr int kRenders = 16;
    std::uint64_t early_floor = UINT64_MAX, late_floor = UINT64_MAX;
    for (int i = 0; i < kRenders; ++i) {
        o.seed = static_cast<std::uint64_t>(i);
        o.variant_group = i % 5;
        (void)renderer.render(i % 2 ? fixtures().gif : fixtures().video, out / "r.mp4", o);
#if defined(__GLIBC__)
        ::malloc_trim(0);
#endif
        const auto rss = monitor.snapshot().rss_bytes;
        if (i >= 4 && i < 8)
            early_floor = std::min(early_floor, rss);
        if (i >= kRenders - 4)
            late_floor = std::min(late_floor, rss);
    }
    MESSAGE("lowest RSS of renders 5-8: " << early_floor / 1024 << " KiB, of renders 13-16: "
                                          << late_floor / 1024 << " KiB");
#if !defined(__SANITIZE_ADDRESS__)
    // ASan's quarantine holds freed memory on purpose; the claim is checked without it.
    CHECK(late_floor <= early_floor + 6 * 1024 * 1024);
#endif
}
