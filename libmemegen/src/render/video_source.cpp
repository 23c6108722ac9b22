#include "video_source.hpp"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/display.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "memegen/error.hpp"

namespace memegen::detail {
namespace {

bool is_still_demuxer(const char* name) {
    const std::string n = name;
    return n == "image2" || (n.size() > 5 && n.compare(n.size() - 5, 5, "_pipe") == 0);
}

// A GIF ends with the trailer byte 0x3B; the demuxer happily stops early without it, so a
// truncated GIF would otherwise play as a shorter one.
bool gif_has_trailer(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        return false;
    const auto size = static_cast<std::streamoff>(in.tellg());
    if (size < 1)
        return false;
    in.seekg(size - 1);
    char last = 0;
    in.read(&last, 1);
    return last == 0x3B;
}

std::uint32_t be16(const unsigned char* p) {
    return (p[0] << 8) | p[1];
}
std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}
std::uint32_t le16(const unsigned char* p) {
    return p[0] | (p[1] << 8);
}
std::uint32_t le24(const unsigned char* p) {
    return p[0] | (p[1] << 8) | (p[2] << 16);
}

// The picture size an image header claims, read from its first bytes: FFmpeg would otherwise
// learn it only by starting to decode (and allocate) the picture.
std::optional<std::pair<std::uint32_t, std::uint32_t>> header_size(
    const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char h[64 * 1024];
    in.read(reinterpret_cast<char*>(h), sizeof h);
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n >= 24 && std::memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0 &&
        std::memcmp(h + 12, "IHDR", 4) == 0) {
        return std::pair{be32(h + 16), be32(h + 20)};
    }
    if (n >= 10 && (std::memcmp(h, "GIF87a", 6) == 0 || std::memcmp(h, "GIF89a", 6) == 0)) {
        return std::pair{le16(h + 6), le16(h + 8)};
    }
    if (n >= 30 && std::memcmp(h, "RIFF", 4) == 0 && std::memcmp(h + 8, "WEBP", 4) == 0) {
        if (std::memcmp(h + 12, "VP8X", 4) == 0)
            return std::pair{le24(h + 24) + 1, le24(h + 27) + 1};
        if (std::memcmp(h + 12, "VP8 ", 4) == 0)
            return std::pair{le16(h + 26) & 0x3FFF, le16(h + 28) & 0x3FFF};
        if (std::memcmp(h + 12, "VP8L", 4) == 0 && n >= 25) {
            const std::uint32_t bits =
                h[21] | (h[22] << 8) | (h[23] << 16) | (std::uint32_t{h[24]} << 24);
            return std::pair{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
        }
    }
    if (n >= 4 && h[0] == 0xFF && h[1] == 0xD8) {
        // JPEG: walk the segments to the first start-of-frame marker.
        std::size_t at = 2;
        while (at + 9 < n) {
            if (h[at] != 0xFF)
                break;
            const unsigned marker = h[at + 1];
            if (marker == 0xFF) {
                ++at;
                continue;
            }
            const std::size_t length = be16(h + at + 2);
            const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                             marker != 0xCC;
            if (sof)
                return std::pair{be16(h + at + 7), be16(h + at + 5)};
            at += 2 + length;
        }
    }
    return std::nullopt;
}

}  // namespace

VideoSource::VideoSource(std::filesystem::path path, std::int64_t max_pixels)
    : path_(std::move(path)), max_pixels_(max_pixels) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec))
        fail("file not found");
    if (!std::filesystem::is_regular_file(path_, ec))
        fail("not a regular file");
    if (std::filesystem::file_size(path_, ec) == 0)
        fail("file is empty (0 bytes)");
    if (const auto size = header_size(path_)) {
        check_pixels(static_cast<std::int64_t>(size->first),
                     static_cast<std::int64_t>(size->second));
    }
    open();
}

void VideoSource::check_pixels(std::int64_t width, std::int64_t height) const {
    if (width * height > max_pixels_) {
        fail("picture of " + std::to_string(width) + "x" + std::to_string(height) +
             " exceeds the limit of " + std::to_string(max_pixels_) + " pixels");
    }
}

void VideoSource::fail(const std::string& reason) const {
    throw MediaError("'" + path_.string() + "': " + reason);
}

