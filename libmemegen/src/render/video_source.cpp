#include "video_source.hpp"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/display.h>
}

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "../probe/image_header.hpp"
#include "memegen/error.hpp"
#include "picture_budget.hpp"

namespace memegen::detail {
namespace {

/// Pictures up to 1920x1088 (1080p as coded) get two decoder frame threads; see open().
constexpr std::int64_t kFrameThreadedPixels = 1920 * 1088;

bool is_still_demuxer(const char* name) {
    const std::string n = name;
    return n == "image2" || (n.size() > 5 && n.compare(n.size() - 5, 5, "_pipe") == 0);
}

}  // namespace

VideoSource::VideoSource(std::filesystem::path path, std::int64_t max_pixels, FitBox fit,
                         bool frame_threads)
    : path_(std::move(path)), max_pixels_(max_pixels), fit_(fit), frame_threads_(frame_threads) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec))
        fail("file not found");
    if (!std::filesystem::is_regular_file(path_, ec))
        fail("not a regular file");
    if (std::filesystem::file_size(path_, ec) == 0)
        fail("file is empty (0 bytes)");
    if (const auto size = picture_size_from_header(path_))
        check_pixels(size->width, size->height);
    // Before any decoder sees it, as the probe does: otherwise a cut PNG only shows as a
    // picture FFmpeg cannot size.
    if (const auto cut = missing_end_marker(path_))
        fail(*cut);
    png_ = read_still_png_header(path_);
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

// A still PNG never goes through FFmpeg: libpng decodes it once, reduced, and every pass
// hands out that picture.
void VideoSource::open_png() {
    width_ = png_->width;
    height_ = png_->height;
    check_pixels(width_, height_);
    if (!still_)
        still_ = decode_png_reduced(path_, *png_, reduction_factor(width_, height_, fit_));
    kind_ = MediaKind::still;
    duration_ = 0;
    frame_rate_ = 25;  // what FFmpeg's image2 demuxer reports for a still
    rotation_ = 0;
    flip_ = false;
    has_audio_ = false;
    finished_ = false;
    pending_ = false;
    frames_this_pass_ = 0;
    last_seconds_ = -1;
}

void VideoSource::skip_unreferenced(bool skip) noexcept {
    if (decoder_)
        decoder_->skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
}

void VideoSource::open() {
    decoder_.reset();
    format_.reset();
    if (png_) {
        open_png();
        return;
    }
    AVFormatContext* raw = nullptr;
    if (int rc = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr); rc < 0) {
        fail("not a readable media file (" + av_error_text(rc) + ")");
    }
    format_.reset(raw);

    // A JPEG much larger than the frame is decoded at 1/2, 1/4 or 1/8 per side (lowres), by
    // find_stream_info's trial decode too; its header keeps the full size for width()/height().
    lowres_ = 0;
    std::optional<JpegFrame> jpeg;
    if (format_->nb_streams == 1 && is_still_demuxer(format_->iformat->name) &&
        format_->streams[0]->codecpar->codec_id == AV_CODEC_ID_MJPEG) {
        jpeg = read_jpeg_frame(path_);
        if (jpeg)
            lowres_ = lowres_for(reduction_factor(jpeg->width, jpeg->height, fit_));
    }

    // Decoders opened by find_stream_info must refuse huge pictures too: without this a header
    // claiming 20000x20000 would make FFmpeg allocate the picture while probing.
    AVDictionary** per_stream = nullptr;
    std::vector<DictionaryPtr> holders;
    std::vector<AVDictionary*> dicts(format_->nb_streams, nullptr);
    for (unsigned i = 0; i < format_->nb_streams; ++i) {
        av_dict_set_int(&dicts[i], "max_pixels", max_pixels_, 0);
        if (lowres_ > 0)
            av_dict_set_int(&dicts[i], "lowres", lowres_, 0);
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
    if (lowres_ > 0 && jpeg) {
        width_ = jpeg->width;
        height_ = jpeg->height;
    }
    check_pixels(width_, height_);
    if (const auto refusal = picture_memory_refusal(path_, format_.get(), stream_index_))
        fail(*refusal);

    CodecContextPtr decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(decoder.get(), par); rc < 0) {
        fail("bad codec parameters (" + av_error_text(rc) + ")");
    }
    decoder->pkt_timebase = stream->time_base;
    // Two frame threads up to 1080p when asked: the next pictures decode while the caller works
    // on this one. The renderer asks at x264's slower presets, where its two sliced threads
    // leave a core idle (a 720p clip at medium: 6.9 s instead of 7.3 s); at veryfast the +2.4 MB
    // (135.0 MB instead of 132.6) is not worth a speed already in target. Each decoder thread
    // also allocates from a malloc arena of its own, which keeps some memory after a trim.
    // Larger pictures decode on one thread: every frame thread holds its own reference frames
    // (a 3840x2160 clip: 200 MB at 1080x1920 with two threads, 154 MB with one).
    decoder->thread_count =
        frame_threads_ && static_cast<std::int64_t>(width_) * height_ <= kFrameThreadedPixels ? 2
                                                                                              : 1;
    AVDictionary* opts = nullptr;
    av_dict_set_int(&opts, "max_pixels", max_pixels_, 0);
    if (lowres_ > 0)
        av_dict_set_int(&opts, "lowres", lowres_, 0);
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
    if (png_)
        return 0;
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
    if (png_) {
        if (finished_)
            return nullptr;
        finished_ = true;
        ++frames_decoded_;
        ++frames_this_pass_;
        frame_seconds_ = 0;
        return still_.get();
    }
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
