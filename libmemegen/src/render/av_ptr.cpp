#include "av_ptr.hpp"

#include <cstring>
#include <new>
#include <utility>

namespace memegen::detail {

FramePtr make_frame() {
    FramePtr frame(av_frame_alloc());
    if (!frame)
        throw std::bad_alloc();
    return frame;
}

PacketPtr make_packet() {
    PacketPtr packet(av_packet_alloc());
    if (!packet)
        throw std::bad_alloc();
    return packet;
}

FramePtr make_video_frame(int width, int height, int format) {
    FramePtr frame = make_frame();
    frame->width = width;
    frame->height = height;
    frame->format = format;
    if (av_frame_get_buffer(frame.get(), 0) < 0)
        throw std::bad_alloc();
    // Zeroed, row padding included: no uninitialised byte may reach the encoder, whose SIMD
    // copies read whole vectors, because the same inputs must give the same output bytes.
    for (AVBufferRef* buf : frame->buf) {
        if (buf != nullptr)
            std::memset(buf->data, 0, buf->size);
    }
    return frame;
}

}  // namespace memegen::detail
