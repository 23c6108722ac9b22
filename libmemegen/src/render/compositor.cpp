#include "compositor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>

#include "memegen/error.hpp"
#include "orientation.hpp"

namespace memegen::detail {
namespace {

constexpr double kMarginsArea = 0.84;  // the margins effect fits into 84 % of the frame
constexpr int kTransparency = 218;     // meme alpha out of 256 (≈ 0.85)
constexpr int kBlurDivisor = 12;       // the blurred background is computed at 1/12 size

int even(double v) {
    return std::max(2, static_cast<int>(std::lround(v / 2.0)) * 2);
}

void fill_black(AVFrame* f) {
    for (int p = 0; p < 3; ++p) {
        const int h = p == 0 ? f->height : (f->height + 1) / 2;
        const int w = p == 0 ? f->width : (f->width + 1) / 2;
        for (int y = 0; y < h; ++y)
            std::memset(f->data[p] + y * f->linesize[p], p == 0 ? 16 : 128, w);
    }
}

// fill_black outside the rectangle (x, y, w, h), all even, that the picture then covers.
void fill_black_around(AVFrame* f, int x, int y, int w, int h) {
    for (int p = 0; p < 3; ++p) {
        const int shift = p == 0 ? 0 : 1;
        const int fw = p == 0 ? f->width : (f->width + 1) / 2;
        const int fh = p == 0 ? f->height : (f->height + 1) / 2;
        const int x0 = x >> shift, y0 = y >> shift;
        const int x1 = x0 + (w >> shift), y1 = y0 + (h >> shift);
        const int value = p == 0 ? 16 : 128;
        for (int row = 0; row < fh; ++row) {
            std::uint8_t* line = f->data[p] + row * f->linesize[p];
            if (row < y0 || row >= y1) {
                std::memset(line, value, static_cast<std::size_t>(fw));
            } else {
                std::memset(line, value, static_cast<std::size_t>(x0));
                std::memset(line + x1, value, static_cast<std::size_t>(fw - x1));
            }
        }
    }
}

// Rotates one plane clockwise by 90, 180 or 270 degrees.
void rotate_plane(const std::uint8_t* src, int src_stride, int w, int h, std::uint8_t* dst,
                  int dst_stride, int rotation) {
    for (int y = 0; y < h; ++y) {
        const std::uint8_t* row = src + y * src_stride;
        for (int x = 0; x < w; ++x) {
            const auto [dx, dy] = turned(x, y, w, h, rotation);
            dst[dy * dst_stride + dx] = row[x];
        }
    }
}

// Three box passes approximate a gaussian; the plane is tiny (1/12 of the frame).
void box_blur(std::uint8_t* plane, int stride, int w, int h, int radius) {
    std::vector<std::uint8_t> line(static_cast<std::size_t>(std::max(w, h)));
    for (int pass = 0; pass < 3; ++pass) {
        for (int y = 0; y < h; ++y) {
            std::uint8_t* row = plane + y * stride;
            for (int x = 0; x < w; ++x) {
                int sum = 0, n = 0;
                for (int k = std::max(0, x - radius); k <= std::min(w - 1, x + radius); ++k, ++n)
                    sum += row[k];
                line[x] = static_cast<std::uint8_t>(sum / n);
            }
            std::memcpy(row, line.data(), w);
        }
        for (int x = 0; x < w; ++x) {
            for (int y = 0; y < h; ++y) {
                int sum = 0, n = 0;
                for (int k = std::max(0, y - radius); k <= std::min(h - 1, y + radius); ++k, ++n) {
                    sum += plane[k * stride + x];
                }
                line[y] = static_cast<std::uint8_t>(sum / n);
            }
            for (int y = 0; y < h; ++y)
                plane[y * stride + x] = line[y];
        }
    }
}

}  // namespace

Compositor::Compositor(FrameSize output, Background background, PictureEffects effects,
                       int source_width, int source_height, int rotation, bool flip)
    : out_(output), background_(background), fx_(effects), rotation_(rotation), flip_(flip) {
    // The upright crop mapped back onto the stored picture: a clockwise turn by 90 puts the
    // stored left edge on top, its top on the right, and so on; the EXIF mirror comes first.
    const auto [ul, ut, ur, ub] = fx_.crop;
    std::array<double, 4> pre{ul, ut, ur, ub};  // left, top, right, bottom before the turn
    if (rotation_ == 90)
        pre = {ut, ur, ub, ul};
    else if (rotation_ == 180)
        pre = {ur, ub, ul, ut};
    else if (rotation_ == 270)
        pre = {ub, ul, ut, ur};
    if (flip_)
        std::swap(pre[0], pre[2]);
    source_crop_ = pre;
    double sw = source_width * (1 - pre[0] - pre[2]);
    double sh = source_height * (1 - pre[1] - pre[3]);
    if (rotation_ == 90 || rotation_ == 270)
        std::swap(sw, sh);
    const double area = fx_.margins ? kMarginsArea : 1.0;
    const double scale = std::min(out_.width * area / sw, out_.height * area / sh);
    fit_w_ = std::min(out_.width, even(sw * scale));
    fit_h_ = std::min(out_.height, even(sh * scale));
    x_ = (out_.width - fit_w_) / 4 * 2;
    y_ = (out_.height - fit_h_) / 4 * 2;
    for (int v = 0; v < 256; ++v) {
        int y = v, c = v;
        if (fx_.color_gain) {
            // Contrast ×1.15 around mid-grey and saturation ×1.3: livelier, as the seed's gain.
            y = static_cast<int>(std::lround((v - 126) * 1.15 + 126 + 4));
            c = static_cast<int>(std::lround((v - 128) * 1.3 + 128));
        }
        y_lut_[v] = static_cast<std::uint8_t>(std::clamp(y, 16, 235));
        c_lut_[v] = static_cast<std::uint8_t>(std::clamp(c, 16, 240));
    }
}

FramePtr Compositor::prepare(const AVFrame* source) {
    // Cropping moves the plane pointers of a new reference; the decoder's frame is untouched.
    FramePtr view = make_frame();
    if (av_frame_ref(view.get(), source) < 0)
        throw std::bad_alloc();
    if (source_crop_ != std::array<double, 4>{}) {
        const auto part = [](int side, double fraction) {
            return static_cast<std::size_t>(side * fraction);
        };
        view->crop_left = part(source->width, source_crop_[0]);
        view->crop_top = part(source->height, source_crop_[1]);
        view->crop_right = part(source->width, source_crop_[2]);
        view->crop_bottom = part(source->height, source_crop_[3]);
        av_frame_apply_cropping(view.get(), AV_FRAME_CROP_UNALIGNED);
    }
    const bool turned = rotation_ == 90 || rotation_ == 270;
    const int scaled_w = turned ? fit_h_ : fit_w_;
    const int scaled_h = turned ? fit_w_ : fit_h_;
    scale_.reset(sws_getCachedContext(scale_.release(), view->width, view->height,
                                      static_cast<AVPixelFormat>(view->format), scaled_w, scaled_h,
                                      AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!scale_)
        throw MediaError("cannot scale pictures of this format");
    FramePtr scaled = scaled_pool_.get(scaled_w, scaled_h);
    sws_scale(scale_.get(), view->data, view->linesize, 0, view->height, scaled->data,
              scaled->linesize);
    if (flip_) {
        // The source's own mirror (EXIF), on the stored picture, before it is turned upright.
        for (int p = 0; p < 3; ++p) {
            const int w = p == 0 ? scaled_w : scaled_w / 2;
            const int h = p == 0 ? scaled_h : scaled_h / 2;
            for (int y = 0; y < h; ++y) {
                std::uint8_t* row = scaled->data[p] + y * scaled->linesize[p];
                std::reverse(row, row + w);
            }
        }
    }

    FramePtr meme;
    if (rotation_ != 0) {
        meme = turned_pool_.get(fit_w_, fit_h_);
        for (int p = 0; p < 3; ++p) {
            const int w = p == 0 ? scaled_w : scaled_w / 2;
            const int h = p == 0 ? scaled_h : scaled_h / 2;
            rotate_plane(scaled->data[p], scaled->linesize[p], w, h, meme->data[p],
                         meme->linesize[p], rotation_);
        }
    } else {
        meme = std::move(scaled);
    }
    if (fx_.mirror) {
        for (int p = 0; p < 3; ++p) {
            const int w = p == 0 ? fit_w_ : fit_w_ / 2;
            const int h = p == 0 ? fit_h_ : fit_h_ / 2;
            for (int y = 0; y < h; ++y) {
                std::uint8_t* row = meme->data[p] + y * meme->linesize[p];
                std::reverse(row, row + w);
            }
        }
    }
    if (fx_.sepia) {
        // An old photo's brown: grey lightness, chroma fixed at a warm hue (Cb below, Cr above
        // neutral), whatever colours the meme had.
        for (int y = 0; y < fit_h_ / 2; ++y) {
            std::memset(meme->data[1] + y * meme->linesize[1], 128 - 20, fit_w_ / 2);
            std::memset(meme->data[2] + y * meme->linesize[2], 128 + 18, fit_w_ / 2);
        }
    }
    if (fx_.color_gain || (fx_.black_and_white && !fx_.sepia)) {
        for (int y = 0; y < fit_h_; ++y) {
            std::uint8_t* row = meme->data[0] + y * meme->linesize[0];
            for (int x = 0; x < fit_w_; ++x)
                row[x] = y_lut_[row[x]];
        }
        for (int p = 1; p < 3; ++p) {
            for (int y = 0; y < fit_h_ / 2; ++y) {
                std::uint8_t* row = meme->data[p] + y * meme->linesize[p];
                if (fx_.black_and_white && !fx_.sepia) {
                    std::memset(row, 128, fit_w_ / 2);
                } else {
                    for (int x = 0; x < fit_w_ / 2; ++x)
                        row[x] = c_lut_[row[x]];
                }
            }
        }
    }
    return meme;
}

void Compositor::draw_blur_background(const AVFrame* meme, AVFrame* out) {
    // The meme scaled to cover the frame (centre-cropped to the frame's aspect), blurred at a
    // small size and darkened, then scaled up: cheap, and reads as a soft backdrop.
    const double frame_aspect = static_cast<double>(out_.width) / out_.height;
    int cw = meme->width, ch = meme->height;
    if (static_cast<double>(cw) / ch > frame_aspect) {
        cw = std::max(2, even(ch * frame_aspect));
    } else {
        ch = std::max(2, even(cw / frame_aspect));
    }
    FramePtr view = make_frame();
    if (av_frame_ref(view.get(), meme) < 0)
        throw std::bad_alloc();
    view->crop_left = static_cast<std::size_t>((meme->width - cw) / 2);
    view->crop_right = static_cast<std::size_t>(meme->width - cw) - view->crop_left;
    view->crop_top = static_cast<std::size_t>((meme->height - ch) / 2);
    view->crop_bottom = static_cast<std::size_t>(meme->height - ch) - view->crop_top;
    av_frame_apply_cropping(view.get(), AV_FRAME_CROP_UNALIGNED);

    const int sw = std::max(8, even(static_cast<double>(out_.width) / kBlurDivisor));
    const int sh = std::max(8, even(static_cast<double>(out_.height) / kBlurDivisor));
    if (!blur_small_)
        blur_small_ = make_video_frame(sw, sh);
    blur_down_.reset(sws_getCachedContext(blur_down_.release(), view->width, view->height,
                                          AV_PIX_FMT_YUV420P, sw, sh, AV_PIX_FMT_YUV420P, SWS_AREA,
                                          nullptr, nullptr, nullptr));
    blur_up_.reset(sws_getCachedContext(blur_up_.release(), sw, sh, AV_PIX_FMT_YUV420P, out_.width,
                                        out_.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr,
                                        nullptr, nullptr));
    if (!blur_down_ || !blur_up_)
        throw MediaError("cannot scale the blurred background");
    sws_scale(blur_down_.get(), view->data, view->linesize, 0, view->height, blur_small_->data,
              blur_small_->linesize);
    for (int p = 0; p < 3; ++p) {
        const int w = p == 0 ? sw : sw / 2;
        const int h = p == 0 ? sh : sh / 2;
        box_blur(blur_small_->data[p], blur_small_->linesize[p], w, h, p == 0 ? 2 : 1);
    }
    for (int y = 0; y < sh; ++y) {
        std::uint8_t* row = blur_small_->data[0] + y * blur_small_->linesize[0];
        for (int x = 0; x < sw; ++x)
            row[x] = static_cast<std::uint8_t>(16 + (row[x] - 16) * 3 / 5);
    }
    sws_scale(blur_up_.get(), blur_small_->data, blur_small_->linesize, 0, sh, out->data,
              out->linesize);
}

void Compositor::compose(const AVFrame* meme, AVFrame* out) {
    if (background_ == Background::blur) {
        draw_blur_background(meme, out);
    } else if (fx_.transparency) {
        fill_black(out);
    } else {
        fill_black_around(out, x_, y_, fit_w_, fit_h_);
    }
    for (int p = 0; p < 3; ++p) {
        const int shift = p == 0 ? 0 : 1;
        const int w = fit_w_ >> shift, h = fit_h_ >> shift;
        const int ox = x_ >> shift, oy = y_ >> shift;
        for (int y = 0; y < h; ++y) {
            const std::uint8_t* src = meme->data[p] + y * meme->linesize[p];
            std::uint8_t* dst = out->data[p] + (oy + y) * out->linesize[p] + ox;
            if (fx_.transparency) {
                for (int x = 0; x < w; ++x) {
                    dst[x] = static_cast<std::uint8_t>(
                        (src[x] * kTransparency + dst[x] * (256 - kTransparency)) >> 8);
                }
            } else {
                std::memcpy(dst, src, static_cast<std::size_t>(w));
            }
        }
    }
}

void apply_fade(AVFrame* frame, double level) {
    const int a = static_cast<int>(std::lround(std::clamp(level, 0.0, 1.0) * 256));
    for (int p = 0; p < 3; ++p) {
        const int base = p == 0 ? 16 : 128;
        const int w = p == 0 ? frame->width : frame->width / 2;
        const int h = p == 0 ? frame->height : frame->height / 2;
        for (int y = 0; y < h; ++y) {
            std::uint8_t* row = frame->data[p] + y * frame->linesize[p];
            for (int x = 0; x < w; ++x) {
                row[x] = static_cast<std::uint8_t>(base + (((row[x] - base) * a) >> 8));
            }
        }
    }
}

}  // namespace memegen::detail
