// Huge and high-bit-depth stills render in bounded memory (issue 10): PNGs are reduced while
// libpng decodes them, JPEGs decoded at lowres; animations and videos whose decoded frames
// are too big for that are refused by the probe and the renderer alike; each render runs the
// memegen-render binary in a child process whose own peak RSS (wait4) must stay at or under 200 MB
// at 1080x1920, and its output must show the picture's four quadrants where they are in the file.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "../support/test_files.hpp"
#include "media_probe.hpp"
#include "memegen/memegen.hpp"

extern char** environ;

namespace {

using memegen::test::TempDir;

constexpr long kPeakLimitKb = 200L * 1024;

// Writes a PNG of four quadrants (red, green / blue, yellow) row by row with zlib, so a
// 7000x7000 16-bit file takes a second; interlaced files are written pass by pass (Adam7).
constexpr const char* kPngWriter = R"PY(
import sys, zlib, struct
path, w, h, depth, interlace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == '1'
cols = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
def px(c): return bytes(v for x in c for v in ((x, x) if depth == 16 else (x,)))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
def line(y, sx, dx):
    left, right = (cols[0], cols[1]) if y < h // 2 else (cols[2], cols[3])
    nl = len(range(sx, w // 2, dx))
    return b'\0' + px(left) * nl + px(right) * (len(range(sx, w, dx)) - nl)
z = zlib.compressobj(1)
out = []
passes = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 4, 8), (0, 2, 4, 4), (2, 0, 2, 4), (0, 1, 2, 2), (1, 0, 1, 2)] if interlace else [(0, 0, 1, 1)]
for sy, sx, dx, dy in passes:
    if sx >= w or sy >= h: continue
    cache = {}
    for y in range(sy, h, dy):
        key = y < h // 2
        if key not in cache: cache[key] = line(y, sx, dx)
        out.append(z.compress(cache[key]))
out.append(z.flush())
ihdr = struct.pack('>IIBBBBB', w, h, depth, 2, 0, 0, 1 if interlace else 0)
open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', b''.join(out)) + chunk(b'IEND', b''))
)PY";

void write_quadrant_png(const TempDir& dir, const std::filesystem::path& out, int w, int h,
                        int depth, bool interlaced) {
    const auto script = dir / "png_writer.py";
    memegen::test::write_all(script, kPngWriter);
    const std::string command = "python3 " + script.string() + " " + out.string() + " " +
                                std::to_string(w) + " " + std::to_string(h) + " " +
                                std::to_string(depth) + (interlaced ? " 1" : " 0");
    REQUIRE(std::system(command.c_str()) == 0);
}

void write_quadrant_jpeg(const std::filesystem::path& out, int side) {
    const std::string q = std::to_string(side / 2) + "x" + std::to_string(side / 2);
    memegen::test::ffmpeg("-f lavfi -i color=red:s=" + q + " -f lavfi -i color=lime:s=" + q +
                          " -f lavfi -i color=blue:s=" + q + " -f lavfi -i color=yellow:s=" + q +
                          " -filter_complex \"xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0\""
                          " -frames:v 1 -pix_fmt yuvj420p -q:v 3 " +
                          out.string());
}

struct Run {
    int exit_code = -1;
    long peak_kb = 0;  // the child's own ru_maxrss
    std::string err;
};

// memegen-render in a child with `args` (after the binary's name); wait4 gives that child's
// peak RSS alone.
Run run_child(const TempDir& dir, std::vector<std::string> args) {
    const char* binary = std::getenv("MEMEGEN_RENDER_BINARY");
    REQUIRE_MESSAGE(binary != nullptr, "MEMEGEN_RENDER_BINARY is not set");
    const auto err_file = dir / "stderr.txt";
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, binary, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    int status = 0;
    rusage usage{};
    REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
    Run run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.peak_kb = usage.ru_maxrss;
    run.err = memegen::test::read_all(err_file);
    return run;
}

Run render_in_child(const TempDir& dir, const std::filesystem::path& media,
                    const std::filesystem::path& out, const std::string& effects = "none") {
    return run_child(dir, {media.string(), "-o", out.string(), "--duration", "1", "--effects",
                           effects, "--size", "1080x1920", "--fps", "12", "--quiet"});
}

