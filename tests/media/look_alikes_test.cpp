// Near-duplicate memes in the bot (issue 13): each library file's perceptual hash is kept in
// library_index.json beside its verdict; a meme admitted within library.duplicate_distance of a
// library file or a published meme is refused naming it; and on the demo pack, re-encoded,
// resized and slightly cropped copies are all refused while no demo meme is taken for another.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/timezone.hpp"
#include "core/candidate_store.hpp"
#include "library/library_catalog.hpp"
#include "library/look_alikes.hpp"
#include "library/published_memes.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using memegen::MediaRole;
using memegen::PerceptualHash;
using memegen::bot::LibraryCatalog;
using memegen::bot::LibraryCatalogOptions;
using memegen::bot::LookAlikeFinder;
using memegen::bot::SeenKind;
using memegen::bot::SeenMeme;
using memegen::test::ffmpeg;
using memegen::test::read_all;
using memegen::test::TempDir;
using memegen::test::write_all;
using nlohmann::json;

namespace {

std::string today() {
    return memegen::bot::local_date_of(std::chrono::system_clock::now()).to_string();
}

// A meme library of three pictures that look nothing alike, and one track.
struct Library {
    TempDir dir{"memegen-look-alikes"};
    fs::path media = dir / "media";
    fs::path music = dir / "music";
    fs::path state = dir / "state";
    fs::path elsewhere = dir / "elsewhere";

    Library() {
        for (const auto& d : {media, music, state, elsewhere})
            fs::create_directories(d);
        ffmpeg("-f lavfi -i testsrc2=s=320x240 -frames:v 1 " + (media / "bars.png").string());
        ffmpeg("-f lavfi -i mandelbrot=s=240x320 -frames:v 1 " + (media / "fractal.png").string());
        ffmpeg(
            "-f lavfi -i testsrc2=s=160x120:r=10 -t 1 -c:v libx264 -preset ultrafast "
            "-pix_fmt yuv420p " +
            (media / "clip.mp4").string());
        ffmpeg("-f lavfi -i sine=f=440:d=1 -c:a aac -b:a 48k " + (music / "tone.m4a").string());
    }

    [[nodiscard]] LibraryCatalogOptions options(int distance = 12) const {
        LibraryCatalogOptions o;
        o.media_dir = media;
        o.music_dir = music;
        o.index_file = state / "library_index.json";
        o.prober.work_dir = state / "work";
        const char* bot = std::getenv("MEMEGEN_BOT_BINARY");
        REQUIRE_MESSAGE(bot != nullptr, "run through meson test");
        o.prober.program = bot;
        o.duplicate_distance = distance;
        return o;
    }

    // `ffmpeg_args` applied to `from`, written as a hidden download in the meme library.
    [[nodiscard]] fs::path incoming(const fs::path& from, const std::string& ffmpeg_args,
                                    const std::string& extension) const {
        static int n = 0;
        const auto made = elsewhere / ("copy" + std::to_string(++n) + extension);
        ffmpeg("-i " + from.string() + " " + ffmpeg_args + " " + made.string());
        const auto target = media / (".incoming-" + std::to_string(n));
        fs::copy_file(made, target);
        return target;
    }

    [[nodiscard]] std::vector<std::string> files() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(media))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
};

json index_of(const Library& l) {
    return json::parse(read_all(l.state / "library_index.json"));
}

}  // namespace

