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

namespace {

// The luma of everything drawn in a one-line caption: the box's rows, the drawn columns.
struct Patch {
    int x = 0, y = 0, width = 0, height = 0;
    std::vector<int> luma;
};

Patch drawn_patch(const memegen::test::Picture& p, const memegen::CaptionBox& box) {
    const auto l = look(p, box);
    REQUIRE(l.drawn_right >= l.drawn_left);
    Patch patch{l.drawn_left, box.y, l.drawn_right - l.drawn_left + 1, box.height, {}};
    for (int y = box.y; y < box.y + box.height; ++y) {
        for (int x = l.drawn_left; x <= l.drawn_right; ++x)
            patch.luma.push_back(p.luma(x, y));
    }
    return patch;
}

// How far `needle` is from the picture where it fits best, along the same rows: the mean
// absolute luma difference (0 for an exact copy; the encoder's loss keeps it a little above).
double best_match(const memegen::test::Picture& p, const memegen::CaptionBox& box,
                  const Patch& needle) {
    double best = 1e9;
    for (int x0 = box.x; x0 + needle.width <= box.x + box.width; ++x0) {
        long sum = 0;
        for (int y = 0; y < needle.height; ++y) {
            for (int x = 0; x < needle.width; ++x)
                sum += std::abs(p.luma(x0 + x, needle.y + y) -
                                needle.luma[static_cast<std::size_t>(y) * needle.width + x]);
        }
        best = std::min(best, static_cast<double>(sum) / static_cast<double>(needle.luma.size()));
    }
    return best;
}

memegen::RenderOptions options_of_width(int width) {
    auto o = caption_options();
    o.size = {width, kHeight};
    return o;
}

// Horizontal extent of the text's white fill in rows [top, bottom) of a caption box (the
// fill, not the outline: a frame narrower than the still has dark bars behind the captions).
int drawn_width(const memegen::test::Picture& p, const memegen::CaptionBox& box, int top,
                int bottom) {
    int left = p.width, right = -1;
    for (int y = top; y < bottom; ++y) {
        for (int x = box.x; x < box.x + box.width; ++x) {
            if (p.luma(x, y) > 200) {
                left = std::min(left, x);
                right = std::max(right, x);
            }
        }
    }
    return right - left + 1;
}

}  // namespace

TEST_CASE("a right-to-left word between Latin words reads right to left, Arabic joined") {
    TempDir out;
    // The bare word renders right (it is all one direction); inside a Latin line it must look
    // the same, and not like its letters in the opposite order (which is what drawing it left
    // to right gives: the same as the reversed string drawn right to left).
    const auto check_word = [&](const std::string& mixed, const std::string& word,
                                const std::string& reversed, const std::string& name) {
        const auto [r, picture] = render(top_caption(mixed), out / (name + "-mixed.mp4"));
        const auto [wr, word_picture] = render(top_caption(word), out / (name + "-word.mp4"));
        const auto [rr, reversed_picture] =
            render(top_caption(reversed), out / (name + "-reversed.mp4"));
        REQUIRE(r.captions.size() == 1);
        REQUIRE(wr.captions.size() == 1);
        REQUIRE(rr.captions.size() == 1);
        const auto& box = r.captions[0];
        // Same size and one line each, so the word sits on the same rows in both frames.
        REQUIRE(box.lines == 1);
        REQUIRE(wr.captions[0].font_pixels == box.font_pixels);
        REQUIRE(wr.captions[0].y == box.y);
        REQUIRE(rr.captions[0].y == box.y);
        const double right = best_match(picture, box, drawn_patch(word_picture, wr.captions[0]));
        const double wrong =
            best_match(picture, box, drawn_patch(reversed_picture, rr.captions[0]));
        CAPTURE(right);
        CAPTURE(wrong);
        CHECK(right < 6.0);
        CHECK(right * 3 < wrong);
    };
    SUBCASE("Hebrew") {
        check_word("ab שלום cd", "שלום", "םולש", "hebrew");
    }
    SUBCASE("Arabic") {
        check_word("ab مرحبا cd", "مرحبا", "ابحرم", "arabic");
    }
    SUBCASE("Arabic after Hebrew, one right-to-left run of two scripts") {
        check_word("שלום مرحبا", "مرحبا", "ابحرم", "two-scripts");
    }
    SUBCASE("Arabic letters join: the word is narrower than its letters apart") {
        const auto [joined, joined_picture] = render(top_caption("مرحبا"), out / "joined.mp4");
        REQUIRE(joined.captions.size() == 1);
        const auto& box = joined.captions[0];
        const auto l = look(joined_picture, box);
        int apart = 0;
        for (const char* letter : {"م", "ر", "ح", "ب", "ا"}) {
            const auto [r, picture] = render(top_caption(letter), out / "letter.mp4");
            REQUIRE(r.captions.size() == 1);
            REQUIRE(r.captions[0].font_pixels == box.font_pixels);
            const auto one = look(picture, r.captions[0]);
            apart += one.drawn_right - one.drawn_left + 1;
        }
        const int together = l.drawn_right - l.drawn_left + 1;
        CAPTURE(together);
        CAPTURE(apart);
        CHECK(together * 10 < apart * 8);
    }
}

