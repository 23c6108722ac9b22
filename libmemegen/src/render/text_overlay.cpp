#include "text_overlay.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_GLYPH_H
#include FT_STROKER_H
#include <fribidi.h>
#include <hb-ft.h>
#include <hb.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>

#include "memegen/error.hpp"
#include "memegen/log.hpp"

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
struct HbBlobDeleter {
    void operator()(hb_blob_t* p) const noexcept { hb_blob_destroy(p); }
};
struct HbFaceDeleter {
    void operator()(hb_face_t* p) const noexcept { hb_face_destroy(p); }
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
using HbBlobPtr = std::unique_ptr<hb_blob_t, HbBlobDeleter>;
using HbFacePtr = std::unique_ptr<hb_face_t, HbFaceDeleter>;
using HbFontPtr = std::unique_ptr<hb_font_t, HbFontDeleter>;
using HbBufferPtr = std::unique_ptr<hb_buffer_t, HbBufferDeleter>;

constexpr char32_t kEllipsis = U'\u2026';
constexpr char32_t kZwj = U'\u200D';

// The chain after the caption font, in order. Each comes from a Debian package listed in
// scripts/install-deps.sh (fonts-dejavu-core, fonts-noto-color-emoji, fonts-wqy-microhei: the
// 5 MB WenQuanYi rather than Noto CJK's 91 MB); one that is not installed is skipped.
struct FallbackFont {
    const char* path;
    bool colour;  // CBDT colour bitmaps at one strike size, not outlines
};
constexpr FallbackFont kFallbacks[] = {
    {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", false},
    {"/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", true},
    {"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", false},
};
constexpr std::size_t kFaces = 1 + std::size(kFallbacks);
constexpr int kEmojiFace = 2;  // index in the chain: caption font, DejaVu, emoji, CJK
// A missing fallback is worth one debug line per process, not one per render.
std::array<std::atomic<bool>, std::size(kFallbacks)> g_missing_logged{};

// ---- Unicode classes: the few that segmentation, font choice and line breaking need ----

bool is_space(char32_t c) {
    return c == U' ' || c == U'\u00A0' || c == U'\u3000';
}
bool is_newline(char32_t c) {
    return c == U'\n' || c == U'\u2028' || c == U'\u2029';
}
bool is_control(char32_t c) {
    return (c < 0x20 && c != U'\n' && c != U'\t') || (c >= 0x7F && c <= 0x9F);
}
bool is_mark(char32_t c) {
    switch (hb_unicode_general_category(hb_unicode_funcs_get_default(), c)) {
        case HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK:
        case HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK:
        case HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK:
            return true;
        default:
            return false;
    }
}
bool is_variation_selector(char32_t c) {
    return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0100 && c <= 0xE01EF);
}
bool is_emoji_modifier(char32_t c) {
    return c >= 0x1F3FB && c <= 0x1F3FF;  // skin tones
}
bool is_regional_indicator(char32_t c) {
    return c >= 0x1F1E6 && c <= 0x1F1FF;  // flags come in pairs of these
}
bool is_tag(char32_t c) {
    return c >= 0xE0020 && c <= 0xE007F;  // subdivision flags (England, Scotland)
}
bool is_pictographic(char32_t c) {
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2190 && c <= 0x21FF) ||
           (c >= 0x2300 && c <= 0x23FF) || (c >= 0x25A0 && c <= 0x27BF) ||
           (c >= 0x2B00 && c <= 0x2BFF) || c == 0x00A9 || c == 0x00AE || c == 0x203C ||
           c == 0x2049 || c == 0x2122 || c == 0x2139 || c == 0x3030 || c == 0x303D;
}
// Bidi formatting characters (marks, embeddings, overrides, isolates): FriBidi reads them,
// they are never drawn.
bool is_bidi_control(char32_t c) {
    return c == U'\u061C' || c == U'\u200E' || c == U'\u200F' || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}
// Code points a font need not map for its cluster to be drawn: the shaper consumes them.
bool is_ignorable(char32_t c) {
    return c == kZwj || c == U'\u200C' || c == U'\u200B' || c == U'\u2060' || c == U'\uFEFF' ||
           is_variation_selector(c) || is_tag(c) || is_bidi_control(c);
}
// Hangul: Korean puts spaces between words, so a line breaks there, as UAX #14 says for
// Hangul in Korean text, and not between the syllables of a word.
bool is_hangul(char32_t c) {
    return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) ||
           (c >= 0xA960 && c <= 0xA97F) || (c >= 0xAC00 && c <= 0xD7FF);
}
// Scripts written without spaces between words (and emoji): a line may break around them.
bool is_ideographic(char32_t c) {
    if (is_hangul(c))
        return false;
    return (c >= 0x2E80 && c <= 0x2FFF) || (c >= 0x3000 && c <= 0x33FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xA000 && c <= 0xA4CF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) ||
           (c >= 0x20000 && c <= 0x3FFFF);
}
// Closing punctuation and small kana never start a line; opening brackets never end one
// (the core of Japanese kinsoku rules, also right for Chinese).
bool no_break_before(char32_t c) {
    static constexpr std::u32string_view set =
        U"!),.:;?]}\u00BB\u2019\u201D\u2026\u3001\u3002\u3005\u3009\u300B\u300D\u300F\u3011"
        U"\u3015\u3017\u3019\u301F\u303B\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085"
        U"\u3087\u308E\u3095\u3096\u309D\u309E\u30A1\u30A3\u30A5\u30A7\u30A9\u30C3\u30E3"
        U"\u30E5\u30E7\u30EE\u30F5\u30F6\u30FB\u30FC\u30FD\u30FE\uFF01\uFF09\uFF0C\uFF0E"
        U"\uFF1A\uFF1B\uFF1F\uFF3D\uFF5D";
    return set.find(c) != std::u32string_view::npos;
}
bool no_break_after(char32_t c) {
    static constexpr std::u32string_view set =
        U"([{\u00AB\u2018\u201C\u3008\u300A\u300C\u300E\u3010\u3014\u3016\u3018\u301D\uFF08"
        U"\uFF3B\uFF5B";
    return set.find(c) != std::u32string_view::npos;
}

std::string code_point(char32_t c) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
    return code;
}

