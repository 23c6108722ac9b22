#pragma once
// Test support for the renderer: fixtures made with the ffmpeg CLI, and outputs read back with
// libavformat/libavcodec (stream facts, box order, decoded pictures).

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/test_files.hpp"

namespace memegen::test {

/// What a rendered file holds, read with libavformat.
struct MediaFacts {
    std::string video_codec;
    std::string pix_fmt;
    int width = 0;
    int height = 0;
    double fps = 0;
    double duration = 0;  // of the video stream
    std::int64_t video_frames = 0;
    std::string audio_codec;
    std::string audio_profile;
    double audio_duration = 0;
};

inline MediaFacts probe(const std::filesystem::path& file) {
    MediaFacts facts;
    AVFormatContext* fmt = nullptr;
    if (avformat_open_input(&fmt, file.c_str(), nullptr, nullptr) < 0) {
        throw std::runtime_error("cannot open " + file.string());
    }
    avformat_find_stream_info(fmt, nullptr);
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVStream* s = fmt->streams[i];
        const AVCodecParameters* p = s->codecpar;
        const double duration = s->duration > 0 ? s->duration * av_q2d(s->time_base) : 0;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
            facts.video_codec = avcodec_get_name(p->codec_id);
            const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(p->format));
            facts.pix_fmt = pf ? pf : "?";
            facts.width = p->width;
            facts.height = p->height;
            facts.fps = av_q2d(s->avg_frame_rate);
            facts.duration = duration;
            facts.video_frames = s->nb_frames;
        } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
            facts.audio_codec = avcodec_get_name(p->codec_id);
            const char* prof = avcodec_profile_name(p->codec_id, p->profile);
            facts.audio_profile = prof ? prof : "";
            facts.audio_duration = duration;
        }
    }
    avformat_close_input(&fmt);
    return facts;
}

/// The four-character types of the top-level MP4 boxes, in file order.
inline std::vector<std::string> top_level_boxes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> boxes;
    const auto size = std::filesystem::file_size(file);
    std::uint64_t at = 0;
    while (at + 8 <= size) {
        in.seekg(static_cast<std::streamoff>(at));
        unsigned char h[16];
        in.read(reinterpret_cast<char*>(h), 8);
        std::uint64_t box = (std::uint64_t{h[0]} << 24) | (h[1] << 16) | (h[2] << 8) | h[3];
        boxes.emplace_back(reinterpret_cast<char*>(h) + 4, 4);
        if (box == 1) {
            in.read(reinterpret_cast<char*>(h + 8), 8);
            box = 0;
            for (int k = 8; k < 16; ++k)
                box = (box << 8) | h[k];
        }
        if (box < 8)
            break;
        at += box;
    }
    return boxes;
}

/// A decoded picture's luma and chroma planes, tightly packed.
struct Picture {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> y, u, v;
    [[nodiscard]] int luma(int x, int yy) const {
        return y[static_cast<std::size_t>(yy) * width + x];
    }
    [[nodiscard]] int cb(int x, int yy) const {
        return u[static_cast<std::size_t>(yy / 2) * (width / 2) + x / 2];
    }
    [[nodiscard]] int cr(int x, int yy) const {
        return v[static_cast<std::size_t>(yy / 2) * (width / 2) + x / 2];
    }
};

/// Decodes video frame number `index` (0-based) of `file` as yuv420p.
inline Picture decode_frame(const std::filesystem::path& file, int index) {
    AVFormatContext* fmt = nullptr;
    if (avformat_open_input(&fmt, file.c_str(), nullptr, nullptr) < 0) {
        throw std::runtime_error("cannot open " + file.string());
    }
    avformat_find_stream_info(fmt, nullptr);
    const AVCodec* codec = nullptr;
    const int stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    AVCodecContext* dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, fmt->streams[stream]->codecpar);
    avcodec_open2(dec, codec, nullptr);
    AVPacket* pkt = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    Picture picture;
    int seen = 0;
    bool done = false, draining = false;
    while (!done) {
        int rc = avcodec_receive_frame(dec, frame);
        if (rc == 0) {
            if (seen++ == index) {
                SwsContext* sws = sws_getContext(frame->width, frame->height,
                                                 static_cast<AVPixelFormat>(frame->format),
                                                 frame->width, frame->height, AV_PIX_FMT_YUV420P,
                                                 SWS_POINT, nullptr, nullptr, nullptr);
                picture.width = frame->width;
                picture.height = frame->height;
                picture.y.resize(static_cast<std::size_t>(frame->width) * frame->height);
                picture.u.resize(picture.y.size() / 4);
                picture.v.resize(picture.y.size() / 4);
                uint8_t* dst[4] = {picture.y.data(), picture.u.data(), picture.v.data(), nullptr};
                int lines[4] = {frame->width, frame->width / 2, frame->width / 2, 0};
                sws_scale(sws, frame->data, frame->linesize, 0, frame->height, dst, lines);
                sws_freeContext(sws);
                done = true;
            }
            av_frame_unref(frame);
            continue;
        }
        if (rc == AVERROR_EOF || draining)
            break;
        if (av_read_frame(fmt, pkt) < 0) {
            avcodec_send_packet(dec, nullptr);
            draining = true;
            continue;
        }
        if (pkt->stream_index == stream)
            avcodec_send_packet(dec, pkt);
        av_packet_unref(pkt);
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
    if (!done)
        throw std::runtime_error("frame " + std::to_string(index) + " not in " + file.string());
    return picture;
}

inline std::string read_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Files in `dir` (names), to prove a failed render left nothing behind.
inline std::vector<std::string> entries(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        names.push_back(e.path().filename().string());
    return names;
}

}  // namespace memegen::test
