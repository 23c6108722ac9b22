// Captions in any script: the font fallback chain (caption font, DejaVu, colour emoji, CJK),
// emoji drawn in colour, control characters removed, a glyph no font has dropped with a
// warning, and a huge caption laid out in bounded time — all checked on the decoded output.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "media_probe.hpp"
#include "memegen/memegen.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

using memegen::test::ffmpeg;
using memegen::test::TempDir;

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 568;
constexpr int kGrey = 0x80;

// A neutral grey still: text pixels stand out by luma, emoji by chroma.
const std::filesystem::path& grey_still() {
    static const TempDir dir{"memegen-captions-fixtures"};
    static const std::filesystem::path still = [] {
        const auto file = dir / "grey.png";
        ffmpeg("-f lavfi -i color=c=0x808080:s=320x240 -frames:v 1 " + file.string());
        return file;
    }();
    return still;
}

memegen::RenderOptions caption_options() {
    memegen::RenderOptions o;
    o.size = {kWidth, kHeight};
    o.duration_seconds = 0.25;
    o.effects = std::vector<memegen::Effect>{};
    return o;
}

struct Rendered {
    memegen::RenderResult result;
    memegen::test::Picture picture;
};

Rendered render(const memegen::Captions& captions, const std::filesystem::path& output,
                memegen::RenderOptions o = caption_options()) {
    o.captions = captions;
    memegen::MemeRenderer renderer;
    auto r = renderer.render(grey_still(), output, o);
    auto picture = memegen::test::decode_frame(r.output, 0);
    return {std::move(r), std::move(picture)};
}

// What a viewer sees inside one caption box of the decoded frame.
struct BoxLook {
    int text_pixels = 0;      // luma far from the grey background: glyphs or their outline
    int colour_pixels = 0;    // chroma far from neutral: emoji
    int drawn_left = kWidth;  // horizontal extent of everything drawn
    int drawn_right = -1;
};

BoxLook look(const memegen::test::Picture& p, const memegen::CaptionBox& box) {
    BoxLook l;
    for (int y = std::max(0, box.y); y < std::min(p.height, box.y + box.height); ++y) {
        for (int x = std::max(0, box.x); x < std::min(p.width, box.x + box.width); ++x) {
            const bool text = std::abs(p.luma(x, y) - kGrey) > 50;
            const bool colour = std::abs(p.cb(x, y) - 128) + std::abs(p.cr(x, y) - 128) > 40;
            l.text_pixels += text;
            l.colour_pixels += colour;
            if (text || colour) {
                l.drawn_left = std::min(l.drawn_left, x);
                l.drawn_right = std::max(l.drawn_right, x);
            }
        }
    }
    return l;
}

memegen::Captions top_caption(const std::string& text) {
    memegen::Captions c;
    c.top = text;
    return c;
}

const memegen::CaptionBox& box_of(const memegen::RenderResult& r, const std::string& role) {
    const auto it = std::find_if(r.captions.begin(), r.captions.end(),
                                 [&](const memegen::CaptionBox& b) { return b.role == role; });
    REQUIRE(it != r.captions.end());
    return *it;
}

