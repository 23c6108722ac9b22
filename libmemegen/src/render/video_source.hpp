#pragma once
// The meme's pictures: demuxes and decodes one video stream (still image, GIF or video), one
// frame at a time, and can start again from the beginning to loop.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "av_ptr.hpp"
#include "picture_budget.hpp"
#include "png_reader.hpp"

namespace memegen::detail {

/// What the input is, which decides its length rules.
enum class MediaKind { still, animation, video };

/// Decodes the best video stream of a file. Throws MediaError (naming the file) on anything
/// unreadable: missing, empty, not media, no video, unknown codec, too many pixels, truncated,
/// or a picture, animation frame or video frame too big to decode within its budget
/// (picture_memory_refusal, which the probe applies too).
class VideoSource {
  public:
    /// A still much larger than `fit` needs is reduced while decoding (see FitBox). With
    /// `frame_threads`, a clip up to 1080p decodes on two frame threads (see open()); without,
    /// on the caller's thread alone (a look at a few pictures: no threads to start and end).
    VideoSource(std::filesystem::path path, std::int64_t max_pixels, FitBox fit = {},
                bool frame_threads = false);

    /// The next decoded frame (owned by the source, valid until the next call), or nullptr at
    /// the end of the stream. Its time in seconds since the stream start is `frame_seconds()`.
    /// A large still comes reduced: its frame may be smaller than width() x height() (same
    /// aspect, to a pixel), in any pixel format swscale reads (RGB24/RGBA for a PNG).
    AVFrame* next_frame();
    /// Presentation time of the frame last returned, in seconds from the stream's start.
    [[nodiscard]] double frame_seconds() const noexcept { return frame_seconds_; }
    /// Starts again from the first frame (reopens the file: works for every demuxer, GIF too).
    void rewind();
    /// While true, pictures no other picture refers to (most B-frames) are not decoded: for
    /// skipping ahead to a time without paying for every picture on the way.
    void skip_unreferenced(bool skip) noexcept;
    /// Length found by reading every packet (no decoding) when the header gives none; then
    /// starts again from the beginning.
    double scan_duration();

    [[nodiscard]] MediaKind kind() const noexcept { return kind_; }
    /// Length in seconds as far as the container says (0 for a still; may be an estimate).
    [[nodiscard]] double duration_seconds() const noexcept { return duration_; }
    /// Frame rate of the stream (0 if unknown).
    [[nodiscard]] double frame_rate() const noexcept { return frame_rate_; }
    /// Clockwise rotation to apply for display: 0, 90, 180 or 270.
    [[nodiscard]] int rotation() const noexcept { return rotation_; }
    /// Whether the picture is to be mirrored left to right before that rotation (a JPEG's EXIF
    /// orientations 2, 4, 5 and 7).
    [[nodiscard]] bool flipped() const noexcept { return flip_; }
    /// Width and height of the picture in the file (before rotation), even when its frames
    /// come reduced.
    [[nodiscard]] int width() const noexcept { return width_; }
    [[nodiscard]] int height() const noexcept { return height_; }
    /// Whether the file also has an audio stream.
    [[nodiscard]] bool has_audio() const noexcept { return has_audio_; }
    /// Frames decoded so far, over every pass.
    [[nodiscard]] std::int64_t frames_decoded() const noexcept { return frames_decoded_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    void open();
    void open_png();
    [[noreturn]] void fail(const std::string& reason) const;
    void check_pixels(std::int64_t width, std::int64_t height) const;
    AVFrame* decode_next();
    void read_exif_orientation();

    std::filesystem::path path_;
    std::int64_t max_pixels_;
    FitBox fit_;
    bool frame_threads_;
    std::optional<PngHeader> png_;  // a still PNG: decoded by libpng into still_
    FramePtr still_;
    int lowres_ = 0;
    FormatInputPtr format_;
    CodecContextPtr decoder_;
    PacketPtr packet_;
    FramePtr frame_;
    int stream_index_ = -1;
    AVRational time_base_{1, 1};
    std::int64_t start_pts_ = 0;
    MediaKind kind_ = MediaKind::video;
    double duration_ = 0;
    double frame_rate_ = 0;
    int rotation_ = 0;
    bool flip_ = false;
    bool pending_ = false;  // frame_ holds a still decoded early, not yet handed out
    int width_ = 0;
    int height_ = 0;
    bool has_audio_ = false;
    bool draining_ = false;
    bool finished_ = false;
    std::int64_t frames_decoded_ = 0;
    std::int64_t frames_this_pass_ = 0;
    double frame_seconds_ = 0;
    double last_seconds_ = -1;
};

}  // namespace memegen::detail
