#pragma once
/// \file media_probe.hpp
/// Checks one media file before it enters a library: it must decode (the first picture of a
/// still, GIF or video; a track's whole audio, so its length is what plays and not what its
/// header claims), be the kind its library needs, and stay within a size and a pixel limit —
/// a header claiming 30000×30000 is refused before anything is decoded. A file that passes is
/// safe to hand to MemeRenderer.
///
/// FFmpeg stays out of this header; only probe_media() lives in libmemegen.so (a program that loads
/// the library with dlopen uses memegen_probe_json() of render_entry.h instead).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace memegen {

/// What a media file holds, decided by its content (never by its extension).
enum class ProbedKind {
    still,      ///< one picture: PNG, JPEG, WebP, BMP, ...
    animation,  ///< an animated picture: GIF, APNG, animated WebP
    video,      ///< a video stream in a container (MP4, MOV, WebM, MKV, ...)
    audio,      ///< audio only (MP3, M4A, Opus, ...)
};

/// Which library a file is meant for: what it must contain.
enum class MediaRole {
    any,    ///< anything that decodes
    meme,   ///< needs a picture (still, animation or video); its own audio may come along
    music,  ///< needs an audio stream
};

/// The limits and expectation a probe checks.
struct ProbeLimits {
    std::uint64_t max_bytes = 100ull * 1000 * 1000;  ///< larger files are refused unread
    std::int64_t max_pixels = 50'000'000;            ///< width×height above this is refused
    MediaRole role = MediaRole::any;                 ///< what the file must contain
};

/// What probe_media() found in a file that passed.
struct MediaInfo {
    ProbedKind kind = ProbedKind::still;
    std::uint64_t size_bytes = 0;  ///< file size
    int width = 0;                 ///< coded picture width (0 for audio)
    int height = 0;                ///< coded picture height (0 for audio)
    int rotation = 0;              ///< clockwise display rotation of a phone video: 0/90/180/270
    /// 0 for a still; for audio only, the decoded length (what plays, whatever the header
    /// claims); for a video or animation, as the container says.
    double duration_seconds = 0;
    bool has_video = false;   ///< a picture stream decoded
    bool has_audio = false;   ///< an audio stream decoded
    std::string container;    ///< FFmpeg's demuxer name ("png_pipe", "mov,mp4,m4a,...")
    std::string video_codec;  ///< "h264", "gif", "png", ... (empty without video)
    std::string audio_codec;  ///< "aac", "mp3", ... (empty without audio)
    /// Decoded length of the audio stream in seconds — what really plays, measured by decoding
    /// it to its end (0 without audio). A video's sound may be shorter than its pictures.
    double audio_seconds = 0;

    /// The usual file extension for this content (".png", ".gif", ".mp4", ".m4a", ...), so a
    /// file saved under another name gets one the libraries recognise.
    [[nodiscard]] std::string canonical_extension() const;
};

// ---- Plain-data helpers: inline, so a program that only loads the library with dlopen
// (memegen-bot) can use these types without linking it.
/// "still", "animation", "video", "audio".
inline std::string_view to_string(ProbedKind kind) noexcept {
    switch (kind) {
        case ProbedKind::still:
            return "still";
        case ProbedKind::animation:
            return "animation";
        case ProbedKind::video:
            return "video";
        case ProbedKind::audio:
            return "audio";
    }
    return "still";
}

/// The kind named by `text` (as to_string() writes it); nullopt otherwise.
inline std::optional<ProbedKind> parse_probed_kind(std::string_view text) noexcept {
    for (const auto kind :
         {ProbedKind::still, ProbedKind::animation, ProbedKind::video, ProbedKind::audio}) {
        if (to_string(kind) == text)
            return kind;
    }
    return std::nullopt;
}

/// "any", "meme", "music".
inline std::string_view to_string(MediaRole role) noexcept {
    switch (role) {
        case MediaRole::any:
            return "any";
        case MediaRole::meme:
            return "meme";
        case MediaRole::music:
            return "music";
    }
    return "any";
}

/// The role named by `text`; nullopt otherwise.
inline std::optional<MediaRole> parse_media_role(std::string_view text) noexcept {
    for (const auto role : {MediaRole::any, MediaRole::meme, MediaRole::music}) {
        if (to_string(role) == text)
            return role;
    }
    return std::nullopt;
}

