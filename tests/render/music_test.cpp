// Music is never silently lost: a track whose header claims more than it holds plays (and
// loops) the audio it really has, with a warning; a start beyond the real audio wraps into it;
// a short track loops under a long video; a track with no samples or only digital silence is a
// MediaError naming the file and the cause. Every render's sound is decoded and measured the
// way a viewer hears it: loud in every second, not only on average.

#include <doctest/doctest.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "media_probe.hpp"
#include "memegen/memegen.hpp"
#include "temp_dir.hpp"

using memegen::test::ffmpeg;
using memegen::test::read_all;
using memegen::test::TempDir;
using memegen::test::write_all;

namespace {

// Fixtures are made once per test binary, with the ffmpeg CLI, at run time.
struct Fixtures {
    TempDir dir{"memegen-music-fixtures"};
    std::filesystem::path still = dir / "still.png";
    // 60 s of a tone, cut to its first 50 kB: the header (Xing frame count) still says 60 s,
    // about 3 s decode.
    std::filesystem::path cut_mp3 = dir / "cut.mp3";
    std::filesystem::path short_mp3 = dir / "short.mp3";  // an honest 3 s tone
    std::filesystem::path empty_wav = dir / "empty.wav";  // a header and no samples
    std::filesystem::path cut_wav = dir / "cut-wav.wav";  // claims 10 s, holds no samples
    std::filesystem::path zeros_wav = dir / "zeros.wav";  // 5 s of digital silence
    std::filesystem::path zeros_mp3 = dir / "zeros.mp3";  // the same, encoded

    Fixtures() {
        ffmpeg("-f lavfi -i testsrc2=s=320x240 -frames:v 1 " + still.string());
        const auto long_mp3 = dir / "long.mp3";
        ffmpeg("-f lavfi -i sine=f=440:d=60 -c:a libmp3lame -b:a 128k " + long_mp3.string());
        write_all(cut_mp3, read_all(long_mp3).substr(0, 50'000));
        ffmpeg("-f lavfi -i sine=f=660:d=3 -c:a libmp3lame -b:a 128k " + short_mp3.string());
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 0 " + empty_wav.string());
        const auto ten_wav = dir / "ten.wav";
        ffmpeg("-f lavfi -i sine=f=440:d=10 " + ten_wav.string());
        const auto wav = read_all(ten_wav);
        write_all(cut_wav, wav.substr(0, wav.find("data") + 8));
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 5 " + zeros_wav.string());
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 5 -c:a libmp3lame " + zeros_mp3.string());
    }
};

const Fixtures& fixtures() {
    static const Fixtures f;
    return f;
}

// The first channel of `file`'s audio, decoded, and its rate.
struct Sound {
    std::vector<float> samples;
    int rate = 0;
    [[nodiscard]] double seconds() const {
        return rate > 0 ? static_cast<double>(samples.size()) / rate : 0;
    }
    // Root mean square of [from, from + length) seconds.
    [[nodiscard]] double rms(double from, double length) const {
        const auto a = static_cast<std::size_t>(std::max(0.0, from * rate));
        const auto b = std::min(samples.size(), static_cast<std::size_t>((from + length) * rate));
        if (b <= a)
            return 0;
        double sum = 0;
        for (std::size_t i = a; i < b; ++i)
            sum += static_cast<double>(samples[i]) * samples[i];
        return std::sqrt(sum / static_cast<double>(b - a));
    }
};

struct FormatCloser {
    void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); }
};
struct CodecFreer {
    void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); }
};
struct PacketFreer {
    void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct FrameFreer {
    void operator()(AVFrame* p) const noexcept { av_frame_free(&p); }
};

Sound decode_sound(const std::filesystem::path& file) {
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0)
        throw std::runtime_error("cannot open " + file.string());
    std::unique_ptr<AVFormatContext, FormatCloser> format(raw);
    avformat_find_stream_info(format.get(), nullptr);
    const AVCodec* codec = nullptr;
    const int stream = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream < 0)
        throw std::runtime_error("no audio in " + file.string());
    std::unique_ptr<AVCodecContext, CodecFreer> decoder(avcodec_alloc_context3(codec));
    avcodec_parameters_to_context(decoder.get(), format->streams[stream]->codecpar);
    if (avcodec_open2(decoder.get(), codec, nullptr) < 0)
        throw std::runtime_error("cannot decode the audio of " + file.string());
    std::unique_ptr<AVPacket, PacketFreer> packet(av_packet_alloc());
    std::unique_ptr<AVFrame, FrameFreer> frame(av_frame_alloc());
    Sound sound;
    sound.rate = decoder->sample_rate;
    bool draining = false;
    for (;;) {
        const int rc = avcodec_receive_frame(decoder.get(), frame.get());
        if (rc == 0) {
            // The renderer writes AAC, whose decoder gives planar or packed floats.
            const auto fmt = static_cast<AVSampleFormat>(frame->format);
            if (fmt != AV_SAMPLE_FMT_FLTP && fmt != AV_SAMPLE_FMT_FLT)
                throw std::runtime_error("audio of " + file.string() + " is not float");
            const int step = fmt == AV_SAMPLE_FMT_FLT ? frame->ch_layout.nb_channels : 1;
            const auto* data = reinterpret_cast<const float*>(frame->extended_data[0]);
            for (int i = 0; i < frame->nb_samples; ++i)
                sound.samples.push_back(data[i * step]);
            av_frame_unref(frame.get());
            continue;
        }
        if (rc == AVERROR_EOF || draining)
            break;
        if (av_read_frame(format.get(), packet.get()) < 0) {
            avcodec_send_packet(decoder.get(), nullptr);
            draining = true;
            continue;
        }
        if (packet->stream_index == stream)
            avcodec_send_packet(decoder.get(), packet.get());
        av_packet_unref(packet.get());
    }
    return sound;
}

