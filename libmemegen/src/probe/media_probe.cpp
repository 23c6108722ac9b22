// probe_media(): the checks of media_probe.hpp, cheapest first — file facts, then the picture
// header, then the container, then one decoded frame per needed stream.

#include "memegen/media_probe.hpp"

extern "C" {
#include <libavutil/display.h>
}

#include <cmath>
#include <system_error>
#include <vector>

#include "../render/audio_source.hpp"
#include "../render/av_ptr.hpp"
#include "../render/picture_budget.hpp"
#include "image_header.hpp"
#include "memegen/error.hpp"

namespace memegen {
namespace {

using detail::av_error_text;

bool is_still_demuxer(const char* name) {
    const std::string n = name != nullptr ? name : "";
    return n == "image2" || n.ends_with("_pipe");
}

// Packets read while looking for the first frames: enough for any real file whose first
// picture needs many packets (interleaved audio, B-frames), small enough to stay a probe.
constexpr int kMaxPacketsRead = 4000;

/// One probe of one file; every FFmpeg object is owned by the RAII types of av_ptr.hpp.
class FileProbe {
  public:
    FileProbe(std::filesystem::path path, const ProbeLimits& limits)
        : path_(std::move(path)), limits_(limits) {}

    MediaInfo run() {
        check_file();
        open_container();
        choose_streams();
        check_complete();
        decode_first_frames();
        measure_audio();
        describe();
        return info_;
    }

  private:
    [[noreturn]] void fail(const std::string& reason) const {
        throw MediaError("'" + path_.string() + "': " + reason);
    }

    void check_pixels(std::int64_t width, std::int64_t height) const {
        if (width * height > limits_.max_pixels) {
            fail("picture of " + std::to_string(width) + "x" + std::to_string(height) +
                 " exceeds the limit of " + std::to_string(limits_.max_pixels) + " pixels");
        }
    }

    void check_file() {
        std::error_code ec;
        const auto status = std::filesystem::status(path_, ec);
        if (!std::filesystem::exists(status))
            fail("file not found");
        if (!std::filesystem::is_regular_file(status))
            fail("not a regular file");
        info_.size_bytes = std::filesystem::file_size(path_, ec);
        if (ec)
            fail("cannot read its size (" + ec.message() + ")");
        if (info_.size_bytes == 0)
            fail("file is empty (0 bytes)");
        if (info_.size_bytes > limits_.max_bytes) {
            fail("file of " + std::to_string(info_.size_bytes) + " bytes exceeds the limit of " +
                 std::to_string(limits_.max_bytes) + " bytes");
        }
        // Before FFmpeg sees the file: a picture header's claim is checked without decoding.
        if (const auto size = detail::picture_size_from_header(path_))
            check_pixels(size->width, size->height);
        if (const auto cut = detail::missing_end_marker(path_))
            fail(*cut);
    }

    // Opens the file with decoders that refuse huge pictures too and use one thread.
    detail::FormatInputPtr open_format() const {
        AVFormatContext* raw = nullptr;
        if (const int rc = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr); rc < 0)
            fail("not a readable media file (" + av_error_text(rc) + ")");
        detail::FormatInputPtr format(raw);
        std::vector<AVDictionary*> options(format->nb_streams, nullptr);
        for (auto*& d : options) {
            av_dict_set_int(&d, "max_pixels", limits_.max_pixels, 0);
            av_dict_set(&d, "threads", "1", 0);
        }
        const int rc =
            avformat_find_stream_info(format.get(), options.empty() ? nullptr : options.data());
        for (auto*& d : options)
            av_dict_free(&d);  // what find_stream_info left unused
        if (rc < 0)
            fail("cannot read stream information (" + av_error_text(rc) + ")");
        return format;
    }

    void open_container() {
        format_ = open_format();
        info_.container = format_->iformat->name != nullptr ? format_->iformat->name : "";
    }

