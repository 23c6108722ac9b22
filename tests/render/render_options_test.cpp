// RenderOptions as the bot and other programs send it to the renderer: names, frame sizes and
// the request JSON, all header-only (render_options.hpp), and what the C entry point answers
// when a request is wrong.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include <memegen/render_entry.h>
#include <memegen/error.hpp>
#include <memegen/render_options.hpp>
#include <nlohmann/json.hpp>

namespace {

nlohmann::json call_render(const nlohmann::json& request) {
    char* answer = memegen_render_json(request.dump().c_str(), nullptr, nullptr);
    REQUIRE(answer != nullptr);
    auto parsed = nlohmann::json::parse(answer);
    memegen_free_string(answer);
    return parsed;
}

}  // namespace

TEST_CASE("every effect, background and audio mode reads back from the name it writes") {
    for (const memegen::Effect e : memegen::kAllEffects)
        CHECK(memegen::parse_effect(memegen::to_string(e)) == e);
    CHECK(memegen::parse_effect("black-and-white") == memegen::Effect::black_and_white);
    CHECK_FALSE(memegen::parse_effect("blackandwhite"));
    CHECK_FALSE(memegen::parse_effect(""));
    for (const auto b : {memegen::Background::black, memegen::Background::blur})
        CHECK(memegen::parse_background(memegen::to_string(b)) == b);
    for (const auto m :
         {memegen::AudioMode::automatic, memegen::AudioMode::music, memegen::AudioMode::meme,
          memegen::AudioMode::mix, memegen::AudioMode::silent}) {
        CHECK(memegen::parse_audio_mode(memegen::to_string(m)) == m);
    }
    CHECK_FALSE(memegen::parse_audio_mode("automatic"));
}

TEST_CASE("an effect list skips empty entries and repeats, and names an unknown one") {
    CHECK(memegen::parse_effect_list("mirror,,fade,mirror,none") ==
          std::vector<memegen::Effect>{memegen::Effect::mirror, memegen::Effect::fade});
    CHECK_THROWS_WITH_AS((void)memegen::parse_effect_list("fade,wobble"),
                         "[memegen.media] unknown effect 'wobble'", memegen::MediaError);
}

TEST_CASE("a frame size is WIDTHxHEIGHT, even, within 64-4096") {
    CHECK(memegen::FrameSize::parse("720x1280") == memegen::FrameSize{720, 1280});
    CHECK(memegen::FrameSize::parse("1080X1920").to_string() == "1080x1920");
    CHECK_THROWS_WITH((void)memegen::FrameSize::parse("1080x1921"),
                      "[memegen.media] frame size '1080x1921': both sides must be even");
    CHECK_THROWS_WITH((void)memegen::FrameSize::parse("32x32"),
                      "[memegen.media] frame size '32x32': each side must be within 64-4096");
    CHECK_THROWS_WITH(
        (void)memegen::FrameSize::parse("1080 x 1920"),
        "[memegen.media] frame size '1080 x 1920': expected WIDTHxHEIGHT, e.g. 1080x1920");
    CHECK_THROWS_WITH((void)memegen::FrameSize::parse("1080x"),
                      "[memegen.media] frame size '1080x': expected WIDTHxHEIGHT, e.g. 1080x1920");
}

