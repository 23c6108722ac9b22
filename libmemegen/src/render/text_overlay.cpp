#include "text_overlay.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_GLYPH_H
#include FT_STROKER_H
#include <hb-ft.h>
#include <hb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "memegen/error.hpp"

namespace memegen::detail {
namespace {

struct FtLibraryDeleter {
    void operator()(FT_Library p) const noexcept { FT_Done_FreeType(p); }
};
struct FtFaceDeleter {
    void operator()(FT_Face p) const noexcept { FT_Done_Face(p); }
};
struct FtStrokerDeleter {
    void operator()(FT_Stroker p) const noexcept { FT_Stroker_Done(p); }
};
struct FtGlyphDeleter {
    void operator()(FT_Glyph p) const noexcept { FT_Done_Glyph(p); }
};
struct HbFontDeleter {
    void operator()(hb_font_t* p) const noexcept { hb_font_destroy(p); }
};
struct HbBufferDeleter {
    void operator()(hb_buffer_t* p) const noexcept { hb_buffer_destroy(p); }
};
using FtLibraryPtr = std::unique_ptr<FT_LibraryRec_, FtLibraryDeleter>;
using FtFacePtr = std::unique_ptr<FT_FaceRec_, FtFaceDeleter>;
using FtStrokerPtr = std::unique_ptr<FT_StrokerRec_, FtStrokerDeleter>;
using FtGlyphPtr = std::unique_ptr<FT_GlyphRec_, FtGlyphDeleter>;
using HbFontPtr = std::unique_ptr<hb_font_t, HbFontDeleter>;
using HbBufferPtr = std::unique_ptr<hb_buffer_t, HbBufferDeleter>;

constexpr char32_t kEllipsis = U'\u2026';

bool is_space(char32_t c) {
    return c == U' ' || c == U'\t' || c == U'\u00A0';
}

std::string describe(char32_t c) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
    std::string utf8;
    if (c < 0x80) {
        utf8 += static_cast<char>(c);
    } else if (c < 0x800) {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        utf8 += static_cast<char>(0xE0 | (c >> 12));
        utf8 += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        utf8 += static_cast<char>(0xF0 | (c >> 18));
        utf8 += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        utf8 += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
    }
    return "'" + utf8 + "' (" + code + ")";
}

// Where a caption may go, as fractions of the frame, and its font sizes (fractions of height).
struct Slot {
    const char* role;
    double top, bottom;           // vertical band
    double start_size, min_size;  // font pixel sizes
};
constexpr Slot kSlots[3] = {
    {"top", 0.035, 0.245, 0.060, 0.022},
    {"bottom", 0.700, 0.890, 0.055, 0.022},
    {"badge", 0.905, 0.970, 0.026, 0.014},
};

// Font, shaper and stroker for one render.
class Typesetter {
  public:
    explicit Typesetter(const std::filesystem::path& font) : font_path_(font) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(font, ec))
            fail("file not found");
        FT_Library lib = nullptr;
        if (FT_Init_FreeType(&lib) != 0)
            fail("FreeType could not start");
        library_.reset(lib);
        FT_Face face = nullptr;
        if (FT_Error e = FT_New_Face(library_.get(), font.c_str(), 0, &face); e != 0) {
            fail("not a usable font (FreeType error " + std::to_string(e) + ")");
        }
        face_.reset(face);
        if (!FT_IS_SCALABLE(face_.get()))
            fail("not a scalable font");
        FT_Stroker stroker = nullptr;
        if (FT_Stroker_New(library_.get(), &stroker) != 0)
            fail("FreeType stroker unavailable");
        stroker_.reset(stroker);
        hb_.reset(hb_ft_font_create_referenced(face_.get()));
        buffer_.reset(hb_buffer_create());
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw MediaError("font '" + font_path_.string() + "': " + why);
    }

    void check_glyphs(const std::vector<char32_t>& text, std::string_view role) const {
        for (char32_t c : text) {
            if (c == U'\n' || is_space(c))
                continue;
            if (FT_Get_Char_Index(face_.get(), c) == 0) {
                fail("has no glyph for " + describe(c) + " in the " + std::string(role) +
                     " caption");
            }
        }
    }

    void set_size(int pixels) {
        FT_Set_Pixel_Sizes(face_.get(), 0, static_cast<FT_UInt>(pixels));
        hb_ft_font_changed(hb_.get());
        pixels_ = pixels;
    }
    [[nodiscard]] int ascender() const {
        return static_cast<int>(face_->size->metrics.ascender >> 6);
    }
    [[nodiscard]] int line_height() const {
        return static_cast<int>((face_->size->metrics.ascender - face_->size->metrics.descender) >>
                                6);
    }
    [[nodiscard]] int outline() const { return std::max(2, pixels_ / 12); }

    struct Shaped {
        std::vector<unsigned> glyphs;
        std::vector<int> x;  // pen positions, 26.6
        std::vector<int> y;
        int width = 0;  // pixels
    };

    Shaped shape(const std::vector<char32_t>& text) {
        hb_buffer_clear_contents(buffer_.get());
        hb_buffer_add_utf32(buffer_.get(), reinterpret_cast<const uint32_t*>(text.data()),
                            static_cast<int>(text.size()), 0, static_cast<int>(text.size()));
        hb_buffer_guess_segment_properties(buffer_.get());
        hb_shape(hb_.get(), buffer_.get(), nullptr, 0);
        unsigned n = 0;
        const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buffer_.get(), &n);
        const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buffer_.get(), &n);
        Shaped s;
        int pen_x = 0, pen_y = 0;
        for (unsigned i = 0; i < n; ++i) {
            s.glyphs.push_back(info[i].codepoint);
            s.x.push_back(pen_x + pos[i].x_offset);
            s.y.push_back(pen_y + pos[i].y_offset);
            pen_x += pos[i].x_advance;
            pen_y += pos[i].y_advance;
        }
        s.width = (pen_x + 63) / 64;
        return s;
    }
    int width(const std::vector<char32_t>& text) { return shape(text).width; }

    // Draws one shaped line: outline coverage into `outline`, fill coverage into `fill`.
    void draw(const Shaped& line, int left, int baseline, int frame_w, int frame_h,
              std::vector<std::uint8_t>& outline_plane, std::vector<std::uint8_t>& fill_plane) {
        FT_Stroker_Set(stroker_.get(), outline() * 64, FT_STROKER_LINECAP_ROUND,
                       FT_STROKER_LINEJOIN_ROUND, 0);
        for (std::size_t i = 0; i < line.glyphs.size(); ++i) {
            if (FT_Load_Glyph(face_.get(), line.glyphs[i], FT_LOAD_NO_BITMAP) != 0)
                continue;
            for (int pass = 0; pass < 2; ++pass) {
                FT_Glyph raw = nullptr;
                if (FT_Get_Glyph(face_.get()->glyph, &raw) != 0)
                    continue;
                FtGlyphPtr glyph(raw);
                if (pass == 0) {
                    FT_Glyph stroked = glyph.release();
                    FT_Glyph_StrokeBorder(&stroked, stroker_.get(), 0, 1);
                    glyph.reset(stroked);
                }
                FT_Vector origin{line.x[i] % 64, -(line.y[i] % 64)};
                FT_Glyph bitmap_glyph = glyph.release();
                const FT_Error e =
                    FT_Glyph_To_Bitmap(&bitmap_glyph, FT_RENDER_MODE_NORMAL, &origin, 1);
                glyph.reset(bitmap_glyph);
                if (e != 0)
                    continue;
                const auto* bg = reinterpret_cast<FT_BitmapGlyph>(glyph.get());
                const int x0 = left + line.x[i] / 64 + bg->left;
                const int y0 = baseline - line.y[i] / 64 - bg->top;
                auto& plane = pass == 0 ? outline_plane : fill_plane;
                for (unsigned r = 0; r < bg->bitmap.rows; ++r) {
                    const int y = y0 + static_cast<int>(r);
                    if (y < 0 || y >= frame_h)
                        continue;
                    const unsigned char* src = bg->bitmap.buffer + r * bg->bitmap.pitch;
                    for (unsigned c = 0; c < bg->bitmap.width; ++c) {
                        const int x = x0 + static_cast<int>(c);
                        if (x < 0 || x >= frame_w)
                            continue;
                        auto& dst = plane[static_cast<std::size_t>(y) * frame_w + x];
                        dst = std::max(dst, src[c]);
                    }
                }
            }
        }
    }

  private:
    std::filesystem::path font_path_;
    FtLibraryPtr library_;
    FtFacePtr face_;
    FtStrokerPtr stroker_;
    HbFontPtr hb_;
    HbBufferPtr buffer_;
    int pixels_ = 0;
};