void VideoSource::open() {
    decoder_.reset();
    format_.reset();
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr); rc < 0) {
        fail("not a readable media file (" + av_error_text(rc) + ")");
    }
    format_.reset(raw);

    // Decoders opened by find_stream_info must refuse huge pictures too: without this a header
    // claiming 20000x20000 would make FFmpeg allocate the picture while probing.
    AVDictionary** per_stream = nullptr;
    std::vector<DictionaryPtr> holders;
    std::vector<AVDictionary*> dicts(format_->nb_streams, nullptr);
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
        av_dict_set_int(&dicts[i], "max_pixels", max_pixels_, 0);
    }
    per_stream = dicts.empty() ? nullptr : dicts.data();
    const int info_rc = avformat_find_stream_info(format_.get(), per_stream);
    for (auto* d : dicts)
        holders.emplace_back(d);
    if (info_rc < 0)
        fail("cannot read stream information (" + av_error_text(info_rc) + ")");

    const AVCodec* codec = nullptr;
    stream_index_ = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream_index_ < 0 || codec == nullptr) {
        // Name what is there: no picture stream at all, or one no decoder here can read.
        for (unsigned i = 0; i < format_->nb_streams; ++i) {
            const AVCodecParameters* p = format_->streams[i]->codecpar;
            if (p->codec_type == AVMEDIA_TYPE_VIDEO &&
                !(format_->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
                const AVCodecDescriptor* d = avcodec_descriptor_get(p->codec_id);
                char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
                av_fourcc_make_string(tag, p->codec_tag);
                fail(std::string("unsupported video codec '") + (d ? d->name : "unknown") +
                     "' (tag " + tag + "): no decoder in this FFmpeg");
            }
        }
        fail("contains no video stream or image");
    }
    AVStream* stream = format_->streams[stream_index_];
    const AVCodecParameters* par = stream->codecpar;
    has_audio_ = av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0) >= 0;

    // The pixel limit is checked on the header's numbers, before any frame is decoded.
    width_ = par->width;
    height_ = par->height;
    if (width_ <= 0 || height_ <= 0) {
        fail("picture size unreadable or above the limit of " + std::to_string(max_pixels_) +
             " pixels");
    }
    check_pixels(width_, height_);
    if (par->codec_id == AV_CODEC_ID_GIF && !gif_has_trailer(path_)) {
        fail("truncated GIF (no trailer byte at the end)");
    }

    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(decoder.get(), par); rc < 0) {
        fail("bad codec parameters (" + av_error_text(rc) + ")");
    }
    decoder->pkt_timebase = stream->time_base;
    // Two threads: the encoder runs on the other core; frame threading would hold more frames.
    decoder->thread_count = 2;
    decoder->thread_type = FF_THREAD_SLICE | FF_THREAD_FRAME;
    AVDictionary* opts = nullptr;
    av_dict_set_int(&opts, "max_pixels", max_pixels_, 0);
    const int open_rc = avcodec_open2(decoder.get(), codec, &opts);
    DictionaryPtr opts_holder(opts);
    if (open_rc < 0) {
        fail(std::string("cannot open the '") + codec->name + "' decoder (" +
             av_error_text(open_rc) + ")");
    }
    decoder_ = std::move(decoder);

    time_base_ = stream->time_base;
    start_pts_ = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
    if (is_still_demuxer(format_->iformat->name) && par->codec_id != AV_CODEC_ID_GIF) {
        kind_ = MediaKind::still;
    } else if (par->codec_id == AV_CODEC_ID_GIF || par->codec_id == AV_CODEC_ID_APNG ||
               par->codec_id == AV_CODEC_ID_WEBP) {
        kind_ = MediaKind::animation;
    } else {
        kind_ = MediaKind::video;
    }
    if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
        duration_ = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
        duration_ = static_cast<double>(format_->duration) / AV_TIME_BASE;
    }
    if (kind_ == MediaKind::still)
        duration_ = 0;
    const AVRational rate = av_guess_frame_rate(format_.get(), stream, nullptr);
    frame_rate_ = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;

    rotation_ = 0;
    if (const auto* matrix = reinterpret_cast<const int32_t*>(
            av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr))) {
        // The matrix holds the counter-clockwise angle; displaying needs the clockwise turn.
        const double ccw = av_display_rotation_get(matrix);
        if (!std::isnan(ccw)) {
            int cw = static_cast<int>(std::lround(-ccw)) % 360;
            if (cw < 0)
                cw += 360;
            rotation_ = (cw + 45) / 90 % 4 * 90;
        }
    }

    packet_ = make_packet();
    frame_ = make_frame();
    draining_ = false;
    finished_ = false;
    pending_ = false;
    frames_this_pass_ = 0;
    last_seconds_ = -1;
    flip_ = false;
    if (kind_ == MediaKind::still)
        read_exif_orientation();
}