// End of the grapheme cluster that starts at `i`: the rules of UAX #29 that captions meet
// (combining marks, variation selectors, skin tones, ZWJ emoji sequences, flag pairs and tag
// sequences, Hangul jamo), without a Unicode library for the rest.
std::size_t cluster_end(const std::vector<char32_t>& t, std::size_t i) {
    std::size_t j = i + 1;
    if (is_newline(t[i]))
        return j;
    if (is_regional_indicator(t[i]) && j < t.size() && is_regional_indicator(t[j]))
        return j + 1;
    bool pictographic = is_pictographic(t[i]);
    while (j < t.size()) {
        const char32_t c = t[j];
        if (is_newline(c))
            break;
        if (c == kZwj) {
            ++j;
            if (pictographic && j < t.size() && is_pictographic(t[j]))
                ++j;
            continue;
        }
        if (is_mark(c) || is_variation_selector(c) || is_emoji_modifier(c) || is_tag(c) ||
            c == U'\u200C' || (c >= 0x1160 && c <= 0x11FF)) {
            ++j;
            continue;
        }
        break;
    }
    return j;
}

// Whether a cluster asks for an emoji picture rather than a text glyph: emoji-presentation
// selector, skin tone, ZWJ sequence, keycap, flag, or a code point from the emoji planes.
bool wants_emoji(const char32_t* c, std::size_t n) {
    if (std::find(c, c + n, U'\uFE0E') != c + n)
        return false;
    if (is_regional_indicator(c[0]) || (c[0] >= 0x1F000 && c[0] <= 0x1FAFF))
        return true;
    for (std::size_t k = 1; k < n; ++k) {
        if (c[k] == U'\uFE0F' || c[k] == U'\u20E3' || is_emoji_modifier(c[k]) ||
            (c[k] == kZwj && is_pictographic(c[0])))
            return true;
    }
    return false;
}

// ---- Fonts ----

// One font of the chain: FreeType draws it, HarfBuzz shapes with it.
struct Face {
    std::filesystem::path path;
    FtFacePtr ft;
    HbFontPtr hb;
    bool colour = false;
    int strike_ppem = 0;  // colour: the one bitmap size the font has
    int px = 0;

    void set_size(int pixels) {
        px = pixels;
        if (colour) {
            // Bitmaps are scaled by hand when drawn; HarfBuzz scales the advances.
            hb_font_set_scale(hb.get(), pixels * 64, pixels * 64);
        } else {
            FT_Set_Pixel_Sizes(ft.get(), 0, static_cast<FT_UInt>(pixels));
            hb_ft_font_changed(hb.get());
        }
    }
    [[nodiscard]] bool has(char32_t c) const { return FT_Get_Char_Index(ft.get(), c) != 0; }
    // Ascender and descender (negative) at the current size, 26.6.
    [[nodiscard]] std::pair<long, long> extents() const {
        if (colour) {
            hb_font_extents_t e{};
            hb_font_get_h_extents(hb.get(), &e);
            return {e.ascender, e.descender};
        }
        return {ft->size->metrics.ascender, ft->size->metrics.descender};
    }
};

// The caption font and its fallbacks, loaded when first needed: most captions never touch
// the 11 MB emoji font or the CJK one.
class FontChain {
  public:
    explicit FontChain(const std::filesystem::path& font) {
        FT_Library lib = nullptr;
        if (FT_Init_FreeType(&lib) != 0)
            throw MediaError("font '" + font.string() + "': FreeType could not start");
        library_.reset(lib);
        std::string why;
        faces_[0] = open(font, false, why);
        if (!faces_[0])
            throw MediaError("font '" + font.string() + "': " + why);
        tried_[0] = true;
    }

    // Face `k` of the chain, or nullptr when that fallback is not available.
    Face* get(std::size_t k) {
        if (!tried_[k]) {
            tried_[k] = true;
            const FallbackFont& f = kFallbacks[k - 1];
            std::error_code ec;
            if (std::filesystem::equivalent(faces_[0]->path, f.path, ec))
                return nullptr;  // the caption font itself: already tried first
            std::string why;
            faces_[k] = open(f.path, f.colour, why);
            if (!faces_[k] && !g_missing_logged[k - 1].exchange(true)) {
                log_debug("caption fallback font '{}' skipped: {}", f.path, why);
            }
            if (faces_[k] && px_ > 0)
                faces_[k]->set_size(px_);
        }
        return faces_[k].get();
    }

    void set_size(int px) {
        px_ = px;
        for (auto& f : faces_) {
            if (f)
                f->set_size(px);
        }
    }

    // The first font that draws the cluster `c[0..n)` (emoji first when it asks for a
    // picture), else the first that has its base character (its marks then go missing, and
    // land in `missing`); -1 when none has it.
    int choose(const char32_t* c, std::size_t n, std::set<char32_t>& missing) {
        const bool emoji = wants_emoji(c, n);
        std::array<int, kFaces> order{};
        std::size_t m = 0;
        if (emoji)
            order[m++] = kEmojiFace;
        for (int k = 0; k < static_cast<int>(kFaces); ++k) {
            if (!emoji || k != kEmojiFace)
                order[m++] = k;
        }
        int base_only = -1;
        for (int k : order) {
            Face* f = get(static_cast<std::size_t>(k));
            if (f == nullptr)
                continue;
            bool all = true;
            for (std::size_t i = 0; i < n && all; ++i)
                all = is_ignorable(c[i]) || f->has(c[i]);
            if (all)
                return k;
            if (base_only < 0 && (is_ignorable(c[0]) || f->has(c[0])))
                base_only = k;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (!is_ignorable(c[i]) && (base_only < 0 || !faces_[base_only]->has(c[i])))
                note(missing, c[i]);
        }
        return base_only;
    }

    static void note(std::set<char32_t>& missing, char32_t c) {
        if (missing.size() < 32)
            missing.insert(c);
    }

    // "A, B, C": the fonts tried, for the warning about a dropped character.
    [[nodiscard]] std::string names() const {
        std::string out;
        for (const auto& f : faces_) {
            if (f)
                out += (out.empty() ? "" : ", ") + f->path.filename().string();
        }
        return out;
    }

    FT_Library library() const { return library_.get(); }

