#pragma once
// What a picture file's first bytes say before FFmpeg is asked anything: the size its header
// claims (so a 30000×30000 header is refused without allocating it) and whether the file ends
// the way its format requires (a truncated PNG or GIF otherwise decodes as a shorter one).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace memegen::detail {

/// A picture size as a header states it.
struct HeaderSize {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
};

/// The size claimed by a PNG, GIF, WebP or JPEG header in the first 64 kB of `path`; nullopt
/// for other formats or a header too short to say.
[[nodiscard]] std::optional<HeaderSize> picture_size_from_header(const std::filesystem::path& path);

/// Why `path` is cut short, for formats with a mandatory end marker (PNG's IEND chunk, GIF's
/// trailer byte); nullopt when it ends properly or the format has no such marker.
[[nodiscard]] std::optional<std::string> missing_end_marker(const std::filesystem::path& path);

}  // namespace memegen::detail
