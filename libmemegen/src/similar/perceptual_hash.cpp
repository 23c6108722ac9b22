// perceptual_hash(): the DCT hash of each sampled picture (see perceptual_hash.hpp for the
// method and why). Decoding goes through VideoSource, so a file hashes exactly when the
// renderer could read it, in the same bounded memory.

#include "memegen/perceptual_hash.hpp"

extern "C" {
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "../render/av_ptr.hpp"
#include "../render/frame_sampler.hpp"
#include "../render/orientation.hpp"
#include "../render/video_source.hpp"

namespace memegen {
namespace {

constexpr int kSide = 32;         // the grey picture the DCT reads
constexpr int kLow = 8;           // the kLow x kLow lowest frequencies become the hash
constexpr double kFlatStd = 2.0;  // grey levels: a picture this even has no layout to hash

using Grey = std::array<double, kSide * kSide>;

// The picture upright (EXIF mirror, then the display turn, as the compositor applies them),
// area-averaged to kSide x kSide grey.
Grey upright_grey(const AVFrame* frame, int rotation, bool flip) {
    detail::SwsPtr sws(sws_getContext(frame->width, frame->height,
                                      static_cast<AVPixelFormat>(frame->format), kSide, kSide,
                                      AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr));
    if (!sws)
        throw MediaError("perceptual hash: cannot convert pictures of this pixel format");
    // swscale's SIMD writes whole vectors: a padded row and a tail of slack.
    constexpr int kStride = 64;
    std::vector<std::uint8_t> stored(kStride * kSide + 64);
    std::uint8_t* dst[4] = {stored.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {kStride, 0, 0, 0};
    sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
    Grey grey{};
    for (int y = 0; y < kSide; ++y) {
        for (int x0 = 0; x0 < kSide; ++x0) {
            const int x = flip ? kSide - 1 - x0 : x0;
            const auto [dx, dy] = detail::turned(x, y, kSide, kSide, rotation);
            grey[static_cast<std::size_t>(dy * kSide + dx)] = stored[y * kStride + x0];
        }
    }
    return grey;
}

// The kLow x kLow lowest frequencies of the 2-D DCT-II (separable: rows, then columns).
std::array<double, kLow * kLow> low_frequencies(const Grey& grey) {
    static const auto cosines = [] {
        std::array<double, kLow * kSide> c{};
        for (int u = 0; u < kLow; ++u) {
            for (int x = 0; x < kSide; ++x)
                c[u * kSide + x] = std::cos((2 * x + 1) * u * std::numbers::pi / (2 * kSide));
        }
        return c;
    }();
    std::array<double, kLow * kSide> rows{};  // [u][y]: each row's u-th frequency
    for (int y = 0; y < kSide; ++y) {
        for (int u = 0; u < kLow; ++u) {
            double sum = 0;
            for (int x = 0; x < kSide; ++x)
                sum += grey[static_cast<std::size_t>(y * kSide + x)] * cosines[u * kSide + x];
            rows[u * kSide + y] = sum;
        }
    }
    std::array<double, kLow * kLow> out{};
    for (int v = 0; v < kLow; ++v) {
        for (int u = 0; u < kLow; ++u) {
            double sum = 0;
            for (int y = 0; y < kSide; ++y)
                sum += rows[u * kSide + y] * cosines[v * kSide + y];
            out[v * kLow + u] = sum;
        }
    }
    return out;
}

std::optional<std::uint64_t> hash_of(const Grey& grey) {
    double mean = 0;
    for (const double g : grey)
        mean += g;
    mean /= static_cast<double>(grey.size());
    double variance = 0;
    for (const double g : grey)
        variance += (g - mean) * (g - mean);
    if (std::sqrt(variance / static_cast<double>(grey.size())) < kFlatStd)
        return std::nullopt;
    const auto dct = low_frequencies(grey);
    // The median of the 63 AC terms: the DC term is the mean brightness, not layout.
    std::vector<double> ac(dct.begin() + 1, dct.end());
    std::nth_element(ac.begin(), ac.begin() + static_cast<std::ptrdiff_t>(ac.size() / 2), ac.end());
    const double median = ac[ac.size() / 2];
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < dct.size(); ++i)
        bits = bits << 1 | (dct[i] > median ? 1u : 0u);
    return bits;
}

}  // namespace

PerceptualHash perceptual_hash(const std::filesystem::path& media,
                               const PerceptualHashOptions& options) {
    if (options.max_frames < 1 || options.max_frames > 16)
        throw MediaError("perceptual hash: max_frames " + std::to_string(options.max_frames) +
                         " is outside 1-16");
    // As MemeRenderer does: FFmpeg's notices stay off stderr unless the application set a level.
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_ERROR);
    // A still is reduced while decoding down to what a small picture needs.
    detail::VideoSource source(media, options.max_pixels, detail::FitBox{256, 256});

    PerceptualHash hash;
    const bool sideways = source.rotation() == 90 || source.rotation() == 270;
    hash.aspect = sideways ? static_cast<double>(source.height()) / source.width()
                           : static_cast<double>(source.width()) / source.height();
    // Sampled: the first picture, then the middles of max_frames - 1 spans of a clip's first
    // seconds (as detect_text).
    detail::for_each_sample(
        source, detail::sample_times(source, options.max_frames, true), [&](const AVFrame& frame) {
            const auto bits = hash_of(upright_grey(&frame, source.rotation(), source.flipped()));
            if (bits &&
                std::find(hash.frames.begin(), hash.frames.end(), *bits) == hash.frames.end())
                hash.frames.push_back(*bits);
        });
    return hash;
}

}  // namespace memegen
