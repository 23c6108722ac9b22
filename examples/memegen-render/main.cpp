// memegen-render: renders one meme video from the command line (see --help).

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "memegen/memegen.hpp"

namespace {

// What one run is told: the library's RenderOptions plus the CLI's own choices.
struct Invocation {
    std::string media, output;
    bool json = false;
    memegen::RenderOptions options;
};

// An --effects list: "none", or effect names separated by commas. An empty value or entry
// ("mirror,,crop") is a typo, not "no effect": the library would skip it silently.
std::string check_effects(const std::string& text) {
    if (text.empty())
        return "empty; use \"none\" for no effects";
    for (std::size_t start = 0, comma = 0; comma != std::string::npos; start = comma + 1) {
        comma = text.find(',', start);
        if ((comma == std::string::npos ? text.size() : comma) == start)
            return fmt::format("'{}' has an empty entry at position {}", text, start + 1);
    }
    try {
        (void)memegen::parse_effect_list(text);
    } catch (const memegen::Error& e) {
        return e.what();
    }
    return {};
}

// Checked here, not only by the renderer: the option's error then names the option.
std::string check_preset(const std::string& text) {
    if (memegen::is_x264_preset(text))
        return {};
    return fmt::format("unknown preset '{}' (one of {})", text,
                       fmt::join(memegen::kX264Presets, ", "));
}

std::string effect_names() {
    std::vector<std::string_view> names;
    for (const auto e : memegen::kAllEffects)
        names.push_back(memegen::to_string(e));
    return fmt::format("{}", fmt::join(names, ","));
}

// The command line, by option group (each in the order --help lists them). Defaults shown by
// --help are RenderOptions' own.

// What is rendered into what.
void declare_files(CLI::App& app, Invocation& in) {
    app.description(
        "Renders a meme (PNG/JPEG/WebP still, GIF, or MP4/MOV/WebM/MKV video) into a vertical\n"
        "H.264/AAC MP4 for Telegram, with a JPEG thumbnail beside it (OUT.thumb.jpg).");
    app.footer(
        "The output is written to a temporary file and renamed when complete; Ctrl-C (SIGINT)\n"
        "or SIGTERM cancels and removes it (exit 130 / 143). Exit 1: the render failed; 2: bad\n"
        "usage.\n\nEffects: " +
        effect_names());
    app.option_defaults()->always_capture_default();
    app.add_option("MEDIA", in.media, "the meme to render")->required();
    app.add_option("-o,--output", in.output,
                   "output MP4 (a file path, not a folder, and not the input)")
        ->required()
        ->type_name("FILE");
}

// The sound under the video.
void declare_sound(CLI::App& app, memegen::RenderOptions& o) {
    using examples::real;
    app.add_option("--music", o.music, "music track trimmed under the video")->type_name("FILE");
    app.add_option_function<double>(
           "--music-start", [&o](double s) { o.music_start_seconds = s; },
           "where the music starts (default: chosen from the seed)")
        ->type_name("S")
        ->check(real(0, 86400, "s"));
    static const std::map<std::string, memegen::AudioMode> kAudioModes{
        {"auto", memegen::AudioMode::automatic},
        {"music", memegen::AudioMode::music},
        {"meme", memegen::AudioMode::meme},
        {"mix", memegen::AudioMode::mix},
        {"silent", memegen::AudioMode::silent}};
    app.add_option_function<std::string>(
           "--audio", [&o](const std::string& mode) { o.audio = kAudioModes.at(mode); },
           "which sound goes under the video")
        ->type_name("MODE")
        ->check(CLI::IsMember(kAudioModes))
        ->default_str("auto");
}

// The captions drawn over it.
void declare_captions(CLI::App& app, memegen::RenderOptions& o) {
    app.add_option("--top", o.captions.top, "top caption")->type_name("TEXT");
    app.add_option("--bottom", o.captions.bottom, "bottom caption")->type_name("TEXT");
    app.add_option("--badge", o.captions.badge, "small line at the bottom, e.g. artist — title")
        ->type_name("TEXT");
    app.add_option("--font", o.font, "caption font")->type_name("FILE");
}

// The picture: frame, length, and the seed's choice of effects.
void declare_picture(CLI::App& app, memegen::RenderOptions& o) {
    using examples::real;
    using examples::whole;
    app.add_option_function<std::string>(
           "--size", [&o](const std::string& s) { o.size = memegen::FrameSize::parse(s); },
           "frame size: 1080x1920, 720x1280, 1080x1080, 1280x720, ...")
        ->type_name("WxH")
        ->default_str(fmt::format("{}x{}", o.size.width, o.size.height));
    app.add_option("--fps", o.fps, "frames per second")->type_name("N")->check(whole(1, 60));
    app.add_option_function<double>(
           "--duration", [&o](double s) { o.duration_seconds = s; },
           "length in seconds (default: 7-12 s for stills, clip length otherwise)")
        ->type_name("S")
        ->check(real(0.1, 60, "s"));
    app.add_option("--seed", o.seed, "random seed")->type_name("N")->check(whole<std::uint64_t>());
    app.add_option("--variant", o.variant_group, "variant group")
        ->type_name("G")
        ->check(whole(0, 4));
    app.add_option_function<std::string>(
           "--effects",
           [&o](const std::string& list) { o.effects = memegen::parse_effect_list(list); },
           "comma-separated effects overriding the selection, or none (see below)")
        ->type_name("LIST")
        ->check(CLI::Validator(check_effects, ""));
    app.add_option_function<std::string>(
           "--background",
           [&o](const std::string& name) {
               const auto b = memegen::parse_background(name);
               if (!b)
                   throw CLI::ValidationError("--background", "black or blur");
               o.background = *b;
           },
           "black|blur")
        ->type_name("B")
        ->default_str(std::string(memegen::to_string(o.background)));
}

// The encoder and the render's limits.
void declare_encoder(CLI::App& app, memegen::RenderOptions& o) {
    using examples::whole;
    app.add_option("--crf", o.crf, "x264 CRF")->type_name("N")->check(whole(0, 51));
    app.add_option("--preset", o.preset, "x264 preset")
        ->type_name("P")
        ->check(CLI::Validator(check_preset, ""));
    app.add_option("--threads", o.encoder_threads,
                   "x264 sliced threads (fixed so output is reproducible)")
        ->type_name("N")
        ->check(whole(1, 16));
    app.add_option("--max-bytes", o.max_output_bytes, "output size cap")
        ->type_name("N")
        ->check(whole<std::uint64_t>(1));
    app.add_option_function<long>(
           "--time-limit", [&o](long ms) { o.time_limit = std::chrono::milliseconds(ms); },
           "give up after this many milliseconds")
        ->type_name("MS")
        ->check(whole<long>(1));
}

// The whole command line, read into `in`.
void declare(CLI::App& app, Invocation& in) {
    declare_files(app, in);
    declare_sound(app, in.options);
    declare_captions(app, in.options);
    declare_picture(app, in.options);
    declare_encoder(app, in.options);
    app.add_flag("--json", in.json, "print the result as JSON on stdout");
    app.add_flag_callback(
        "-q,--quiet", [] { memegen::set_log_level(memegen::LogLevel::warning); }, "no log lines");
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
    Invocation in;
    CLI::App app("", "memegen-render");
    declare(app, in);
    if (const auto exit_code = examples::parse(app, argc, argv))
        return *exit_code;
    auto& options = in.options;
    const auto& output = in.output;

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
        const auto result = renderer.render(in.media, output, options);
        if (in.json) {
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
