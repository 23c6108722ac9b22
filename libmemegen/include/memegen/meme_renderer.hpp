#pragma once
/// \file meme_renderer.hpp
/// MemeRenderer: an existing meme (still image, animated GIF or video) plus a music track in,
/// a vertical H.264/AAC MP4 that Telegram plays inline out — streamed frame by frame, so the
/// memory a render needs does not grow with the length of its input.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "memegen/render_files.hpp"  // thumbnail_path_for, a render's other files
#include "memegen/render_options.hpp"
#include "memegen/text_detect.hpp"

namespace memegen {

/// The 2–4 effects that `seed` and `variant_group` (0–4) select: the same pair always gives the
/// same list; the five groups draw from different subsets of the bank so candidates differ.
/// When `meme_has_text`, mirror is never chosen (it would print the meme's own text backwards):
/// sepia takes its place, so the groups still differ by a visible effect.
/// Throws MediaError if variant_group is outside 0–4.
[[nodiscard]] std::vector<Effect> select_effects(std::uint64_t seed, int variant_group,
                                                 bool meme_has_text = false);

/// Where one caption was drawn (output pixels), as laid out by the auto-fit.
struct CaptionBox {
    std::string role;        ///< "top", "bottom" or "badge"
    int x = 0;               ///< left edge of the box that holds the text and its outline
    int y = 0;               ///< top edge
    int width = 0;           ///< pixels
    int height = 0;          ///< pixels
    int font_pixels = 0;     ///< the font size the auto-fit chose
    int lines = 0;           ///< lines after wrapping
    bool truncated = false;  ///< the text did not fit at the minimum size and ends with "…"
};

/// What a finished render made; what Telegram's sendVideo needs (path, size, duration, thumb).
struct RenderResult {
    std::filesystem::path output;        ///< the MP4
    std::filesystem::path thumbnail;     ///< JPEG beside it (≤ 320 px, < 200 kB)
    int width = 0;                       ///< pixels
    int height = 0;                      ///< pixels
    int fps = 0;                         ///< frames per second
    double duration_seconds = 0;         ///< length of the video track
    std::uint64_t size_bytes = 0;        ///< size of the MP4
    bool has_audio = false;              ///< always true for outputs of this renderer
    std::string audio_source;            ///< "music", "meme", "mix" or "silence"
    std::string media_kind;              ///< "still", "animation" or "video"
    double render_seconds = 0;           ///< wall time of render()
    std::uint64_t peak_rss_bytes = 0;    ///< highest RSS of the process during the render
    std::vector<Effect> effects;         ///< the effects applied
    std::int64_t frames_encoded = 0;     ///< output video frames
    std::int64_t frames_decoded = 0;     ///< input video frames decoded (bounded for long inputs)
    std::int64_t video_bitrate_cap = 0;  ///< bits/s the size cap allows x264 (capped CRF)
    std::vector<CaptionBox> captions;    ///< where each caption was drawn
    TextLayout text_layout;              ///< the meme's own text, as the effects respected it
    double boomerang_seconds = 0;        ///< the forward segment's source length (0: no boomerang)
    /// Effects the selection or the caller asked for that the meme's text ruled out or changed
    /// ("mirror: the meme has text", "crop: left edge kept for text").
    std::vector<std::string> effect_notes;
};

/// JSON with every field of the result (paths as strings, effects by name).
void to_json(nlohmann::json& j, const RenderResult& result);

/// Renders memes. Holds no FFmpeg state between renders; one object may render many times
/// (one render at a time per object).
class MemeRenderer {
  public:
    /// Creates a renderer.
    MemeRenderer();
    /// Releases it.
    ~MemeRenderer();
    MemeRenderer(const MemeRenderer&) = delete;
    MemeRenderer& operator=(const MemeRenderer&) = delete;

    /// Renders `media` into the MP4 `output` (and a thumbnail beside it). Writes a temporary
    /// file in the output's folder and renames it at the end: on failure nothing is left.
    /// Throws MediaError for bad input, fonts, text or options (naming the file and cause),
    /// CancelledError when `options.stop` fires or the time limit passes, SystemError when the
    /// output cannot be written. A phone video's display rotation and a JPEG's EXIF
    /// orientation are honoured. With glibc, the heap is trimmed (malloc_trim) when the render
    /// returns or throws, so a long-lived process gives the render's memory back.
    RenderResult render(const std::filesystem::path& media, const std::filesystem::path& output,
                        const RenderOptions& options = {});

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace memegen
