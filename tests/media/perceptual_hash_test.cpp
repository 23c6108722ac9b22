// Near-duplicate memes (issue 13): the perceptual hash of every demo meme against copies of it
// re-encoded, halved and cropped, and against every other demo meme. The measured distances
// are printed, so the threshold's margin can be read from the test log.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "memegen/error.hpp"
#include "memegen/perceptual_hash.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;

namespace {

fs::path demo_memes() {
    const char* dir = std::getenv("MEMEGEN_DEMO_DIR");
    REQUIRE(dir != nullptr);
    return fs::path(dir) / "memes";
}

bool is_still(const fs::path& p) {
    const auto ext = p.extension().string();
    return ext == ".png" || ext == ".jpg" || ext == ".webp";
}

struct Copy {
    std::string how;
    fs::path file;
};

// What a meme goes through on its way round the internet, each made with the ffmpeg CLI.
std::vector<Copy> copies_of(const fs::path& meme, const fs::path& dir) {
    const std::string in = "-i '" + meme.string() + "' ";
    const std::string stem = dir / meme.stem();
    std::vector<Copy> out;
    if (is_still(meme)) {
        out.push_back({"re-encoded as JPEG q 20", stem + ".q20.jpg"});
        memegen::test::ffmpeg(in + "-q:v 20 '" + out.back().file.string() + "'");
        out.push_back({"halved", stem + ".half.png"});
        memegen::test::ffmpeg(in + "-vf scale=iw/2:ih/2 '" + out.back().file.string() + "'");
        out.push_back({"cropped 2 % per edge", stem + ".crop.png"});
        memegen::test::ffmpeg(in + "-vf crop=iw*0.96:ih*0.96 '" + out.back().file.string() + "'");
    } else {
        out.push_back({"re-encoded as H.264 CRF 38", stem + ".crf38.mp4"});
        memegen::test::ffmpeg(in +
                              "-an -c:v libx264 -preset ultrafast -crf 38 -pix_fmt yuv420p "
                              "-vf 'scale=trunc(iw/2)*2:trunc(ih/2)*2' '" +
                              out.back().file.string() + "'");
        out.push_back({"halved", stem + ".half.mp4"});
        memegen::test::ffmpeg(in +
                              "-an -c:v libx264 -preset ultrafast -pix_fmt yuv420p "
                              "-vf 'scale=trunc(iw/4)*2:trunc(ih/4)*2' '" +
                              out.back().file.string() + "'");
        out.push_back({"cropped 2 % per edge", stem + ".crop.mp4"});
        memegen::test::ffmpeg(in +
                              "-an -c:v libx264 -preset ultrafast -pix_fmt yuv420p "
                              "-vf 'crop=trunc(iw*0.48)*2:trunc(ih*0.48)*2' '" +
                              out.back().file.string() + "'");
    }
    return out;
}

}  // namespace

TEST_CASE("the demo pack: every copy is a near-duplicate of its meme, no two memes are") {
    memegen::test::TempDir dir;
    std::map<std::string, memegen::PerceptualHash> originals;
    for (const auto& entry : fs::directory_iterator(demo_memes()))
        originals[entry.path().filename().string()] = memegen::perceptual_hash(entry.path());
    REQUIRE(originals.size() == 11);

    int worst_copy = 0;
    for (const auto& [name, hash] : originals) {
        CAPTURE(name);
        REQUIRE_FALSE(hash.empty());
        for (const Copy& copy : copies_of(demo_memes() / name, dir.path())) {
            CAPTURE(copy.how);
            const auto copied = memegen::perceptual_hash(copy.file);
            const auto d = memegen::distance(hash, copied);
            REQUIRE(d);
            CHECK(*d <= memegen::kNearDuplicateDistance);
            worst_copy = std::max(worst_copy, *d);
            // A copy must not look like any other meme of the pack either.
            for (const auto& [other, other_hash] : originals) {
                if (other != name) {
                    CAPTURE(other);
                    CHECK_FALSE(memegen::near_duplicates(copied, other_hash));
                }
            }
        }
    }
    int closest_distinct = 64;
    for (const auto& [a, ha] : originals) {
        for (const auto& [b, hb] : originals) {
            if (a < b) {
                CAPTURE(a);
                CAPTURE(b);
                CHECK_FALSE(memegen::near_duplicates(ha, hb));
                if (const auto d = memegen::distance(ha, hb))  // same shape: compared by bits
                    closest_distinct = std::min(closest_distinct, *d);
            }
        }
    }
    MESSAGE("threshold " << memegen::kNearDuplicateDistance << " bits; copies at most "
                         << worst_copy << " bits from their meme; distinct memes at least "
                         << closest_distinct << " bits apart (same shape)");
}

