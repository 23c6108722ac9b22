#include "core/render_runner.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <memegen/detail/files.hpp>
#include <memegen/error.hpp>
#include <memegen/log.hpp>

extern char** environ;

namespace memegen::bot {

void to_json(nlohmann::json& j, const RenderRequest& r) {
    j = {{"media", r.media.string()},
         {"output", r.output.string()},
         {"music", r.music.string()},
         {"seed", r.seed},
         {"variant_group", r.variant_group},
         {"captions", {{"top", r.captions.top}, {"bottom", r.captions.bottom}, {"badge", r.captions.badge}}},
         {"width", r.width},
         {"height", r.height},
         {"fps", r.fps},
         {"crf", r.crf},
         {"preset", r.preset},
         {"background", r.background},
         {"font", r.font.string()},
         {"min_seconds", r.min_seconds},
         {"max_seconds", r.max_seconds},
         {"max_video_seconds", r.max_video_seconds},
         {"max_output_bytes", r.max_output_bytes}};
}

void from_json(const nlohmann::json& j, RenderRequest& r) {
    r.media = j.at("media").get<std::string>();
    r.output = j.at("output").get<std::string>();
    r.music = j.value("music", std::string{});
    r.seed = j.value("seed", std::uint64_t{0});
    r.variant_group = j.value("variant_group", 0);
    if (j.contains("captions")) {
        const auto& c = j["captions"];
        r.captions.top = c.value("top", std::string{});
        r.captions.bottom = c.value("bottom", std::string{});
        r.captions.badge = c.value("badge", std::string{});
    }
    r.width = j.value("width", 1080);
    r.height = j.value("height", 1920);
    r.fps = j.value("fps", 24);
    r.crf = j.value("crf", 23);
    r.preset = j.value("preset", std::string("veryfast"));
    r.background = j.value("background", std::string("black"));
    r.font = j.value("font", std::string{});
    r.min_seconds = j.value("min_seconds", 7.0);
    r.max_seconds = j.value("max_seconds", 12.0);
    r.max_video_seconds = j.value("max_video_seconds", 60.0);
    r.max_output_bytes = j.value("max_output_bytes", std::uint64_t{50'000'000});
}

RenderOptions to_render_options(const RenderRequest& request) {
    RenderOptions o;
    o.size = FrameSize{request.width, request.height};
    o.fps = request.fps;
    o.crf = request.crf;
    o.preset = request.preset;
    o.background = parse_background(request.background).value_or(Background::black);
    if (!request.font.empty()) o.font = request.font;
    o.min_seconds = request.min_seconds;
    o.max_seconds = request.max_seconds;
    o.max_video_seconds = request.max_video_seconds;
    o.max_output_bytes = request.max_output_bytes;
    o.music = request.music;
    o.seed = request.seed;
    o.variant_group = request.variant_group;
    o.captions = request.captions;
    return o;
}

std::string_view to_string(RenderFailureKind kind) noexcept {
    switch (kind) {
        case RenderFailureKind::error: return "error";
        case RenderFailureKind::cancelled: return "cancelled";
        case RenderFailureKind::crashed: return "crashed";
        case RenderFailureKind::killed: return "killed";
        case RenderFailureKind::exited: return "exited";
    }
    return "?";
}

RenderOutcome RenderRunner::run(const RenderRequest& request, std::stop_token stop,
                                const std::function<void()>& on_tick) {
    return options_.isolate ? run_in_child(request, std::move(stop), on_tick)
                            : run_in_thread(request, std::move(stop), on_tick);
}

RenderOutcome RenderRunner::run_in_thread(const RenderRequest& request, std::stop_token stop,
                                          const std::function<void()>& on_tick) {
    RenderOutcome outcome;
    auto options = to_render_options(request);
    options.stop = stop;
    auto last_tick = std::chrono::steady_clock::now();
    if (on_tick) {
        options.on_progress = [&](const RenderProgress&) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last_tick >= options_.tick_interval) {
                last_tick = now;
                on_tick();
            }
        };
    }
    try {
        MemeRenderer renderer;
        outcome.result = renderer.render(request.media, request.output, options);
    } catch (const CancelledError& e) {
        outcome.failure = RenderFailureKind::cancelled;
        outcome.error = e.what();
    } catch (const std::exception& e) {
        outcome.failure = RenderFailureKind::error;
        outcome.error = e.what();
    }
    return outcome;
}