  private:
    std::unique_ptr<Face> open(const std::filesystem::path& path, bool colour, std::string& why) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            why = "file not found";
            return nullptr;
        }
        FT_Face raw = nullptr;
        if (FT_Error e = FT_New_Face(library_.get(), path.c_str(), 0, &raw); e != 0) {
            why = "not a usable font (FreeType error " + std::to_string(e) + ")";
            return nullptr;
        }
        auto face = std::make_unique<Face>();
        face->path = path;
        face->ft.reset(raw);
        face->colour = colour;
        if (colour) {
            if (!FT_HAS_COLOR(raw) || raw->num_fixed_sizes < 1 || FT_Select_Size(raw, 0) != 0) {
                why = "no colour bitmaps";
                return nullptr;
            }
            face->strike_ppem = static_cast<int>(raw->available_sizes[0].y_ppem >> 6);
            // HarfBuzz's own OpenType functions read the advances from the font's tables (in
            // font units, scaled to the size we set), which FreeType cannot give for a
            // bitmap-only font at an arbitrary size. The blob maps the file, not a copy.
            HbBlobPtr blob(hb_blob_create_from_file_or_fail(path.c_str()));
            if (!blob || face->strike_ppem <= 0) {
                why = "cannot be mapped";
                return nullptr;
            }
            HbFacePtr hb_face(hb_face_create(blob.get(), 0));
            face->hb.reset(hb_font_create(hb_face.get()));
        } else {
            if (!FT_IS_SCALABLE(raw)) {
                why = "not a scalable font";
                return nullptr;
            }
            face->hb.reset(hb_ft_font_create_referenced(raw));
        }
        return face;
    }

    FtLibraryPtr library_;
    std::array<std::unique_ptr<Face>, kFaces> faces_;
    std::array<bool, kFaces> tried_{};
    int px_ = 0;
};

// ---- Text: clusters, runs of one font, shaping, wrapping ----

enum ClusterFlag : std::uint8_t {
    kSpace = 1,
    kNewline = 2,
    kIdeographic = 4,  // a line may break before or after it
    kNoBreakBefore = 8,
    kNoBreakAfter = 16,
    kRtlParagraph = 32,  // in a paragraph that reads right to left: its ellipsis goes left
};

struct Cluster {
    std::uint32_t begin = 0;  // first code point in Prepared::text
    std::int8_t face = -1;    // index in the chain; -1 for a newline
    std::uint8_t flags = 0;
    std::uint8_t level = 0;  // bidi embedding level: odd is right-to-left
};

// A piece shaped in one HarfBuzz call: clusters of one font and one bidi level, within one
// line of the source, so a right-to-left run is shaped whole (Arabic letters join) in its own
// direction. Long runs are cut (after a space where one comes) so that only what is laid out
// is shaped.
struct Chunk {
    std::uint32_t begin = 0, end = 0;  // clusters
};
constexpr std::uint32_t kChunkSoft = 64;
constexpr std::uint32_t kChunkHard = 256;

// One caption, split into clusters and each assigned a font; no size yet.
struct Prepared {
    std::vector<char32_t> text;  // what is drawn: dropped clusters are gone
    std::vector<Cluster> clusters;
    std::vector<std::uint32_t> cluster_of_text;
    std::vector<Chunk> chunks;
    unsigned faces_used = 1;  // bit per face; the caption font always sets the line metrics
    bool visible = false;     // anything but spaces and newlines

    [[nodiscard]] std::uint32_t end_of(std::size_t c) const {
        return c + 1 < clusters.size() ? clusters[c + 1].begin
                                       : static_cast<std::uint32_t>(text.size());
    }
};

using CancelCheck = TextOverlay::CancelCheck;

// Bidi embedding levels (UAX #9, by FriBidi) of every cluster, paragraph by paragraph (a
// newline ends one): the direction of each comes from its first strong character, left to
// right when it has none. Levels are resolved before wrapping because shaping needs each
// run's direction to measure it; lines are then reordered one by one (rule L2) when drawn.
void resolve_levels(Prepared& p, const CancelCheck& check) {
    static_assert(sizeof(FriBidiChar) == sizeof(char32_t));
    const std::size_t n = p.text.size();
    std::vector<FriBidiCharType> types(n);
    std::vector<FriBidiBracketType> brackets(n);
    std::vector<FriBidiLevel> levels(n);
    std::vector<std::uint8_t> rtl(n, 0);
    const auto* text = reinterpret_cast<const FriBidiChar*>(p.text.data());
    std::size_t paragraphs = 0;
    for (std::size_t begin = 0; begin < n;) {
        if ((++paragraphs & 255) == 0 && check)
            check();
        std::size_t end = begin;
        while (end < n && p.text[end] != U'\n')
            ++end;
        if (end > begin) {
            const auto len = static_cast<FriBidiStrIndex>(end - begin);
            fribidi_get_bidi_types(text + begin, len, types.data() + begin);
            fribidi_get_bracket_types(text + begin, len, types.data() + begin,
                                      brackets.data() + begin);
            FriBidiParType direction = FRIBIDI_PAR_ON;
            // Zero only when FriBidi could not allocate its run list.
            if (fribidi_get_par_embedding_levels_ex(types.data() + begin, brackets.data() + begin,
                                                    len, &direction, levels.data() + begin) == 0)
                throw std::bad_alloc();
            if (FRIBIDI_IS_RTL(direction))
                std::fill(rtl.begin() + static_cast<std::ptrdiff_t>(begin),
                          rtl.begin() + static_cast<std::ptrdiff_t>(end), 1);
        }
        begin = end + 1;
    }
    for (Cluster& c : p.clusters) {
        if (c.flags & kNewline)
            continue;
        c.level = static_cast<std::uint8_t>(std::max<FriBidiLevel>(0, levels[c.begin]));
        if (rtl[c.begin])
            c.flags |= kRtlParagraph;
    }
}