TEST_CASE("a clip and a still cut from its first picture are near-duplicates") {
    memegen::test::TempDir dir;
    const fs::path clip = demo_memes() / "daily_standup.mp4";
    const fs::path still = dir.path() / "first.png";
    memegen::test::ffmpeg("-i '" + clip.string() + "' -frames:v 1 '" + still.string() + "'");
    CHECK(
        memegen::near_duplicates(memegen::perceptual_hash(clip), memegen::perceptual_hash(still)));
}

TEST_CASE("one template with other captions and another shape is not a near-duplicate") {
    // Both demo memes are drawn on FFmpeg's colour bars: 4 bits apart, but square and 16:9.
    const auto square = memegen::perceptual_hash(demo_memes() / "prod_down_3am.mp4");
    const auto wide = memegen::perceptual_hash(demo_memes() / "reading_my_own_code.jpg");
    CHECK(square.aspect == doctest::Approx(1.0));
    CHECK(wide.aspect == doctest::Approx(720.0 / 404).epsilon(0.01));
    CHECK_FALSE(memegen::distance(square, wide));
    CHECK_FALSE(memegen::near_duplicates(square, wide));
}

TEST_CASE("a flat picture has no hash and matches nothing, not even another flat one") {
    memegen::test::TempDir dir;
    const fs::path black = dir.path() / "black.png", grey = dir.path() / "grey.jpg";
    memegen::test::ffmpeg("-f lavfi -i color=black:s=640x480 -frames:v 1 '" + black.string() + "'");
    memegen::test::ffmpeg("-f lavfi -i color=gray:s=300x300 -frames:v 1 '" + grey.string() + "'");
    const auto a = memegen::perceptual_hash(black), b = memegen::perceptual_hash(grey);
    CHECK(a.empty());
    CHECK_FALSE(memegen::distance(a, b));
    CHECK_FALSE(memegen::near_duplicates(a, b));
}

TEST_CASE("a clip that fades in from black is hashed by its later pictures") {
    memegen::test::TempDir dir;
    const fs::path clip = dir.path() / "fade.mp4";
    memegen::test::ffmpeg(
        "-f lavfi -i testsrc2=s=480x360:r=25:d=4 -vf fade=t=in:st=0:d=1 "
        "-c:v libx264 -preset ultrafast -pix_fmt yuv420p '" +
        clip.string() + "'");
    const auto hash = memegen::perceptual_hash(clip);
    CHECK(hash.frames.size() == 2);  // the black first picture carries none
}

TEST_CASE("hash JSON: 16 hex digits per picture, read back exactly; anything else refused") {
    const memegen::PerceptualHash h{1.5, {0x0123456789abcdefull, 0xffffffffffffffffull, 0}};
    const nlohmann::json j = h;
    CHECK(j.dump() ==
          R"({"aspect":1.5,"frames":["0123456789abcdef","ffffffffffffffff","0000000000000000"]})");
    CHECK(j.get<memegen::PerceptualHash>() == h);
    CHECK_THROWS_WITH_AS(
        nlohmann::json::parse(R"({"aspect":1,"frames":["12345"]})").get<memegen::PerceptualHash>(),
        "[memegen.media] perceptual hash '12345': expected 16 hex digits", memegen::MediaError);
    CHECK_THROWS_AS(nlohmann::json::parse(R"({"aspect":1,"frames":["0123456789abcdeg"]})")
                        .get<memegen::PerceptualHash>(),
                    memegen::MediaError);
}

TEST_CASE("a file that is not media is refused, naming it") {
    memegen::test::TempDir dir;
    const fs::path bad = dir.path() / "notes.png";
    memegen::test::write_all(bad, "not a picture at all");
    try {
        (void)memegen::perceptual_hash(bad);
        FAIL("no error");
    } catch (const memegen::MediaError& e) {
        CHECK(std::string(e.what()).find("notes.png") != std::string::npos);
    }
}
