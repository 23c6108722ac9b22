#include "picture_budget.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <vector>

#include "png_reader.hpp"

namespace memegen::detail {
namespace {

// The crop effect shows 90 % of each side enlarged to the same frame (compositor.cpp's
// kCropFraction of 5 % per edge), so a still may be shown up to 1/0.9 larger than its fit.
constexpr double kCropEnlargement = 1.0 / 0.9;

bool is_still_demuxer(const char* name) {
    const std::string n = name != nullptr ? name : "";
    return n == "image2" || n.ends_with("_pipe");
}

std::string megabytes(std::int64_t bytes) {
    return std::to_string((bytes + 999'999) / 1'000'000) + " MB";
}

}  // namespace

int reduction_factor(std::int64_t width, std::int64_t height, FitBox fit) {
    if (width <= 0 || height <= 0)
        return 1;
    const auto w = static_cast<double>(width);
    const auto h = static_cast<double>(height);
    const double upright = std::min(fit.width / w, fit.height / h);
    const double turned = std::min(fit.width / h, fit.height / w);
    const double shown = std::max(upright, turned) * kCropEnlargement;
    if (shown >= 0.5)
        return 1;
    return std::max(1, static_cast<int>(std::floor(1.0 / shown)));
}

int lowres_for(int factor) {
    int level = 0;
    while (level < 3 && (2 << level) <= factor)
        ++level;
    return level;
}

std::optional<JpegFrame> read_jpeg_frame(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> h(256 * 1024);
    in.read(reinterpret_cast<char*>(h.data()), static_cast<std::streamsize>(h.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n < 4 || h[0] != 0xFF || h[1] != 0xD8)
        return std::nullopt;
    std::size_t at = 2;
    while (at + 4 <= n) {
        if (h[at] != 0xFF)
            return std::nullopt;
        const unsigned marker = h[at + 1];
        if (marker == 0xFF) {
            ++at;
            continue;
        }
        const std::size_t length = (std::size_t{h[at + 2]} << 8) | h[at + 3];
        const bool sof =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (!sof) {
            at += 2 + length;
            continue;
        }
        if (at + 10 > n)
            return std::nullopt;
        JpegFrame f;
        f.height = (h[at + 5] << 8) | h[at + 6];
        f.width = (h[at + 7] << 8) | h[at + 8];
        const int components = h[at + 9];
        f.progressive = (marker & 0x3) == 0x2;  // SOF2, SOF6, SOF10, SOF14
        if (!f.progressive || at + 10 + 3 * static_cast<std::size_t>(components) > n)
            return f;
        int hmax = 1, vmax = 1;
        for (int c = 0; c < components; ++c) {
            const int factors = h[at + 11 + 3 * c];
            hmax = std::max(hmax, factors >> 4);
            vmax = std::max(vmax, factors & 0xF);
        }
        // As FFmpeg's mjpeg decoder sizes its coefficient planes: whole MCUs, 64 int16 a block.
        const std::int64_t mb_w = (f.width + 8 * hmax - 1) / (8 * hmax);
        const std::int64_t mb_h = (f.height + 8 * vmax - 1) / (8 * vmax);
        for (int c = 0; c < components; ++c) {
            const int factors = h[at + 11 + 3 * c];
            f.coefficient_bytes += mb_w * (factors >> 4) * mb_h * (factors & 0xF) * 64 * 2;
        }
        return f;
    }
    return std::nullopt;
}

std::optional<std::string> picture_memory_refusal(const std::filesystem::path& path,
                                                  const AVFormatContext* format, int stream_index) {
    if (format == nullptr || stream_index < 0 ||
        static_cast<unsigned>(stream_index) >= format->nb_streams) {
        return std::nullopt;
    }
    const AVCodecParameters* p = format->streams[stream_index]->codecpar;
    // As VideoSource and the probe tell the kinds apart: a GIF read by gif_pipe still moves.
    const bool animation = p->codec_id == AV_CODEC_ID_GIF || p->codec_id == AV_CODEC_ID_APNG;
    const bool still = is_still_demuxer(format->iformat->name) && !animation;
    const std::string size = std::to_string(p->width) + "x" + std::to_string(p->height);
    if (still && p->codec_id == AV_CODEC_ID_PNG && read_still_png_header(path))
        return std::nullopt;  // decoded row by row into a reduced picture
    if (still && p->codec_id == AV_CODEC_ID_MJPEG) {
        // Decoded at up to 1/8 per side (lowres), but a progressive JPEG's coefficients are
        // kept at full size until its last scan.
        const auto jpeg = read_jpeg_frame(path);
        if (jpeg && jpeg->coefficient_bytes > kPictureMemoryBudget) {
            return std::to_string(jpeg->width) + "x" + std::to_string(jpeg->height) +
                   " progressive JPEG would need " + megabytes(jpeg->coefficient_bytes) +
                   " to decode; the limit is " + megabytes(kPictureMemoryBudget);
        }
        return std::nullopt;
    }
    if (p->width <= 0 || p->height <= 0)
        return std::nullopt;  // refused elsewhere as unreadable
    const auto pix_fmt = static_cast<AVPixelFormat>(p->format);
    const char* pix_name = av_get_pix_fmt_name(pix_fmt);
    std::int64_t bytes =
        pix_name != nullptr ? av_image_get_buffer_size(pix_fmt, p->width, p->height, 1) : -1;
    if (bytes < 0) {
        bytes = std::int64_t{p->width} * p->height * 4;  // unknown: as RGBA, the usual worst
        pix_name = "unknown pixel format";
    }
    const std::string what = size + " " + avcodec_get_name(p->codec_id);
    if (still) {
        if (bytes <= kPictureMemoryBudget)
            return std::nullopt;
        return what + " picture (" + pix_name + ") would need " + megabytes(bytes) +
               " decoded; the limit is " + megabytes(kPictureMemoryBudget);
    }
    if (animation) {
        if (bytes <= kAnimationFrameBudget)
            return std::nullopt;
        return what + " animation (" + pix_name + ") would need " + megabytes(bytes) +
               " a frame decoded; the limit for animations is " + megabytes(kAnimationFrameBudget) +
               " a frame (2000x2000)";
    }
    if (bytes <= kVideoFrameBudget)
        return std::nullopt;
    return what + " video (" + pix_name + ") would need " + megabytes(bytes) +
           " a frame decoded; the limit for videos is " + megabytes(kVideoFrameBudget) +
           " a frame (2560x1440 at 8 bits)";
}

}  // namespace memegen::detail