// Which of the four quadrant colours a decoded pixel is (by nearest Y, Cb, Cr), or -1.
int quadrant_colour(const memegen::test::Picture& p, int x, int y) {
    struct Yuv {
        int y, cb, cr;
    };
    // BT.601 limited range: red, green, blue, yellow.
    const Yuv colours[4] = {{81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {210, 16, 146}};
    for (int i = 0; i < 4; ++i) {
        if (std::abs(p.luma(x, y) - colours[i].y) < 24 &&
            std::abs(p.cb(x, y) - colours[i].cb) < 24 &&
            std::abs(p.cr(x, y) - colours[i].cr) < 24) {
            return i;
        }
    }
    return -1;
}

// The picture (width:height `aspect`, wider than the frame) is fitted to the frame's width,
// centred vertically: each quadrant's centre must show that quadrant's colour.
void check_quadrants(const std::filesystem::path& video, double aspect = 1.0) {
    const auto p = memegen::test::decode_frame(video, 0);
    REQUIRE(p.width == 1080);
    REQUIRE(p.height == 1920);
    const int w = p.width;
    const int h = static_cast<int>(w / aspect);
    const int top = (p.height - h) / 2;
    CHECK(quadrant_colour(p, w / 4, top + h / 4) == 0);
    CHECK(quadrant_colour(p, w * 3 / 4, top + h / 4) == 1);
    CHECK(quadrant_colour(p, w / 4, top + h * 3 / 4) == 2);
    CHECK(quadrant_colour(p, w * 3 / 4, top + h * 3 / 4) == 3);
    // Above and below the picture: the black background.
    CHECK(p.luma(w / 2, top / 2) < 24);
    CHECK(p.luma(w / 2, p.height - top / 2) < 24);
}

// Four colour quadrants of `w`x`h`, as `frames` frames of a GIF or an H.264 clip (by the name).
void write_quadrant_clip(const std::filesystem::path& out, int w, int h, int frames) {
    const std::string q = std::to_string(w / 2) + "x" + std::to_string(h / 2);
    const bool gif = out.extension() == ".gif";
    memegen::test::ffmpeg(
        "-f lavfi -i color=red:s=" + q + ":r=10 -f lavfi -i color=lime:s=" + q +
        ":r=10 -f lavfi -i color=blue:s=" + q + ":r=10 -f lavfi -i color=yellow:s=" + q +
        ":r=10 -filter_complex \"xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0\""
        " -frames:v " +
        std::to_string(frames) + (gif ? " " : " -c:v libx264 -preset ultrafast -pix_fmt yuv420p ") +
        out.string());
}

}  // namespace

TEST_CASE("a 7000x7000 still renders at 1080x1920 within 200 MB and shows its quadrants") {
    TempDir dir("memegen-big-still");
    const auto out = dir / "out.mp4";
    std::filesystem::path media;
    SUBCASE("16-bit PNG") {
        media = dir / "rgb48.png";
        write_quadrant_png(dir, media, 7000, 7000, 16, false);
    }
    SUBCASE("16-bit interlaced (Adam7) PNG") {
        media = dir / "rgb48-interlaced.png";
        write_quadrant_png(dir, media, 7000, 7000, 16, true);
    }
    SUBCASE("8-bit PNG") {
        media = dir / "rgb24.png";
        write_quadrant_png(dir, media, 7000, 7000, 8, false);
    }
    SUBCASE("JPEG") {
        media = dir / "big.jpg";
        write_quadrant_jpeg(media, 7000);
    }
    const Run run = render_in_child(dir, media, out);
    INFO("stderr: ", run.err);
    REQUIRE(run.exit_code == 0);
    INFO("peak RSS ", run.peak_kb / 1024, " MB");
    CHECK(run.peak_kb <= kPeakLimitKb);
    check_quadrants(out);
}

TEST_CASE("a small interlaced PNG is not reduced and keeps its quadrants") {
    TempDir dir("memegen-small-png");
    const auto media = dir / "small.png";
    write_quadrant_png(dir, media, 600, 600, 8, true);
    const auto out = dir / "out.mp4";
    const Run run = render_in_child(dir, media, out);
    INFO("stderr: ", run.err);
    REQUIRE(run.exit_code == 0);
    check_quadrants(out);
}

TEST_CASE("a truncated PNG is refused by the renderer with the probe's precise reason") {
    TempDir dir("memegen-cut-png");
    const auto media = dir / "cut.png";
    write_quadrant_png(dir, media, 640, 480, 8, false);
    const std::string bytes = memegen::test::read_all(media);
    memegen::test::write_all(media, bytes.substr(0, bytes.size() - 40));

    std::string probe_reason;
    try {
        (void)memegen::probe_media(media, {});
    } catch (const memegen::MediaError& e) {
        probe_reason = e.what();
    }
    REQUIRE(probe_reason.find("truncated PNG") != std::string::npos);

    memegen::RenderOptions options;
    options.duration_seconds = 1;
    memegen::MemeRenderer renderer;
    try {
        (void)renderer.render(media, dir / "out.mp4", options);
        FAIL("a truncated PNG rendered");
    } catch (const memegen::MediaError& e) {
        const std::string what = e.what();
        CHECK(what.find("'" + media.string() + "'") != std::string::npos);
        CHECK(what.find("truncated PNG (no IEND chunk at the end)") != std::string::npos);
        CHECK(what == probe_reason);
    }
}