    void choose_streams() {
        std::string unsupported;
        for (unsigned i = 0; i < format_->nb_streams; ++i) {
            const AVStream* s = format_->streams[i];
            const AVCodecParameters* p = s->codecpar;
            if (p->codec_type != AVMEDIA_TYPE_VIDEO || video_index_ >= 0 ||
                (s->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0) {
                continue;
            }
            if (avcodec_find_decoder(p->codec_id) == nullptr) {
                unsupported = avcodec_get_name(p->codec_id);
                continue;
            }
            video_index_ = static_cast<int>(i);
        }
        audio_index_ = av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
        if (audio_index_ >= 0 &&
            avcodec_find_decoder(format_->streams[audio_index_]->codecpar->codec_id) == nullptr) {
            if (limits_.role == MediaRole::music) {
                fail(std::string("unsupported audio codec '") +
                     avcodec_get_name(format_->streams[audio_index_]->codecpar->codec_id) +
                     "': no decoder in this FFmpeg");
            }
            audio_index_ = -1;
        }
        const bool picture = video_index_ >= 0;
        const bool sound = audio_index_ >= 0;
        if (limits_.role == MediaRole::meme && !picture) {
            if (!unsupported.empty())
                fail("unsupported video codec '" + unsupported + "': no decoder in this FFmpeg");
            fail(sound ? "contains only audio: a meme needs a picture (image or video stream)"
                       : "contains no video stream or image");
        }
        if (limits_.role == MediaRole::music && !sound) {
            fail(picture ? "contains no audio stream: a music track needs one"
                         : "contains no audio stream");
        }
        if (!picture && !sound)
            fail("contains no decodable video or audio stream");
        if (picture) {
            const AVCodecParameters* p = format_->streams[video_index_]->codecpar;
            if (p->width <= 0 || p->height <= 0) {
                fail("picture size unreadable or above the limit of " +
                     std::to_string(limits_.max_pixels) + " pixels");
            }
            check_pixels(p->width, p->height);
            // The renderer's own rule, so the probe never admits what the renderer refuses.
            if (limits_.role != MediaRole::music) {
                if (const auto why =
                        detail::picture_memory_refusal(path_, format_.get(), video_index_)) {
                    fail(*why);
                }
            }
        }
    }

    // A container that indexes its samples (MP4, MOV) says where each lies: one beyond the end
    // of the file means the file was cut (the first frames may still decode).
    void check_complete() const {
        const auto size = static_cast<std::int64_t>(info_.size_bytes);
        for (const int index : {video_index_, audio_index_}) {
            if (index < 0)
                continue;
            AVStream* s = format_->streams[index];
            const int count = avformat_index_get_entries_count(s);
            std::int64_t end = 0;
            for (int e = 0; e < count; ++e) {
                const AVIndexEntry* entry = avformat_index_get_entry(s, e);
                if (entry != nullptr && entry->pos >= 0)
                    end = std::max(end, entry->pos + entry->size);
            }
            if (end > size) {
                fail("truncated: its samples end at byte " + std::to_string(end) +
                     " but the file has " + std::to_string(size) + " bytes");
            }
        }
    }

    detail::CodecContextPtr open_decoder(int index) const {
        const AVStream* s = format_->streams[index];
        const AVCodec* codec = avcodec_find_decoder(s->codecpar->codec_id);
        detail::CodecContextPtr decoder(avcodec_alloc_context3(codec));
        if (!decoder)
            throw std::bad_alloc();
        if (const int rc = avcodec_parameters_to_context(decoder.get(), s->codecpar); rc < 0)
            fail("bad codec parameters (" + av_error_text(rc) + ")");
        decoder->pkt_timebase = s->time_base;
        decoder->thread_count = 1;
        // Corrupt data is an error here, not something to conceal.
        decoder->err_recognition |= AV_EF_EXPLODE;
        AVDictionary* raw = nullptr;
        av_dict_set_int(&raw, "max_pixels", limits_.max_pixels, 0);
        const int rc = avcodec_open2(decoder.get(), codec, &raw);
        detail::DictionaryPtr options(raw);
        if (rc < 0) {
            fail(std::string("cannot open the '") + codec->name + "' decoder (" +
                 av_error_text(rc) + ")");
        }
        return decoder;
    }

    // Feeds `packet` (nullptr: flush) and says whether a frame came out; a decoding error
    // ends the probe naming the stream.
    bool feed(AVCodecContext* decoder, const AVPacket* packet, const char* what) {
        int rc = avcodec_send_packet(decoder, packet);
        if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
            fail(std::string("the first ") + what + " does not decode (" + av_error_text(rc) + ")");
        rc = avcodec_receive_frame(decoder, frame_.get());
        if (rc == 0) {
            av_frame_unref(frame_.get());
            return true;
        }
        if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
            fail(std::string("the first ") + what + " does not decode (" + av_error_text(rc) + ")");
        return false;
    }

    void decode_first_frames() {
        frame_ = detail::make_frame();
        auto packet = detail::make_packet();
        detail::CodecContextPtr video;
        detail::CodecContextPtr audio;
        bool need_video = video_index_ >= 0;
        bool need_audio = audio_index_ >= 0;
        if (need_video)
            video = open_decoder(video_index_);
        if (need_audio)
            audio = open_decoder(audio_index_);
        for (int read = 0; (need_video || need_audio) && read < kMaxPacketsRead; ++read) {
            const int rc = av_read_frame(format_.get(), packet.get());
            if (rc == AVERROR_EOF)
                break;
            if (rc < 0)
                fail("cannot read the file's data (" + av_error_text(rc) + ")");
            if (need_video && packet->stream_index == video_index_)
                need_video = !feed(video.get(), packet.get(), "picture");
            else if (need_audio && packet->stream_index == audio_index_)
                need_audio = !feed(audio.get(), packet.get(), "audio frame");
            av_packet_unref(packet.get());
        }
        // Decoders may hold the first frame back until they are drained.
        if (need_video)
            need_video = !feed(video.get(), nullptr, "picture");
        if (need_audio)
            need_audio = !feed(audio.get(), nullptr, "audio frame");
        if (need_video)
            fail("no picture could be decoded from it");
        if (need_audio)
            fail("no audio could be decoded from it");
    }

    // A header's length is a claim: a cut MP3 still says "60 s" with 3 s left, and a WAV may
    // hold nothing but zeros. The whole audio stream is decoded once (0.15-0.2 s of CPU for a
    // 3-minute MP3, bounded by max_bytes) so a track's length is what really plays. A track —
    // the music role, or a file that holds only audio — is refused when it is far shorter
    // than its header says, empty or silent; a meme's own sound is only measured.
    void measure_audio() {
        if (audio_index_ < 0)
            return;
        // A fresh context: the first-frame pass left this one mid-file, and seeking back is
        // not something every demuxer does exactly.
        const auto format = open_format();
        const auto measure = detail::measure_audio(format.get(), audio_index_, path_);
        info_.audio_seconds = measure.seconds();
        if (limits_.role != MediaRole::music && video_index_ >= 0)
            return;
        if (const auto why = measure.refusal())
            fail(*why);
        if (const auto cut = measure.truncation())
            fail(*cut);
    }

    void describe() {
        info_.has_video = video_index_ >= 0;
        info_.has_audio = audio_index_ >= 0;
        const AVStream* main = format_->streams[info_.has_video ? video_index_ : audio_index_];
        if (info_.has_video) {
            const AVCodecParameters* p = main->codecpar;
            info_.width = p->width;
            info_.height = p->height;
            info_.video_codec = avcodec_get_name(p->codec_id);
            if (is_still_demuxer(format_->iformat->name) && p->codec_id != AV_CODEC_ID_GIF) {
                info_.kind = ProbedKind::still;
            } else if (p->codec_id == AV_CODEC_ID_GIF || p->codec_id == AV_CODEC_ID_APNG ||
                       p->codec_id == AV_CODEC_ID_WEBP) {
                info_.kind = ProbedKind::animation;
            } else {
                info_.kind = ProbedKind::video;
            }
            if (const auto* matrix = reinterpret_cast<const int32_t*>(
                    av_stream_get_side_data(main, AV_PKT_DATA_DISPLAYMATRIX, nullptr))) {
                const double ccw = av_display_rotation_get(matrix);
                if (!std::isnan(ccw)) {
                    int cw = static_cast<int>(std::lround(-ccw)) % 360;
                    if (cw < 0)
                        cw += 360;
                    info_.rotation = (cw + 45) / 90 % 4 * 90;
                }
            }
        } else {
            info_.kind = ProbedKind::audio;
        }
        if (info_.has_audio)
            info_.audio_codec =
                avcodec_get_name(format_->streams[audio_index_]->codecpar->codec_id);
        if (info_.kind == ProbedKind::audio) {
            info_.duration_seconds = info_.audio_seconds;
        } else if (info_.kind != ProbedKind::still) {
            if (main->duration != AV_NOPTS_VALUE && main->duration > 0) {
                info_.duration_seconds =
                    static_cast<double>(main->duration) * av_q2d(main->time_base);
            } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
                info_.duration_seconds = static_cast<double>(format_->duration) / AV_TIME_BASE;
            }
        }
    }

    std::filesystem::path path_;
    ProbeLimits limits_;
    detail::FormatInputPtr format_;
    detail::FramePtr frame_;
    int video_index_ = -1;
    int audio_index_ = -1;
    MediaInfo info_;
};

}  // namespace

MediaInfo probe_media(const std::filesystem::path& path, const ProbeLimits& limits) {
    return FileProbe(path, limits).run();
}

}  // namespace memegen
