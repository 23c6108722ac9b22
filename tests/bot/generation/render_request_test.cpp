#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <memegen/error.hpp>
#include <memegen/render_options.hpp>

#include "core/render_runner.hpp"

using memegen::bot::RenderRequest;
using nlohmann::json;

namespace {

RenderRequest sample() {
    RenderRequest r;
    r.media = "/memes/cat.gif";
    r.output = "/state/work/c1.mp4";
    r.options.size = memegen::FrameSize{720, 1280};
    r.options.music = "/music/track.m4a";
    r.options.seed = 42;
    r.options.variant_group = 3;
    r.options.captions = {.top = "TOP", .bottom = "BOTTOM", .badge = "artist — title"};
    r.options.effects = std::vector{memegen::Effect::fade, memegen::Effect::sepia};
    r.options.text_layout = memegen::TextLayout{};
    return r;
}

}  // namespace

TEST_CASE("a render request is the library's RenderOptions JSON plus media and output") {
    const auto r = sample();
    const json j = r;
    CHECK(j.at("media") == "/memes/cat.gif");
    CHECK(j.at("output") == "/state/work/c1.mp4");
    json options_only = j;
    options_only.erase("media");
    options_only.erase("output");
    CHECK(options_only == json(r.options));

    SUBCASE("and reads back to the same request, as the render child reads it") {
        const auto back = j.get<RenderRequest>();
        CHECK(back.media == r.media);
        CHECK(back.output == r.output);
        CHECK(json(back.options) == json(r.options));
        CHECK(back.options.effects == r.options.effects);
    }
    SUBCASE("without effects the seed draws them: no effects key, none read back") {
        auto drawn = r;
        drawn.options.effects.reset();
        const json k = drawn;
        CHECK_FALSE(k.contains("effects"));
        CHECK_FALSE(k.get<RenderRequest>().options.effects);
    }
}

TEST_CASE("a request without media or output, or with an option the renderer refuses, is bad") {
    json j = sample();
    SUBCASE("no media") {
        j.erase("media");
        CHECK_THROWS_AS(j.get<RenderRequest>(), json::out_of_range);
    }
    SUBCASE("no output") {
        j.erase("output");
        CHECK_THROWS_AS(j.get<RenderRequest>(), json::out_of_range);
    }
    SUBCASE("an unknown background") {
        j["background"] = "plaid";
        CHECK_THROWS_WITH_AS(j.get<RenderRequest>(),
                             doctest::Contains("unknown background 'plaid'"), memegen::MediaError);
    }
}
