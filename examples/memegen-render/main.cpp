// memegen-render: renders one meme video from the command line (see --help).

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

extern "C" {
#include <libavutil/log.h>
}

#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "memegen/memegen.hpp"

namespace {

constexpr const char* kUsage = R"(usage: memegen-render MEDIA -o OUT.mp4 [options]

Renders a meme (PNG/JPEG/WebP still, GIF, or MP4/MOV/WebM/MKV video) into a vertical
H.264/AAC MP4 for Telegram, with a JPEG thumbnail beside it (OUT.thumb.jpg).
The output is written to a temporary file and renamed when complete; Ctrl-C (SIGINT) or
SIGTERM cancels and removes it (exit 130 / 143).

options:
  -o, --output FILE     output MP4 (required; a file path, not a folder, and not the input)
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

// A whole number within [low, high], or an error naming the flag, the value and the range.
template <typename T>
T number(std::string_view flag, std::string_view text, T low = std::numeric_limits<T>::min(),
         T high = std::numeric_limits<T>::max()) {
    const auto range = [&] {
        return std::string(flag) + ": '" + std::string(text) + "' is not a whole number from " +
               std::to_string(low) + " to " + std::to_string(high);
    };
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        throw std::invalid_argument(range());
    return value;
}

// A finite real number within [low, high] (NaN, infinities and 1e300 included are refused, as
// stod accepts them all).
double real(std::string_view flag, const std::string& text, double low, double high,
            std::string_view unit) {
    std::size_t used = 0;
    double v = std::numeric_limits<double>::quiet_NaN();
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !std::isfinite(v) || v < low || v > high) {
        throw std::invalid_argument(
            fmt::format("{}: '{}' is not a number from {} to {}{}", flag, text, low, high, unit));
    }
    return v;
}

// An --effects list: "none", or effect names separated by commas. An empty value or entry
// ("mirror,,crop") is a typo, not "no effect": the library would skip it silently.
std::vector<memegen::Effect> effect_list(const std::string& text) {
    if (text.empty())
        throw std::invalid_argument("--effects: empty; use \"none\" for no effects");
    std::size_t start = 0;
    for (;;) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        if (end == start) {
            throw std::invalid_argument("--effects: '" + text +
                                        "' has an empty entry at position " +
                                        std::to_string(start + 1));
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    try {
        return memegen::parse_effect_list(text);
    } catch (const memegen::Error& e) {
        throw std::invalid_argument(std::string("--effects: ") + e.what());
    }
}

// x264's presets, checked here: an unknown one would otherwise reach the encoder and end the
// render with x264's own log lines.
std::string preset(const std::string& text) {
    static constexpr std::string_view kPresets[] = {"ultrafast", "superfast", "veryfast", "faster",
                                                    "fast",      "medium",    "slow",     "slower",
                                                    "veryslow",  "placebo"};
    for (const auto p : kPresets) {
        if (text == p)
            return text;
    }
    std::string names;
    for (const auto p : kPresets)
        names += (names.empty() ? "" : ", ") + std::string(p);
    throw std::invalid_argument("--preset: unknown preset '" + text + "' (one of " + names + ")");
}

// FFmpeg's own lines, reshaped as memegen's (timestamp, level) and filtered by both FFmpeg's
// level (the renderer sets it) and memegen's. FFmpeg may build one line from several calls:
// pieces wait per thread until the newline.
void ffmpeg_log(void* context, int level, const char* format, va_list args) {
    if (level > av_log_get_level())
        return;
    const memegen::LogLevel ours = level <= AV_LOG_ERROR     ? memegen::LogLevel::error
                                   : level <= AV_LOG_WARNING ? memegen::LogLevel::warning
                                   : level <= AV_LOG_INFO    ? memegen::LogLevel::info
                                                             : memegen::LogLevel::debug;
    thread_local int print_prefix = 1;
    thread_local std::string pending;
    char piece[1024];
    av_log_format_line2(context, level, format, args, piece, sizeof piece, &print_prefix);
    pending += piece;
    if (pending.empty() || pending.back() != '\n')
        return;
    while (!pending.empty() && (pending.back() == '\n' || pending.back() == '\r'))
        pending.pop_back();
    if (!pending.empty() && ours >= memegen::log_level())
        memegen::log_line(ours, "ffmpeg: " + pending);
    pending.clear();
}

// SIGINT and SIGTERM are blocked in every thread and taken by one waiting thread, which asks
// the render to stop: the renderer then removes its temporary file and throws CancelledError.
// (A handler could not: nothing async-signal-safe requests a stop.)
class SignalStop {
  public:
    SignalStop() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        // Before any other thread exists, so they all inherit the mask.
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
        std::thread([this] {
            int signal = 0;
            if (sigwait(&set_, &signal) == 0) {
                signal_.store(signal);
                source_.request_stop();
            }
        }).detach();  // blocked in sigwait until exit; it touches only this immortal object
    }
    [[nodiscard]] std::stop_token token() const { return source_.get_token(); }
    /// The signal that asked to stop, or 0.
    [[nodiscard]] int signal() const { return signal_.load(); }

  private:
    sigset_t set_{};
    std::stop_source source_;
    std::atomic<int> signal_{0};
};

}  // namespace