Prepared prepare(const std::vector<char32_t>& source, FontChain& fonts, std::set<char32_t>& missing,
                 const CancelCheck& check) {
    Prepared p;
    p.text.reserve(source.size());
    p.clusters.reserve(source.size());
    std::size_t count = 0;
    for (std::size_t i = 0; i < source.size();) {
        if ((++count & 4095) == 0 && check)
            check();
        const std::size_t e = cluster_end(source, i);
        Cluster c;
        c.begin = static_cast<std::uint32_t>(p.text.size());
        if (is_newline(source[i])) {
            c.flags = kNewline;
            p.text.push_back(U'\n');
        } else {
            const int face = fonts.choose(&source[i], e - i, missing);
            if (face < 0) {
                i = e;  // no font has it: dropped, and named in the warning
                continue;
            }
            c.face = static_cast<std::int8_t>(face);
            p.faces_used |= 1u << face;
            const char32_t base = source[i];
            if (is_space(base)) {
                c.flags |= kSpace;
            } else if (!is_bidi_control(base)) {
                p.visible = true;
            }
            if (is_ideographic(base) || face == kEmojiFace)
                c.flags |= kIdeographic;
            if (no_break_before(base))
                c.flags |= kNoBreakBefore;
            if (no_break_after(base))
                c.flags |= kNoBreakAfter;
            p.text.insert(p.text.end(), source.begin() + static_cast<std::ptrdiff_t>(i),
                          source.begin() + static_cast<std::ptrdiff_t>(e));
        }
        p.clusters.push_back(c);
        i = e;
    }
    resolve_levels(p, check);
    p.cluster_of_text.resize(p.text.size());
    for (std::size_t c = 0; c < p.clusters.size(); ++c) {
        for (std::uint32_t t = p.clusters[c].begin; t < p.end_of(c); ++t)
            p.cluster_of_text[t] = static_cast<std::uint32_t>(c);
    }
    const auto n = static_cast<std::uint32_t>(p.clusters.size());
    // A chunk also keeps to one script (spaces, digits and punctuation go with any): HarfBuzz
    // shapes a buffer as one script, and Hebrew next to Arabic in one right-to-left run would
    // leave the Arabic unjoined.
    hb_unicode_funcs_t* unicode = hb_unicode_funcs_get_default();
    const auto script_of = [&](std::uint32_t c) {
        const hb_script_t s = hb_unicode_script(unicode, p.text[p.clusters[c].begin]);
        return s == HB_SCRIPT_COMMON || s == HB_SCRIPT_INHERITED ? HB_SCRIPT_INVALID : s;
    };
    std::uint32_t begin = 0;
    hb_script_t script = n > 0 ? script_of(0) : HB_SCRIPT_INVALID;
    for (std::uint32_t c = 1; c <= n; ++c) {
        const hb_script_t next = c < n ? script_of(c) : HB_SCRIPT_INVALID;
        const bool cut =
            c == n || p.clusters[c].face != p.clusters[begin].face ||
            p.clusters[c].level != p.clusters[begin].level || (p.clusters[c].flags & kNewline) ||
            (p.clusters[c - 1].flags & kNewline) ||
            (next != HB_SCRIPT_INVALID && script != HB_SCRIPT_INVALID && next != script) ||
            (c - begin >= kChunkSoft && (p.clusters[c - 1].flags & kSpace)) ||
            c - begin >= kChunkHard;
        if (cut) {
            p.chunks.push_back({begin, c});
            begin = c;
            script = HB_SCRIPT_INVALID;
        }
        if (script == HB_SCRIPT_INVALID)
            script = next;
    }
    return p;
}

struct Glyph {
    std::uint32_t id = 0;
    std::uint32_t cluster = 0;
    std::int32_t x_advance = 0, x_offset = 0, y_offset = 0;  // 26.6
    std::int8_t face = 0;
};

// Shapes `text[begin, end)` in `face` and `direction` (guessed from the script when
// HB_DIRECTION_INVALID), with the text around it as context. Glyphs come in visual order:
// right to left text gives its last glyph first.
template <typename Sink>
void shape(Face& face, hb_buffer_t* buffer, const std::vector<char32_t>& text, std::uint32_t begin,
           std::uint32_t end, hb_direction_t direction, Sink&& sink) {
    hb_buffer_clear_contents(buffer);
    static_assert(sizeof(char32_t) == sizeof(std::uint32_t));
    hb_buffer_add_utf32(buffer, reinterpret_cast<const std::uint32_t*>(text.data()),
                        static_cast<int>(text.size()), begin, static_cast<int>(end - begin));
    hb_buffer_set_direction(buffer, direction);  // guessing keeps what is set
    hb_buffer_guess_segment_properties(buffer);
    hb_shape(face.hb.get(), buffer, nullptr, 0);
    unsigned n = 0;
    const hb_glyph_info_t* info = hb_buffer_get_glyph_infos(buffer, &n);
    const hb_glyph_position_t* pos = hb_buffer_get_glyph_positions(buffer, &n);
    for (unsigned i = 0; i < n; ++i)
        sink(info[i], pos[i]);
}

// A caption shaped at one font size, chunk by chunk as the wrapping asks for them, so a
// caption far longer than its box costs only what fits in the box.
class Shaping {
  public:
    Shaping(const Prepared& p, FontChain& fonts, hb_buffer_t* buffer)
        : p_(p), fonts_(fonts), buffer_(buffer) {
        glyph_begin_.push_back(0);
    }

    // Makes sure cluster `c` is shaped.
    void ensure(std::size_t c) {
        while (advance_.size() <= c)
            shape_next();
    }
    [[nodiscard]] int advance(std::size_t c) const { return advance_[c]; }
    // Whether a line may end before `c` as far as shaping goes (not inside a ligature).
    [[nodiscard]] bool atomic(std::size_t c) const { return atomic_[c] != 0; }
    [[nodiscard]] std::size_t chunk_of(std::size_t c) const { return chunk_of_[c]; }
    [[nodiscard]] const Glyph* glyphs_begin(std::size_t chunk) const {
        return glyphs_.data() + glyph_begin_[chunk];
    }
    [[nodiscard]] const Glyph* glyphs_end(std::size_t chunk) const {
        return glyphs_.data() + glyph_begin_[chunk + 1];
    }

  private:
    void shape_next() {
        const std::size_t k = glyph_begin_.size() - 1;
        const Chunk& chunk = p_.chunks[k];
        advance_.resize(chunk.end, 0);
        atomic_.resize(chunk.end, 0);
        chunk_of_.resize(chunk.end, static_cast<std::uint32_t>(k));
        atomic_[chunk.begin] = 1;
        const int face_index = p_.clusters[chunk.begin].face;
        if (face_index >= 0) {
            Face& face = *fonts_.get(static_cast<std::size_t>(face_index));
            const hb_direction_t direction =
                (p_.clusters[chunk.begin].level & 1) ? HB_DIRECTION_RTL : HB_DIRECTION_LTR;
            shape(face, buffer_, p_.text, p_.clusters[chunk.begin].begin, p_.end_of(chunk.end - 1),
                  direction, [&](const hb_glyph_info_t& info, const hb_glyph_position_t& pos) {
                      const std::uint32_t c = p_.cluster_of_text[info.cluster];
                      atomic_[c] = 1;
                      if (info.codepoint == 0)
                          return;  // .notdef of a mark the font lacks: not drawn, no room
                      advance_[c] += pos.x_advance;
                      glyphs_.push_back({info.codepoint, c, pos.x_advance, pos.x_offset,
                                         pos.y_offset, static_cast<std::int8_t>(face_index)});
                  });
        }
        glyph_begin_.push_back(static_cast<std::uint32_t>(glyphs_.size()));
    }

    const Prepared& p_;
    FontChain& fonts_;
    hb_buffer_t* buffer_;
    std::vector<int> advance_;
    std::vector<std::uint8_t> atomic_;
    std::vector<std::uint32_t> chunk_of_;
    std::vector<Glyph> glyphs_;
    std::vector<std::uint32_t> glyph_begin_;
};

struct Line {
    std::size_t begin = 0, end = 0;  // clusters
    int width = 0;                   // 26.6, without the ellipsis
    bool ellipsis = false;
};