TEST_CASE("each library meme's hash is kept in library_index.json beside its verdict") {
    Library lib;
    std::optional<PerceptualHash> bars;
    {
        LibraryCatalog catalog(lib.options());
        CHECK(catalog.refresh({}) == 4);
        bars = catalog.perceptual_hash(lib.media / "bars.png");
        REQUIRE(bars);
        CHECK(bars->frames.size() == 1);
        CHECK(bars->aspect == doctest::Approx(320.0 / 240));
        const auto clip = catalog.perceptual_hash(lib.media / "clip.mp4");
        REQUIRE(clip);
        CHECK(clip->frames.size() >= 1);
        CHECK_FALSE(catalog.perceptual_hash(lib.music / "tone.m4a"));  // no picture, no hash
    }
    const auto index = index_of(lib);
    for (const char* key : {"media/bars.png", "media/fractal.png", "media/clip.mp4"}) {
        CAPTURE(key);
        CHECK(index["files"][key].contains("perceptual_hash"));
    }
    CHECK(index["files"]["media/bars.png"]["perceptual_hash"].get<PerceptualHash>() == *bars);

    SUBCASE("a restarted bot probes nothing again and knows the hash") {
        LibraryCatalog again(lib.options());
        CHECK(again.refresh({}) == 0);
        CHECK(again.perceptual_hash(lib.media / "bars.png") == bars);
    }
    SUBCASE("a changed file is probed again and gets the new picture's hash") {
        ffmpeg("-f lavfi -i rgbtestsrc=s=320x240 -frames:v 1 " +
               (lib.elsewhere / "new.png").string());
        fs::copy_file(lib.elsewhere / "new.png", lib.media / "bars.png",
                      fs::copy_options::overwrite_existing);
        LibraryCatalog again(lib.options());
        CHECK(again.refresh({}) == 1);
        const auto changed = again.perceptual_hash(lib.media / "bars.png");
        REQUIRE(changed);
        CHECK(*changed != *bars);
        CHECK(index_of(lib)["files"]["media/bars.png"]["perceptual_hash"].get<PerceptualHash>() ==
              *changed);
    }
    SUBCASE("an index written before hashes loads; its memes stay usable and are hashed again") {
        auto old = index_of(lib);
        for (auto& [key, entry] : old["files"].items())
            entry.erase("perceptual_hash");
        write_all(lib.state / "library_index.json", old.dump());
        LibraryCatalog again(lib.options());
        CHECK(again.refresh({}) == 3);  // the three memes; the track has no picture to hash
        CHECK(again.usable(MediaRole::meme).size() == 3);
        CHECK(again.counts(MediaRole::meme).rejected == 0);
        CHECK(again.perceptual_hash(lib.media / "bars.png") == bars);
        CHECK(index_of(lib)["files"]["media/fractal.png"].contains("perceptual_hash"));
        LibraryCatalog third(lib.options());
        CHECK(third.refresh({}) == 0);
    }
}

TEST_CASE("a meme that looks like a library file is refused naming it; a new one is admitted") {
    Library lib;
    LibraryCatalog catalog(lib.options());
    catalog.refresh({});
    const auto before = lib.files();
    const int refused_before = catalog.look_alikes().refusals(today());

    SUBCASE("a smaller JPEG of a library picture") {
        const auto copy = lib.incoming(lib.media / "bars.png", "-vf scale=200:150 -q:v 12", ".jpg");
        const auto a = catalog.admit(copy, MediaRole::meme, "cat.jpg", {});
        CHECK_FALSE(a.ok);
        REQUIRE(a.look_alike);
        CHECK(a.look_alike->meme.name == "bars.png");
        CHECK(a.look_alike->meme.kind == SeenKind::library);
        CHECK(a.look_alike->distance <= 12);
        CHECK(a.reason.find("it looks like bars.png (") == 0);
        CHECK_FALSE(fs::exists(copy));  // nothing kept
        CHECK(lib.files() == before);
        CHECK(catalog.usable(MediaRole::meme).size() == 3);
        CHECK(catalog.look_alikes().refusals(today()) == refused_before + 1);
    }
    SUBCASE("a still cut from a library clip") {
        const auto copy = lib.incoming(lib.media / "clip.mp4", "-frames:v 1", ".png");
        const auto a = catalog.admit(copy, MediaRole::meme, "frame.png", {});
        REQUIRE(a.look_alike);
        CHECK(a.look_alike->meme.name == "clip.mp4");
    }
    SUBCASE("a picture of its own is admitted") {
        ffmpeg("-f lavfi -i cellauto=s=320x240 -frames:v 1 " +
               (lib.elsewhere / "own.png").string());
        fs::copy_file(lib.elsewhere / "own.png", lib.media / ".incoming-own");
        const auto a = catalog.admit(lib.media / ".incoming-own", MediaRole::meme, "own.png", {});
        CHECK(a.ok);
        CHECK_FALSE(a.look_alike);
        CHECK(catalog.usable(MediaRole::meme).size() == 4);
        CHECK(catalog.look_alikes().refusals(today()) == refused_before);
        SUBCASE("and a copy of it sent next is refused") {
            const auto copy = lib.incoming(lib.elsewhere / "own.png", "-q:v 10", ".jpg");
            const auto b = catalog.admit(copy, MediaRole::meme, "own again.jpg", {});
            REQUIRE(b.look_alike);
            CHECK(b.look_alike->meme.name == "own.png");
        }
    }
}