TEST_CASE("RenderOptions JSON") {
    SUBCASE("an empty object is the defaults") {
        const auto o = nlohmann::json::object().get<memegen::RenderOptions>();
        const memegen::RenderOptions d;
        CHECK(o.size == d.size);
        CHECK(o.fps == d.fps);
        CHECK(o.crf == d.crf);
        CHECK(o.preset == d.preset);
        CHECK(o.font == d.font);
        CHECK(o.audio == d.audio);
        CHECK_FALSE(o.effects);
        CHECK_FALSE(o.duration_seconds);
        CHECK_FALSE(o.music_start_seconds);
        CHECK_FALSE(o.text_layout);
        CHECK_FALSE(o.time_limit);
        CHECK(nlohmann::json(o) == nlohmann::json(d));
    }
    SUBCASE("every field set crosses and comes back") {
        memegen::RenderOptions o;
        o.size = {720, 1280};
        o.fps = 30;
        o.background = memegen::Background::blur;
        o.duration_seconds = 8.5;
        o.min_seconds = 5;
        o.max_seconds = 9;
        o.max_video_seconds = 40;
        o.music = "/music/track.mp3";
        o.music_start_seconds = 12.25;
        o.music_fade_seconds = 2;
        o.audio = memegen::AudioMode::mix;
        o.seed = 18446744073709551615ull;
        o.variant_group = 3;
        o.effects = std::vector<memegen::Effect>{memegen::Effect::crop, memegen::Effect::sepia};
        o.text_layout = memegen::TextLayout{100, 80, {{1, 2, 30, 10}}, 1};
        o.detect_text = false;
        o.captions = {"верх 🙂", "bottom", "artist — title"};
        o.font = "/fonts/x.ttf";
        o.crf = 28;
        o.preset = "medium";
        o.encoder_threads = 1;
        o.max_output_bytes = 1234567;
        o.max_input_pixels = 1000000;
        o.boomerang_max_bytes = 4096;
        o.time_limit = std::chrono::milliseconds(90000);
        const nlohmann::json j = o;
        const auto back = nlohmann::json::parse(j.dump()).get<memegen::RenderOptions>();
        CHECK(nlohmann::json(back) == j);
        CHECK(back.effects == o.effects);
        CHECK(back.captions.top == "верх 🙂");
        CHECK(back.seed == o.seed);
        REQUIRE(back.text_layout);
        CHECK(back.text_layout->boxes.size() == 1);
        CHECK(back.time_limit == std::chrono::milliseconds(90000));
    }
    SUBCASE("a wrong name or size is refused, naming it") {
        CHECK_THROWS_WITH_AS(
            nlohmann::json({{"background", "white"}}).get<memegen::RenderOptions>(),
            "[memegen.media] unknown background 'white' (black or blur)", memegen::MediaError);
        CHECK_THROWS_WITH_AS(
            (void)nlohmann::json({{"audio", "loud"}}).get<memegen::RenderOptions>(),
            "[memegen.media] unknown audio mode 'loud' (auto, music, meme, mix or silent)",
            memegen::MediaError);
        CHECK_THROWS_WITH_AS(
            nlohmann::json({{"effects", {"fade", "wobble"}}}).get<memegen::RenderOptions>(),
            "[memegen.media] unknown effect 'wobble'", memegen::MediaError);
        CHECK_THROWS_WITH_AS(
            nlohmann::json({{"width", 1081}, {"height", 1920}}).get<memegen::RenderOptions>(),
            "[memegen.media] frame size '1081x1920': both sides must be even", memegen::MediaError);
        CHECK_THROWS_AS((void)nlohmann::json({{"fps", "fast"}}).get<memegen::RenderOptions>(),
                        nlohmann::json::type_error);
    }
}

TEST_CASE("the C entry point answers a wrong request with the cause, rendering nothing") {
    const auto bad_background = call_render(
        {{"media", "/nonexistent.png"}, {"output", "/tmp/x.mp4"}, {"background", "red"}});
    CHECK(bad_background["ok"] == false);
    CHECK(bad_background["error"] == "[memegen.media] unknown background 'red' (black or blur)");
    const auto wrong_type =
        call_render({{"media", "/nonexistent.png"}, {"output", "/tmp/x.mp4"}, {"seed", "many"}});
    CHECK(wrong_type["ok"] == false);
    CHECK(wrong_type["error"].get<std::string>().find("number") != std::string::npos);
    const auto not_json = [] {
        char* answer = memegen_render_json("{not json", nullptr, nullptr);
        auto parsed = nlohmann::json::parse(answer);
        memegen_free_string(answer);
        return parsed;
    }();
    CHECK(not_json["ok"] == false);
}