// A JPEG's EXIF orientation is only known once its picture is decoded (FFmpeg's mjpeg decoder
// puts the tag in the frame's metadata), yet the compositor needs it before the first frame:
// a still is decoded here and handed out by the first next_frame(). Stills are one picture, so
// this decodes nothing twice.
void VideoSource::read_exif_orientation() {
    const AVFrame* frame = decode_next();
    if (frame == nullptr)
        return;
    pending_ = true;
    const AVDictionaryEntry* tag = av_dict_get(frame->metadata, "Orientation", nullptr, 0);
    if (tag == nullptr)
        return;
    // The tag's value is the EXIF number as text (FFmpeg pads it with spaces). 1 is upright;
    // 2-8 say how the stored picture must be turned for display: a left-right mirror first
    // (2, 4, 5, 7), then a clockwise turn.
    char* end = nullptr;
    const long orientation = std::strtol(tag->value, &end, 10);
    switch (orientation) {
        case 2:
            flip_ = true;
            rotation_ = 0;
            break;
        case 3:
            rotation_ = 180;
            break;
        case 4:  // upside down mirror: mirrored, then turned by 180
            flip_ = true;
            rotation_ = 180;
            break;
        case 5:  // transposed: mirrored, then turned by 270
            flip_ = true;
            rotation_ = 270;
            break;
        case 6:
            rotation_ = 90;
            break;
        case 7:  // transversed: mirrored, then turned by 90
            flip_ = true;
            rotation_ = 90;
            break;
        case 8:
            rotation_ = 270;
            break;
        default:  // 1, or a value EXIF does not define: shown as stored
            break;
    }
}

void VideoSource::rewind() {
    open();
}

double VideoSource::scan_duration() {
    const AVRational tb = time_base_;
    std::int64_t end = 0;
    std::int64_t count = 0;
    while (av_read_frame(format_.get(), packet_.get()) >= 0) {
        if (packet_->stream_index == stream_index_) {
            ++count;
            if (packet_->pts != AV_NOPTS_VALUE) {
                end = std::max(
                    end, packet_->pts - start_pts_ + std::max<std::int64_t>(packet_->duration, 0));
            }
        }
        av_packet_unref(packet_.get());
    }
    double seconds = static_cast<double>(end) * av_q2d(tb);
    if (seconds <= 0 && count > 0)
        seconds = static_cast<double>(count) / (frame_rate_ > 0 ? frame_rate_ : 10.0);
    open();
    duration_ = seconds;
    return seconds;
}

AVFrame* VideoSource::next_frame() {
    if (pending_) {
        pending_ = false;
        return frame_.get();
    }
    return decode_next();
}

AVFrame* VideoSource::decode_next() {
    if (finished_)
        return nullptr;
    for (;;) {
        av_frame_unref(frame_.get());
        const int rc = avcodec_receive_frame(decoder_.get(), frame_.get());
        if (rc == 0) {
            ++frames_decoded_;
            ++frames_this_pass_;
            std::int64_t pts = frame_->best_effort_timestamp;
            double seconds;
            if (pts == AV_NOPTS_VALUE) {
                const double rate = frame_rate_ > 0 ? frame_rate_ : 25.0;
                seconds = static_cast<double>(frames_this_pass_ - 1) / rate;
            } else {
                seconds = static_cast<double>(pts - start_pts_) * av_q2d(time_base_);
            }
            // Some files repeat or go back in time: keep times increasing.
            if (seconds <= last_seconds_)
                seconds = last_seconds_ + 1e-6;
            last_seconds_ = seconds;
            frame_seconds_ = seconds;
            return frame_.get();
        }
        if (rc == AVERROR_EOF) {
            finished_ = true;
            if (frames_this_pass_ == 0)
                fail("no picture could be decoded (truncated or corrupt)");
            return nullptr;
        }
        if (rc != AVERROR(EAGAIN)) {
            fail("decoding failed (" + av_error_text(rc) + ")");
        }
        if (draining_) {
            finished_ = true;
            return nullptr;
        }
        const int read_rc = av_read_frame(format_.get(), packet_.get());
        if (read_rc == AVERROR_EOF) {
            draining_ = true;
            avcodec_send_packet(decoder_.get(), nullptr);
            continue;
        }
        if (read_rc < 0)
            fail("reading failed, truncated or corrupt (" + av_error_text(read_rc) + ")");
        if (packet_->stream_index == stream_index_) {
            const int send_rc = avcodec_send_packet(decoder_.get(), packet_.get());
            // One damaged packet in a long video is tolerated once pictures have come out.
            if (send_rc < 0 && send_rc != AVERROR(EAGAIN) && frames_this_pass_ == 0 &&
                send_rc != AVERROR_INVALIDDATA) {
                av_packet_unref(packet_.get());
                fail("decoding failed (" + av_error_text(send_rc) + ")");
            }
            if (send_rc == AVERROR_INVALIDDATA && frames_this_pass_ == 0 &&
                kind_ == MediaKind::still) {
                av_packet_unref(packet_.get());
                fail("image data is corrupt or truncated (" + av_error_text(send_rc) + ")");
            }
        }
        av_packet_unref(packet_.get());
    }
}

}  // namespace memegen::detail
