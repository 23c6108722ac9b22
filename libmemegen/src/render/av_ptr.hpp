#pragma once
// RAII for every FFmpeg object the renderer touches: one stateless deleter per type, defined
// once here, so no code path ever calls a free function by hand (the C++ form of the seed's
// "MoviePy clips not closed").

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace memegen::detail {

struct FormatInputDeleter {
    void operator()(AVFormatContext* p) const noexcept { avformat_close_input(&p); }
};
// An output context owns its AVIOContext separately: close it, then free the context.
struct FormatOutputDeleter {
    void operator()(AVFormatContext* p) const noexcept {
        if (p->pb != nullptr && !(p->oformat->flags & AVFMT_NOFILE))
            avio_closep(&p->pb);
        avformat_free_context(p);
    }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* p) const noexcept { avcodec_free_context(&p); }
};
struct FrameDeleter {
    void operator()(AVFrame* p) const noexcept { av_frame_free(&p); }
};
struct PacketDeleter {
    void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct SwsDeleter {
    void operator()(SwsContext* p) const noexcept { sws_freeContext(p); }
};
struct SwrDeleter {
    void operator()(SwrContext* p) const noexcept { swr_free(&p); }
};
struct AudioFifoDeleter {
    void operator()(AVAudioFifo* p) const noexcept { av_audio_fifo_free(p); }
};
struct BufferPoolDeleter {
    void operator()(AVBufferPool* p) const noexcept { av_buffer_pool_uninit(&p); }
};
struct DictionaryDeleter {
    void operator()(AVDictionary* p) const noexcept { av_dict_free(&p); }
};

using FormatInputPtr = std::unique_ptr<AVFormatContext, FormatInputDeleter>;
using FormatOutputPtr = std::unique_ptr<AVFormatContext, FormatOutputDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;
using DictionaryPtr = std::unique_ptr<AVDictionary, DictionaryDeleter>;
using BufferPoolPtr = std::unique_ptr<AVBufferPool, BufferPoolDeleter>;

/// av_strerror as a std::string.
inline std::string av_error_text(int code) {
    char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buffer, sizeof buffer);
    return buffer;
}

/// A new frame; throws std::bad_alloc when FFmpeg cannot allocate one.
FramePtr make_frame();
/// A new packet; throws std::bad_alloc when FFmpeg cannot allocate one.
PacketPtr make_packet();
/// A yuv420p frame of the given size with its own buffers.
FramePtr make_video_frame(int width, int height, int format = AV_PIX_FMT_YUV420P);

/// Video frames of one size and format whose buffers are recycled: a frame handed out returns
/// its buffer to the pool when its last reference goes, so a picture made per output frame
/// costs no allocation, page faults or zeroing after the first few. Buffers are zeroed when
/// first allocated (row padding included, as make_video_frame does); a reused buffer holds the
/// pixels of its previous use, so callers overwrite every visible pixel.
class VideoFramePool {
  public:
    VideoFramePool() = default;
    /// A frame of the given size and format; the pool adapts when either changes.
    FramePtr get(int width, int height, int format = AV_PIX_FMT_YUV420P);

  private:
    FramePtr layout_;  // a frame of the current size, whose data pointers give plane offsets
    BufferPoolPtr pool_;
};

}  // namespace memegen::detail
