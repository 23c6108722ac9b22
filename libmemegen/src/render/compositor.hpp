#pragma once
// Turns decoded pictures into output frames: crop, fit (aspect kept), rotate, mirror, colour
// effects, then the background (black or blurred copy) and the meme over it. Works on yuv420p
// with buffers allocated once per render.

#include <array>
#include <cstdint>

#include "av_ptr.hpp"
#include "memegen/meme_renderer.hpp"

namespace memegen::detail {

/// The picture effects that change how one frame looks (time effects live in the renderer).
struct PictureEffects {
    bool mirror = false;
    bool black_and_white = false;
    bool color_gain = false;
    bool margins = false;
    bool transparency = false;
    bool sepia = false;
    /// What the crop effect cuts from each edge of the upright picture, as a fraction of its
    /// side: left, top, right, bottom (all 0: no crop). The renderer keeps text boxes whole.
    std::array<double, 4> crop{};
};

/// The crop effect's cut from each edge (5 %), before text boxes narrow it.
inline constexpr double kCropFraction = 0.05;

/// Fits source pictures of one size and orientation into the output frame.
class Compositor {
  public:
    /// `rotation`: clockwise turn for display (0, 90, 180, 270); `flip`: a left-right mirror
    /// before that turn (EXIF orientations). Both are how the source is shown, not effects.
    Compositor(FrameSize output, Background background, PictureEffects effects, int source_width,
               int source_height, int rotation, bool flip = false);

    /// The meme alone: cropped, scaled, turned upright, fitted, mirrored, recoloured.
    /// A new frame (fitted_width x fitted_height, yuv420p) that the caller may keep.
    FramePtr prepare(const AVFrame* source);
    /// Draws the background and the prepared meme into `out` (output size, yuv420p, writable).
    void compose(const AVFrame* meme, AVFrame* out);

    /// Size of a prepared meme in bytes (what a boomerang buffer holds per frame).
    [[nodiscard]] std::uint64_t prepared_bytes() const noexcept {
        return static_cast<std::uint64_t>(fit_w_) * fit_h_ * 3 / 2;
    }
    [[nodiscard]] int fitted_width() const noexcept { return fit_w_; }
    [[nodiscard]] int fitted_height() const noexcept { return fit_h_; }

  private:
    void draw_blur_background(const AVFrame* meme, AVFrame* out);

    FrameSize out_;
    Background background_;
    PictureEffects fx_;
    int rotation_;
    bool flip_;
    int fit_w_ = 0;  // after rotation
    int fit_h_ = 0;
    int x_ = 0;
    int y_ = 0;
    SwsPtr scale_;
    SwsPtr blur_down_;
    SwsPtr blur_up_;
    FramePtr blur_small_;
    VideoFramePool scaled_pool_;  // prepared pictures: one per source frame shown
    VideoFramePool turned_pool_;
    std::uint8_t y_lut_[256] = {};
    std::uint8_t c_lut_[256] = {};
    // The crop in the stored picture's terms (before the EXIF mirror and the turn), as
    // fractions of a source frame's sides: left, top, right, bottom.
    std::array<double, 4> source_crop_{};
};

/// Darkens a yuv420p frame towards black: `level` 1 leaves it, 0 makes it black.
void apply_fade(AVFrame* frame, double level);

}  // namespace memegen::detail
