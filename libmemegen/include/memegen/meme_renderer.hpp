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

#include "memegen/text_detect.hpp"

namespace memegen {

/// One effect of the seed's bank.
enum class Effect {
    mirror,           ///< flipped left to right
    fade,             ///< 0.5 s fade in from black and out to black
    color_gain,       ///< contrast and saturation raised a little
    speed,            ///< played 5 % faster or slower (the seed picks which)
    black_and_white,  ///< meme in greyscale
    margins,          ///< meme shrunk inside wider black margins
    crop,             ///< 5 % cut from each edge of the meme
    transparency,     ///< meme slightly see-through over the background
    boomerang,        ///< forward then backward: a segment of at least 2 s (the whole clip when
                      ///< shorter), played forward, then backward, in bounded memory
    sepia,  ///< meme toned warm brown: what a meme with printed text gets instead of mirror
};

/// Every effect, in declaration order.
inline constexpr Effect kAllEffects[] = {
    Effect::mirror,  Effect::fade, Effect::color_gain,   Effect::speed,     Effect::black_and_white,
    Effect::margins, Effect::crop, Effect::transparency, Effect::boomerang, Effect::sepia,
};

/// The snake_case name of an effect ("black_and_white").
[[nodiscard]] std::string_view to_string(Effect effect) noexcept;

/// Parses an effect name as to_string() writes it (also accepts '-' for '_'); nullopt otherwise.
[[nodiscard]] std::optional<Effect> parse_effect(std::string_view name) noexcept;

/// Parses a comma-separated list ("mirror,fade"). Throws MediaError naming an unknown entry.
[[nodiscard]] std::vector<Effect> parse_effect_list(std::string_view list);

/// The 2–4 effects that `seed` and `variant_group` (0–4) select: the same pair always gives the
/// same list; the five groups draw from different subsets of the bank so candidates differ.
/// When `meme_has_text`, mirror is never chosen (it would print the meme's own text backwards):
/// sepia takes its place, so the groups still differ by a visible effect.
/// Throws MediaError if variant_group is outside 0–4.
[[nodiscard]] std::vector<Effect> select_effects(std::uint64_t seed, int variant_group,
                                                 bool meme_has_text = false);

/// What fills the frame around the fitted meme.
enum class Background {
    black,  ///< plain black bars
    blur,   ///< a blurred, darkened copy of the meme scaled to cover the frame
};

/// "black" or "blur".
[[nodiscard]] std::string_view to_string(Background background) noexcept;
/// Parses "black" or "blur"; nullopt otherwise.
[[nodiscard]] std::optional<Background> parse_background(std::string_view name) noexcept;

/// Which sound goes under the video. Every output has an audio track; silence when nothing fits.
enum class AudioMode {
    automatic,  ///< music if given, else the meme's own audio, else silence
    music,      ///< the music track (MediaError if none is given)
    meme,       ///< the meme's own audio (silence if it has none)
    mix,        ///< music and the meme's audio mixed (either alone if the other is missing)
    silent,     ///< a silent AAC track
};

/// Output frame size in pixels; both even (H.264 4:2:0 needs it).
struct FrameSize {
    int width = 1080;   ///< pixels
    int height = 1920;  ///< pixels

    /// Parses "1080x1920". Throws MediaError unless both are even and within 64–4096.
    [[nodiscard]] static FrameSize parse(std::string_view text);

    /// Equal when both sides are.
    friend bool operator==(const FrameSize&, const FrameSize&) = default;
};

/// Text drawn over the video, rasterised once per render with FreeType + HarfBuzz.
struct Captions {
    std::string top;     ///< UTF-8 caption at the top; empty: none
    std::string bottom;  ///< UTF-8 caption at the bottom; empty: none
    std::string badge;   ///< small UTF-8 line at the very bottom ("artist — title"); empty: none

    /// True when there is no text at all.
    [[nodiscard]] bool empty() const noexcept {
        return top.empty() && bottom.empty() && badge.empty();
    }
};

/// Reported to RenderOptions::on_progress after each encoded frame.
struct RenderProgress {
    double fraction = 0;            ///< 0..1
    std::int64_t frames_done = 0;   ///< output frames encoded so far
    std::int64_t frames_total = 0;  ///< output frames the render will make
};

/// The default caption font (Debian package fonts-dejavu-core: Latin, Greek and Cyrillic).
inline constexpr const char* kDefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";

/// Everything a render can be told. The defaults make the seed's video: 1080×1920, 24 fps, on
/// black, a still lasting 7–12 s, effects chosen by seed and group, CRF 23, under 50 MB.
struct RenderOptions {
    FrameSize size;                             ///< output frame; presets 1080x1920, 720x1280, ...
    int fps = 24;                               ///< output frame rate (1–60)
    Background background = Background::black;  ///< what surrounds the fitted meme
    std::optional<double> duration_seconds;     ///< fixed length; default: see below
    double min_seconds = 7;   ///< stills: shortest random length; GIFs/videos are looped up to it
    double max_seconds = 12;  ///< stills: longest random length (the seed draws in between)
    double max_video_seconds = 60;  ///< GIFs/videos are cut here; no output is ever longer
    std::filesystem::path music;    ///< music track (any format FFmpeg reads); empty: none
    std::optional<double> music_start_seconds;   ///< where the music starts; default: from seed
    double music_fade_seconds = 1.0;             ///< fade-out of the sound at the end
    AudioMode audio = AudioMode::automatic;      ///< which sound goes under the video
    std::uint64_t seed = 0;                      ///< drives every random choice
    int variant_group = 0;                       ///< 0–4: which effect subset the seed draws from
    std::optional<std::vector<Effect>> effects;  ///< explicit list; overrides the selection
    /// Where the meme's own text is (detect_text() of this media, e.g. cached by the caller);
    /// unset: the render detects it itself. Either way a meme with text is never mirrored and
    /// crop never cuts into a text box — an explicit `effects` list included.
    std::optional<TextLayout> text_layout;
    bool detect_text = true;  ///< false: treat the meme as having no text (no detection cost)
    Captions captions;        ///< optional text
    std::filesystem::path font = kDefaultFont;  ///< TrueType/OpenType font for captions
    int crf = 23;                               ///< x264 constant rate factor (0–51)
    std::string preset = "veryfast";            ///< x264 preset
    int encoder_threads = 2;  ///< x264 sliced threads; fixed so the output is reproducible
    std::uint64_t max_output_bytes = 50ull * 1000 * 1000;  ///< Telegram's upload limit
    std::int64_t max_input_pixels = 50'000'000;  ///< inputs larger than this are refused unread
    /// Boomerang holds at most this many bytes of prepared pictures at a time; a segment
    /// longer than that is played backward block by block, decoding it again for each block.
    std::uint64_t boomerang_max_bytes = 16ull * 1024 * 1024;
    std::function<void(const RenderProgress&)> on_progress;  ///< called after each frame
    std::stop_token stop;                                    ///< cancels cooperatively
    std::optional<std::chrono::milliseconds> time_limit;     ///< cancels past this wall time
};

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

/// The thumbnail path a render writes beside `output` ("out.mp4" → "out.thumb.jpg").
[[nodiscard]] std::filesystem::path thumbnail_path_for(const std::filesystem::path& output);

}  // namespace memegen
