// One render of every bundled demo meme (data/demo/memes) with a bundled track, through the
// library directly, each output decoded: the pack README's main command can never ship a meme
// that does not render. Small frames and ultrafast keep it to seconds.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <memegen/media_probe.hpp>
#include <memegen/meme_renderer.hpp>

#include "../render/media_probe.hpp"
#include "temp_dir.hpp"

namespace {

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.is_regular_file())
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("every bundled demo meme probes and renders with a bundled track") {
    const char* root = std::getenv("MEMEGEN_DEMO_DIR");
    REQUIRE(root != nullptr);
    const auto memes = files_in(std::filesystem::path(root) / "memes");
    const auto tracks = files_in(std::filesystem::path(root) / "music");
    REQUIRE(memes.size() >= 8);
    REQUIRE(tracks.size() >= 4);
    memegen::test::TempDir out{"memegen-demo-render"};
    memegen::MemeRenderer renderer;
    for (const auto& track : tracks) {
        memegen::ProbeLimits limits;
        limits.role = memegen::MediaRole::music;
        CHECK_NOTHROW((void)memegen::probe_media(track, limits));
    }
    for (std::size_t i = 0; i < memes.size(); ++i) {
        const auto& meme = memes[i];
        CAPTURE(meme);
        memegen::ProbeLimits limits;
        limits.role = memegen::MediaRole::meme;
        const auto info = memegen::probe_media(meme, limits);
        CHECK(info.has_video);

        memegen::RenderOptions options;
        options.size = memegen::FrameSize{180, 320};
        options.fps = 12;
        options.preset = "ultrafast";
        options.min_seconds = 1;
        options.max_seconds = 1.5;
        options.max_video_seconds = 2;
        options.music = tracks[i % tracks.size()];
        options.seed = i;
        options.variant_group = static_cast<int>(i % 5);
        options.captions.badge = "demo — " + meme.stem().string();
        const auto output = out / (meme.stem().string() + ".mp4");
        const auto result = renderer.render(meme, output, options);
        CHECK(result.width == 180);
        CHECK(result.height == 320);

        const auto facts = memegen::test::probe(output);
        CHECK(facts.video_codec == "h264");
        CHECK(facts.pix_fmt == "yuv420p");
        CHECK(facts.width == 180);
        CHECK(facts.height == 320);
        CHECK(facts.audio_codec == "aac");
        CHECK(facts.video_frames >= 10);
        CHECK(facts.duration > 0.8);
        CHECK(facts.duration <= 2.2);
    }
}