namespace {

std::string signal_description(int sig) {
    const char* name = sigabbrev_np(sig);
    return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

}  // namespace

RenderOutcome RenderRunner::run_in_child(const RenderRequest& request, std::stop_token stop,
                                         const std::function<void()>& on_tick) {
    RenderOutcome outcome;
    const auto request_file = std::filesystem::path(request.output).concat(".request.json");
    const auto result_file = std::filesystem::path(request.output).concat(".result.json");
    struct Cleanup {
        std::filesystem::path a, b;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove(a, ec);
            std::filesystem::remove(b, ec);
        }
    } cleanup{request_file, result_file};
    try {
        detail::write_file_atomically(request_file, nlohmann::json(request).dump());
    } catch (const std::exception& e) {
        outcome.error = std::string("cannot hand the render to a child process: ") + e.what();
        return outcome;
    }

    std::string program = options_.program.string();
    std::string flag = "--render-job";
    std::string req = request_file.string();
    std::string res = result_file.string();
    char* argv[] = {program.data(), flag.data(), req.data(), res.data(), nullptr};
    pid_t pid = -1;
    if (const int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ); rc != 0) {
        outcome.error = "cannot start the render process: " + std::string(std::strerror(rc));
        return outcome;
    }
    log_info("render child started (pid {})", pid);

    const ResourceMonitor monitor;
    int status = 0;
    bool term_sent = false;
    auto term_time = std::chrono::steady_clock::now();
    auto last_tick = std::chrono::steady_clock::now();
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            outcome.error = "lost track of the render process: " + std::string(std::strerror(errno));
            return outcome;
        }
        try {
            const auto sample = monitor.snapshot(pid);
            outcome.last_child_sample = sample;
            outcome.child_peak_rss_bytes = std::max(outcome.child_peak_rss_bytes, sample.rss_bytes);
        } catch (const std::exception&) {
            // The child is exiting; its last sample stands.
        }
        const auto now = std::chrono::steady_clock::now();
        if (stop.stop_requested()) {
            if (!term_sent) {
                ::kill(pid, SIGTERM);
                term_sent = true;
                term_time = now;
            } else if (now - term_time > options_.kill_grace) {
                ::kill(pid, SIGKILL);
            }
        }
        if (on_tick && now - last_tick >= options_.tick_interval) {
            last_tick = now;
            on_tick();
        }
        std::this_thread::sleep_for(options_.sample_interval);
    }

    nlohmann::json report;
    try {
        if (auto text = detail::read_file(result_file)) {
            report = nlohmann::json::parse(*text, nullptr, false);
        }
    } catch (const std::exception&) {
    }
    const auto sample_text = outcome.last_child_sample
                                 ? "; last sample: " + outcome.last_child_sample->summary()
                                 : std::string();

    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
        if (*outcome.exit_code == 0 && report.is_object() && report.value("ok", false)) {
            RenderResult result;
            const auto& j = report["result"];
            result.output = j.value("output", request.output.string());
            result.thumbnail = j.value("thumbnail", std::string{});
            result.width = j.value("width", 0);
            result.height = j.value("height", 0);
            result.fps = j.value("fps", 0);
            result.duration_seconds = j.value("duration_seconds", 0.0);
            result.size_bytes = j.value("size_bytes", std::uint64_t{0});
            result.has_audio = j.value("has_audio", false);
            result.audio_source = j.value("audio_source", std::string{});
            result.media_kind = j.value("media_kind", std::string{});
            result.render_seconds = j.value("render_seconds", 0.0);
            result.peak_rss_bytes =
                std::max(j.value("peak_rss_bytes", std::uint64_t{0}), outcome.child_peak_rss_bytes);
            if (j.contains("effects") && j["effects"].is_array()) {
                for (const auto& e : j["effects"]) {
                    if (auto effect = parse_effect(e.get<std::string>())) result.effects.push_back(*effect);
                }
            }
            outcome.result = std::move(result);
            return outcome;
        }
        if (report.is_object() && !report.value("ok", true)) {
            outcome.error = report.value("error", std::string("render failed"));
            outcome.failure = report.value("cancelled", false) ? RenderFailureKind::cancelled
                                                               : RenderFailureKind::error;
            return outcome;
        }
        outcome.failure = RenderFailureKind::exited;
        outcome.error = "the render process exited with status " +
                        std::to_string(*outcome.exit_code) + " without a report" + sample_text;
        return outcome;
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        outcome.signal = sig;
        if (term_sent) {
            outcome.failure = RenderFailureKind::cancelled;
            outcome.error = "the render was cancelled";
        } else if (sig == SIGKILL) {
            outcome.failure = RenderFailureKind::killed;
            outcome.error = "the render process was killed (SIGKILL), probably out of memory" + sample_text;
        } else {
            outcome.failure = RenderFailureKind::crashed;
            outcome.error = "the render process crashed (" + signal_description(sig) + ")" + sample_text;
        }
        return outcome;
    }
    outcome.error = "the render process ended in an unknown way";
    return outcome;
}

