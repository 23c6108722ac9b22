#pragma once
// Sound under the video: decodes a file's audio stream and resamples it to the output format
// (44.1 kHz stereo float planar), from a start offset, looping when asked.
//
// A header's length is a claim, not a fact: a cut MP3 keeps saying "60 s" with 3 s left, a WAV
// may hold no samples at all. Music is therefore measured by decoding it once (0.15-0.2 s of
// CPU for a 3-minute MP3, less than the ffmpeg CLI takes to decode it, next to a render of
// many seconds), and what plays is what decoded.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>

#include "av_ptr.hpp"

namespace memegen::detail {

inline constexpr int kSampleRate = 44100;
inline constexpr int kChannels = 2;

/// What decoding a file's whole audio stream found.
struct AudioMeasure {
    std::int64_t samples = 0;   ///< samples per channel (decoded, or counted from packets)
    int sample_rate = 0;        ///< of the decoded stream
    double header_seconds = 0;  ///< the length the container claims (0 if it claims none)
    bool sound = false;         ///< some sample is louder than digital silence

    /// The decoded length in seconds.
    [[nodiscard]] double seconds() const noexcept {
        return sample_rate > 0 ? static_cast<double>(samples) / sample_rate : 0.0;
    }
    /// Why the stream cannot be music ("no audio: ...", "silent: ..."); nullopt if it can.
    [[nodiscard]] std::optional<std::string> refusal() const;
    /// "truncated: 3.1 s of audio where the header says 60.0 s" when far less decoded than the
    /// header claims (under 90 % of it and more than 1 s short); nullopt otherwise.
    [[nodiscard]] std::optional<std::string> truncation() const;
};

/// Decodes the best audio stream of the opened `format` from its current position to the end,
/// counting samples and looking for sound. Damaged packets are skipped, as playback skips
/// them; a read error ends the stream (what decoded stands). Throws MediaError naming `path`
/// when no audio decoder can be opened.
AudioMeasure measure_audio(AVFormatContext* format, int stream_index,
                           const std::filesystem::path& path);

/// What a source is used for, which decides how a stream without sound is treated.
enum class AudioUse {
    /// A music track: measured by decoding once; no samples or only digital silence is a
    /// MediaError, a header claiming far more than decodes is logged as a warning and the real
    /// audio is used (and looped).
    music,
    /// The meme's own sound: not measured (a long video's audio would be read to its end for
    /// nothing), and a stream that yields nothing is silence, not an error.
    own_sound,
};

/// Streams the best audio stream of a file as 44.1 kHz stereo planar floats.
class AudioSource {
  public:
    /// Opens `path` and skips to `start_seconds` (wrapped into the real audio when beyond its
    /// end). `speed` > 1 plays faster (and higher), as the speed effect does to the pictures.
    /// Throws MediaError naming the file and the cause when it has no decodable audio, and for
    /// music when it decodes to no samples or to digital silence only.
    AudioSource(std::filesystem::path path, double start_seconds, bool loop, double speed = 1.0,
                AudioUse use = AudioUse::music);

    /// Plays from `start_seconds` (wrapped like the constructor's) without measuring again:
    /// how a caller that needed duration_seconds() to choose the start should set it.
    void restart_at(double start_seconds);

    /// Fills `count` samples per channel into `planes[0..1]`; past the end (without loop) the
    /// rest is silence. While looping, music always fills all `count` samples with real sound;
    /// if a replay of the file yields nothing (it changed under us), throws MediaError.
    /// Returns how many samples were real sound.
    int read(float* const* planes, int count);

    /// Length of the audio in seconds: decoded for music, the header's claim for own sound
    /// (0 if unknown).
    [[nodiscard]] double duration_seconds() const noexcept {
        return measure_ ? measure_->seconds() : header_seconds_;
    }
    /// The length the file's header claims (0 if it claims none).
    [[nodiscard]] double header_seconds() const noexcept { return header_seconds_; }
    /// What decoding the whole stream found (music only).
    [[nodiscard]] const std::optional<AudioMeasure>& measure() const noexcept { return measure_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    void open();
    bool decode_more();
    double wrapped(double start_seconds) const;
    [[noreturn]] void fail(const std::string& reason) const;

    std::filesystem::path path_;
    double start_seconds_;
    bool loop_;
    double speed_;
    AudioUse use_;
    FormatInputPtr format_;
    CodecContextPtr decoder_;
    SwrPtr resampler_;
    AudioFifoPtr fifo_;
    PacketPtr packet_;
    FramePtr frame_;
    int stream_index_ = -1;
    double header_seconds_ = 0;
    std::optional<AudioMeasure> measure_;
    bool seekable_ = true;           // false when the header lies: its seek table would too
    std::int64_t skip_samples_ = 0;  // output samples still to drop to reach the start offset
    bool ended_ = false;
    bool draining_ = false;
    std::int64_t produced_this_pass_ = 0;
};

}  // namespace memegen::detail