// A tone from lavfi's sine source has an RMS near 0.088 (amplitude 1/8); digital silence 0,
// and an AAC encoder's noise floor far below 0.001.
constexpr double kAudible = 0.02;

// Checks what a viewer hears: sound in every 1 s window from 0.5 s to the start of the
// fade-out, and the length of the video.
void check_audible_throughout(const memegen::RenderResult& r, double fade_seconds) {
    REQUIRE(r.has_audio);
    CHECK(r.audio_source == "music");
    const Sound sound = decode_sound(r.output);
    CHECK(sound.seconds() == doctest::Approx(r.duration_seconds).epsilon(0.02));
    const double end = r.duration_seconds - fade_seconds;
    int windows = 0;
    for (double t = 0.5; t + 1.0 <= end + 1e-9; t += 0.5) {
        INFO("window from " << t << " s of " << r.output.filename().string());
        CHECK(sound.rms(t, 1.0) > kAudible);
        ++windows;
    }
    CHECK(windows >= 2);
}

memegen::RenderOptions ten_seconds_of(const std::filesystem::path& music) {
    memegen::RenderOptions o;
    o.size = {320, 568};
    o.duration_seconds = 10.0;
    o.effects = std::vector<memegen::Effect>{};  // no fade-in: sound from the first second
    o.music = music;
    o.audio = memegen::AudioMode::music;
    return o;
}

