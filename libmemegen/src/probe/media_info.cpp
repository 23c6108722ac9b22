// The plain-data side of media_probe.hpp: names of kinds and roles, JSON, and the usual file
// extension of a probed content. No FFmpeg here.

#include <map>

#include "memegen/media_probe.hpp"

namespace memegen {

std::string_view to_string(ProbedKind kind) noexcept {
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

std::optional<ProbedKind> parse_probed_kind(std::string_view text) noexcept {
    for (const auto kind :
         {ProbedKind::still, ProbedKind::animation, ProbedKind::video, ProbedKind::audio}) {
        if (to_string(kind) == text)
            return kind;
    }
    return std::nullopt;
}

std::string_view to_string(MediaRole role) noexcept {
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

std::optional<MediaRole> parse_media_role(std::string_view text) noexcept {
    for (const auto role : {MediaRole::any, MediaRole::meme, MediaRole::music}) {
        if (to_string(role) == text)
            return role;
    }
    return std::nullopt;
}

std::string MediaInfo::canonical_extension() const {
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

void to_json(nlohmann::json& j, const MediaInfo& info) {
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
         {"audio_codec", info.audio_codec}};
}

void from_json(const nlohmann::json& j, MediaInfo& info) {
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
}

}  // namespace memegen
