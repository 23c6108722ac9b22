#pragma once
/// \file text_detect.hpp
/// Where text is printed in a meme. Real memes nearly always carry text, and that text is what
/// makes them memes: MemeRenderer uses this to keep it readable (a meme with text is never
/// mirrored; crop never cuts into a text box). detect_text() finds it with Tesseract's layout
/// analysis (no recognition) on a few sampled, downscaled pictures.
///
/// The types are plain data with inline JSON, so a program that loads libmemegen with dlopen
/// (memegen-bot) can keep a layout beside a file's probe verdict without linking the library.

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen {

/// One line of text, in pixels of the upright picture (after a phone video's rotation and a
/// JPEG's EXIF orientation) of TextLayout::width × TextLayout::height.
struct TextBox {
    int x = 0;       ///< left edge
    int y = 0;       ///< top edge
    int width = 0;   ///< pixels
    int height = 0;  ///< pixels

    /// Equal when every field is.
    friend bool operator==(const TextBox&, const TextBox&) = default;
};

/// The text lines found in a meme, over every sampled frame.
struct TextLayout {
    int width = 0;               ///< the upright picture's width the boxes refer to
    int height = 0;              ///< its height
    std::vector<TextBox> boxes;  ///< text lines (overlapping lines of sampled frames merged)
    int frames_analysed = 0;     ///< how many pictures were looked at (1 for a still)

    /// True when at least one text line was found.
    [[nodiscard]] bool has_text() const noexcept { return !boxes.empty(); }

    /// How far each edge of the picture may be cut, as a fraction of its side, without cutting
    /// into a text box (keeping `pad` of the side clear around each box), capped at `limit`.
    /// Order: left, top, right, bottom.
    [[nodiscard]] std::array<double, 4> free_edges(double limit, double pad = 0.01) const {
        std::array<double, 4> free{limit, limit, limit, limit};
        if (width <= 0 || height <= 0)
            return free;
        const double w = width, h = height;
        for (const TextBox& b : boxes) {
            free[0] = std::min(free[0], b.x / w - pad);
            free[1] = std::min(free[1], b.y / h - pad);
            free[2] = std::min(free[2], (w - b.x - b.width) / w - pad);
            free[3] = std::min(free[3], (h - b.y - b.height) / h - pad);
        }
        for (double& f : free)
            f = std::clamp(f, 0.0, limit);
        return free;
    }

    /// Equal when every field is.
    friend bool operator==(const TextLayout&, const TextLayout&) = default;
};

/// What detect_text() looks at.
struct TextDetectOptions {
    int max_frames = 3;  ///< GIFs and videos: pictures sampled across its first 6 s (1–16)
    /// The picture is analysed at most this long on its longer side; meme text that would be
    /// smaller than ~10 px there is not text a viewer reads in a vertical video anyway.
    int analysis_side = 720;
    std::int64_t max_pixels = 50'000'000;  ///< larger inputs are refused unread (as the probe)
};

/// Finds the text lines of a still, GIF or video. Throws MediaError (naming the file) for a
/// file that does not decode. Costs a decode of up to `max_frames` pictures plus about
/// 20–80 ms of layout analysis per picture at 720 px (bench/text_detect measures it).
[[nodiscard]] TextLayout detect_text(const std::filesystem::path& media,
                                     const TextDetectOptions& options = {});

// ---- JSON: {"x":…, "y":…, "width":…, "height":…}; a layout keeps its size and boxes.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TextBox, x, y, width, height)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TextLayout, width, height, boxes, frames_analysed)

}  // namespace memegen