// Collects the library's warnings while it lives, then restores the default sink.
class WarningCapture {
  public:
    WarningCapture() {
        memegen::set_log_sink([this](memegen::LogLevel level, std::string_view line) {
            if (level < memegen::LogLevel::warning)
                return;
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    ~WarningCapture() { memegen::set_log_sink({}); }
    WarningCapture(const WarningCapture&) = delete;
    WarningCapture& operator=(const WarningCapture&) = delete;

    [[nodiscard]] std::vector<std::string> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

std::vector<std::string> containing(const std::vector<std::string>& lines,
                                    const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& l : lines) {
        if (l.find(needle) != std::string::npos)
            out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE("Japanese, Chinese, Cyrillic and emoji captions render; emoji in colour, text neutral") {
    TempDir out;
    WarningCapture warnings;
    memegen::Captions c;
    c.top = "ビルド成功 🔥 👨‍💻 👍🏽";
    c.bottom = "Привет 世界";
    c.badge = "東京事変 — 群青日和";
    const auto [r, picture] = render(c, out / "scripts.mp4");
    REQUIRE(r.captions.size() == 3);
    const auto top = look(picture, box_of(r, "top"));
    const auto bottom = look(picture, box_of(r, "bottom"));
    const auto badge = look(picture, box_of(r, "badge"));
    CHECK(top.text_pixels > 300);
    CHECK(bottom.text_pixels > 300);
    CHECK(badge.text_pixels > 50);
    // Emoji are colourful; white text with a black outline is not.
    CHECK(top.colour_pixels > 200);
    CHECK(bottom.colour_pixels <= 5);
    CHECK(badge.colour_pixels <= 5);
    // Every character had a font: nothing was dropped.
    CHECK(containing(warnings.lines(), "no font has").empty());
}

TEST_CASE("an emoji ZWJ sequence or skin tone is one picture, not its parts side by side") {
    TempDir out;
    const auto extent = [&](const std::string& text, const std::string& name) {
        const auto [r, picture] = render(top_caption(text), out / name);
        REQUIRE(r.captions.size() == 1);
        const auto l = look(picture, r.captions[0]);
        REQUIRE(l.colour_pixels > 100);
        return l.drawn_right - l.drawn_left + 1;
    };
    SUBCASE("man + ZWJ + laptop is one technologist") {
        const int joined = extent("👨‍💻", "zwj.mp4");
        const int apart = extent("👨💻", "apart.mp4");
        CHECK(joined * 10 < apart * 7);
    }
    SUBCASE("thumbs up + medium skin tone is one thumb") {
        const int toned = extent("👍🏽", "toned.mp4");
        const int plain = extent("👍", "plain.mp4");
        CHECK(toned * 10 < plain * 13);
    }
}

TEST_CASE("CJK text without spaces wraps between characters, and a newline breaks the line") {
    TempDir out;
    SUBCASE("forty ideographs become several lines inside the frame") {
        std::string text;
        for (int i = 0; i < 40; ++i)
            text += "漢字";
        const auto [r, picture] = render(top_caption(text), out / "cjk.mp4");
        REQUIRE(r.captions.size() == 1);
        const auto& box = r.captions[0];
        CHECK(box.lines >= 2);
        CHECK(box.x >= 0);
        CHECK(box.x + box.width <= kWidth);
        CHECK(look(picture, box).text_pixels > 300);
    }
    SUBCASE("newline") {
        const auto [r, picture] = render(top_caption("one\ntwo"), out / "newline.mp4");
        REQUIRE(r.captions.size() == 1);
        CHECK(r.captions[0].lines == 2);
    }
}

TEST_CASE("a 100,000-character caption without spaces is laid out, truncated, and cancellable") {
    TempDir out;
    const std::string huge(100'000, 'W');
    SUBCASE("it renders, cut to what fits and ending with an ellipsis") {
        memegen::Captions c;
        c.top = huge;
        c.badge = huge;
        const auto [r, picture] = render(c, out / "huge.mp4");
        REQUIRE(r.captions.size() == 2);
        for (const auto& box : r.captions) {
            CAPTURE(box.role);
            CHECK(box.truncated);
            CHECK(box.lines >= 1);
            CHECK(box.x + box.width <= kWidth);
            CHECK(look(picture, box).text_pixels > 100);
        }
    }
    SUBCASE("the time limit stops it") {
        auto o = caption_options();
        o.captions.top = huge;
        o.time_limit = std::chrono::milliseconds(1);
        memegen::MemeRenderer renderer;
        CHECK_THROWS_AS((void)renderer.render(grey_still(), out / "limit.mp4", o),
                        memegen::CancelledError);
    }
    SUBCASE("the stop token stops it") {
        auto o = caption_options();
        o.captions.top = huge;
        std::stop_source stop;
        stop.request_stop();
        o.stop = stop.get_token();
        memegen::MemeRenderer renderer;
        CHECK_THROWS_AS((void)renderer.render(grey_still(), out / "stop.mp4", o),
                        memegen::CancelledError);
    }
    CHECK_FALSE(std::filesystem::exists(out / "limit.mp4"));
    CHECK_FALSE(std::filesystem::exists(out / "stop.mp4"));
}

TEST_CASE("control characters are removed: the caption looks as if they were never there") {
    TempDir out;
    WarningCapture warnings;
    // DEL, NEL (C1), APC (C1), a carriage return and a bell between the letters.
    const auto [with, with_picture] = render(top_caption("AB\x7F"
                                                         "C\xC2\x85"
                                                         "D\xC2\x9F\r\aE"),
                                             out / "controls.mp4");
    const auto [plain, plain_picture] = render(top_caption("ABCDE"), out / "plain.mp4");
    REQUIRE(with.captions.size() == 1);
    REQUIRE(plain.captions.size() == 1);
    CHECK(with.captions[0].width == plain.captions[0].width);
    CHECK(with.captions[0].lines == plain.captions[0].lines);
    CHECK(with_picture.y == plain_picture.y);
    CHECK(warnings.lines().empty());
}

TEST_CASE("a code point no font has is dropped with one warning naming it; the rest renders") {
    TempDir out;
    WarningCapture warnings;
    // U+F0000 (private use, plane 15), U+0378 (unassigned), each twice.
    const auto [r, picture] = render(
        top_caption("ok \xF3\xB0\x80\x80\xCD\xB8 fine \xF3\xB0\x80\x80\xCD\xB8"), out / "pua.mp4");
    REQUIRE(r.captions.size() == 1);
    CHECK(look(picture, r.captions[0]).text_pixels > 100);
    const auto named = containing(warnings.lines(), "U+F0000");
    CHECK(named.size() == 1);
    CHECK(containing(warnings.lines(), "U+0378").size() == 1);
}

TEST_CASE("invalid UTF-8 after emoji still names its byte offset") {
    TempDir out;
    auto o = caption_options();
    o.captions.top = "🔥\xFF";
    memegen::MemeRenderer renderer;
    CHECK_THROWS_WITH_AS((void)renderer.render(grey_still(), out / "bad.mp4", o),
                         doctest::Contains("byte offset 4"), memegen::MediaError);
    CHECK_FALSE(std::filesystem::exists(out / "bad.mp4"));
}
