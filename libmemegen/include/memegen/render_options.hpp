#pragma once
/// \file render_options.hpp
/// What a render can be told — effects, background, sound, frame size, captions, encoder
/// settings — and its JSON, in the header-only, FFmpeg-free part of libmemegen: a program that
/// renders through dlopen (the bot) or in a child process builds, checks and sends the same
/// RenderOptions the renderer reads, and every default is written here once.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "memegen/error.hpp"
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

/// x264's presets, fastest first; RenderOptions::preset names one of them.
inline constexpr std::string_view kX264Presets[] = {
    "ultrafast", "superfast", "veryfast", "faster",   "fast",
    "medium",    "slow",      "slower",   "veryslow", "placebo",
};

/// True when `name` is one of kX264Presets.
[[nodiscard]] constexpr bool is_x264_preset(std::string_view name) noexcept {
    return std::find(std::begin(kX264Presets), std::end(kX264Presets), name) !=
           std::end(kX264Presets);
}

/// The snake_case name of an effect ("black_and_white").
[[nodiscard]] constexpr std::string_view to_string(Effect effect) noexcept {
    switch (effect) {
        case Effect::mirror:
            return "mirror";
        case Effect::fade:
            return "fade";
        case Effect::color_gain:
            return "color_gain";
        case Effect::speed:
            return "speed";
        case Effect::black_and_white:
            return "black_and_white";
        case Effect::margins:
            return "margins";
        case Effect::crop:
            return "crop";
        case Effect::transparency:
            return "transparency";
        case Effect::boomerang:
            return "boomerang";
        case Effect::sepia:
            return "sepia";
    }
    return "?";
}

/// Parses an effect name as to_string() writes it (also accepts '-' for '_'); nullopt otherwise.
[[nodiscard]] inline std::optional<Effect> parse_effect(std::string_view name) noexcept {
    for (Effect e : kAllEffects) {
        const std::string_view known = to_string(e);
        if (known.size() == name.size() &&
            std::equal(known.begin(), known.end(), name.begin(),
                       [](char k, char n) { return k == n || (k == '_' && n == '-'); })) {
            return e;
        }
    }
    return std::nullopt;
}

/// Parses a comma-separated list ("mirror,fade"); empty entries and "none" are skipped, a
/// repeated effect counts once. Throws MediaError naming an unknown entry.
[[nodiscard]] inline std::vector<Effect> parse_effect_list(std::string_view list) {
    std::vector<Effect> effects;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (item.empty() || item == "none")
            continue;
        const auto effect = parse_effect(item);
        if (!effect)
            throw MediaError("unknown effect '" + std::string(item) + "'");
        if (std::find(effects.begin(), effects.end(), *effect) == effects.end())
            effects.push_back(*effect);
    }
    return effects;
}

/// What fills the frame around the fitted meme.
enum class Background {
    black,  ///< plain black bars
    blur,   ///< a blurred, darkened copy of the meme scaled to cover the frame
};

/// "black" or "blur".
[[nodiscard]] constexpr std::string_view to_string(Background background) noexcept {
    return background == Background::blur ? "blur" : "black";
}
/// Parses "black" or "blur"; nullopt otherwise.
[[nodiscard]] constexpr std::optional<Background> parse_background(std::string_view name) noexcept {
    if (name == "black")
        return Background::black;
    if (name == "blur")
        return Background::blur;
    return std::nullopt;
}

/// Which sound goes under the video. Every output has an audio track; silence when nothing fits.
enum class AudioMode {
    automatic,  ///< music if given, else the meme's own audio, else silence
    music,      ///< the music track (MediaError if none is given)
    meme,       ///< the meme's own audio (silence if it has none)
    mix,        ///< music and the meme's audio mixed (either alone if the other is missing)
    silent,     ///< a silent AAC track
};