using Line = std::vector<char32_t>;

// Greedy word wrap at `max_width`; a word wider than a line is broken between characters.
std::vector<Line> wrap(Typesetter& ts, const std::vector<char32_t>& text, int max_width) {
    std::vector<Line> lines;
    std::vector<Line> paragraphs(1);
    for (char32_t c : text) {
        if (c == U'\n') {
            paragraphs.emplace_back();
        } else {
            paragraphs.back().push_back(c == U'\t' ? U' ' : c);
        }
    }
    for (const auto& paragraph : paragraphs) {
        std::vector<Line> words(1);
        for (char32_t c : paragraph) {
            if (is_space(c)) {
                if (!words.back().empty())
                    words.emplace_back();
            } else {
                words.back().push_back(c);
            }
        }
        if (words.back().empty())
            words.pop_back();
        Line current;
        for (auto& word : words) {
            Line candidate = current;
            if (!candidate.empty())
                candidate.push_back(U' ');
            candidate.insert(candidate.end(), word.begin(), word.end());
            if (ts.width(candidate) <= max_width) {
                current = std::move(candidate);
                continue;
            }
            if (!current.empty())
                lines.push_back(std::move(current));
            current.clear();
            // Over-long word: as many characters per line as fit (at least one).
            while (ts.width(word) > max_width && word.size() > 1) {
                std::size_t n = 1;
                while (n < word.size() &&
                       ts.width(Line(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(n) +
                                                       1)) <= max_width)
                    ++n;
                lines.emplace_back(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(n));
                word.erase(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(n));
            }
            current = word;
        }
        if (!current.empty())
            lines.push_back(std::move(current));
    }
    return lines;
}

