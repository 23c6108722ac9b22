#include "image_header.hpp"

#include <array>
#include <cstring>
#include <fstream>

namespace memegen::detail {
namespace {

std::uint32_t be16(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 8) | p[1];
}
std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}
std::uint32_t le16(const unsigned char* p) {
    return p[0] | (std::uint32_t{p[1]} << 8);
}
std::uint32_t le24(const unsigned char* p) {
    return p[0] | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16);
}

bool is_png(const unsigned char* h, std::size_t n) {
    return n >= 8 && std::memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0;
}
bool is_gif(const unsigned char* h, std::size_t n) {
    return n >= 6 && (std::memcmp(h, "GIF87a", 6) == 0 || std::memcmp(h, "GIF89a", 6) == 0);
}

}  // namespace

std::optional<HeaderSize> picture_size_from_header(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::array<unsigned char, 64 * 1024> buffer{};
    in.read(reinterpret_cast<char*>(buffer.data()), buffer.size());
    const auto n = static_cast<std::size_t>(in.gcount());
    const unsigned char* h = buffer.data();
    if (is_png(h, n) && n >= 24 && std::memcmp(h + 12, "IHDR", 4) == 0)
        return HeaderSize{be32(h + 16), be32(h + 20)};
    if (is_gif(h, n) && n >= 10)
        return HeaderSize{le16(h + 6), le16(h + 8)};
    if (n >= 30 && std::memcmp(h, "RIFF", 4) == 0 && std::memcmp(h + 8, "WEBP", 4) == 0) {
        if (std::memcmp(h + 12, "VP8X", 4) == 0)
            return HeaderSize{le24(h + 24) + 1, le24(h + 27) + 1};
        if (std::memcmp(h + 12, "VP8 ", 4) == 0)
            return HeaderSize{le16(h + 26) & 0x3FFF, le16(h + 28) & 0x3FFF};
        if (std::memcmp(h + 12, "VP8L", 4) == 0) {
            const std::uint32_t bits = h[21] | (std::uint32_t{h[22]} << 8) |
                                       (std::uint32_t{h[23]} << 16) | (std::uint32_t{h[24]} << 24);
            return HeaderSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
        }
    }
    if (n >= 4 && h[0] == 0xFF && h[1] == 0xD8) {
        // JPEG: walk the segments to the first start-of-frame marker.
        std::size_t at = 2;
        while (at + 9 < n && h[at] == 0xFF) {
            const unsigned marker = h[at + 1];
            if (marker == 0xFF) {
                ++at;
                continue;
            }
            const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
                             marker != 0xCC;
            if (sof)
                return HeaderSize{be16(h + at + 7), be16(h + at + 5)};
            at += 2 + be16(h + at + 2);
        }
    }
    return std::nullopt;
}

std::optional<std::string> missing_end_marker(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        return std::nullopt;
    const auto size = static_cast<std::streamoff>(in.tellg());
    std::array<unsigned char, 8> head{};
    in.seekg(0);
    in.read(reinterpret_cast<char*>(head.data()), head.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    if (is_gif(head.data(), got)) {
        // A GIF ends with the trailer byte 0x3B; the demuxer stops early without complaint.
        char last = 0;
        in.seekg(size - 1);
        in.read(&last, 1);
        if (last != 0x3B)
            return "truncated GIF (no trailer byte at the end)";
    } else if (is_png(head.data(), got)) {
        // The last chunk of a PNG is IEND: length 0, type "IEND", CRC AE 42 60 82.
        std::array<unsigned char, 12> tail{};
        if (size < 12 + 8)
            return "truncated PNG (no IEND chunk at the end)";
        in.seekg(size - 12);
        in.read(reinterpret_cast<char*>(tail.data()), tail.size());
        if (std::memcmp(tail.data() + 4, "IEND", 4) != 0)
            return "truncated PNG (no IEND chunk at the end)";
    }
    return std::nullopt;
}

}  // namespace memegen::detail