/// "auto", "music", "meme", "mix" or "silent": the names memegen-render's --audio takes.
[[nodiscard]] constexpr std::string_view to_string(AudioMode mode) noexcept {
    switch (mode) {
        case AudioMode::automatic:
            return "auto";
        case AudioMode::music:
            return "music";
        case AudioMode::meme:
            return "meme";
        case AudioMode::mix:
            return "mix";
        case AudioMode::silent:
            return "silent";
    }
    return "?";
}
/// Parses an audio mode as to_string() writes it; nullopt otherwise.
[[nodiscard]] constexpr std::optional<AudioMode> parse_audio_mode(std::string_view name) noexcept {
    for (AudioMode m : {AudioMode::automatic, AudioMode::music, AudioMode::meme, AudioMode::mix,
                        AudioMode::silent}) {
        if (to_string(m) == name)
            return m;
    }
    return std::nullopt;
}

/// Output frame size in pixels; both even (H.264 4:2:0 needs it).
struct FrameSize {
    int width = 1080;   ///< pixels
    int height = 1920;  ///< pixels

    /// Parses "1080x1920". Throws MediaError unless both are even and within 64–4096.
    [[nodiscard]] static FrameSize parse(std::string_view text);
    /// Why this size cannot be rendered ("each side must be within 64-4096"); nullopt if it can.
    [[nodiscard]] constexpr std::optional<std::string_view> problem() const noexcept {
        if (width < 64 || height < 64 || width > 4096 || height > 4096)
            return "each side must be within 64-4096";
        if (width % 2 != 0 || height % 2 != 0)
            return "both sides must be even";
        return std::nullopt;
    }
    /// "1080x1920".
    [[nodiscard]] std::string to_string() const {
        return std::to_string(width) + "x" + std::to_string(height);
    }

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
    std::string preset = "veryfast";            ///< one of kX264Presets
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

inline FrameSize FrameSize::parse(std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return MediaError("frame size '" + std::string(text) + "': " + std::string(why));
    };
    const auto x = text.find_first_of("xX");
    if (x == std::string_view::npos)
        throw bad("expected WIDTHxHEIGHT, e.g. 1080x1920");
    FrameSize size{0, 0};
    const auto w = text.substr(0, x), h = text.substr(x + 1);
    const auto [pw, ew] = std::from_chars(w.data(), w.data() + w.size(), size.width);
    const auto [ph, eh] = std::from_chars(h.data(), h.data() + h.size(), size.height);
    if (ew != std::errc{} || eh != std::errc{} || pw != w.data() + w.size() ||
        ph != h.data() + h.size()) {
        throw bad("expected WIDTHxHEIGHT, e.g. 1080x1920");
    }
    if (const auto why = size.problem())
        throw bad(*why);
    return size;
}

// ---- JSON: the request a program sends to the renderer (render_entry.h, the bot's render
// child). Flat keys; every key is optional and an absent one keeps RenderOptions' default.
// The callbacks (on_progress, stop) do not cross; a time limit travels as "time_limit_ms".

/// Writes every serialisable field of `o`.
inline void to_json(nlohmann::json& j, const RenderOptions& o) {
    std::vector<std::string> effects;
    if (o.effects) {
        for (Effect e : *o.effects)
            effects.emplace_back(to_string(e));
    }
    j = nlohmann::json{
        {"width", o.size.width},
        {"height", o.size.height},
        {"fps", o.fps},
        {"background", to_string(o.background)},
        {"min_seconds", o.min_seconds},
        {"max_seconds", o.max_seconds},
        {"max_video_seconds", o.max_video_seconds},
        {"music", o.music.string()},
        {"music_fade_seconds", o.music_fade_seconds},
        {"audio", to_string(o.audio)},
        {"seed", o.seed},
        {"variant_group", o.variant_group},
        {"detect_text", o.detect_text},
        {"captions",
         {{"top", o.captions.top}, {"bottom", o.captions.bottom}, {"badge", o.captions.badge}}},
        {"font", o.font.string()},
        {"crf", o.crf},
        {"preset", o.preset},
        {"encoder_threads", o.encoder_threads},
        {"max_output_bytes", o.max_output_bytes},
        {"max_input_pixels", o.max_input_pixels},
        {"boomerang_max_bytes", o.boomerang_max_bytes},
    };
    if (o.duration_seconds)
        j["duration_seconds"] = *o.duration_seconds;
    if (o.music_start_seconds)
        j["music_start_seconds"] = *o.music_start_seconds;
    if (o.effects)
        j["effects"] = effects;
    if (o.text_layout)
        j["text_layout"] = *o.text_layout;
    if (o.time_limit)
        j["time_limit_ms"] = o.time_limit->count();
}

