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

FramePtr VideoFramePool::get(int width, int height, int format) {
    if (!layout_ || layout_->width != width || layout_->height != height ||
        layout_->format != format) {
        // av_frame_get_buffer puts every plane in one buffer (buf[0]); the pool hands out
        // buffers of that size, aligned as av_malloc aligns, with the planes at the same offsets.
        FramePtr layout = make_video_frame(width, height, format);
        if (layout->buf[0] == nullptr || layout->buf[1] != nullptr)
            return layout;  // an unexpected layout: plain frames, no pool
        pool_.reset(av_buffer_pool_init(layout->buf[0]->size, av_buffer_allocz));
        if (!pool_)
            throw std::bad_alloc();
        layout_ = std::move(layout);
    }
    FramePtr frame = make_frame();
    frame->width = width;
    frame->height = height;
    frame->format = format;
    frame->buf[0] = av_buffer_pool_get(pool_.get());
    if (frame->buf[0] == nullptr)
        throw std::bad_alloc();
    for (int p = 0; p < AV_NUM_DATA_POINTERS; ++p) {
        frame->linesize[p] = layout_->linesize[p];
        if (layout_->data[p] != nullptr)
            frame->data[p] = frame->buf[0]->data + (layout_->data[p] - layout_->buf[0]->data);
    }
    frame->extended_data = frame->data;
    return frame;
}

}  // namespace memegen::detail