bool may_break_between(const Cluster& a, const Cluster& b) {
    if ((b.flags & kNoBreakBefore) || (a.flags & kNoBreakAfter))
        return false;
    return ((a.flags | b.flags) & kIdeographic) != 0;
}

// A place where the line being built may end: its content ends at `end` (width `width`), the
// next line starts at `next` (after any spaces), where the pen stood at `pen`.
struct Break {
    bool valid = false;
    std::size_t end = 0, next = 0;
    int width = 0, pen = 0;
};

// Greedy wrap in one pass over the clusters: a line breaks at spaces, between CJK characters
// and emoji, at newlines, and inside a word too long for a line. Stops as soon as a line
// beyond `max_lines` would start; returns whether everything was laid out.
//
// A space is preferred to a break between ideographs when the line it ends is at least half
// full: Japanese with spaces ("日本語のミーム テスト") then keeps its words (a katakana run)
// together, and a lone space near the start of Chinese text does not leave a stub line.
bool wrap(const Prepared& p, Shaping& s, int max_width, std::size_t max_lines,
          std::vector<Line>& lines, const CancelCheck& check) {
    lines.clear();
    bool content = false, after_space = false;
    std::size_t begin = 0, content_end = 0, prev = 0;
    int pen = 0, content_pen = 0;
    Break space, ideo;
    // Ends the line at `b`; the other break survives when it lies inside the next line.
    const auto take = [&](Break& b, Break& other) {
        lines.push_back({begin, b.end, b.width, false});
        begin = b.next;
        const int shift = b.pen;
        pen -= shift;
        b.valid = false;
        if (other.valid && other.end > begin) {
            other.width -= shift;
            other.pen -= shift;
        } else {
            other.valid = false;
        }
    };
    for (std::size_t i = 0; i < p.clusters.size(); ++i) {
        if ((i & 255) == 0 && check)
            check();
        const Cluster& c = p.clusters[i];
        if (c.flags & kNewline) {
            if (content)
                lines.push_back({begin, content_end, content_pen, false});
            content = after_space = space.valid = ideo.valid = false;
            continue;
        }
        s.ensure(i);
        if (c.flags & kSpace) {
            if (!content)
                continue;  // spaces at the start of a line are not drawn
            if (!after_space)
                space = {true, content_end, 0, content_pen, 0};
            pen += s.advance(i);
            space.next = i + 1;
            space.pen = pen;
            after_space = true;
            continue;
        }
        if (content && !s.atomic(i)) {
            pen += s.advance(i);
            content_end = i + 1;
            content_pen = pen;
            continue;
        }
        if (content && !after_space && may_break_between(p.clusters[prev], c))
            ideo = {true, i, i, pen, pen};
        const int advance = s.advance(i);
        while (content && pen + advance > max_width && (space.valid || ideo.valid)) {
            const bool space_first = space.valid && (!ideo.valid || ideo.next <= space.next ||
                                                     2 * space.width >= max_width);
            if (space_first) {
                take(space, ideo);
            } else {
                take(ideo, space);
            }
            if (lines.size() >= max_lines)
                return false;
        }
        if (content && begin < i && pen + advance > max_width) {
            // A word wider than the line: broken between characters.
            lines.push_back({begin, i, pen, false});
            begin = i;
            pen = 0;
            if (lines.size() >= max_lines)
                return false;
        }
        if (!content) {
            if (lines.size() >= max_lines)
                return false;
            content = true;
            begin = i;
            pen = 0;
        }
        pen += advance;
        content_end = i + 1;
        content_pen = pen;
        after_space = false;
        prev = i;
    }
    if (content)
        lines.push_back({begin, content_end, content_pen, false});
    return true;
}

// The chunks of `line` left to right as a reader sees them. A chunk has one bidi level, so
// rule L2 of UAX #9 (from the highest level down to the lowest odd one, reverse every
// sequence at that level or above) can move whole chunks; inside a right-to-left chunk
// HarfBuzz already gave the glyphs in visual order. Trailing spaces never reach a line
// (wrap drops them), so rule L1 has nothing to reset.
void visual_order(const Prepared& p, const Shaping& s, const Line& line,
                  std::vector<std::size_t>& runs) {
    runs.clear();
    std::uint8_t highest = 0, lowest_odd = 0xFF;
    for (std::size_t k = s.chunk_of(line.begin); k <= s.chunk_of(line.end - 1); ++k) {
        runs.push_back(k);
        const std::uint8_t level = p.clusters[p.chunks[k].begin].level;
        highest = std::max(highest, level);
        if (level & 1)
            lowest_odd = std::min(lowest_odd, level);
    }
    const auto level_of = [&](std::size_t k) { return p.clusters[p.chunks[k].begin].level; };
    for (int level = highest; level >= lowest_odd; --level) {
        for (auto it = runs.begin(); it != runs.end();) {
            if (level_of(*it) < level) {
                ++it;
                continue;
            }
            const auto from = it;
            while (it != runs.end() && level_of(*it) >= level)
                ++it;
            std::reverse(from, it);
        }
    }
}

// ---- Drawing ----

// Coverage planes for the rows [row0, row0 + rows) of the frame.
struct Planes {
    int width = 0, row0 = 0, rows = 0;
    std::vector<std::uint8_t> outline, fill;
};

// Premultiplied BGRA of the emoji of one caption box, over the box's rows.
struct ColourLayer {
    int row0 = 0, rows = 0;
    std::vector<std::uint8_t> bgra;
};

// Draws an outline glyph twice: its stroked border into `outline`, the glyph into `fill`.
void draw_outline_glyph(Face& face, FT_Stroker stroker, unsigned id, int x, int y, Planes& planes) {
    if (FT_Load_Glyph(face.ft.get(), id, FT_LOAD_NO_BITMAP) != 0)
        return;
    for (int pass = 0; pass < 2; ++pass) {
        FT_Glyph raw = nullptr;
        if (FT_Get_Glyph(face.ft->glyph, &raw) != 0)
            continue;
        FtGlyphPtr glyph(raw);
        if (pass == 0) {
            FT_Glyph stroked = glyph.release();
            FT_Glyph_StrokeBorder(&stroked, stroker, 0, 1);
            glyph.reset(stroked);
        }
        FT_Vector origin{x & 63, -(y & 63)};
        FT_Glyph bitmap_glyph = glyph.release();
        const FT_Error e = FT_Glyph_To_Bitmap(&bitmap_glyph, FT_RENDER_MODE_NORMAL, &origin, 1);
        glyph.reset(bitmap_glyph);
        if (e != 0)
            continue;
        const auto* bg = reinterpret_cast<FT_BitmapGlyph>(glyph.get());
        const int x0 = (x >> 6) + bg->left;
        const int y0 = (y >> 6) - bg->top;
        auto& plane = pass == 0 ? planes.outline : planes.fill;
        for (unsigned r = 0; r < bg->bitmap.rows; ++r) {
            const int row = y0 + static_cast<int>(r) - planes.row0;
            if (row < 0 || row >= planes.rows)
                continue;
            const unsigned char* src = bg->bitmap.buffer + r * bg->bitmap.pitch;
            for (unsigned c = 0; c < bg->bitmap.width; ++c) {
                const int col = x0 + static_cast<int>(c);
                if (col < 0 || col >= planes.width)
                    continue;
                auto& dst = plane[static_cast<std::size_t>(row) * planes.width + col];
                dst = std::max(dst, src[c]);
            }
        }
    }
}

