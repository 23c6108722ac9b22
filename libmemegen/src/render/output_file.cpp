#include "output_file.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
#include <libavutil/opt.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include "memegen/error.hpp"
#include "memegen/render_options.hpp"

namespace memegen::detail {
namespace {

// FFmpeg reports OS failures as AVERROR(errno); anything else is an I/O error to the caller.
int errno_of(int rc) {
    const int code = AVUNERROR(rc);
    return code > 0 && code < 4096 ? code : EIO;
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace

bool is_slow_preset(std::string_view preset) noexcept {
    const auto* const medium =
        std::find(std::begin(kX264Presets), std::end(kX264Presets), "medium");
    return std::find(medium, std::end(kX264Presets), preset) != std::end(kX264Presets);
}

OutputFile::OutputFile(std::filesystem::path file, std::filesystem::path display_name,
                       const EncoderSettings& s)
    : file_(std::move(file)), display_name_(std::move(display_name)) {
    packet_ = make_packet();
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_alloc_output_context2(&raw, nullptr, "mp4", file_.c_str()); rc < 0) {
        throw MediaError("cannot set up the mp4 muxer (" + av_error_text(rc) + ")");
    }
    format_.reset(raw);
    // No wall-clock time, library version or other run-dependent bytes in the file.
    format_->flags |= AVFMT_FLAG_BITEXACT;

    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    if (x264 == nullptr)
        throw MediaError("the libx264 encoder is not available in this FFmpeg");
    video_.reset(avcodec_alloc_context3(x264));
    if (!video_)
        throw std::bad_alloc();
    video_->width = s.width;
    video_->height = s.height;
    video_->pix_fmt = AV_PIX_FMT_YUV420P;
    video_->time_base = AVRational{1, s.fps};
    video_->framerate = AVRational{s.fps, 1};
    video_->sample_aspect_ratio = AVRational{1, 1};
    video_->color_range = AVCOL_RANGE_MPEG;
    video_->colorspace = AVCOL_SPC_BT709;
    video_->color_primaries = AVCOL_PRI_BT709;
    video_->color_trc = AVCOL_TRC_BT709;
    // One keyframe per 10 s (x264 defaults to 250 frames): a 1080x1920 keyframe costs several
    // P-frames of encoding time and bytes, and these short clips need no finer seeking.
    video_->gop_size = s.fps * 10;
    video_->flags |= AV_CODEC_FLAG_BITEXACT;
    if (format_->oformat->flags & AVFMT_GLOBALHEADER)
        video_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    // A fixed thread count makes x264's output reproducible; sliced threads and a short
    // lookahead keep its frame buffers few (see the README's memory table).
    video_->thread_count = s.threads;
    if (s.max_video_bitrate > 0) {
        video_->rc_max_rate = s.max_video_bitrate;
        video_->rc_buffer_size = static_cast<int>(s.max_video_bitrate);
    }
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "preset", s.preset.c_str(), 0);
    av_dict_set_int(&opts, "crf", s.crf, 0);
    // Measured on a 1080x1920 still render, whole process peak RSS, veryfast/medium, MiB:
    // x264 defaults 258/464; 2 sliced threads + rc-lookahead 10: 207/210; + lookahead 5:
    // 174/178; lookahead 3 + bframes 1: 135/- at the same speed and a slightly smaller file
    // (720x1280: 88). Every look-ahead or B-frame holds one more 1080x1920 input picture with
    // its quarter-size planes (~6 MB): lookahead 2 and no B-frames took a 720p video render
    // (veryfast, 10 s) from 150 to 131 MiB, the still from 132 to 112, for a file 6 % larger
    // at +0.13 dB PSNR (the same CRF gives a little more quality) and no loss of speed. From
    // medium on one B-frame stays: there it saves ~5 % of x264's time on a still, and those
    // presets need far more memory without our settings anyway (the CLI: ~510 MB).
    // bench/render_vs_ffmpeg has the current figures.
    const bool slow_preset = is_slow_preset(s.preset);
    std::string params = slow_preset ? "sliced-threads=1:rc-lookahead=2:bframes=1"
                                     : "sliced-threads=1:rc-lookahead=2:bframes=0";
    // No AVX-512 in x264. Its AVX-512 MB-tree propagation (mbtree_propagate_list_internal_avx512
    // in 0.164, Debian 12's) works on 8 macroblocks per step with no tail: when a row is not a
    // multiple of 8 MBs wide (1080 px is 68, 720 is 45) the lanes past the row's end read
    // entries x264 never wrote and scatter what they find into the propagated costs, so the
    // output depended on what malloc returned (two renders of one seed in one process differed;
    // MALLOC_PERTURB_ changed the bytes). Found by elimination: only with AVX-512 on and
    // MB-tree on; valgrind has no AVX-512, runs the AVX2 code (which scatters only the row's
    // own entries, in C) and sees nothing. Speed is the same here and memory needs no fill.
    // Every CPU with AVX-512 has everything x264's "avx2" level names.
    if ((av_get_cpu_flags() & AV_CPU_FLAG_AVX512) != 0)
        params += ":asm=avx2";
    av_dict_set(&opts, "x264-params", params.c_str(), 0);
    // Presets from medium on use 3+ reference frames; 2 saved 14 MB at 1080x1920 (a 720p
    // video input at medium: 208 -> 194 MiB peak) for a file ~1 % larger.
    if (slow_preset)
        video_->refs = 2;
    int rc = avcodec_open2(video_.get(), x264, &opts);
    DictionaryPtr opts_holder(opts);
    if (rc < 0) {
        throw MediaError("cannot open x264 with preset '" + s.preset + "' (" + av_error_text(rc) +
                         ")");
    }

    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (aac == nullptr)
        throw MediaError("no AAC encoder in this FFmpeg");
    audio_.reset(avcodec_alloc_context3(aac));
    if (!audio_)
        throw std::bad_alloc();
    audio_->sample_fmt = AV_SAMPLE_FMT_FLTP;
    audio_->sample_rate = 44100;
    audio_->ch_layout = AV_CHANNEL_LAYOUT_STEREO;
    audio_->bit_rate = s.audio_bitrate;
    audio_->time_base = AVRational{1, 44100};
    audio_->flags |= AV_CODEC_FLAG_BITEXACT;
    if (format_->oformat->flags & AVFMT_GLOBALHEADER)
        audio_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((rc = avcodec_open2(audio_.get(), aac, nullptr)) < 0) {
        throw MediaError("cannot open the AAC encoder (" + av_error_text(rc) + ")");
    }