int main(int argc, char** argv) {
    // Decoded frames of big inputs (a 2560x1440 plane is 3.7 MB) come and go with every loop of
    // the clip: above a fixed 1 MiB they are mapped and unmapped, where glibc's sliding
    // threshold would move them into the heap after the first free and keep the holes.
    // Measured at 1080x1920 with boomerang: a 2000x2000 GIF 175 -> 153 MiB, a 2560x1440 HEVC
    // clip with 5 references 199 -> 194 MiB.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
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
                options.music_start_seconds = real(a, value(), 0, 86400, " s");
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
                options.fps = number<int>(a, value(), 1, 60);
            } else if (a == "--duration") {
                options.duration_seconds = real(a, value(), 0.1, 60, " s");
            } else if (a == "--seed") {
                options.seed = number<std::uint64_t>(a, value());
            } else if (a == "--variant") {
                options.variant_group = number<int>(a, value(), 0, 4);
            } else if (a == "--effects") {
                options.effects = effect_list(value());
            } else if (a == "--background") {
                const auto b = memegen::parse_background(value());
                if (!b)
                    throw std::invalid_argument("--background: black or blur");
                options.background = *b;
            } else if (a == "--crf") {
                options.crf = number<int>(a, value(), 0, 51);
            } else if (a == "--preset") {
                options.preset = preset(value());
            } else if (a == "--threads") {
                options.encoder_threads = number<int>(a, value(), 1, 16);
            } else if (a == "--max-bytes") {
                options.max_output_bytes = number<std::uint64_t>(a, value(), 1);
            } else if (a == "--time-limit") {
                options.time_limit = std::chrono::milliseconds(number<long>(a, value(), 1));
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

    av_log_set_callback(ffmpeg_log);
    static SignalStop signals;  // static: its waiting thread may outlive main's scope
    options.stop = signals.token();

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
    } catch (const memegen::CancelledError& e) {
        if (::isatty(STDERR_FILENO))
            std::fputc('\n', stderr);
        if (const int signal = signals.signal(); signal != 0) {
            std::fprintf(stderr, "memegen-render: stopped by %s; '%s' was not written\n",
                         signal == SIGINT ? "SIGINT" : "SIGTERM", output.c_str());
            return 128 + signal;
        }
        std::fprintf(stderr, "memegen-render: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        // End a progress bar's line first.
        if (::isatty(STDERR_FILENO))
            std::fputc('\n', stderr);
        std::fprintf(stderr, "memegen-render: %s\n", e.what());
        return 1;
    }
}
