#include "audio_source.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/samplefmt.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "memegen/error.hpp"
#include "memegen/log.hpp"

namespace memegen::detail {
namespace {

// Louder than this (one step of 16-bit audio) is sound; codecs decode digital silence to exact
// zeros, so anything above it was put there on purpose.
constexpr double kSilence = 1.0 / 32768;

template <typename T>
bool any_above(const std::uint8_t* data, int count, double threshold, double centre = 0) {
    const auto* samples = reinterpret_cast<const T*>(data);
    for (int i = 0; i < count; ++i) {
        if (std::abs(static_cast<double>(samples[i]) - centre) > threshold)
            return true;
    }
    return false;
}

// Whether any sample of a decoded frame, in whatever format its decoder chose, is sound.
bool has_sound(const AVFrame* frame) {
    const auto format = static_cast<AVSampleFormat>(frame->format);
    const bool planar = av_sample_fmt_is_planar(format) != 0;
    const int channels = std::max(1, frame->ch_layout.nb_channels);
    const int planes = planar ? channels : 1;
    const int count = planar ? frame->nb_samples : frame->nb_samples * channels;
    for (int p = 0; p < planes; ++p) {
        const std::uint8_t* data = frame->extended_data[p];
        bool loud = false;
        switch (av_get_packed_sample_fmt(format)) {
            case AV_SAMPLE_FMT_U8:
                loud = any_above<std::uint8_t>(data, count, 0, 128);
                break;
            case AV_SAMPLE_FMT_S16:
                loud = any_above<std::int16_t>(data, count, kSilence * 32768);
                break;
            case AV_SAMPLE_FMT_S32:
                loud = any_above<std::int32_t>(data, count, kSilence * 2147483648.0);
                break;
            case AV_SAMPLE_FMT_S64:
                loud = any_above<std::int64_t>(data, count, kSilence * 9223372036854775808.0);
                break;
            case AV_SAMPLE_FMT_FLT:
                loud = any_above<float>(data, count, kSilence);
                break;
            case AV_SAMPLE_FMT_DBL:
                loud = any_above<double>(data, count, kSilence);
                break;
            default:
                loud = true;  // an unknown format: not ours to call silent
                break;
        }
        if (loud)
            return true;
    }
    return false;
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", seconds);
    return text;
}

double claimed_seconds(const AVFormatContext* format, int stream_index) {
    const AVStream* stream = format->streams[stream_index];
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0)
        return static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    if (format->duration != AV_NOPTS_VALUE && format->duration > 0)
        return static_cast<double>(format->duration) / AV_TIME_BASE;
    return 0;
}

[[noreturn]] void fail_for(const std::filesystem::path& path, const std::string& reason) {
    throw MediaError("'" + path.string() + "': " + reason);
}

CodecContextPtr open_decoder(const AVFormatContext* format, int stream_index,
                             const std::filesystem::path& path) {
    const AVStream* stream = format->streams[stream_index];
    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (codec == nullptr)
        fail_for(path, "contains no decodable audio stream");
    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar); rc < 0) {
        fail_for(path, "bad audio parameters (" + av_error_text(rc) + ")");
    }
    decoder->pkt_timebase = stream->time_base;
    if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0) {
        fail_for(path, std::string("cannot open the '") + codec->name + "' decoder (" +
                           av_error_text(rc) + ")");
    }
    if (decoder->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_default(&decoder->ch_layout, decoder->ch_layout.nb_channels);
    }
    return decoder;
}

}  // namespace

std::optional<std::string> AudioMeasure::refusal() const {
    if (samples <= 0) {
        return "no audio: not one sample decodes from it" +
               (header_seconds > 0 ? " (its header claims " + seconds_text(header_seconds) + ")"
                                   : std::string());
    }
    if (!sound)
        return "silent: its " + seconds_text(seconds()) + " of audio are all digital silence";
    return std::nullopt;
}

std::optional<std::string> AudioMeasure::truncation() const {
    const double real = seconds();
    if (header_seconds > 0 && real < 0.9 * header_seconds && header_seconds - real > 1.0) {
        return "truncated: " + seconds_text(real) + " of audio where the header says " +
               seconds_text(header_seconds);
    }
    return std::nullopt;
}

