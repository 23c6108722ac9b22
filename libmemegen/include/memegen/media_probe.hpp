#pragma once
/// \file media_probe.hpp
/// Checks one media file before it enters a library: it must decode (the first picture of a
/// still, GIF or video; the first audio frame of a track), be the kind its library needs, and
/// stay within a size and a pixel limit — a header claiming 30000×30000 is refused before
/// anything is decoded. A file that passes is safe to hand to MemeRenderer.
///
/// FFmpeg stays out of this header; probe_media() lives in libmemegen.so (a program that loads
/// the library with dlopen uses memegen_probe_json() of render_entry.h instead).

#include <cstdint>
#include <filesystem>
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

/// "still", "animation", "video", "audio".
[[nodiscard]] std::string_view to_string(ProbedKind kind) noexcept;
/// The kind named by `text` (as to_string() writes it); nullopt otherwise.
[[nodiscard]] std::optional<ProbedKind> parse_probed_kind(std::string_view text) noexcept;

/// Which library a file is meant for: what it must contain.
enum class MediaRole {
    any,    ///< anything that decodes
    meme,   ///< needs a picture (still, animation or video); its own audio may come along
    music,  ///< needs an audio stream
};

/// "any", "meme", "music".
[[nodiscard]] std::string_view to_string(MediaRole role) noexcept;
/// The role named by `text`; nullopt otherwise.
[[nodiscard]] std::optional<MediaRole> parse_media_role(std::string_view text) noexcept;

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
    double duration_seconds = 0;   ///< 0 for a still; as the container says otherwise
    bool has_video = false;        ///< a picture stream decoded
    bool has_audio = false;        ///< an audio stream decoded
    std::string container;         ///< FFmpeg's demuxer name ("png_pipe", "mov,mp4,m4a,...")
    std::string video_codec;       ///< "h264", "gif", "png", ... (empty without video)
    std::string audio_codec;       ///< "aac", "mp3", ... (empty without audio)

    /// The usual file extension for this content (".png", ".gif", ".mp4", ".m4a", ...), so a
    /// file saved under another name gets one the libraries recognise.
    [[nodiscard]] std::string canonical_extension() const;
};

/// {"kind", "size_bytes", "width", "height", "rotation", "duration_seconds", "has_video",
///  "has_audio", "container", "video_codec", "audio_codec"}.
void to_json(nlohmann::json& j, const MediaInfo& info);
/// The inverse of to_json(); missing fields keep their defaults, a bad "kind" throws
/// nlohmann::json::exception.
void from_json(const nlohmann::json& j, MediaInfo& info);

/// Probes `path` against `limits`. Reads the file's header, opens the container, checks the
/// streams the role needs, and decodes the first picture and/or the first audio frame.
/// Throws MediaError naming the file and the cause: missing, not a regular file, empty, larger
/// than max_bytes, a picture larger than max_pixels (checked on the header, before decoding),
/// not a media file, truncated (GIF without trailer, PNG without IEND, MP4 whose samples lie
/// beyond the end of the file), no picture for a meme, no audio for a track, no decoder, or
/// the first frame does not decode.
[[nodiscard]] MediaInfo probe_media(const std::filesystem::path& path,
                                    const ProbeLimits& limits = {});

}  // namespace memegen
