#pragma once
// Captions rasterised once per render into an overlay, then blended into every frame.
// FreeType rasterises and strokes glyphs and HarfBuzz shapes the text (kerning, ligatures,
// Cyrillic): both are Debian packages, and FFmpeg 5.1's drawtext has no HarfBuzz, which is why
// the library links them itself instead of using a filter.
//
// A caption may be in any script: each grapheme cluster is drawn in the first font of a
// fallback chain that has it (the caption font, DejaVu Sans Bold, Noto Color Emoji, WenQuanYi
// Micro Hei), because titles of music tracks and memes come in every language and with emoji.
// Text that mixes directions (Hebrew or Arabic among Latin) is ordered by the Unicode bidi
// algorithm (FriBidi): each run of one font and one direction is shaped whole in its
// direction, so Arabic letters join, and a wrapped line shows its runs in reading order.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

#include "av_ptr.hpp"
#include "memegen/meme_renderer.hpp"

namespace memegen::detail {

/// The captions of one render as an alpha-blended overlay for yuv420p frames of one size.
class TextOverlay {
  public:
    /// Called now and then while a caption is laid out; throws (CancelledError) to stop.
    using CancelCheck = std::function<void()>;

    /// Lays out and rasterises `captions`. A glyph that no font of the chain has is dropped
    /// with one warning per render; control characters are removed; a newline breaks the line.
    /// Throws MediaError naming the caption font when it cannot be loaded, and naming the byte
    /// offset of invalid UTF-8; whatever `check` throws when it says to stop.
    TextOverlay(const Captions& captions, const std::filesystem::path& font, FrameSize frame,
                const CancelCheck& check = {});

    /// Blends the text into `frame` (yuv420p, the frame size, writable).
    void apply(AVFrame* frame) const;
    /// Where each caption went.
    [[nodiscard]] const std::vector<CaptionBox>& boxes() const noexcept { return boxes_; }
    [[nodiscard]] bool empty() const noexcept { return boxes_.empty(); }

  private:
    FrameSize frame_;
    std::vector<CaptionBox> boxes_;
    // Only the rows that hold text: [row_begin_, row_end_) of the frame.
    int row_begin_ = 0;
    int row_end_ = 0;
    std::vector<std::uint8_t> alpha_;         // coverage of text + outline, 0..255
    std::vector<std::uint8_t> luma_;          // target luma where alpha > 0
    std::vector<std::uint8_t> chroma_alpha_;  // 2x2-averaged alpha for the chroma planes
    // Target chroma where chroma_alpha_ > 0: neutral for text, the colours of emoji.
    std::vector<std::uint8_t> cb_;
    std::vector<std::uint8_t> cr_;
};

/// Decodes UTF-8 into code points, removing control characters (C0 but newline and tab, DEL,
/// C1) and turning a tab into a space. Throws MediaError naming `what` and the byte offset of
/// the first invalid sequence.
std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what);

}  // namespace memegen::detail
