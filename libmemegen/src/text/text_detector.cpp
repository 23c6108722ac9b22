// detect_text(): Tesseract's layout analysis (page segmentation only: no language data, no
// recognition) on four ink masks of each sampled picture.
//
// Why Tesseract: it is Debian's well-kept text detector (libtesseract 5.3), its layout analysis
// alone costs tens of milliseconds at 720 px, and the same engine's CLI is the tests' eye. Its
// own binarisation (Otsu on grey) loses the classic meme lettering — white fill, black outline
// over a busy picture — so each picture is analysed as masks: near-white pixels as ink (the
// fill), near-black pixels (outlines, black text on a light band), bright ones (yellow subtitle
// lettering) and vivid ones (red, blue, ... lettering). A line found in any counts. OpenCV's
// EAST/DB detectors would need model weights that Debian does not ship.

#include "memegen/text_detect.hpp"

#include <tesseract/baseapi.h>
#include <tesseract/publictypes.h>

extern "C" {
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "../render/av_ptr.hpp"
#include "../render/frame_sampler.hpp"
#include "../render/orientation.hpp"
#include "../render/video_source.hpp"
#include "memegen/error.hpp"

namespace memegen {
namespace {

constexpr int kWhiteInk = 190;      // min(R,G,B) at or above: the white fill of meme lettering
constexpr int kBlackInk = 70;       // max(R,G,B) at or below: outlines and black text
constexpr int kBrightInk = 200;     // luma at or above: yellow (subtitle-style) or cyan lettering
constexpr int kVividSpread = 140;   // max-min of R,G,B at or above, with max >= kVividMax:
constexpr int kVividMax = 200;      // saturated red, green, blue or magenta lettering
constexpr int kMinLinePixels = 10;  // at analysis size: smaller is not read in a video
constexpr double kMinLineAspect = 1.5;  // width / height: a text line is wider than tall
constexpr double kMaxLineHeight = 0.4;  // of the picture: taller "lines" are shapes

struct Rgb {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels;  // packed RGB24, no padding
};

// The picture at analysis size, as the viewer sees it: EXIF mirror, then the clockwise turn
// (the order Compositor::prepare applies them).
Rgb upright_rgb(const AVFrame* frame, int rotation, bool flip, int analysis_side) {
    const bool sideways = rotation == 90 || rotation == 270;
    const double longer = std::max(frame->width, frame->height);
    const double scale = std::min(1.0, analysis_side / longer);
    const int w = std::max(16, static_cast<int>(std::lround(frame->width * scale)));
    const int h = std::max(16, static_cast<int>(std::lround(frame->height * scale)));
    detail::SwsPtr sws(sws_getContext(frame->width, frame->height,
                                      static_cast<AVPixelFormat>(frame->format), w, h,
                                      AV_PIX_FMT_RGB24, SWS_AREA, nullptr, nullptr, nullptr));
    if (!sws)
        throw MediaError("text detection: cannot convert pictures of this pixel format");
    // swscale's SIMD writes whole vectors: rows aligned to 32 bytes and a tail of slack.
    const int stride = (w * 3 + 31) / 32 * 32;
    std::vector<std::uint8_t> stored(static_cast<std::size_t>(stride) * h + 64);
    std::uint8_t* dst[4] = {stored.data(), nullptr, nullptr, nullptr};
    int dst_stride[4] = {stride, 0, 0, 0};
    sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, dst_stride);

    Rgb out;
    out.width = sideways ? h : w;
    out.height = sideways ? w : h;
    out.pixels.resize(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
        for (int x0 = 0; x0 < w; ++x0) {
            const int x = flip ? w - 1 - x0 : x0;
            const auto [dx, dy] = detail::turned(x, y, w, h, rotation);
            const std::uint8_t* s = stored.data() + static_cast<std::size_t>(y) * stride +
                                    static_cast<std::size_t>(x0) * 3;
            std::uint8_t* d =
                out.pixels.data() + (static_cast<std::size_t>(dy) * out.width + dx) * 3;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    return out;
}

// Which pixels count as ink in one of the masks a picture is analysed as.
enum class Ink { white, black, bright, vivid };
constexpr Ink kInks[] = {Ink::white, Ink::black, Ink::bright, Ink::vivid};

// Black ink on white paper, as Tesseract expects.
std::vector<std::uint8_t> ink_mask(const Rgb& picture, Ink ink) {
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(picture.width) * picture.height);
    const std::uint8_t* p = picture.pixels.data();
    for (std::size_t i = 0; i < mask.size(); ++i, p += 3) {
        const int lo = std::min({p[0], p[1], p[2]});
        const int hi = std::max({p[0], p[1], p[2]});
        bool is_ink = false;
        switch (ink) {
            case Ink::white:
                is_ink = lo >= kWhiteInk;
                break;
            case Ink::black:
                is_ink = hi <= kBlackInk;
                break;
            case Ink::bright:
                is_ink = (299 * p[0] + 587 * p[1] + 114 * p[2]) / 1000 >= kBrightInk;
                break;
            case Ink::vivid:
                is_ink = hi - lo >= kVividSpread && hi >= kVividMax;
                break;
        }
        mask[i] = is_ink ? 0 : 255;
    }
    return mask;
}

void add_lines(tesseract::TessBaseAPI& api, const std::vector<std::uint8_t>& mask, int width,
               int height, std::vector<TextBox>& lines) {
    api.SetImage(mask.data(), width, height, 1, width);
    // Without a resolution Tesseract estimates one and says so on stderr; the value only
    // tunes size thresholds, and 70 dpi suits screen pictures.
    api.SetSourceResolution(70);
    std::unique_ptr<tesseract::PageIterator> it(api.AnalyseLayout());
    if (!it)
        return;
    do {
        if (!PTIsTextType(it->BlockType()))
            continue;
        int left = 0, top = 0, right = 0, bottom = 0;
        if (!it->BoundingBox(tesseract::RIL_TEXTLINE, &left, &top, &right, &bottom))
            continue;
        const int w = right - left, h = bottom - top;
        if (h < kMinLinePixels || w < h * kMinLineAspect || h > height * kMaxLineHeight)
            continue;
        lines.push_back(TextBox{left, top, w, h});
    } while (it->Next(tesseract::RIL_TEXTLINE));
}

bool overlaps(const TextBox& a, const TextBox& b) {
    return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
           b.y < a.y + a.height;
}

// Lines found in both masks, or in several frames, become one box each.
std::vector<TextBox> merged(std::vector<TextBox> boxes) {
    for (bool again = true; again;) {
        again = false;
        for (std::size_t i = 0; i < boxes.size() && !again; ++i) {
            for (std::size_t j = i + 1; j < boxes.size(); ++j) {
                if (!overlaps(boxes[i], boxes[j]))
                    continue;
                const TextBox& a = boxes[i];
                const TextBox& b = boxes[j];
                const int x = std::min(a.x, b.x), y = std::min(a.y, b.y);
                const int r = std::max(a.x + a.width, b.x + b.width);
                const int bottom = std::max(a.y + a.height, b.y + b.height);
                boxes[i] = TextBox{x, y, r - x, bottom - y};
                boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(j));
                again = true;
                break;
            }
        }
    }
    std::sort(boxes.begin(), boxes.end(), [](const TextBox& a, const TextBox& b) {
        return std::pair(a.y, a.x) < std::pair(b.y, b.x);
    });
    return boxes;
}

}  // namespace

TextLayout detect_text(const std::filesystem::path& media, const TextDetectOptions& options) {
    if (options.max_frames < 1 || options.max_frames > 16)
        throw MediaError("text detection: max_frames " + std::to_string(options.max_frames) +
                         " is outside 1-16");
    if (options.analysis_side < 64 || options.analysis_side > 4096)
        throw MediaError("text detection: analysis_side " + std::to_string(options.analysis_side) +
                         " is outside 64-4096");
    // As MemeRenderer does: FFmpeg's notices stay off stderr unless the application set a level.
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_ERROR);
    detail::VideoSource source(media, options.max_pixels);
    const bool sideways = source.rotation() == 90 || source.rotation() == 270;

    // Sampled: the middle of each of max_frames spans of a clip's first seconds.
    const std::vector<double> times = detail::sample_times(source, options.max_frames, false);

    tesseract::TessBaseAPI api;
    // Layout analysis only: needs no traineddata, so no language package at run time.
    api.InitForAnalysePage();
    // Tesseract reports its estimates ("Estimating resolution as 259") through tprintf, which
    // writes to stderr unless given a debug file: a library keeps stderr quiet.
    api.SetVariable("debug_file", "/dev/null");
    api.SetPageSegMode(tesseract::PSM_AUTO);

    TextLayout layout;
    layout.width = sideways ? source.height() : source.width();
    layout.height = sideways ? source.width() : source.height();
    std::vector<TextBox> boxes;
    detail::for_each_sample(source, times, [&](const AVFrame& frame) {
        const Rgb picture =
            upright_rgb(&frame, source.rotation(), source.flipped(), options.analysis_side);
        std::vector<TextBox> lines;
        for (const Ink ink : kInks)
            add_lines(api, ink_mask(picture, ink), picture.width, picture.height, lines);
        const double sx = static_cast<double>(layout.width) / picture.width;
        const double sy = static_cast<double>(layout.height) / picture.height;
        for (const TextBox& b : lines) {
            boxes.push_back(TextBox{static_cast<int>(std::floor(b.x * sx)),
                                    static_cast<int>(std::floor(b.y * sy)),
                                    static_cast<int>(std::ceil(b.width * sx)),
                                    static_cast<int>(std::ceil(b.height * sy))});
        }
        ++layout.frames_analysed;
    });
    api.End();
    layout.boxes = merged(std::move(boxes));
    return layout;
}

}  // namespace memegen