[[noreturn]] void invalid_utf8(std::string_view what, std::size_t at) {
    throw MediaError(std::string(what) + ": invalid UTF-8 at byte offset " + std::to_string(at));
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what) {
    std::vector<char32_t> out;
    std::size_t i = 0;
    const auto bad = [&](std::size_t at) { invalid_utf8(what, at); };
    while (i < text.size()) {
        const auto b = static_cast<unsigned char>(text[i]);
        int extra = 0;
        char32_t cp = 0;
        if (b < 0x80) {
            extra = 0;
            cp = b;
        } else if (b >= 0xC2 && b <= 0xDF) {
            extra = 1;
            cp = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
            extra = 2;
            cp = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            extra = 3;
            cp = b & 0x07;
        } else {
            bad(i);
        }
        if (extra > 0 && i + static_cast<std::size_t>(extra) >= text.size())
            bad(i);
        for (int k = 1; k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(text[i + k]);
            if ((c & 0xC0) != 0x80)
                bad(i);
            cp = (cp << 6) | (c & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are invalid too.
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            bad(i);
        }
        if (cp < 0x20 && cp != U'\n' && cp != U'\t')
            cp = U' ';
        out.push_back(cp);
        i += static_cast<std::size_t>(extra) + 1;
    }
    return out;
}

TextOverlay::TextOverlay(const Captions& captions, const std::filesystem::path& font,
                         FrameSize frame)
    : frame_(frame) {
    const std::string* texts[3] = {&captions.top, &captions.bottom, &captions.badge};
    std::vector<char32_t> decoded[3];
    for (int k = 0; k < 3; ++k) {
        decoded[k] = decode_utf8(*texts[k], std::string(kSlots[k].role) + " caption");
    }
    Typesetter ts(font);
    for (int k = 0; k < 3; ++k)
        ts.check_glyphs(decoded[k], kSlots[k].role);

    const int w = frame.width, h = frame.height;
    std::vector<std::uint8_t> outline(static_cast<std::size_t>(w) * h, 0);
    std::vector<std::uint8_t> fill(static_cast<std::size_t>(w) * h, 0);
    int first_row = h, last_row = 0;

    for (int k = 0; k < 3; ++k) {
        if (std::all_of(decoded[k].begin(), decoded[k].end(),
                        [](char32_t c) { return is_space(c) || c == U'\n'; })) {
            continue;
        }
        const Slot& slot = kSlots[k];
        const int band_top = static_cast<int>(slot.top * h);
        const int band_height = static_cast<int>((slot.bottom - slot.top) * h);
        const int max_width = static_cast<int>(w * 0.90);
        const int min_px = std::max(10, static_cast<int>(slot.min_size * h));
        int px = std::max(min_px, static_cast<int>(slot.start_size * h));
        std::vector<Line> lines;
        bool truncated = false;
        // Auto-fit: shrink until the wrapped block fits its band; at the minimum size, cut the
        // text to the lines that fit and end it with an ellipsis (documented choice: a caption
        // never fails a render for being long, and never leaves its band).
        for (;;) {
            ts.set_size(px);
            const int o = ts.outline();
            lines = wrap(ts, decoded[k], max_width - 2 * o);
            const int block = static_cast<int>(lines.size()) * ts.line_height() + 2 * o;
            if (block <= band_height)
                break;
            if (px == min_px) {
                const int fit = std::max(1, (band_height - 2 * o) / ts.line_height());
                lines.resize(static_cast<std::size_t>(fit));
                Line& last = lines.back();
                while (!last.empty()) {
                    Line with = last;
                    with.push_back(kEllipsis);
                    if (ts.width(with) <= max_width - 2 * o)
                        break;
                    last.pop_back();
                }
                while (!last.empty() && is_space(last.back()))
                    last.pop_back();
                last.push_back(kEllipsis);
                truncated = true;
                break;
            }
            px = std::max(min_px, static_cast<int>(px * 0.9));
        }
        const int o = ts.outline();
        const int line_h = ts.line_height();
        const int block_h = static_cast<int>(lines.size()) * line_h + 2 * o;
        const int block_top = band_top + std::max(0, (band_height - block_h) / 2);
        int widest = 0;
        for (std::size_t n = 0; n < lines.size(); ++n) {
            const auto shaped = ts.shape(lines[n]);
            widest = std::max(widest, shaped.width);
            const int left = (w - shaped.width) / 2;
            const int baseline = block_top + o + static_cast<int>(n) * line_h + ts.ascender();
            ts.draw(shaped, left, baseline, w, h, outline, fill);
        }
        CaptionBox box;
        box.role = slot.role;
        box.width = std::min(w, widest + 2 * o);
        box.x = (w - box.width) / 2;
        box.y = block_top;
        box.height = block_h;
        box.font_pixels = px;
        box.lines = static_cast<int>(lines.size());
        box.truncated = truncated;
        boxes_.push_back(box);
        first_row = std::min(first_row, box.y);
        last_row = std::max(last_row, box.y + box.height);
    }
    if (boxes_.empty())
        return;
    // Rows even so chroma rows pair up.
    row_begin_ = std::max(0, first_row - 2) / 2 * 2;
    row_end_ = std::min(h, (last_row + 3) / 2 * 2);
    const auto rows = static_cast<std::size_t>(row_end_ - row_begin_);
    alpha_.assign(rows * w, 0);
    luma_.assign(rows * w, 0);
    for (std::size_t r = 0; r < rows; ++r) {
        for (int x = 0; x < w; ++x) {
            const std::size_t src = (r + row_begin_) * w + x;
            const std::size_t dst = r * w + x;
            const int ov = outline[src], fv = fill[src];
            // Outline (black) under fill (white): one alpha and one target luma per pixel.
            const int a = 255 - (255 - ov) * (255 - fv) / 255;
            alpha_[dst] = static_cast<std::uint8_t>(a);
            if (a > 0) {
                const int premul = (16 * ov * (255 - fv) / 255 + 235 * fv);
                luma_[dst] = static_cast<std::uint8_t>(std::clamp(premul / a, 16, 235));
            }
        }
    }
    chroma_alpha_.assign(rows / 2 * (w / 2), 0);
    for (std::size_t r = 0; r < rows / 2; ++r) {
        for (int x = 0; x < w / 2; ++x) {
            const std::size_t a0 = 2 * r * w + 2 * x;
            const int sum = alpha_[a0] + alpha_[a0 + 1] + alpha_[a0 + w] + alpha_[a0 + w + 1];
            chroma_alpha_[r * (w / 2) + x] = static_cast<std::uint8_t>(sum / 4);
        }
    }
}

void TextOverlay::apply(AVFrame* frame) const {
    if (boxes_.empty())
        return;
    const int w = frame_.width;
    for (int y = row_begin_; y < row_end_; ++y) {
        std::uint8_t* row = frame->data[0] + y * frame->linesize[0];
        const std::uint8_t* a = alpha_.data() + static_cast<std::size_t>(y - row_begin_) * w;
        const std::uint8_t* v = luma_.data() + static_cast<std::size_t>(y - row_begin_) * w;
        for (int x = 0; x < w; ++x) {
            if (a[x] == 0)
                continue;
            row[x] = static_cast<std::uint8_t>(row[x] + (v[x] - row[x]) * a[x] / 255);
        }
    }
    for (int y = row_begin_ / 2; y < row_end_ / 2; ++y) {
        const std::uint8_t* a =
            chroma_alpha_.data() + static_cast<std::size_t>(y - row_begin_ / 2) * (w / 2);
        for (int p = 1; p < 3; ++p) {
            std::uint8_t* row = frame->data[p] + y * frame->linesize[p];
            for (int x = 0; x < w / 2; ++x) {
                if (a[x] == 0)
                    continue;
                row[x] = static_cast<std::uint8_t>(row[x] + (128 - row[x]) * a[x] / 255);
            }
        }
    }
}

}  // namespace memegen::detail
