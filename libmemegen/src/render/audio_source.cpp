#include "audio_source.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <system_error>
#include <utility>

#include "memegen/error.hpp"

namespace memegen::detail {

AudioSource::AudioSource(std::filesystem::path path, double start_seconds, bool loop, double speed)
    : path_(std::move(path)),
      start_seconds_(std::max(0.0, start_seconds)),
      loop_(loop),
      speed_(speed) {
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
    open();
}

void AudioSource::fail(const std::string& reason) const {
    throw MediaError("'" + path_.string() + "': " + reason);
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
    AVStream* stream = format_->streams[stream_index_];
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
        duration_ = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
        duration_ = static_cast<double>(format_->duration) / AV_TIME_BASE;
    }
    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar); rc < 0) {
        fail("bad audio parameters (" + av_error_text(rc) + ")");
    }
    decoder->pkt_timebase = stream->time_base;
    if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0) {
        fail(std::string("cannot open the '") + codec->name + "' decoder (" + av_error_text(rc) +
             ")");
    }
    decoder_ = std::move(decoder);
    if (decoder_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
        av_channel_layout_default(&decoder_->ch_layout, decoder_->ch_layout.nb_channels);
    }
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
        if (av_seek_frame(format_.get(), -1, ts, AVSEEK_FLAG_BACKWARD) < 0) {
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
        if (loop_ && produced_this_pass_ > 0) {
            start_seconds_ = 0;
            open();
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