// The warnings the library logs while alive.
class WarningCapture {
  public:
    WarningCapture() {
        memegen::set_log_sink([this](memegen::LogLevel level, std::string_view line) {
            if (level < memegen::LogLevel::warning)
                return;
            const std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    ~WarningCapture() { memegen::set_log_sink({}); }
    WarningCapture(const WarningCapture&) = delete;
    WarningCapture& operator=(const WarningCapture&) = delete;

    // The first warning that contains `text` ("" if none).
    [[nodiscard]] std::string find(std::string_view text) const {
        const std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            if (line.find(text) != std::string::npos)
                return line;
        }
        return "";
    }

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// The message of the MediaError a render with `music` throws ("" if it does not throw), and
// that it left no output behind.
std::string render_refusal(const std::filesystem::path& music) {
    TempDir out;
    memegen::MemeRenderer renderer;
    std::string why;
    try {
        (void)renderer.render(fixtures().still, out / "m.mp4", ten_seconds_of(music));
    } catch (const memegen::MediaError& e) {
        why = e.what();
    }
    CHECK(memegen::test::entries(out.path()).empty());
    return why;
}

}  // namespace

TEST_CASE("a track whose header claims 60 s but holds 3 s plays its 3 s, looped, with a warning") {
    const auto& f = fixtures();
    TempDir out;
    memegen::MemeRenderer renderer;
    auto o = ten_seconds_of(f.cut_mp3);
    SUBCASE("from a start drawn from the seed") {
        for (const std::uint64_t seed : {1u, 2u, 3u}) {
            o.seed = seed;
            const WarningCapture warnings;
            const auto r = renderer.render(f.still, out / "seeded.mp4", o);
            check_audible_throughout(r, o.music_fade_seconds);
            const auto warning = warnings.find("truncated");
            INFO(warning);
            CHECK(warning.find("cut.mp3") != std::string::npos);
            CHECK(warning.find("where the header says 60.0 s") != std::string::npos);
            CHECK(warning.find("using the") != std::string::npos);
        }
    }
    SUBCASE("from a start inside the header's claim but beyond the real audio") {
        o.music_start_seconds = 45.0;
        check_audible_throughout(renderer.render(f.still, out / "late.mp4", o),
                                 o.music_fade_seconds);
    }
    SUBCASE("from a start inside the real audio") {
        o.music_start_seconds = 2.0;
        check_audible_throughout(renderer.render(f.still, out / "inside.mp4", o),
                                 o.music_fade_seconds);
    }
}

TEST_CASE("a 3 s track under a 10 s video loops and is heard throughout") {
    const auto& f = fixtures();
    TempDir out;
    memegen::MemeRenderer renderer;
    auto o = ten_seconds_of(f.short_mp3);
    SUBCASE("from the start") {
        o.music_start_seconds = 0.0;
    }
    SUBCASE("from the seed's start") {
        o.seed = 7;
    }
    SUBCASE("from a start beyond the end of the track, which wraps into it") {
        o.music_start_seconds = 100.0;
    }
    SUBCASE("from a start just before the end") {
        o.music_start_seconds = 2.95;
    }
    const WarningCapture warnings;
    const auto r = renderer.render(f.still, out / "loop.mp4", o);
    check_audible_throughout(r, o.music_fade_seconds);
    CHECK(warnings.find("truncated").empty());  // an honest header is not a warning
}

TEST_CASE("a track without sound is a MediaError naming the file and the cause") {
    const auto& f = fixtures();
    SUBCASE("a WAV with no samples") {
        const auto why = render_refusal(f.empty_wav);
        CHECK(why.find("empty.wav") != std::string::npos);
        CHECK(why.find("no audio") != std::string::npos);
    }
    SUBCASE("a WAV whose header claims 10 s and holds no samples") {
        const auto why = render_refusal(f.cut_wav);
        CHECK(why.find("cut-wav.wav") != std::string::npos);
        CHECK(why.find("no audio") != std::string::npos);
    }
    SUBCASE("a WAV of digital silence") {
        const auto why = render_refusal(f.zeros_wav);
        CHECK(why.find("zeros.wav") != std::string::npos);
        CHECK(why.find("silent") != std::string::npos);
    }
    SUBCASE("an MP3 of digital silence") {
        const auto why = render_refusal(f.zeros_mp3);
        CHECK(why.find("zeros.mp3") != std::string::npos);
        CHECK(why.find("silent") != std::string::npos);
    }
}