TEST_CASE("a still too big to decode within the budget is refused, naming size and limit") {
    TempDir dir("memegen-webp");
    const auto media = dir / "huge.webp";
    // Lossless WebP decodes to 4 bytes a pixel: 4200x4200 needs 71 MB, above 64 MB.
    memegen::test::ffmpeg(
        "-f lavfi -i color=red:s=4200x4200 -frames:v 1 -c:v libwebp "
        "-lossless 1 -compression_level 0 " +
        media.string());
    memegen::RenderOptions options;
    options.duration_seconds = 1;
    memegen::MemeRenderer renderer;
    try {
        (void)renderer.render(media, dir / "out.mp4", options);
        FAIL("a 4200x4200 lossless WebP rendered");
    } catch (const memegen::MediaError& e) {
        const std::string what = e.what();
        CHECK(what.find("'" + media.string() + "'") != std::string::npos);
        CHECK(what.find("4200x4200") != std::string::npos);
        CHECK(what.find("the limit is 64 MB") != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "out.mp4"));
}

// Animations and videos are not reduced while decoding: their frames are held at full size (a
// GIF's canvas and output frame, a video's reference frames), so above a decoded-frame budget
// they are refused up front, by the probe and by the renderer in the same words.
TEST_CASE("a 4000x4000 GIF and a 3840x2160 H.264 clip are refused by probe and renderer alike") {
    TempDir dir("memegen-big-moving");
    std::filesystem::path media;
    std::string expected;
    SUBCASE("GIF") {
        media = dir / "huge.gif";
        write_quadrant_clip(media, 4000, 4000, 2);
        expected =
            "4000x4000 gif animation (bgra) would need 64 MB a frame decoded; "
            "the limit for animations is 16 MB a frame";
    }
    SUBCASE("H.264") {
        media = dir / "uhd.mp4";
        write_quadrant_clip(media, 3840, 2160, 10);
        expected =
            "3840x2160 h264 video (yuv420p) would need 13 MB a frame decoded; "
            "the limit for videos is 8 MB a frame";
    }
    std::string probe_reason;
    try {
        (void)memegen::probe_media(media, {});
        FAIL("the probe admitted " << media);
    } catch (const memegen::MediaError& e) {
        probe_reason = e.what();
    }
    CHECK(probe_reason.find("'" + media.string() + "'") != std::string::npos);
    CHECK(probe_reason.find(expected) != std::string::npos);

    memegen::RenderOptions options;
    options.duration_seconds = 1;
    memegen::MemeRenderer renderer;
    try {
        (void)renderer.render(media, dir / "out.mp4", options);
        FAIL("the renderer rendered " << media);
    } catch (const memegen::MediaError& e) {
        CHECK(std::string(e.what()) == probe_reason);
    }

    const auto out = dir / "cli.mp4";
    const Run run = render_in_child(dir, media, out);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find(expected) != std::string::npos);
    CHECK(run.err.find("'" + media.string() + "'") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_FALSE(std::filesystem::exists(dir / "out.mp4"));
}

TEST_CASE("a GIF and an H.264 clip at their decoded-frame limits render within 200 MB") {
    TempDir dir("memegen-limit-moving");
    std::filesystem::path media;
    double aspect = 1.0;
    std::string effects;
    SUBCASE("2000x2000 GIF") {
        media = dir / "limit.gif";
        write_quadrant_clip(media, 2000, 2000, 2);
        effects = "none";
    }
    SUBCASE("2560x1440 H.264 with boomerang") {
        media = dir / "qhd.mp4";
        write_quadrant_clip(media, 2560, 1440, 20);
        aspect = 16.0 / 9.0;
        effects = "boomerang";
    }
    REQUIRE_NOTHROW((void)memegen::probe_media(media, {}));
    const auto out = dir / "out.mp4";
    const Run run = render_in_child(dir, media, out, effects);
    INFO("stderr: ", run.err);
    REQUIRE(run.exit_code == 0);
    INFO("peak RSS ", run.peak_kb / 1024, " MB");
    CHECK(run.peak_kb <= kPeakLimitKb);
    check_quadrants(out, aspect);
}

TEST_CASE("memegen-render refuses empty effects and unknown presets in one line, exit 2") {
    TempDir dir("memegen-cli-values");
    const auto media = dir / "small.png";
    write_quadrant_png(dir, media, 64, 64, 8, false);
    const auto out = dir / "out.mp4";
    std::vector<std::string> flags;
    std::string expected;
    SUBCASE("--effects \"\"") {
        flags = {"--effects", ""};
        expected = "--effects: empty; use \"none\" for no effects";
    }
    SUBCASE("--effects with an empty entry") {
        flags = {"--effects", "mirror,,crop"};
        expected = "--effects: 'mirror,,crop' has an empty entry";
    }
    SUBCASE("--effects with a trailing comma") {
        flags = {"--effects", "mirror,"};
        expected = "--effects: 'mirror,' has an empty entry";
    }
    SUBCASE("--preset nope") {
        flags = {"--preset", "nope"};
        expected =
            "--preset: unknown preset 'nope' (one of ultrafast, superfast, veryfast, "
            "faster, fast, medium, slow, slower, veryslow, placebo)";
    }
    std::vector<std::string> args{media.string(), "-o", out.string()};
    args.insert(args.end(), flags.begin(), flags.end());
    const Run run = run_child(dir, args);
    INFO("stderr: ", run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find(expected) != std::string::npos);
    // One line: the message, no encoder log.
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(out));
}