inline std::string MediaInfo::canonical_extension() const {
    // Single-picture demuxers are named after the picture's format; containers by family.
    static const std::map<std::string, std::string, std::less<>> by_container = {
        {"png_pipe", ".png"}, {"apng", ".png"},     {"jpeg_pipe", ".jpg"}, {"webp_pipe", ".webp"},
        {"gif", ".gif"},      {"bmp_pipe", ".bmp"}, {"mp3", ".mp3"},       {"wav", ".wav"},
        {"flac", ".flac"},    {"aac", ".aac"},      {"avi", ".avi"},       {"flv", ".flv"},
        {"mpegts", ".ts"},
    };
    if (const auto it = by_container.find(container); it != by_container.end())
        return it->second;
    if (container == "image2") {
        if (video_codec == "mjpeg")
            return ".jpg";
        if (video_codec == "png" || video_codec == "webp" || video_codec == "bmp" ||
            video_codec == "gif") {
            return "." + video_codec;
        }
    }
    if (container.starts_with("mov,mp4"))
        return kind == ProbedKind::audio ? ".m4a" : ".mp4";
    if (container.starts_with("matroska")) {
        const bool web_video = video_codec.empty() || video_codec == "vp8" ||
                               video_codec == "vp9" || video_codec == "av1";
        const bool web_audio =
            audio_codec.empty() || audio_codec == "opus" || audio_codec == "vorbis";
        if (kind == ProbedKind::audio)
            return ".mka";
        return web_video && web_audio ? ".webm" : ".mkv";
    }
    if (container == "ogg")
        return audio_codec == "opus" ? ".opus" : ".ogg";
    switch (kind) {
        case ProbedKind::still:
            return ".png";
        case ProbedKind::animation:
            return ".gif";
        case ProbedKind::video:
            return ".mp4";
        case ProbedKind::audio:
            return ".m4a";
    }
    return ".bin";
}

/// {"kind", "size_bytes", "width", "height", "rotation", "duration_seconds", "has_video",
///  "has_audio", "container", "video_codec", "audio_codec", "audio_seconds"}.
inline void to_json(nlohmann::json& j, const MediaInfo& info) {
    j = {{"kind", to_string(info.kind)},
         {"size_bytes", info.size_bytes},
         {"width", info.width},
         {"height", info.height},
         {"rotation", info.rotation},
         {"duration_seconds", info.duration_seconds},
         {"has_video", info.has_video},
         {"has_audio", info.has_audio},
         {"container", info.container},
         {"video_codec", info.video_codec},
         {"audio_codec", info.audio_codec},
         {"audio_seconds", info.audio_seconds}};
}

/// The inverse of to_json(); missing fields keep their defaults, a bad "kind" throws
/// nlohmann::json::exception.
inline void from_json(const nlohmann::json& j, MediaInfo& info) {
    const auto kind = parse_probed_kind(j.at("kind").get<std::string>());
    if (!kind) {
        throw nlohmann::json::other_error::create(
            501, "unknown media kind '" + j.at("kind").get<std::string>() + "'", &j);
    }
    info.kind = *kind;
    info.size_bytes = j.value("size_bytes", std::uint64_t{0});
    info.width = j.value("width", 0);
    info.height = j.value("height", 0);
    info.rotation = j.value("rotation", 0);
    info.duration_seconds = j.value("duration_seconds", 0.0);
    info.has_video = j.value("has_video", false);
    info.has_audio = j.value("has_audio", false);
    info.container = j.value("container", std::string{});
    info.video_codec = j.value("video_codec", std::string{});
    info.audio_codec = j.value("audio_codec", std::string{});
    info.audio_seconds = j.value("audio_seconds", 0.0);
}

/// Probes `path` against `limits`. Reads the file's header, opens the container, checks the
/// streams the role needs, decodes the first picture and/or the first audio frame, and decodes
/// the whole audio stream to measure its real length (MediaInfo::audio_seconds).
/// Throws MediaError naming the file and the cause: missing, not a regular file, empty, larger
/// than max_bytes, a picture larger than max_pixels (checked on the header, before decoding),
/// not a media file, truncated (GIF without trailer, PNG without IEND, MP4 whose samples lie
/// beyond the end of the file; a track whose decoded audio is far shorter than its header says:
/// "truncated: 3.1 s of audio where the header says 60.0 s"), no picture for a meme, no audio
/// for a track, no decoder, the first frame does not decode, or a track (music role, or a file
/// with only audio) decodes to no samples ("no audio: ...") or only digital silence
/// ("silent: ...").
[[nodiscard]] MediaInfo probe_media(const std::filesystem::path& path,
                                    const ProbeLimits& limits = {});

}  // namespace memegen
