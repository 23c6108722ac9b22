// memegen-render: renders one meme video from the command line (see --help).

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "memegen/memegen.hpp"

namespace {

constexpr const char* kUsage = R"(usage: memegen-render MEDIA -o OUT.mp4 [options]

Renders a meme (PNG/JPEG/WebP still, GIF, or MP4/MOV/WebM/MKV video) into a vertical
H.264/AAC MP4 for Telegram, with a JPEG thumbnail beside it (OUT.jpg).

options:
  -o, --output FILE     output MP4 (required)
  --music FILE          music track trimmed under the video
  --music-start S       where the music starts (default: chosen from the seed)
  --audio MODE          auto|music|meme|mix|silent (default auto)
  --top TEXT            top caption
  --bottom TEXT         bottom caption
  --badge TEXT          small line at the bottom, e.g. "artist — title"
  --font FILE           caption font (default DejaVu Sans Bold)
  --size WxH            1080x1920 (default), 720x1280, 1080x1080, 1280x720, ...
  --fps N               frames per second (default 24)
  --duration S          length in seconds (default: 7-12 s for stills, clip length otherwise)
  --seed N              random seed (default 0)
  --variant G           variant group 0-4 (default 0)
  --effects LIST        comma-separated effects overriding the selection ("none" for none):
                        mirror,fade,color_gain,speed,black_and_white,margins,crop,
                        transparency,boomerang
  --background B        black|blur (default black)
  --crf N               x264 CRF (default 23)
  --preset P            x264 preset (default veryfast)
  --threads N           x264 sliced threads (default 2; fixed so output is reproducible)
  --max-bytes N         output size cap (default 50000000)
  --time-limit MS       give up after this many milliseconds
  --json                print the result as JSON on stdout
  -q, --quiet           no log lines
  -h, --help            this text
)";

template <typename T>
T number(std::string_view flag, std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw std::invalid_argument(std::string(flag) + ": not a number: '" + std::string(text) +
                                    "'");
    }
    return value;
}

double real(std::string_view flag, const std::string& text) {
    try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size())
            return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument(std::string(flag) + ": not a number: '" + text + "'");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    memegen::RenderOptions options;
    std::string media, output;
    bool json = false;
    try {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            const auto value = [&]() -> const std::string& {
                if (i + 1 >= args.size())
                    throw std::invalid_argument(a + " needs a value");
                return args[++i];
            };
            if (a == "-h" || a == "--help") {
                std::fputs(kUsage, stdout);
                return 0;
            } else if (a == "-o" || a == "--output") {
                output = value();
            } else if (a == "--music") {
                options.music = value();
            } else if (a == "--music-start") {
                options.music_start_seconds = real(a, value());
            } else if (a == "--audio") {
                const auto& m = value();
                if (m == "auto")
                    options.audio = memegen::AudioMode::automatic;
                else if (m == "music")
                    options.audio = memegen::AudioMode::music;
                else if (m == "meme")
                    options.audio = memegen::AudioMode::meme;
                else if (m == "mix")
                    options.audio = memegen::AudioMode::mix;
                else if (m == "silent")
                    options.audio = memegen::AudioMode::silent;
                else
                    throw std::invalid_argument("--audio: unknown mode '" + m + "'");
            } else if (a == "--top") {
                options.captions.top = value();
            } else if (a == "--bottom") {
                options.captions.bottom = value();
            } else if (a == "--badge") {
                options.captions.badge = value();
            } else if (a == "--font") {
                options.font = value();
            } else if (a == "--size") {
                options.size = memegen::FrameSize::parse(value());
            } else if (a == "--fps") {
                options.fps = number<int>(a, value());
            } else if (a == "--duration") {
                options.duration_seconds = real(a, value());
            } else if (a == "--seed") {
                options.seed = number<std::uint64_t>(a, value());
            } else if (a == "--variant") {
                options.variant_group = number<int>(a, value());
            } else if (a == "--effects") {
                options.effects = memegen::parse_effect_list(value());
            } else if (a == "--background") {
                const auto b = memegen::parse_background(value());
                if (!b)
                    throw std::invalid_argument("--background: black or blur");
                options.background = *b;
            } else if (a == "--crf") {
                options.crf = number<int>(a, value());
            } else if (a == "--preset") {
                options.preset = value();
            } else if (a == "--threads") {
                options.encoder_threads = number<int>(a, value());
            } else if (a == "--max-bytes") {
                options.max_output_bytes = number<std::uint64_t>(a, value());
            } else if (a == "--time-limit") {
                options.time_limit = std::chrono::milliseconds(number<long>(a, value()));
            } else if (a == "--json") {
                json = true;
            } else if (a == "-q" || a == "--quiet") {
                memegen::set_log_level(memegen::LogLevel::warning);
            } else if (!a.empty() && a[0] == '-') {
                throw std::invalid_argument("unknown option " + a + " (see --help)");
            } else if (media.empty()) {
                media = a;
            } else {
                throw std::invalid_argument("more than one input: '" + media + "' and '" + a + "'");
            }
        }
        if (media.empty() || output.empty()) {
            throw std::invalid_argument("need MEDIA and -o OUT (see --help)");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "memegen-render: %s\n", e.what());
        return 2;
    }

    if (::isatty(STDERR_FILENO)) {
        options.on_progress = [last = -1](const memegen::RenderProgress& p) mutable {
            const int percent = static_cast<int>(p.fraction * 100);
            if (percent == last)
                return;
            last = percent;
            const int filled = percent / 4;
            std::fprintf(stderr, "\r[%-25s] %3d%% %lld/%lld frames",
                         std::string(filled, '#').c_str(), percent,
                         static_cast<long long>(p.frames_done),
                         static_cast<long long>(p.frames_total));
            if (p.frames_done == p.frames_total)
                std::fputc('\n', stderr);
            std::fflush(stderr);
        };
    }
    try {
        memegen::MemeRenderer renderer;
        const auto result = renderer.render(media, output, options);
        if (json) {
            std::cout << nlohmann::json(result).dump(2) << '\n';
        } else {
            std::printf("%s: %dx%d, %.2f s, %llu bytes, %.2f s to render, peak RSS %.1f MB\n",
                        result.output.c_str(), result.width, result.height, result.duration_seconds,
                        static_cast<unsigned long long>(result.size_bytes), result.render_seconds,
                        static_cast<double>(result.peak_rss_bytes) / (1024.0 * 1024.0));
        }
        return 0;
    } catch (const std::exception& e) {
        // End a progress bar's line first.
        if (::isatty(STDERR_FILENO))
            std::fputc('\n', stderr);
        std::fprintf(stderr, "memegen-render: %s\n", e.what());
        return 1;
    }
}
