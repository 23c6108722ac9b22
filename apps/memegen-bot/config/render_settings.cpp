// The one mapping of the configuration's render keys onto memegen::RenderOptions (config.hpp).

#include "config/config.hpp"

namespace memegen::bot {

RenderOptions render_options_of(const RenderSettings& settings) {
    RenderOptions options;
    options.size = settings.size;
    options.fps = settings.fps;
    options.crf = settings.crf;
    options.preset = settings.preset;
    options.background = settings.background;
    if (!settings.font.empty())
        options.font = settings.font;
    options.min_seconds = settings.min_seconds;
    options.max_seconds = settings.max_seconds;
    options.max_video_seconds = settings.max_video_seconds;
    options.max_output_bytes = static_cast<std::uint64_t>(settings.max_output_mb) * 1'000'000;
    return options;
}

}  // namespace memegen::bot