AudioMeasure measure_audio(AVFormatContext* format, int stream_index,
                           const std::filesystem::path& path) {
    AudioMeasure measure;
    measure.header_seconds = claimed_seconds(format, stream_index);
    const AVRational time_base = format->streams[stream_index]->time_base;
    CodecContextPtr decoder = open_decoder(format, stream_index, path);
    measure.sample_rate = decoder->sample_rate;
    PacketPtr packet = make_packet();
    FramePtr frame = make_frame();
    bool draining = false;
    // Decoded until the first sound; from there on a packet that states its duration is counted
    // without decoding it (a 60 s MP3: 10 ms instead of 120 ms, and every render measures its
    // music before the first frame). The count is the same: a truncated file lacks the packets.
    std::int64_t counted_ticks = 0;
    for (;;) {
        const int rc = avcodec_receive_frame(decoder.get(), frame.get());
        if (rc == 0) {
            measure.samples += frame->nb_samples;
            if (!measure.sound)
                measure.sound = has_sound(frame.get());
            av_frame_unref(frame.get());
            continue;
        }
        if (rc != AVERROR(EAGAIN) || draining)
            break;  // the end, or a decoder that gave up: what decoded stands
        if (av_read_frame(format, packet.get()) < 0) {
            draining = true;
            avcodec_send_packet(decoder.get(), nullptr);
            continue;
        }
        if (packet->stream_index == stream_index) {
            if (measure.sound && packet->duration > 0)
                counted_ticks += packet->duration;
            else
                avcodec_send_packet(decoder.get(), packet.get());  // a damaged packet is skipped
        }
        av_packet_unref(packet.get());
    }
    // The decoder's rate can differ from the header's (HE-AAC doubles it): count in its own.
    if (decoder->sample_rate > 0) {
        measure.sample_rate = decoder->sample_rate;
        measure.samples +=
            av_rescale_q(counted_ticks, time_base, AVRational{1, measure.sample_rate});
    }
    return measure;
}

AudioSource::AudioSource(std::filesystem::path path, double start_seconds, bool loop, double speed,
                         AudioUse use)
    : path_(std::move(path)), start_seconds_(0), loop_(loop), speed_(speed), use_(use) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec))
        fail("file not found");
    if (std::filesystem::file_size(path_, ec) == 0)
        fail("file is empty (0 bytes)");
    packet_ = make_packet();
    frame_ = make_frame();
    fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, kChannels, 4096));
    if (!fifo_)
        throw std::bad_alloc();
    if (use_ == AudioUse::music) {
        open();
        measure_ = measure_audio(format_.get(), stream_index_, path_);
        if (const auto why = measure_->refusal())
            fail(*why);
        if (const auto cut = measure_->truncation()) {
            // A header that lies about the length lies in its seek table too: the start is
            // reached by decoding from the beginning instead.
            seekable_ = false;
            log_warning("'{}': {}; using the {}", path_.string(), *cut,
                        seconds_text(measure_->seconds()));
        }
    }
    restart_at(start_seconds);
}

double AudioSource::wrapped(double start_seconds) const {
    start_seconds = std::max(0.0, start_seconds);
    const double length = measure_ ? measure_->seconds() : 0.0;
    if (length > 0 && start_seconds >= length)
        start_seconds = std::fmod(start_seconds, length);
    return start_seconds;
}

void AudioSource::restart_at(double start_seconds) {
    start_seconds_ = wrapped(start_seconds);
    av_audio_fifo_reset(fifo_.get());
    open();
}

void AudioSource::fail(const std::string& reason) const {
    fail_for(path_, reason);
}

void AudioSource::open() {
    resampler_.reset();
    decoder_.reset();
    format_.reset();
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr); rc < 0) {
        fail("not a readable audio file (" + av_error_text(rc) + ")");
    }
    format_.reset(raw);
    if (int rc = avformat_find_stream_info(format_.get(), nullptr); rc < 0) {
        fail("cannot read stream information (" + av_error_text(rc) + ")");
    }
    const AVCodec* codec = nullptr;
    stream_index_ = av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (stream_index_ < 0 || codec == nullptr)
        fail("contains no decodable audio stream");
    header_seconds_ = claimed_seconds(format_.get(), stream_index_);
    decoder_ = open_decoder(format_.get(), stream_index_, path_);
    // Declaring the input rate `speed` times higher resamples it into fewer (or more) samples:
    // the sound plays faster (or slower) exactly as the pictures do.
    const int in_rate = static_cast<int>(std::lround(decoder_->sample_rate * speed_));
    AVChannelLayout out_layout = AV_CHANNEL_LAYOUT_STEREO;
    SwrContext* swr = nullptr;
    if (int rc =
            swr_alloc_set_opts2(&swr, &out_layout, AV_SAMPLE_FMT_FLTP, kSampleRate,
                                &decoder_->ch_layout, decoder_->sample_fmt, in_rate, 0, nullptr);
        rc < 0) {
        fail("cannot convert its audio format (" + av_error_text(rc) + ")");
    }
    resampler_.reset(swr);
    if (int rc = swr_init(resampler_.get()); rc < 0) {
        fail("cannot convert its audio format (" + av_error_text(rc) + ")");
    }
    if (start_seconds_ > 0) {
        const auto ts = static_cast<std::int64_t>(start_seconds_ * AV_TIME_BASE);
        // Seek lands on a packet at or before the start; the rest is dropped sample-exactly.
        if (seekable_ && av_seek_frame(format_.get(), -1, ts, AVSEEK_FLAG_BACKWARD) < 0) {
            av_seek_frame(format_.get(), -1, 0, AVSEEK_FLAG_BACKWARD);
        }
        skip_samples_ = -1;  // computed from the first decoded frame's time
    } else {
        skip_samples_ = 0;
    }
    ended_ = false;
    draining_ = false;
    produced_this_pass_ = 0;
}

