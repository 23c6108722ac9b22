#pragma once
// Sound under the video: decodes a file's audio stream and resamples it to the output format
// (44.1 kHz stereo float planar), from a start offset, looping when asked.

#include <cstdint>
#include <filesystem>
#include <stop_token>

#include "av_ptr.hpp"

namespace memegen::detail {

inline constexpr int kSampleRate = 44100;
inline constexpr int kChannels = 2;

/// Streams the best audio stream of a file as 44.1 kHz stereo planar floats.
class AudioSource {
  public:
    /// Opens `path` and skips to `start_seconds`. `speed` > 1 plays faster (and higher), as the
    /// speed effect does to the pictures. Throws MediaError naming the file when it has no
    /// decodable audio.
    AudioSource(std::filesystem::path path, double start_seconds, bool loop, double speed = 1.0);

    /// Fills `count` samples per channel into `planes[0..1]`; past the end (without loop) the
    /// rest is silence. Returns how many samples were real sound.
    int read(float* const* planes, int count);

    /// Length of the stream in seconds (0 if unknown).
    [[nodiscard]] double duration_seconds() const noexcept { return duration_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    void open();
    bool decode_more();
    [[noreturn]] void fail(const std::string& reason) const;

    std::filesystem::path path_;
    double start_seconds_;
    bool loop_;
    double speed_;
    FormatInputPtr format_;
    CodecContextPtr decoder_;
    SwrPtr resampler_;
    AudioFifoPtr fifo_;
    PacketPtr packet_;
    FramePtr frame_;
    int stream_index_ = -1;
    double duration_ = 0;
    std::int64_t skip_samples_ = 0;  // output samples still to drop to reach the start offset
    bool ended_ = false;
    bool draining_ = false;
    std::int64_t produced_this_pass_ = 0;
};

}  // namespace memegen::detail