namespace {

std::stop_source* g_child_stop = nullptr;
std::atomic<bool> g_child_term{false};
extern "C" void on_child_sigterm(int) { g_child_term = true; }

}  // namespace

int render_job_main(const std::filesystem::path& request_file,
                    const std::filesystem::path& result_file) {
    RenderRequest request;
    try {
        const auto text = detail::read_file(request_file);
        if (!text) throw StateError("no request file " + request_file.string());
        request = nlohmann::json::parse(*text).get<RenderRequest>();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render job: bad request %s: %s\n", request_file.c_str(), e.what());
        return 2;
    }
    if (const char* fault = std::getenv("MEMEGEN_RENDER_FAULT")) {
        const std::string f = fault;
        if (f == "sigkill") ::raise(SIGKILL);
        if (f == "segv") ::raise(SIGSEGV);
        if (f == "abort") std::abort();
    }
    std::stop_source stop;
    g_child_stop = &stop;
    std::signal(SIGTERM, on_child_sigterm);
    // The handler only sets a flag; this thread turns it into a stop request.
    std::jthread watcher([&stop](std::stop_token self) {
        while (!self.stop_requested()) {
            if (g_child_term) {
                stop.request_stop();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    nlohmann::json report;
    int exit_code = 0;
    try {
        if (const char* fault = std::getenv("MEMEGEN_RENDER_FAULT");
            fault != nullptr && std::string(fault) == "error") {
            throw MediaError("injected render error (MEMEGEN_RENDER_FAULT=error)");
        }
        auto options = to_render_options(request);
        options.stop = stop.get_token();
        MemeRenderer renderer;
        report = {{"ok", true}, {"result", renderer.render(request.media, request.output, options)}};
    } catch (const CancelledError& e) {
        report = {{"ok", false}, {"error", e.what()}, {"cancelled", true}};
        exit_code = 4;
    } catch (const std::exception& e) {
        report = {{"ok", false}, {"error", e.what()}, {"cancelled", false}};
        exit_code = 3;
    }
    watcher.request_stop();
    try {
        detail::write_file_atomically(result_file, report.dump());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render job: cannot write %s: %s\n", result_file.c_str(), e.what());
        return 5;
    }
    g_child_stop = nullptr;
    return exit_code;
}

}  // namespace memegen::bot