// Decodes one more frame into the FIFO; false at the end of the stream.
bool AudioSource::decode_more() {
    for (;;) {
        const int rc = avcodec_receive_frame(decoder_.get(), frame_.get());
        if (rc == 0) {
            const AVStream* stream = format_->streams[stream_index_];
            if (skip_samples_ < 0) {
                double t = 0;
                if (frame_->best_effort_timestamp != AV_NOPTS_VALUE) {
                    const std::int64_t start =
                        stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
                    t = static_cast<double>(frame_->best_effort_timestamp - start) *
                        av_q2d(stream->time_base);
                }
                skip_samples_ = std::max<std::int64_t>(
                    0, std::llround((start_seconds_ - t) / speed_ * kSampleRate));
            }
            const int max_out = swr_get_out_samples(resampler_.get(), frame_->nb_samples);
            const int have = av_audio_fifo_size(fifo_.get());
            if (av_audio_fifo_realloc(fifo_.get(), have + max_out) < 0)
                throw std::bad_alloc();
            FramePtr converted = make_frame();
            converted->format = AV_SAMPLE_FMT_FLTP;
            converted->ch_layout = AV_CHANNEL_LAYOUT_STEREO;
            converted->sample_rate = kSampleRate;
            converted->nb_samples = max_out;
            if (av_frame_get_buffer(converted.get(), 0) < 0)
                throw std::bad_alloc();
            const int got =
                swr_convert(resampler_.get(), converted->data, max_out,
                            const_cast<const uint8_t**>(frame_->extended_data), frame_->nb_samples);
            av_frame_unref(frame_.get());
            if (got < 0)
                fail("audio conversion failed (" + av_error_text(got) + ")");
            int offset = 0;
            if (skip_samples_ > 0) {
                offset = static_cast<int>(std::min<std::int64_t>(skip_samples_, got));
                skip_samples_ -= offset;
            }
            if (got > offset) {
                void* planes[2] = {converted->data[0] + offset * sizeof(float),
                                   converted->data[1] + offset * sizeof(float)};
                av_audio_fifo_write(fifo_.get(), planes, got - offset);
                produced_this_pass_ += got - offset;
            }
            return true;
        }
        if (rc == AVERROR_EOF)
            return false;
        if (rc != AVERROR(EAGAIN))
            fail("audio decoding failed (" + av_error_text(rc) + ")");
        if (draining_)
            return false;
        const int read_rc = av_read_frame(format_.get(), packet_.get());
        if (read_rc < 0) {
            // End of file, or a truncated tail: what was decoded stands, the rest is silence.
            draining_ = true;
            avcodec_send_packet(decoder_.get(), nullptr);
            continue;
        }
        if (packet_->stream_index == stream_index_) {
            // A damaged audio packet costs a few milliseconds of sound, never the render.
            avcodec_send_packet(decoder_.get(), packet_.get());
        }
        av_packet_unref(packet_.get());
    }
}

int AudioSource::read(float* const* planes, int count) {
    while (!ended_ && av_audio_fifo_size(fifo_.get()) < count) {
        if (decode_more())
            continue;
        if (!loop_) {
            ended_ = true;
        } else if (produced_this_pass_ > 0 || start_seconds_ > 0) {
            // Around again from the top; a start that yielded nothing (a seek past what the
            // file really holds) gets its replay from the top as well.
            start_seconds_ = 0;
            open();
        } else if (use_ == AudioUse::music) {
            // Measured as sound when the source was made: a replay that yields nothing would
            // otherwise leave the video silent without a word.
            fail("no audio decodes when played again from the start (did the file change?)");
        } else {
            ended_ = true;
        }
    }
    void* out[kChannels] = {planes[0], planes[1]};
    const int got =
        av_audio_fifo_read(fifo_.get(), out, std::min(count, av_audio_fifo_size(fifo_.get())));
    const int real = std::max(got, 0);
    for (int c = 0; c < kChannels; ++c) {
        std::fill(planes[c] + real, planes[c] + count, 0.0f);
    }
    return real;
}

}  // namespace memegen::detail