// Area-average resampling taps from `from` pixels to `to` pixels (down- or upscaling).
struct Tap {
    int index;
    float weight;
};
std::vector<std::vector<Tap>> resample_taps(int from, int to) {
    std::vector<std::vector<Tap>> taps(static_cast<std::size_t>(to));
    const double ratio = static_cast<double>(from) / to;
    for (int d = 0; d < to; ++d) {
        const double a = d * ratio, b = (d + 1) * ratio;
        for (int k = static_cast<int>(std::floor(a)); k < std::ceil(b) && k < from; ++k) {
            const double w = std::min(b, k + 1.0) - std::max(a, static_cast<double>(k));
            if (w > 0)
                taps[static_cast<std::size_t>(d)].push_back({k, static_cast<float>(w / ratio)});
        }
    }
    return taps;
}

// Draws a colour (CBDT) glyph: FreeType gives the premultiplied BGRA bitmap at the font's one
// strike size; it is scaled to the caption's size here and laid over the layer.
void draw_colour_glyph(Face& face, unsigned id, int x, int y, int frame_width, ColourLayer& layer) {
    if (FT_Load_Glyph(face.ft.get(), id, FT_LOAD_COLOR) != 0)
        return;
    const FT_GlyphSlot slot = face.ft->glyph;
    const FT_Bitmap& bm = slot->bitmap;
    if (bm.pixel_mode != FT_PIXEL_MODE_BGRA || bm.width == 0 || bm.rows == 0)
        return;
    const double scale = static_cast<double>(face.px) / face.strike_ppem;
    const int sw = static_cast<int>(bm.width), sh = static_cast<int>(bm.rows);
    const int dw = std::max(1, static_cast<int>(std::lround(sw * scale)));
    const int dh = std::max(1, static_cast<int>(std::lround(sh * scale)));
    const int x0 = (x >> 6) + static_cast<int>(std::lround(slot->bitmap_left * scale));
    const int y0 = (y >> 6) - static_cast<int>(std::lround(slot->bitmap_top * scale));
    const auto htaps = resample_taps(sw, dw);
    const auto vtaps = resample_taps(sh, dh);
    // Horizontal pass into floats, then vertical straight into the layer.
    std::vector<float> tmp(static_cast<std::size_t>(sh) * dw * 4, 0.0f);
    for (int r = 0; r < sh; ++r) {
        const unsigned char* src = bm.buffer + static_cast<std::ptrdiff_t>(r) * bm.pitch;
        float* dst = tmp.data() + static_cast<std::size_t>(r) * dw * 4;
        for (int d = 0; d < dw; ++d) {
            for (const Tap& t : htaps[static_cast<std::size_t>(d)]) {
                for (int ch = 0; ch < 4; ++ch)
                    dst[d * 4 + ch] += t.weight * src[t.index * 4 + ch];
            }
        }
    }
    for (int d = 0; d < dh; ++d) {
        const int row = y0 + d - layer.row0;
        if (row < 0 || row >= layer.rows)
            continue;
        for (int c = 0; c < dw; ++c) {
            const int col = x0 + c;
            if (col < 0 || col >= frame_width)
                continue;
            float px[4] = {0, 0, 0, 0};
            for (const Tap& t : vtaps[static_cast<std::size_t>(d)]) {
                const float* src = tmp.data() + (static_cast<std::size_t>(t.index) * dw + c) * 4;
                for (int ch = 0; ch < 4; ++ch)
                    px[ch] += t.weight * src[ch];
            }
            std::uint8_t* dst =
                layer.bgra.data() + (static_cast<std::size_t>(row) * frame_width + col) * 4;
            const float keep = 1.0f - px[3] / 255.0f;  // "over", premultiplied
            for (int ch = 0; ch < 4; ++ch) {
                const float v = px[ch] + dst[ch] * keep;
                dst[ch] = static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
            }
        }
    }
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

int outline_width(int px) {
    return std::max(2, px / 12);
}

// One caption as the auto-fit left it.
struct Laid {
    Prepared prepared;
    std::optional<Shaping> shaping;
    std::vector<Line> lines;
    std::vector<Glyph> ellipsis;
    int ellipsis_width = 0;  // 26.6
    int px = 0, ascender = 0, line_height = 0, outline = 0;
    CaptionBox box;
};

[[noreturn]] void invalid_utf8(std::string_view what, std::size_t at) {
    throw MediaError(std::string(what) + ": invalid UTF-8 at byte offset " + std::to_string(at));
}

}  // namespace

std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what) {
    std::vector<char32_t> out;
    out.reserve(text.size());
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
        i += static_cast<std::size_t>(extra) + 1;
        // Control characters have no glyph in any font and would only be dropped with a
        // warning; a carriage return is one of them, so CR LF is one line break.
        if (is_control(cp))
            continue;
        out.push_back(cp == U'\t' ? U' ' : cp);
    }
    return out;
}

