#pragma once
// The MP4 being written: an x264 video encoder, an AAC encoder and the mp4 muxer with
// +faststart, all bit-exact so one seed gives one byte sequence.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "av_ptr.hpp"

namespace memegen::detail {

/// x264 and AAC settings of one output.
/// True for x264's presets from medium on, which spend far more time a frame: the encoder
/// keeps one B-frame there, and the decoder may run ahead on its own threads.
[[nodiscard]] bool is_slow_preset(std::string_view preset) noexcept;

struct EncoderSettings {
    int width = 0;
    int height = 0;
    int fps = 24;
    int crf = 23;
    std::string preset = "veryfast";
    int threads = 2;
    std::int64_t max_video_bitrate = 0;  ///< bits/s; 0: plain CRF
    int audio_bitrate = 128000;
};

/// Encodes and muxes into `file`. Throws SystemError (naming `display_name`, the final output)
/// when the file cannot be created or written, MediaError for impossible settings.
class OutputFile {
  public:
    OutputFile(std::filesystem::path file, std::filesystem::path display_name,
               const EncoderSettings& settings);

    /// Encodes one picture (yuv420p, output size); its pts counts frames from 0.
    void write_video(const AVFrame* frame);
    /// Encodes one block of 44.1 kHz stereo planar float audio; pts counts samples from 0.
    void write_audio(const AVFrame* frame);
    /// The audio half of write_audio without the muxing, for a thread of its own: encodes one
    /// block (nullptr: flushes the encoder) and appends the packets that came out to `packets`.
    /// Only one thread may encode audio; the muxer is not touched.
    void encode_audio(const AVFrame* frame, std::vector<PacketPtr>& packets);
    /// Muxes one packet from encode_audio (on the thread that writes video and finishes).
    void mux_audio(AVPacket* packet);
    /// finish() for a file whose audio was flushed through encode_audio: flushes the video
    /// encoder, muxes `audio_tail` (encode_audio's packets of the flush), writes the trailer.
    void finish(std::vector<PacketPtr>& audio_tail);
    /// Samples per AAC frame (1024).
    [[nodiscard]] int audio_frame_size() const noexcept { return audio_->frame_size; }
    /// Flushes both encoders, writes the trailer (moving the index to the front) and closes
    /// the file; throws on any failure. Must be called for the file to be valid.
    void finish();

  private:
    void drain(AVCodecContext* encoder, AVStream* stream);
    void send(AVCodecContext* encoder, AVStream* stream, const AVFrame* frame);
    [[noreturn]] void fail_write(const char* step, int rc) const;
    void write_trailer();

    std::filesystem::path file_;
    std::filesystem::path display_name_;
    FormatOutputPtr format_;
    CodecContextPtr video_;
    CodecContextPtr audio_;
    AVStream* video_stream_ = nullptr;
    AVStream* audio_stream_ = nullptr;
    PacketPtr packet_;
    bool finished_ = false;
};

/// Writes `frame` (yuv420p) as a JPEG whose longest side is at most `max_side` pixels.
/// Throws SystemError naming `display_name` when the file cannot be written.
void write_jpeg_thumbnail(const AVFrame* frame, int max_side, const std::filesystem::path& file,
                          const std::filesystem::path& display_name);

}  // namespace memegen::detail