    video_stream_ = avformat_new_stream(format_.get(), nullptr);
    audio_stream_ = avformat_new_stream(format_.get(), nullptr);
    if (video_stream_ == nullptr || audio_stream_ == nullptr)
        throw std::bad_alloc();
    avcodec_parameters_from_context(video_stream_->codecpar, video_.get());
    avcodec_parameters_from_context(audio_stream_->codecpar, audio_.get());
    video_stream_->time_base = video_->time_base;
    video_stream_->avg_frame_rate = video_->framerate;
    audio_stream_->time_base = audio_->time_base;

    if ((rc = avio_open(&format_->pb, file_.c_str(), AVIO_FLAG_WRITE)) < 0) {
        throw SystemError("cannot create the output '" + display_name_.string() + "' (temporary '" +
                              file_.string() + "')",
                          errno_of(rc));
    }
    AVDictionary* mux_opts = nullptr;
    av_dict_set(&mux_opts, "movflags", "+faststart", 0);
    rc = avformat_write_header(format_.get(), &mux_opts);
    DictionaryPtr mux_holder(mux_opts);
    if (rc < 0)
        fail_write("writing the header", rc);
}

void OutputFile::fail_write(const char* step, int rc) const {
    throw SystemError("cannot write the output '" + display_name_.string() + "' (" + step + ", " +
                          av_error_text(rc) + ")",
                      errno_of(rc));
}

void OutputFile::drain(AVCodecContext* encoder, AVStream* stream) {
    for (;;) {
        const int rc = avcodec_receive_packet(encoder, packet_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return;
        if (rc < 0)
            throw MediaError("encoding failed (" + av_error_text(rc) + ")");
        av_packet_rescale_ts(packet_.get(), encoder->time_base, stream->time_base);
        packet_->stream_index = stream->index;
        const int wrc = av_interleaved_write_frame(format_.get(), packet_.get());
        if (wrc < 0)
            fail_write("writing a packet", wrc);
    }
}

void OutputFile::send(AVCodecContext* encoder, AVStream* stream, const AVFrame* frame) {
    const int rc = avcodec_send_frame(encoder, frame);
    if (rc < 0)
        throw MediaError("encoding failed (" + av_error_text(rc) + ")");
    drain(encoder, stream);
}

void OutputFile::write_video(const AVFrame* frame) {
    send(video_.get(), video_stream_, frame);
}
void OutputFile::write_audio(const AVFrame* frame) {
    send(audio_.get(), audio_stream_, frame);
}

void OutputFile::encode_audio(const AVFrame* frame, std::vector<PacketPtr>& packets) {
    int rc = avcodec_send_frame(audio_.get(), frame);
    if (rc < 0)
        throw MediaError("encoding failed (" + av_error_text(rc) + ")");
    for (;;) {
        PacketPtr packet = make_packet();
        rc = avcodec_receive_packet(audio_.get(), packet.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return;
        if (rc < 0)
            throw MediaError("encoding failed (" + av_error_text(rc) + ")");
        packets.push_back(std::move(packet));
    }
}

void OutputFile::mux_audio(AVPacket* packet) {
    av_packet_rescale_ts(packet, audio_->time_base, audio_stream_->time_base);
    packet->stream_index = audio_stream_->index;
    if (const int rc = av_interleaved_write_frame(format_.get(), packet); rc < 0)
        fail_write("writing a packet", rc);
}

void OutputFile::finish(std::vector<PacketPtr>& audio_tail) {
    if (finished_)
        return;
    send(video_.get(), video_stream_, nullptr);
    for (auto& packet : audio_tail)
        mux_audio(packet.get());
    audio_tail.clear();
    write_trailer();
}

void OutputFile::finish() {
    if (finished_)
        return;
    send(video_.get(), video_stream_, nullptr);
    send(audio_.get(), audio_stream_, nullptr);
    write_trailer();
}

void OutputFile::write_trailer() {
    if (int rc = av_write_trailer(format_.get()); rc < 0)
        fail_write("writing the index", rc);
    if (format_->pb != nullptr && format_->pb->error < 0)
        fail_write("flushing", format_->pb->error);
    if (int rc = avio_closep(&format_->pb); rc < 0)
        fail_write("closing", rc);
    finished_ = true;
}

void write_jpeg_thumbnail(const AVFrame* frame, int max_side, const std::filesystem::path& file,
                          const std::filesystem::path& display_name) {
    const double scale =
        std::min(1.0, static_cast<double>(max_side) / std::max(frame->width, frame->height));
    const int w = std::max(2, static_cast<int>(frame->width * scale) / 2 * 2);
    const int h = std::max(2, static_cast<int>(frame->height * scale) / 2 * 2);
    FramePtr small = make_video_frame(w, h, AV_PIX_FMT_YUVJ420P);
    SwsPtr sws(sws_getContext(frame->width, frame->height, AV_PIX_FMT_YUV420P, w, h,
                              AV_PIX_FMT_YUVJ420P, SWS_AREA, nullptr, nullptr, nullptr));
    if (!sws)
        throw MediaError("cannot scale the thumbnail");
    sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, small->data,
              small->linesize);

    const AVCodec* mjpeg = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (mjpeg == nullptr)
        throw MediaError("no JPEG encoder in this FFmpeg");
    CodecContextPtr encoder(avcodec_alloc_context3(mjpeg));
    if (!encoder)
        throw std::bad_alloc();
    encoder->width = w;
    encoder->height = h;
    encoder->pix_fmt = AV_PIX_FMT_YUVJ420P;
    encoder->time_base = AVRational{1, 25};
    encoder->flags |= AV_CODEC_FLAG_QSCALE | AV_CODEC_FLAG_BITEXACT;
    encoder->global_quality = FF_QP2LAMBDA * 4;
    if (int rc = avcodec_open2(encoder.get(), mjpeg, nullptr); rc < 0) {
        throw MediaError("cannot open the JPEG encoder (" + av_error_text(rc) + ")");
    }
    small->quality = encoder->global_quality;
    small->pts = 0;
    PacketPtr packet = make_packet();
    if (int rc = avcodec_send_frame(encoder.get(), small.get()); rc < 0) {
        throw MediaError("thumbnail encoding failed (" + av_error_text(rc) + ")");
    }
    if (int rc = avcodec_receive_packet(encoder.get(), packet.get()); rc < 0) {
        throw MediaError("thumbnail encoding failed (" + av_error_text(rc) + ")");
    }
    std::unique_ptr<std::FILE, FileCloser> out(std::fopen(file.c_str(), "wb"));
    if (!out)
        throw SystemError("cannot create the thumbnail '" + display_name.string() + "'", errno);
    if (std::fwrite(packet->data, 1, static_cast<std::size_t>(packet->size), out.get()) !=
            static_cast<std::size_t>(packet->size) ||
        std::fflush(out.get()) != 0) {
        throw SystemError("cannot write the thumbnail '" + display_name.string() + "'", errno);
    }
    if (std::fclose(out.release()) != 0) {
        throw SystemError("cannot write the thumbnail '" + display_name.string() + "'", errno);
    }
}

}  // namespace memegen::detail
