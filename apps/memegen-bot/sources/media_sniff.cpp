#include "sources/media_sniff.hpp"

namespace memegen::bot {

MediaFormat sniff_media_format(std::string_view head) noexcept {
    using namespace std::string_view_literals;
    if (head.substr(0, 8) == "\x89PNG\r\n\x1a\n"sv)
        return MediaFormat::png;
    if (head.substr(0, 3) == "\xff\xd8\xff"sv)
        return MediaFormat::jpeg;
    if (head.substr(0, 6) == "GIF87a"sv || head.substr(0, 6) == "GIF89a"sv)
        return MediaFormat::gif;
    if (head.size() >= 12 && head.substr(0, 4) == "RIFF"sv && head.substr(8, 4) == "WEBP"sv)
        return MediaFormat::webp;
    if (head.substr(0, 4) == "\x1a\x45\xdf\xa3"sv)
        return MediaFormat::webm;
    if (head.size() >= 8) {
        const std::string_view box = head.substr(4, 4);
        if (box == "ftyp"sv || box == "moov"sv || box == "mdat"sv || box == "free"sv ||
            box == "skip"sv || box == "wide"sv) {
            return MediaFormat::mp4;
        }
    }
    return MediaFormat::unknown;
}

std::string_view extension_of(MediaFormat format) noexcept {
    switch (format) {
        case MediaFormat::png:
            return ".png";
        case MediaFormat::jpeg:
            return ".jpg";
        case MediaFormat::gif:
            return ".gif";
        case MediaFormat::webp:
            return ".webp";
        case MediaFormat::mp4:
            return ".mp4";
        case MediaFormat::webm:
            return ".webm";
        case MediaFormat::unknown:
            break;
    }
    return "";
}

std::string_view to_string(MediaFormat format) noexcept {
    const std::string_view ext = extension_of(format);
    if (ext.empty())
        return "unknown";
    return format == MediaFormat::jpeg ? "jpeg" : ext.substr(1);
}

}  // namespace memegen::bot
