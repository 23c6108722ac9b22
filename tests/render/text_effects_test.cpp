// What a viewer sees of a meme's own text and of the time effects (issue 10): the text is found,
// never printed backwards, never cut by the crop — read back from the rendered video with the
// tesseract CLI, the viewer's eye — and a boomerang plays at least 2 s of the clip forward,
// then backward.

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "media_probe.hpp"
#include "memegen/memegen.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

using memegen::test::ffmpeg;
using memegen::test::TempDir;

namespace {

constexpr const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

// A meme as people make them: a picture with a white band at the top holding black words that
// start 6 px from the left edge, where a 5 % crop would cut the first letter away.
std::filesystem::path make_text_meme(const std::filesystem::path& dir) {
    const auto path = dir / "text_meme.png";
    ffmpeg(std::string("-f lavfi -i gradients=s=800x600:c0=0x3060a0:c1=0x80a040:seed=7 ") +
           "-vf \"drawbox=x=0:y=0:w=iw:h=110:color=white:t=fill,drawtext=fontfile=" + kFont +
           ":text='READING MY CODE':x=6:y=25:fontsize=60:fontcolor=black\" -frames:v 1 " +
           path.string());
    return path;
}

// The words tesseract reads in the luma of one decoded frame.
std::string ocr(const memegen::test::Picture& picture, const std::filesystem::path& dir) {
    const auto pgm = dir / "frame.pgm";
    {
        std::ofstream out(pgm, std::ios::binary);
        out << "P5\n" << picture.width << ' ' << picture.height << "\n255\n";
        out.write(reinterpret_cast<const char*>(picture.y.data()),
                  static_cast<std::streamsize>(picture.y.size()));
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

memegen::RenderOptions small_options() {
    memegen::RenderOptions o;
    o.size = memegen::FrameSize{540, 960};
    o.duration_seconds = 2.0;
    o.preset = "ultrafast";
    return o;
}

bool has(const std::vector<memegen::Effect>& effects, memegen::Effect e) {
    return std::find(effects.begin(), effects.end(), e) != effects.end();
}

}  // namespace

TEST_CASE("detect_text finds the printed text of every demo meme and none in pictures without") {
    const char* env = std::getenv("MEMEGEN_DEMO_DIR");
    REQUIRE(env != nullptr);
    const std::filesystem::path demo = env;
    for (const auto& entry : std::filesystem::directory_iterator(demo / "memes")) {
        CAPTURE(entry.path().filename().string());
        const auto layout = memegen::detect_text(entry.path());
        CHECK(layout.has_text());
        CHECK(layout.frames_analysed >= 1);
        for (const auto& box : layout.boxes) {
            CHECK(box.x >= 0);
            CHECK(box.y >= 0);
            CHECK(box.x + box.width <= layout.width + 1);
            CHECK(box.y + box.height <= layout.height + 1);
        }
    }
    TempDir dir("memegen-text");
    for (const char* source : {"gradients=s=640x480", "testsrc2=s=640x480", "smptebars=s=640x480",
                               "cellauto=s=640x480"}) {
        CAPTURE(source);
        const auto file = dir.path() / "plain.png";
        ffmpeg(std::string("-f lavfi -i ") + source + " -frames:v 5 -update 1 " + file.string());
        CHECK_FALSE(memegen::detect_text(file).has_text());
    }
}

TEST_CASE("coloured lettering counts as text too: yellow subtitles, red on blue") {
    TempDir dir("memegen-text");
    const auto yellow = dir.path() / "yellow.png";
    ffmpeg(std::string("-f lavfi -i mandelbrot=s=1000x800 -vf \"drawtext=fontfile=") + kFont +
           ":text='WHEN YOU SEE IT':fontsize=70:fontcolor=yellow:x=(w-tw)/2:y=h-th-40\" "
           "-frames:v 1 " +
           yellow.string());
    const auto red = dir.path() / "red.png";
    ffmpeg(std::string("-f lavfi -i color=c=0x1030c0:s=800x600 -vf \"drawtext=fontfile=") + kFont +
           ":text='STONKS':fontsize=90:fontcolor=red:x=70:y=100\" -frames:v 1 " + red.string());
    for (const auto& file : {yellow, red}) {
        CAPTURE(file.filename().string());
        const auto layout = memegen::detect_text(file);
        REQUIRE(layout.has_text());
        memegen::MemeRenderer renderer;
        auto o = small_options();
        o.variant_group = 0;  // mirror's group
        const auto result = renderer.render(file, dir.path() / "coloured.mp4", o);
        CHECK_FALSE(has(result.effects, memegen::Effect::mirror));
    }
}

TEST_CASE("the text band of a meme is found where it was printed") {
    TempDir dir("memegen-text");
    const auto layout = memegen::detect_text(make_text_meme(dir.path()));
    REQUIRE(layout.has_text());
    CHECK(layout.width == 800);
    CHECK(layout.height == 600);
    const auto& box = layout.boxes.front();
    CHECK(box.x <= 12);
    CHECK(box.y >= 10);
    CHECK(box.y + box.height <= 110);
    CHECK(box.width > 400);
    // The crop may take at most what lies left of the words (they begin 6 px from the edge).
    CHECK(layout.free_edges(0.05)[0] * 800 < box.x);
    CHECK(layout.free_edges(0.05)[0] < 0.01);
    CHECK(layout.free_edges(0.05)[3] == doctest::Approx(0.05));
}

TEST_CASE("a meme with text is read correctly in every variant group: never mirrored, never cut") {
    TempDir dir("memegen-text");
    const auto meme = make_text_meme(dir.path());
    memegen::MemeRenderer renderer;
    for (int group = 0; group <= 4; ++group) {
        for (std::uint64_t seed : {1u, 2u}) {
            CAPTURE(group);
            CAPTURE(seed);
            auto o = small_options();
            o.variant_group = group;
            o.seed = seed;
            const auto out = dir.path() / ("g" + std::to_string(group) + ".mp4");
            const auto result = renderer.render(meme, out, o);
            CHECK(result.text_layout.has_text());
            CHECK_FALSE(has(result.effects, memegen::Effect::mirror));
            if (group == 0)
                CHECK(has(result.effects, memegen::Effect::sepia));  // mirror's stand-in
            const std::string words = ocr(memegen::test::decode_frame(out, 24), dir.path());
            CAPTURE(words);
            CHECK(words.find("READING") != std::string::npos);
            CHECK(words.find("CODE") != std::string::npos);
        }
    }
}

TEST_CASE("the OCR check would see mirrored or cut text (the same render without detection)") {
    TempDir dir("memegen-text");
    const auto meme = make_text_meme(dir.path());
    memegen::MemeRenderer renderer;
    for (const auto effect : {memegen::Effect::mirror, memegen::Effect::crop}) {
        CAPTURE(to_string(effect));
        auto o = small_options();
        o.detect_text = false;
        o.effects = std::vector{effect};
        const auto out = dir.path() / "blind.mp4";
        renderer.render(meme, out, o);
        const std::string words = ocr(memegen::test::decode_frame(out, 24), dir.path());
        CAPTURE(words);
        CHECK(words.find("READING") == std::string::npos);
    }
}

TEST_CASE("an explicit mirror is left out for a meme with text; the captions are never mirrored") {
    TempDir dir("memegen-text");
    const auto meme = make_text_meme(dir.path());
    auto o = small_options();
    o.effects = std::vector{memegen::Effect::mirror, memegen::Effect::crop};
    o.captions.bottom = "NOT BACKWARDS";
    memegen::MemeRenderer renderer;
    const auto result = renderer.render(meme, dir.path() / "explicit.mp4", o);
    CHECK_FALSE(has(result.effects, memegen::Effect::mirror));
    REQUIRE(result.effect_notes.size() >= 2);
    CHECK(result.effect_notes.front() == "mirror: left out, the meme has text");
    const std::string words = ocr(memegen::test::decode_frame(result.output, 24), dir.path());
    CAPTURE(words);
    CHECK(words.find("READING") != std::string::npos);
    CHECK(words.find("BACKWARDS") != std::string::npos);

    SUBCASE("a plain picture is still mirrored, and its caption still reads forwards") {
        const auto plain = dir.path() / "plain.png";
        ffmpeg("-f lavfi -i gradients=s=640x480 -frames:v 1 " + plain.string());
        o.effects = std::vector{memegen::Effect::mirror};
        const auto mirrored = renderer.render(plain, dir.path() / "plain.mp4", o);
        CHECK(has(mirrored.effects, memegen::Effect::mirror));
        const std::string caption =
            ocr(memegen::test::decode_frame(mirrored.output, 24), dir.path());
        CAPTURE(caption);
        CHECK(caption.find("BACKWARDS") != std::string::npos);
    }
}

TEST_CASE("a boomerang plays at least 2 s of the clip forward, then the same backward") {
    TempDir dir("memegen-text");
    // The clip's time is written into its brightness: luma = 40 per second.
    const auto clip = dir.path() / "ramp.mp4";
    ffmpeg(
        "-f lavfi -i \"color=black:s=160x120:r=24:d=6,format=yuv420p,geq=lum='16+30*T':"
        "cb=128:cr=128\" -c:v libx264 -preset ultrafast -qp 0 " +
        clip.string());
    auto o = small_options();
    o.size = memegen::FrameSize{180, 320};
    o.duration_seconds.reset();
    o.effects = std::vector{memegen::Effect::boomerang};
    o.detect_text = false;
    o.boomerang_max_bytes = 200'000;  // a few frames: the backward part decodes block by block
    memegen::MemeRenderer renderer;
    const auto result = renderer.render(clip, dir.path() / "bounce.mp4", o);
    CHECK(result.boomerang_seconds >= 2.0);

    std::vector<double> seen;  // clip time shown by each output frame
    for (int i = 0; i < result.frames_encoded; ++i) {
        const auto picture = memegen::test::decode_frame(result.output, i);
        seen.push_back((picture.luma(90, 160) - 16) / 30.0);
    }
    const auto top = std::max_element(seen.begin(), seen.end());
    CHECK(*top >= 2.0 - 0.1);
    const auto turn = static_cast<std::size_t>(top - seen.begin());
    CHECK(turn >= 40);  // ~2 s of output frames forward at 24 fps
    for (std::size_t i = 1; i <= turn; ++i)
        CHECK(seen[i] >= seen[i - 1] - 0.05);  // forward
    const std::size_t back_end = std::min(seen.size() - 1, 2 * turn);
    for (std::size_t i = turn + 1; i <= back_end; ++i)
        CHECK(seen[i] <= seen[i - 1] + 0.05);  // then backward
    CHECK(seen[back_end] < 0.2);

    SUBCASE("a drawn boomerang is left out of a clip over 6 s: its end would be lost") {
        const auto long_clip = dir.path() / "long.mp4";
        ffmpeg("-f lavfi -i testsrc2=s=160x120:r=12:d=8 -c:v libx264 -preset ultrafast " +
               long_clip.string());
        std::uint64_t seed = 0;
        while (!has(memegen::select_effects(seed, 3), memegen::Effect::boomerang))
            ++seed;
        auto drawn = o;
        drawn.effects.reset();
        drawn.seed = seed;
        drawn.variant_group = 3;
        const auto r = renderer.render(long_clip, dir.path() / "long_out.mp4", drawn);
        CHECK_FALSE(has(r.effects, memegen::Effect::boomerang));
        CHECK(r.duration_seconds >= 7.5);
        REQUIRE_FALSE(r.effect_notes.empty());
        CHECK(r.effect_notes.back().starts_with("boomerang: left out"));
    }
    SUBCASE("a clip shorter than 2 s bounces whole") {
        const auto short_clip = dir.path() / "short.mp4";
        ffmpeg("-i " + clip.string() + " -t 1 -c:v libx264 -preset ultrafast -qp 0 " +
               short_clip.string());
        const auto r = renderer.render(short_clip, dir.path() / "short_bounce.mp4", o);
        CHECK(r.boomerang_seconds == doctest::Approx(1.0).epsilon(0.05));
    }
}

TEST_CASE("a render never overwrites its input") {
    TempDir dir("memegen-text");
    const auto meme = make_text_meme(dir.path());
    const std::string before = memegen::test::read_all(meme);
    memegen::MemeRenderer renderer;
    const auto o = small_options();
    SUBCASE("the output is the input, by any path") {
        CHECK_THROWS_WITH_AS(renderer.render(meme, meme, o), doctest::Contains("is the input"),
                             memegen::MediaError);
        std::filesystem::create_hard_link(meme, dir.path() / "link.png");
        CHECK_THROWS_AS(renderer.render(meme, dir.path() / "link.png", o), memegen::MediaError);
    }
    SUBCASE("the thumbnail is NAME.thumb.jpg, never the picture beside the output") {
        const auto jpeg = dir.path() / "cat.jpg";
        ffmpeg("-i " + meme.string() + " " + jpeg.string());
        const std::string jpeg_before = memegen::test::read_all(jpeg);
        const auto result = renderer.render(jpeg, dir.path() / "cat.mp4", o);
        CHECK(result.thumbnail == dir.path() / "cat.thumb.jpg");
        CHECK(memegen::test::read_all(jpeg) == jpeg_before);
    }
    SUBCASE("an output that is a folder is named as such") {
        CHECK_THROWS_WITH_AS(renderer.render(meme, dir.path(), o),
                             doctest::Contains("the output must be a file path"),
                             memegen::MediaError);
    }
    CHECK(memegen::test::read_all(meme) == before);
}