TEST_CASE("a space next to a right-to-left word stays between the word and its neighbour") {
    TempDir out;
    // At 240 pixels "世界 שלום" fills the first line and the emoji goes to the second. The
    // space before the Hebrew word once moved to the word's far side, where it is invisible,
    // and the two words touched.
    const auto o = options_of_width(240);
    const auto [r, picture] = render(top_caption("世界 שלום 🔥"), out / "line.mp4", o);
    const auto [cjk, cjk_picture] = render(top_caption("世界"), out / "cjk.mp4", o);
    const auto [hebrew, hebrew_picture] = render(top_caption("שלום"), out / "hebrew.mp4", o);
    REQUIRE(r.captions.size() == 1);
    REQUIRE(cjk.captions.size() == 1);
    REQUIRE(hebrew.captions.size() == 1);
    const auto& box = r.captions[0];
    REQUIRE(box.lines == 2);
    const int px = box.font_pixels;
    REQUIRE(cjk.captions[0].font_pixels == px);
    REQUIRE(hebrew.captions[0].font_pixels == px);
    const auto extent = [](const memegen::test::Picture& p, const memegen::CaptionBox& b) {
        return drawn_width(p, b, b.y, b.y + b.height);
    };
    const int line = drawn_width(picture, box, box.y, box.y + box.height / 2);
    const int words =
        extent(cjk_picture, cjk.captions[0]) + extent(hebrew_picture, hebrew.captions[0]);
    CAPTURE(line);
    CAPTURE(words);
    // A space at this size is a fifth of the font size or more.
    CHECK(line >= words + px / 5);
}

TEST_CASE("Korean wraps only at the space between words, not between syllables") {
    TempDir out;
    // 200 pixels: both words do not fit on one line at the caption's size, but the first word
    // and the first syllable of the second do (where a break between syllables would go).
    const auto o = options_of_width(200);
    const auto [r, picture] = render(top_caption("한국어 테스트"), out / "korean.mp4", o);
    const auto [first, first_picture] = render(top_caption("한국어"), out / "first.mp4", o);
    const auto [second, second_picture] = render(top_caption("테스트"), out / "second.mp4", o);
    REQUIRE(r.captions.size() == 1);
    REQUIRE(first.captions.size() == 1);
    REQUIRE(second.captions.size() == 1);
    const auto& box = r.captions[0];
    CHECK(box.lines == 2);
    REQUIRE(first.captions[0].font_pixels == box.font_pixels);
    const int half = box.height / 2;
    const auto& alone1 = first.captions[0];
    const auto& alone2 = second.captions[0];
    const int line1 = drawn_width(picture, box, box.y, box.y + half);
    const int line2 = drawn_width(picture, box, box.y + half, box.y + box.height);
    const int word1 = drawn_width(first_picture, alone1, alone1.y, alone1.y + alone1.height);
    const int word2 = drawn_width(second_picture, alone2, alone2.y, alone2.y + alone2.height);
    CAPTURE(line1);
    CAPTURE(word1);
    CAPTURE(line2);
    CAPTURE(word2);
    CHECK(std::abs(line1 - word1) <= 2);
    CHECK(std::abs(line2 - word2) <= 2);
}