/// Reads what to_json() writes. Throws MediaError naming an unknown background, audio mode or
/// effect, or a bad frame size; nlohmann::json's type_error for a value of the wrong JSON type.
inline void from_json(const nlohmann::json& j, RenderOptions& o) {
    const RenderOptions defaults;
    o.size =
        FrameSize{j.value("width", defaults.size.width), j.value("height", defaults.size.height)};
    if (const auto why = o.size.problem())
        throw MediaError("frame size '" + o.size.to_string() + "': " + std::string(*why));
    o.fps = j.value("fps", defaults.fps);
    const auto background = j.value("background", std::string(to_string(defaults.background)));
    const auto parsed_background = parse_background(background);
    if (!parsed_background)
        throw MediaError("unknown background '" + background + "' (black or blur)");
    o.background = *parsed_background;
    o.duration_seconds = j.contains("duration_seconds")
                             ? std::optional<double>(j.at("duration_seconds").get<double>())
                             : std::nullopt;
    o.min_seconds = j.value("min_seconds", defaults.min_seconds);
    o.max_seconds = j.value("max_seconds", defaults.max_seconds);
    o.max_video_seconds = j.value("max_video_seconds", defaults.max_video_seconds);
    o.music = j.value("music", std::string{});
    o.music_start_seconds = j.contains("music_start_seconds")
                                ? std::optional<double>(j.at("music_start_seconds").get<double>())
                                : std::nullopt;
    o.music_fade_seconds = j.value("music_fade_seconds", defaults.music_fade_seconds);
    const auto audio = j.value("audio", std::string(to_string(defaults.audio)));
    const auto parsed_audio = parse_audio_mode(audio);
    if (!parsed_audio)
        throw MediaError("unknown audio mode '" + audio + "' (auto, music, meme, mix or silent)");
    o.audio = *parsed_audio;
    o.seed = j.value("seed", defaults.seed);
    o.variant_group = j.value("variant_group", defaults.variant_group);
    o.effects.reset();
    if (j.contains("effects")) {
        std::vector<Effect> effects;
        for (const auto& name : j.at("effects")) {
            const auto effect = parse_effect(name.get<std::string>());
            if (!effect)
                throw MediaError("unknown effect '" + name.get<std::string>() + "'");
            effects.push_back(*effect);
        }
        o.effects = std::move(effects);
    }
    o.text_layout.reset();
    if (j.contains("text_layout"))
        o.text_layout = j.at("text_layout").get<TextLayout>();
    o.detect_text = j.value("detect_text", defaults.detect_text);
    o.captions = Captions{};
    if (j.contains("captions")) {
        const auto& c = j.at("captions");
        o.captions.top = c.value("top", std::string{});
        o.captions.bottom = c.value("bottom", std::string{});
        o.captions.badge = c.value("badge", std::string{});
    }
    const auto font = j.value("font", std::string{});
    o.font = font.empty() ? defaults.font : std::filesystem::path(font);
    o.crf = j.value("crf", defaults.crf);
    o.preset = j.value("preset", defaults.preset);
    o.encoder_threads = j.value("encoder_threads", defaults.encoder_threads);
    o.max_output_bytes = j.value("max_output_bytes", defaults.max_output_bytes);
    o.max_input_pixels = j.value("max_input_pixels", defaults.max_input_pixels);
    o.boomerang_max_bytes = j.value("boomerang_max_bytes", defaults.boomerang_max_bytes);
    o.time_limit =
        j.contains("time_limit_ms")
            ? std::optional<std::chrono::milliseconds>(j.at("time_limit_ms").get<std::int64_t>())
            : std::nullopt;
}

}  // namespace memegen