TEST_CASE("library.duplicate_distance 0 switches the check off") {
    Library lib;
    LibraryCatalog catalog(lib.options(0));
    catalog.refresh({});
    const auto copy = lib.incoming(lib.media / "bars.png", "-q:v 12", ".jpg");
    const auto a = catalog.admit(copy, MediaRole::meme, "cat.jpg", {});
    CHECK(a.ok);
    CHECK(catalog.usable(MediaRole::meme).size() == 4);
}

TEST_CASE("a copy of a published meme is refused naming it and when it was published") {
    Library lib;
    LibraryCatalog catalog(lib.options());
    catalog.refresh({});
    memegen::bot::CandidateStore candidates(lib.state / "candidates.json");
    memegen::bot::Candidate published;
    published.id = "published1";
    published.media = (lib.media / "fractal.png").string();
    published.status = memegen::bot::CandidateStatus::published;
    const auto when = std::chrono::system_clock::now() - std::chrono::hours(30);
    published.published_at =
        std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
    candidates.put(published);
    catalog.look_alikes().add_source(memegen::bot::published_memes(candidates, catalog));

    const auto copy = lib.incoming(lib.media / "fractal.png", "-vf scale=180:240 -q:v 8", ".jpg");
    const auto a = catalog.admit(copy, MediaRole::meme, "fractal.jpg", {});
    REQUIRE(a.look_alike);
    // The library file it was made from is as close: the published meme is the one named.
    CHECK(a.look_alike->meme.kind == SeenKind::published);
    CHECK(a.look_alike->meme.name == "fractal.png");
    REQUIRE(a.look_alike->meme.when);
    CHECK(
        std::chrono::duration_cast<std::chrono::seconds>(*a.look_alike->meme.when - when).count() ==
        0);
}

TEST_CASE("the finder: the closest seen meme within the distance, published named first") {
    const PerceptualHash hash{1.0, {0x00000000ffffffffull}};
    const auto seen = [](SeenKind kind, std::string name, std::uint64_t bits, double aspect = 1.0) {
        return SeenMeme{kind, std::move(name), PerceptualHash{aspect, {bits}}, std::nullopt};
    };
    LookAlikeFinder finder(12);
    finder.add_source([&] {
        return std::vector<SeenMeme>{seen(SeenKind::library, "far.png", 0x0000ffffffff0000ull),
                                     seen(SeenKind::library, "near.png", 0x00000000fffffff0ull),
                                     seen(SeenKind::library, "wide.png", 0x00000000ffffffffull, 2)};
    });
    SUBCASE("nearest wins; another shape never matches") {
        const auto found = finder.find(hash);
        REQUIRE(found);
        CHECK(found->meme.name == "near.png");
        CHECK(found->distance == 4);
    }
    SUBCASE("on a tie the published meme is named; a failing source is skipped") {
        finder.add_source(
            []() -> std::vector<SeenMeme> { throw std::runtime_error("unreadable"); });
        finder.add_source([&] {
            return std::vector<SeenMeme>{
                seen(SeenKind::published, "posted.png", 0x00000000fffffff0ull)};
        });
        const auto found = finder.find(hash);
        REQUIRE(found);
        CHECK(found->meme.kind == SeenKind::published);
        CHECK(found->meme.name == "posted.png");
    }
    SUBCASE("a flat picture (no hash) matches nothing") {
        CHECK_FALSE(finder.find(PerceptualHash{1.0, {}}));
    }
    SUBCASE("refusals are counted per day; a new day starts from zero") {
        finder.count_refusal("2026-11-30");
        finder.count_refusal("2026-11-30");
        CHECK(finder.refusals("2026-11-30") == 2);
        finder.count_refusal("2026-12-01");
        CHECK(finder.refusals("2026-12-01") == 1);
        CHECK(finder.refusals("2026-11-30") == 0);
    }
    CHECK_FALSE(LookAlikeFinder(0).find(hash));
}

// ---------------------------------------------------------------------------------------------
// The measurement: false positives on the demo pack and copies of it.

