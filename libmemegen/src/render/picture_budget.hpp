#pragma once
// How much of a picture the renderer decodes: a still larger than the output needs is reduced
// while decoding (PNG by libpng, JPEG by FFmpeg's lowres), and a picture that would still be
// too big decoded is refused up front — by the renderer and, through the same function, by the
// probe, so the probe never admits a file the renderer then refuses.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

struct AVFormatContext;

namespace memegen::detail {

/// Bytes one picture decoded at full size may take (on top of a render's ~130 MB at
/// 1080x1920, this keeps the whole process under 200 MB).
inline constexpr std::int64_t kPictureMemoryBudget = 64'000'000;

/// Bytes one decoded frame of an animation (GIF, APNG) may take. FFmpeg's GIF decoder keeps a
/// full-size BGRA canvas beside the frame it hands out, and the renderer holds two frames
/// (shown and next): about four frames at once. Measured at 1080x1920: a 2000x2000 GIF (16 MB
/// a frame) peaks at 165 MB, a 2400x2400 one (23 MB) at 208 MB.
inline constexpr std::int64_t kAnimationFrameBudget = 16'000'000;

/// Bytes one decoded frame of a video may take. A decoder keeps its reference and reordering
/// frames (an H.264 stream with B-frames: up to 8 at once, with the renderer's two), and none
/// of them can be decoded smaller without losing quality. Measured at 1080x1920, one decoder
/// thread: 2560x1440 H.264 with 4 references peaks at 178 MB with boomerang; 3840x2160 with
/// B-frames (12.4 MB a frame) at 235-250 MB.
inline constexpr std::int64_t kVideoFrameBudget = 8'000'000;

/// The output frame a still will be fitted into. The default, 1920x1920, covers the default
/// 1080x1920 frame in either orientation; renders to a larger frame pass theirs.
struct FitBox {
    int width = 1920;
    int height = 1920;
};

/// By how much per side a width x height still can be reduced (area-averaged) and still have
/// at least as many pixels as the compositor can show of it in `fit`, whichever way EXIF or a
/// display matrix turns it and with the crop effect's enlargement: 1 when no reduction fits.
/// The reduced picture is then at most twice the shown size per side.
[[nodiscard]] int reduction_factor(std::int64_t width, std::int64_t height, FitBox fit);

/// The FFmpeg lowres level (0-3: 1/1 to 1/8 per side) for a reduction factor.
[[nodiscard]] int lowres_for(int factor);

/// What a JPEG's start-of-frame segment says.
struct JpegFrame {
    int width = 0;
    int height = 0;
    bool progressive = false;
    /// Bytes FFmpeg's decoder keeps for a progressive JPEG's coefficients: two per sample of
    /// every component at full size, whatever the lowres (0 for a baseline JPEG).
    std::int64_t coefficient_bytes = 0;
};

/// The start-of-frame of the JPEG `path` (within its first 256 kB); nullopt for other files.
[[nodiscard]] std::optional<JpegFrame> read_jpeg_frame(const std::filesystem::path& path);

/// Why the renderer (and the probe) refuse to decode the picture stream `stream_index` of
/// `format` (opened from `path`, stream information read), or nullopt when it fits:
/// - a still that is not reduced while decoding and would take more than
///   kPictureMemoryBudget bytes decoded, e.g. "9000x5000 webp picture (argb) would need
///   180 MB decoded; the limit is 64 MB";
/// - an animation whose frame would take more than kAnimationFrameBudget, e.g. "4000x4000 gif
///   animation (bgra) would need 64 MB a frame decoded; the limit for animations is 16 MB a
///   frame (2000x2000)";
/// - a video whose frame would take more than kVideoFrameBudget, e.g. "3840x2160 h264 video
///   (yuv420p) would need 13 MB a frame decoded; the limit for videos is 8 MB a frame
///   (2560x1440 at 8 bits)".
[[nodiscard]] std::optional<std::string> picture_memory_refusal(const std::filesystem::path& path,
                                                                const AVFormatContext* format,
                                                                int stream_index);

}  // namespace memegen::detail