TextOverlay::TextOverlay(const Captions& captions, const std::filesystem::path& font,
                         FrameSize frame, const CancelCheck& check)
    : frame_(frame) {
    const std::string* texts[3] = {&captions.top, &captions.bottom, &captions.badge};
    std::vector<char32_t> decoded[3];
    for (int k = 0; k < 3; ++k) {
        decoded[k] = decode_utf8(*texts[k], std::string(kSlots[k].role) + " caption");
    }
    FontChain fonts(font);
    HbBufferPtr buffer(hb_buffer_create());
    std::set<char32_t> missing;

    // The ellipsis that ends a truncated caption, in the first font that has it.
    std::u32string ellipsis_text(1, kEllipsis);
    int ellipsis_face = fonts.choose(ellipsis_text.data(), 1, missing);
    if (ellipsis_face < 0) {
        ellipsis_text = U"...";
        ellipsis_face = 0;
    }
    const std::vector<char32_t> ellipsis_chars(ellipsis_text.begin(), ellipsis_text.end());

    const int w = frame.width, h = frame.height;
    std::vector<std::unique_ptr<Laid>> laid;
    for (int k = 0; k < 3; ++k) {
        auto l = std::make_unique<Laid>();
        l->prepared = prepare(decoded[k], fonts, missing, check);
        decoded[k] = {};
        if (!l->prepared.visible)
            continue;
        const Prepared& p = l->prepared;
        const Slot& slot = kSlots[k];
        const int band_top = static_cast<int>(slot.top * h);
        const int band_height = static_cast<int>((slot.bottom - slot.top) * h);
        const int max_width = static_cast<int>(w * 0.90);
        const int min_px = std::max(10, static_cast<int>(slot.min_size * h));
        int px = std::max(min_px, static_cast<int>(slot.start_size * h));
        bool truncated = false;
        // Auto-fit: shrink until the wrapped block fits its band; at the minimum size, cut the
        // text to the lines that fit and end it with an ellipsis (documented choice: a caption
        // never fails a render for being long, and never leaves its band). Each size shapes
        // and wraps only what fits in the band, so a long caption costs no more than a short
        // one that fills the box.
        for (;;) {
            fonts.set_size(px);
            long ascender = 0, descender = 0;
            for (std::size_t f = 0; f < kFaces; ++f) {
                if ((p.faces_used & (1u << f)) == 0)
                    continue;
                const auto [a, d] = fonts.get(f)->extents();
                ascender = std::max(ascender, a);
                descender = std::min(descender, d);
            }
            l->px = px;
            l->outline = outline_width(px);
            l->ascender = static_cast<int>(ascender >> 6);
            l->line_height = static_cast<int>((ascender - descender) >> 6);
            const int o = l->outline;
            const auto max_lines = static_cast<std::size_t>(
                std::max(1, (band_height - 2 * o) / std::max(1, l->line_height)));
            l->shaping.emplace(p, fonts, buffer.get());
            const int line_width = (max_width - 2 * o) * 64;
            const bool complete = wrap(p, *l->shaping, line_width, max_lines, l->lines, check);
            const int block = static_cast<int>(l->lines.size()) * l->line_height + 2 * o;
            if (complete && block <= band_height)
                break;
            if (px > min_px) {
                px = std::max(min_px, static_cast<int>(px * 0.9));
                continue;
            }
            if (l->lines.size() > max_lines)
                l->lines.resize(max_lines);
            l->ellipsis.clear();
            l->ellipsis_width = 0;
            Face& ef = *fonts.get(static_cast<std::size_t>(ellipsis_face));
            shape(
                ef, buffer.get(), ellipsis_chars, 0,
                static_cast<std::uint32_t>(ellipsis_chars.size()), HB_DIRECTION_LTR,
                [&](const hb_glyph_info_t& info, const hb_glyph_position_t& pos) {
                    l->ellipsis.push_back({info.codepoint, 0, pos.x_advance, pos.x_offset,
                                           pos.y_offset, static_cast<std::int8_t>(ellipsis_face)});
                    l->ellipsis_width += pos.x_advance;
                });
            l->prepared.faces_used |= 1u << ellipsis_face;
            // The last line drops whole clusters from its end until the ellipsis fits.
            Line& last = l->lines.back();
            const Shaping& s = *l->shaping;
            while (last.end > last.begin && last.width + l->ellipsis_width > line_width) {
                std::size_t start = last.end - 1;
                while (start > last.begin && !s.atomic(start))
                    --start;
                for (std::size_t c = start; c < last.end; ++c)
                    last.width -= s.advance(c);
                last.end = start;
            }
            while (last.end > last.begin && (p.clusters[last.end - 1].flags & kSpace)) {
                last.width -= s.advance(last.end - 1);
                --last.end;
            }
            last.ellipsis = true;
            truncated = true;
            break;
        }
        const int o = l->outline;
        const int block_h = static_cast<int>(l->lines.size()) * l->line_height + 2 * o;
        int widest = 0;
        for (const Line& line : l->lines) {
            const int width = line.width + (line.ellipsis ? l->ellipsis_width : 0);
            widest = std::max(widest, (width + 63) / 64);
        }
        CaptionBox& box = l->box;
        box.role = slot.role;
        box.width = std::min(w, widest + 2 * o);
        box.x = (w - box.width) / 2;
        box.y = band_top + std::max(0, (band_height - block_h) / 2);
        box.height = block_h;
        box.font_pixels = px;
        box.lines = static_cast<int>(l->lines.size());
        box.truncated = truncated;
        laid.push_back(std::move(l));
    }
    if (!missing.empty()) {
        std::string list;
        for (char32_t c : missing)
            list += (list.empty() ? "" : ", ") + code_point(c);
        log_warning("captions: no font has a glyph for {}; dropped (fonts: {})", list,
                    fonts.names());
    }
    if (laid.empty())
        return;

    int first_row = h, last_row = 0;
    for (const auto& l : laid) {
        boxes_.push_back(l->box);
        first_row = std::min(first_row, l->box.y);
        last_row = std::max(last_row, l->box.y + l->box.height);
    }
    // Rows even so chroma rows pair up.
    row_begin_ = std::max(0, first_row - 2) / 2 * 2;
    row_end_ = std::min(h, (last_row + 3) / 2 * 2);
    const int rows = row_end_ - row_begin_;
    Planes planes;
    planes.width = w;
    planes.row0 = row_begin_;
    planes.rows = rows;
    planes.outline.assign(static_cast<std::size_t>(rows) * w, 0);
    planes.fill.assign(static_cast<std::size_t>(rows) * w, 0);
    std::vector<ColourLayer> layers;

    FT_Stroker raw_stroker = nullptr;
    if (FT_Stroker_New(fonts.library(), &raw_stroker) != 0)
        throw MediaError("font '" + font.string() + "': FreeType stroker unavailable");
    const FtStrokerPtr stroker(raw_stroker);
    std::vector<std::size_t> runs;
    for (const auto& l : laid) {
        fonts.set_size(l->px);
        FT_Stroker_Set(stroker.get(), l->outline * 64, FT_STROKER_LINECAP_ROUND,
                       FT_STROKER_LINEJOIN_ROUND, 0);
        ColourLayer* layer = nullptr;
        if (l->prepared.faces_used & (1u << kEmojiFace)) {
            layer = &layers.emplace_back();
            layer->row0 = l->box.y;
            layer->rows = l->box.height;
            layer->bgra.assign(static_cast<std::size_t>(layer->rows) * w * 4, 0);
        }
        const auto draw = [&](const Glyph& g, int pen, int baseline) {
            Face& face = *fonts.get(static_cast<std::size_t>(g.face));
            const int x = pen + g.x_offset;
            const int y = baseline * 64 - g.y_offset;
            if (face.colour) {
                if (layer != nullptr)
                    draw_colour_glyph(face, g.id, x, y, w, *layer);
            } else {
                draw_outline_glyph(face, stroker.get(), g.id, x, y, planes);
            }
        };
        const Shaping& s = *l->shaping;
        for (std::size_t n = 0; n < l->lines.size(); ++n) {
            const Line& line = l->lines[n];
            const int width = (line.width + (line.ellipsis ? l->ellipsis_width : 0) + 63) / 64;
            int pen = (w - width) / 2 * 64;
            const int baseline =
                l->box.y + l->outline + static_cast<int>(n) * l->line_height + l->ascender;
            const auto draw_ellipsis = [&] {
                for (const Glyph& g : l->ellipsis) {
                    draw(g, pen, baseline);
                    pen += g.x_advance;
                }
            };
            // The ellipsis follows the last word read, so it is on the left of a right-to-left
            // paragraph.
            const bool rtl = line.end > line.begin &&
                             (l->prepared.clusters[line.begin].flags & kRtlParagraph) != 0;
            if (line.ellipsis && rtl)
                draw_ellipsis();
            if (line.end > line.begin) {
                visual_order(l->prepared, s, line, runs);
                for (const std::size_t chunk : runs) {
                    for (const Glyph* g = s.glyphs_begin(chunk); g != s.glyphs_end(chunk); ++g) {
                        if (g->cluster < line.begin || g->cluster >= line.end)
                            continue;
                        draw(*g, pen, baseline);
                        pen += g->x_advance;
                    }
                }
            }
            if (line.ellipsis && !rtl)
                draw_ellipsis();
        }
    }
    laid.clear();

    // One pass over 2x2 blocks: per pixel, the emoji (if any) over white fill over black
    // outline gives alpha and target luma; per block, the alpha-weighted chroma. Colours are
    // BT.601 limited range, as the encoder's yuv420p.
    alpha_.assign(static_cast<std::size_t>(rows) * w, 0);
    luma_.assign(static_cast<std::size_t>(rows) * w, 0);
    const std::size_t chroma = static_cast<std::size_t>(rows / 2) * (w / 2);
    chroma_alpha_.assign(chroma, 0);
    cb_.assign(chroma, 128);
    cr_.assign(chroma, 128);
    for (int r2 = 0; r2 < rows / 2; ++r2) {
        const ColourLayer* row_layer[2] = {nullptr, nullptr};
        for (int dy = 0; dy < 2; ++dy) {
            const int y = row_begin_ + 2 * r2 + dy;
            for (const auto& layer : layers) {
                if (y >= layer.row0 && y < layer.row0 + layer.rows)
                    row_layer[dy] = &layer;
            }
        }
        for (int x2 = 0; x2 < w / 2; ++x2) {
            float sum_a = 0, sum_u = 0, sum_v = 0;
            for (int dy = 0; dy < 2; ++dy) {
                const int r = 2 * r2 + dy;
                for (int dx = 0; dx < 2; ++dx) {
                    const int x = 2 * x2 + dx;
                    const std::size_t at = static_cast<std::size_t>(r) * w + x;
                    const int ov = planes.outline[at], fv = planes.fill[at];
                    // Outline (black) under fill (white): one alpha and one target luma.
                    const int ta = 255 - (255 - ov) * (255 - fv) / 255;
                    const int premul = 16 * ov * (255 - fv) / 255 + 235 * fv;
                    const std::uint8_t* e = nullptr;
                    if (row_layer[dy] != nullptr) {
                        e = row_layer[dy]->bgra.data() +
                            (static_cast<std::size_t>(row_begin_ + r - row_layer[dy]->row0) * w +
                             x) *
                                4;
                        if (e[3] == 0)
                            e = nullptr;
                    }
                    if (e == nullptr) {
                        alpha_[at] = static_cast<std::uint8_t>(ta);
                        if (ta > 0)
                            luma_[at] = static_cast<std::uint8_t>(std::clamp(premul / ta, 16, 235));
                        sum_a += static_cast<float>(ta);
                        sum_u += 128.0f * static_cast<float>(ta);
                        sum_v += 128.0f * static_cast<float>(ta);
                        continue;
                    }
                    // Premultiplied colours in 0..255, alphas in 0..1.
                    const float b = e[0], g = e[1], rd = e[2], ea = e[3] / 255.0f;
                    const float keep = 1.0f - ea, tf = static_cast<float>(ta) / 255.0f;
                    const float a = ea + tf * keep;
                    const float yp = 16.0f * ea +
                                     (219.0f / 255.0f) * (0.299f * rd + 0.587f * g + 0.114f * b) +
                                     static_cast<float>(premul) / 255.0f * keep;
                    const float up =
                        128.0f * ea +
                        (224.0f / 255.0f) * (-0.168736f * rd - 0.331264f * g + 0.5f * b) +
                        128.0f * tf * keep;
                    const float vp =
                        128.0f * ea +
                        (224.0f / 255.0f) * (0.5f * rd - 0.418688f * g - 0.081312f * b) +
                        128.0f * tf * keep;
                    alpha_[at] = static_cast<std::uint8_t>(std::lround(a * 255.0f));
                    luma_[at] = static_cast<std::uint8_t>(
                        std::clamp(std::lround(yp / std::max(a, 1e-6f)), 16L, 235L));
                    sum_a += a * 255.0f;
                    sum_u += up * 255.0f;
                    sum_v += vp * 255.0f;
                }
            }
            const std::size_t c = static_cast<std::size_t>(r2) * (w / 2) + x2;
            chroma_alpha_[c] = static_cast<std::uint8_t>(std::lround(sum_a / 4.0f));
            if (sum_a > 0) {
                cb_[c] =
                    static_cast<std::uint8_t>(std::clamp(std::lround(sum_u / sum_a), 16L, 240L));
                cr_[c] =
                    static_cast<std::uint8_t>(std::clamp(std::lround(sum_v / sum_a), 16L, 240L));
            }
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
        const std::size_t at = static_cast<std::size_t>(y - row_begin_ / 2) * (w / 2);
        const std::uint8_t* a = chroma_alpha_.data() + at;
        for (int p = 1; p < 3; ++p) {
            const std::uint8_t* target = (p == 1 ? cb_.data() : cr_.data()) + at;
            std::uint8_t* row = frame->data[p] + y * frame->linesize[p];
            for (int x = 0; x < w / 2; ++x) {
                if (a[x] == 0)
                    continue;
                row[x] = static_cast<std::uint8_t>(row[x] + (target[x] - row[x]) * a[x] / 255);
            }
        }
    }
}

}  // namespace memegen::detail