namespace {

fs::path demo_memes() {
    const char* dir = std::getenv("MEMEGEN_DEMO_DIR");
    REQUIRE_MESSAGE(dir != nullptr, "run through meson test");
    return fs::path(dir) / "memes";
}

bool is_still(const fs::path& p) {
    const auto ext = p.extension().string();
    return ext == ".png" || ext == ".jpg" || ext == ".webp";
}

struct Copy {
    std::string how;
    std::string ffmpeg_args;
    std::string extension;
};

// What a meme goes through on its way round the chats: compressed again, resized, cropped by a
// few per cent (2 % off each edge: 4 % of each side).
std::vector<Copy> copies_of(const fs::path& meme) {
    if (is_still(meme)) {
        return {
            {"re-encoded as JPEG at -q:v 20 (of 2-31)", "-q:v 20", ".jpg"},
            {"resized to 70 %", "-vf 'scale=trunc(iw*0.7):trunc(ih*0.7)'", ".png"},
            {"resized to 150 %, as JPEG", "-vf 'scale=trunc(iw*1.5):trunc(ih*1.5)' -q:v 5", ".jpg"},
            {"cropped 2 % per edge", "-vf 'crop=trunc(iw*0.96):trunc(ih*0.96)'", ".png"}};
    }
    const std::string h264 = " -an -c:v libx264 -preset ultrafast -pix_fmt yuv420p ";
    return {{"re-encoded as H.264 CRF 38", h264 + "-crf 38 -vf 'scale=trunc(iw/2)*2:trunc(ih/2)*2'",
             ".mp4"},
            {"resized to 70 %", h264 + "-vf 'scale=trunc(iw*0.35)*2:trunc(ih*0.35)*2'", ".mp4"},
            {"cropped 2 % per edge", h264 + "-vf 'crop=trunc(iw*0.48)*2:trunc(ih*0.48)*2'", ".mp4"},
            {"first picture as a JPEG", "-frames:v 1 -q:v 10", ".jpg"}};
}

}  // namespace

TEST_CASE("the demo pack: every copy is refused as its meme's look-alike; no meme as another's") {
    Library lib;
    fs::remove_all(lib.media);
    fs::create_directories(lib.media);
    std::vector<fs::path> demo;
    for (const auto& e : fs::directory_iterator(demo_memes()))
        demo.push_back(e.path());
    std::sort(demo.begin(), demo.end());
    REQUIRE(demo.size() == 11);

    // No false positive: the memes admitted one after another into an empty library, as if
    // each were sent to the bot, all get in.
    LibraryCatalog catalog(lib.options());
    catalog.refresh({});
    for (const auto& meme : demo) {
        CAPTURE(meme.filename().string());
        const auto target = lib.media / (".incoming-" + meme.filename().string());
        fs::copy_file(meme, target);
        const auto a = catalog.admit(target, MediaRole::meme, meme.filename().string(), {});
        CHECK_MESSAGE(a.ok, a.reason);
    }
    REQUIRE(catalog.usable(MediaRole::meme).size() == 11);

    // The closest two distinct memes, where their shapes allow a comparison at all.
    int closest_distinct = 64;
    std::string closest_pair;
    for (const auto& a : demo) {
        for (const auto& b : demo) {
            if (a.filename() < b.filename()) {
                const auto d =
                    memegen::distance(*catalog.perceptual_hash(lib.media / a.filename()),
                                      *catalog.perceptual_hash(lib.media / b.filename()));
                if (d && *d < closest_distinct) {
                    closest_distinct = *d;
                    closest_pair = a.filename().string() + " / " + b.filename().string();
                }
            }
        }
    }
    CHECK(closest_distinct > catalog.look_alikes().max_distance());

    // No false negative: every copy is refused, naming the meme it was made from.
    int worst_copy = 0;
    std::string worst_what;
    int copies = 0;
    for (const auto& meme : demo) {
        for (const auto& copy : copies_of(meme)) {
            CAPTURE(meme.filename().string());
            CAPTURE(copy.how);
            const auto file = lib.incoming(meme, copy.ffmpeg_args, copy.extension);
            const auto a = catalog.admit(file, MediaRole::meme, "copy" + copy.extension, {});
            ++copies;
            CHECK_FALSE(a.ok);
            REQUIRE(a.look_alike);
            CHECK(a.look_alike->meme.name == meme.filename().string());
            if (a.look_alike->distance > worst_copy) {
                worst_copy = a.look_alike->distance;
                worst_what = meme.filename().string() + ", " + copy.how;
            }
        }
    }
    CHECK(catalog.usable(MediaRole::meme).size() == 11);
    MESSAGE("library.duplicate_distance "
            << catalog.look_alikes().max_distance() << " bits; " << copies << " copies at most "
            << worst_copy << " bits from their meme (" << worst_what
            << "); distinct memes at least " << closest_distinct << " bits apart (" << closest_pair
            << ")");
}
