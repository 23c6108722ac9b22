#pragma once
// Still PNGs decoded with libpng row by row and area-averaged down while decoding, so a huge
// or 16-bit picture never exists at full size in memory (FFmpeg's PNG decoder allocates the
// whole picture, at 6 or 8 bytes a pixel for 16-bit files).

#include <filesystem>
#include <optional>

#include "av_ptr.hpp"

namespace memegen::detail {

/// What a still PNG's chunks before its image data say.
struct PngHeader {
    int width = 0;
    int height = 0;
    bool interlaced = false;
    bool alpha = false;  // an alpha channel or a tRNS chunk: decoded as RGBA, else RGB
};

/// The header of `path` if it is a still PNG (PNG signature, no acTL chunk); nullopt for any
/// other file, an animated PNG included (FFmpeg's APNG decoder plays those).
[[nodiscard]] std::optional<PngHeader> read_still_png_header(const std::filesystem::path& path);

/// Decodes the still PNG `path` into an RGB24 or RGBA frame of ceil(width / factor) x
/// ceil(height / factor), each pixel the average of its factor x factor box (16-bit samples
/// are cut to 8, palettes and grey expanded to RGB). Memory: one accumulator row, one libpng
/// row and the reduced picture. An interlaced PNG reduced by 2 or more averages the rows of
/// its last Adam7 pass only (every odd row, at full width), which stand for the even rows
/// too; not reduced, it is combined into the full-size frame as libpng does.
/// Throws MediaError naming the file if libpng refuses it or its data ends early.
[[nodiscard]] FramePtr decode_png_reduced(const std::filesystem::path& path,
                                          const PngHeader& header, int factor);

}  // namespace memegen::detail