TEST_CASE("Japanese with a space wraps at the space rather than inside the word after it") {
    TempDir out;
    // 340 pixels: "日本語のミーム テ" would fit on the first line, the whole caption does not.
    const auto o = options_of_width(340);
    const auto [r, picture] = render(top_caption("日本語のミーム テスト"), out / "japanese.mp4", o);
    const auto [word, word_picture] = render(top_caption("テスト"), out / "word.mp4", o);
    REQUIRE(r.captions.size() == 1);
    REQUIRE(word.captions.size() == 1);
    const auto& box = r.captions[0];
    CHECK(box.lines == 2);
    REQUIRE(word.captions[0].font_pixels == box.font_pixels);
    const auto& alone = word.captions[0];
    const int second = drawn_width(picture, box, box.y + box.height / 2, box.y + box.height);
    const int katakana = drawn_width(word_picture, alone, alone.y, alone.y + alone.height);
    CAPTURE(second);
    CAPTURE(katakana);
    CHECK(std::abs(second - katakana) <= 2);
}

TEST_CASE("a truncated right-to-left caption ends with the ellipsis on its left") {
    TempDir out;
    std::string text;
    for (int i = 0; i < 400; ++i)
        text += "שלום ";
    const auto [r, picture] = render(top_caption(text), out / "rtl-long.mp4");
    REQUIRE(r.captions.size() == 1);
    const auto& box = r.captions[0];
    REQUIRE(box.truncated);
    // The dots of the ellipsis sit on the baseline, Hebrew letters reach up to the top of
    // the line: the leftmost white fill of the last line is in its lower half only if the
    // dots are on the left.
    const int line_height = box.height / box.lines;
    const int last_top = box.y + box.height - line_height;
    int leftmost_x = picture.width, leftmost_y = 0;
    int top_fill = picture.height, bottom_fill = 0;
    for (int y = last_top; y < box.y + box.height; ++y) {
        for (int x = box.x; x < box.x + box.width; ++x) {
            if (picture.luma(x, y) <= 200)
                continue;
            top_fill = std::min(top_fill, y);
            bottom_fill = std::max(bottom_fill, y);
            if (x < leftmost_x) {
                leftmost_x = x;
                leftmost_y = y;
            }
        }
    }
    CAPTURE(top_fill);
    CAPTURE(bottom_fill);
    CAPTURE(leftmost_y);
    CHECK(2 * leftmost_y > top_fill + bottom_fill);
}

TEST_CASE("bidi formatting characters are obeyed and not drawn") {
    TempDir out;
    // RIGHT-TO-LEFT OVERRIDE ... POP DIRECTIONAL FORMATTING: "cd ef" is shown reversed.
    const auto [r, picture] = render(top_caption("ab \xE2\x80\xAE"
                                                 "cd ef\xE2\x80\xAC gh"),
                                     out / "override.mp4");
    const auto [reversed, reversed_picture] = render(top_caption("ab fe dc gh"), out / "rev.mp4");
    const auto [plain, plain_picture] = render(top_caption("ab cd ef gh"), out / "plain.mp4");
    REQUIRE(r.captions.size() == 1);
    REQUIRE(reversed.captions.size() == 1);
    REQUIRE(plain.captions.size() == 1);
    const auto& box = r.captions[0];
    // The controls take no room: the box is the one of the same letters without them.
    CHECK(box.width == reversed.captions[0].width);
    REQUIRE(box.y == reversed.captions[0].y);
    REQUIRE(box.y == plain.captions[0].y);
    const double right =
        best_match(picture, box, drawn_patch(reversed_picture, reversed.captions[0]));
    const double wrong = best_match(picture, box, drawn_patch(plain_picture, plain.captions[0]));
    CAPTURE(right);
    CAPTURE(wrong);
    CHECK(right < 6.0);
    CHECK(right * 3 < wrong);
}
