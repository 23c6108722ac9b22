#include "core/render_runner.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include <memegen/render_entry.h>
#include <memegen/crash_state_store.hpp>
#include <memegen/detail/files.hpp>
#include <memegen/error.hpp>
#include <memegen/log.hpp>
#include <memegen/render_files.hpp>

#include "core/child_spawn.hpp"
#include "core/memegen_library.hpp"

namespace memegen::bot {

void to_json(nlohmann::json& j, const RenderRequest& r) {
    j = r.options;
    j["media"] = r.media.string();
    j["output"] = r.output.string();
}

void from_json(const nlohmann::json& j, RenderRequest& r) {
    r.media = j.at("media").get<std::string>();
    r.output = j.at("output").get<std::string>();
    r.options = j.get<RenderOptions>();
}

RenderedVideo rendered_video_from_json(const nlohmann::json& j) {
    RenderedVideo v;
    v.output = j.value("output", std::string{});
    v.thumbnail = j.value("thumbnail", std::string{});
    v.width = j.value("width", 0);
    v.height = j.value("height", 0);
    v.fps = j.value("fps", 0);
    v.duration_seconds = j.value("duration_seconds", 0.0);
    v.size_bytes = j.value("size_bytes", std::uint64_t{0});
    v.has_audio = j.value("has_audio", false);
    v.audio_source = j.value("audio_source", std::string{});
    v.media_kind = j.value("media_kind", std::string{});
    v.render_seconds = j.value("render_seconds", 0.0);
    v.peak_rss_bytes = j.value("peak_rss_bytes", std::uint64_t{0});
    if (j.contains("effects") && j["effects"].is_array()) {
        for (const auto& e : j["effects"]) {
            if (e.is_string())
                v.effects.push_back(e.get<std::string>());
        }
    }
    return v;
}

nlohmann::json render_with_library(const RenderRequest& request,
                                   const std::function<bool(double)>& poll) {
    using FreeFn = void (*)(char*);
    const auto& library = memegen_library();
    const auto render = library.function<char* (*)(const char*, memegen_render_poll, void*)>(
        MEMEGEN_RENDER_JSON_SYMBOL, "the renderer");
    const auto free_string = library.function<FreeFn>(MEMEGEN_FREE_STRING_SYMBOL, "the renderer");
    if (!render || !free_string) {
        return {{"ok", false},
                {"error", !render ? render.error : free_string.error},
                {"cancelled", false}};
    }
    const std::string request_json = nlohmann::json(request).dump();
    struct PollContext {
        const std::function<bool(double)>* poll;
    } context{&poll};
    const auto trampoline = [](void* user, double fraction) -> int {
        const auto* ctx = static_cast<PollContext*>(user);
        return (*ctx->poll && (*ctx->poll)(fraction)) ? 1 : 0;
    };
    char* answer = render.call(request_json.c_str(), trampoline, &context);
    if (answer == nullptr) {
        return {{"ok", false}, {"error", "the renderer returned no answer"}, {"cancelled", false}};
    }
    const std::unique_ptr<char, FreeFn> owned(answer, free_string.call);
    auto parsed = nlohmann::json::parse(owned.get(), nullptr, false);
    if (!parsed.is_object()) {
        return {
            {"ok", false}, {"error", "the renderer's answer is not JSON"}, {"cancelled", false}};
    }
    return parsed;
}

std::string_view to_string(RenderFailureKind kind) noexcept {
    switch (kind) {
        case RenderFailureKind::error:
            return "error";
        case RenderFailureKind::cancelled:
            return "cancelled";
        case RenderFailureKind::crashed:
            return "crashed";
        case RenderFailureKind::killed:
            return "killed";
        case RenderFailureKind::exited:
            return "exited";
    }
    return "?";
}

RenderOutcome RenderRunner::run(const RenderRequest& request, std::stop_token stop,
                                const std::function<void()>& on_tick,
                                const GenerationGuard::Ticket* ticket) {
    return options_.isolate ? run_in_child(request, std::move(stop), on_tick, ticket)
                            : run_in_thread(request, std::move(stop), on_tick);
}

RenderOutcome RenderRunner::run_in_thread(const RenderRequest& request, std::stop_token stop,
                                          const std::function<void()>& on_tick) {
    RenderOutcome outcome;
    auto last_tick = std::chrono::steady_clock::now();
    const auto answer = render_with_library(request, [&](double) {
        const auto now = std::chrono::steady_clock::now();
        if (on_tick && now - last_tick >= options_.tick_interval) {
            last_tick = now;
            on_tick();
        }
        return stop.stop_requested();
    });
    if (answer.value("ok", false) && answer.contains("result")) {
        outcome.result = rendered_video_from_json(answer["result"]);
        return outcome;
    }
    outcome.failure =
        answer.value("cancelled", false) ? RenderFailureKind::cancelled : RenderFailureKind::error;
    outcome.error = answer.value("error", std::string("render failed"));
    return outcome;
}

namespace {

std::string signal_description(int sig) {
    const char* name = sigabbrev_np(sig);
    return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

// What is known about a SIGKILL nobody here sent: ", out of memory: ..." only with evidence (the
// cgroup's OOM killer counted a kill, or the last sample was at >= 80 % of the limit); otherwise
// the facts, so an operator looks for the real sender (another kill, a watchdog).
std::string sigkill_cause(std::optional<std::uint64_t> ooms_before,
                          std::optional<std::uint64_t> ooms_after,
                          const std::optional<ResourceSnapshot>& last) {
    if (ooms_before && ooms_after && *ooms_after > *ooms_before)
        return fmt::format(", out of memory: the cgroup's OOM killer killed it (oom_kill {} -> {})",
                           *ooms_before, *ooms_after);
    if (last && last->limit_bytes > 0 && last->percent >= 80.0)
        return fmt::format(
            ", probably out of memory: its last sample used {:.0f} % of the {:.0f} "
            "MB limit",
            last->percent, ResourceSnapshot::mib(last->limit_bytes));
    if (ooms_before && ooms_after)
        return "; the OOM-kill counter did not change";
    return "; the OOM-kill counter could not be read";
}

}  // namespace

RenderOutcome RenderRunner::run_in_child(const RenderRequest& request, std::stop_token stop,
                                         const std::function<void()>& on_tick,
                                         const GenerationGuard::Ticket* ticket) {
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

    // ChildProcess unblocks SIGINT/SIGTERM in the child (the bot blocks them in every thread
    // for its sigwait thread), or the render's SIGTERM on /cancel would never arrive. This
    // thread waits below until the child is reaped, so the child's parent-death signal only
    // fires when the whole bot dies.
    // The cgroup's OOM-kill counter before the child starts: a SIGKILL is blamed on memory
    // only if the counter grew (or memory was near the limit), never by guess.
    const ResourceMonitor monitor;
    const auto oom_kills_before = monitor.oom_kill_count();
    outcome.oom_kills_before = oom_kills_before;
    std::optional<ChildProcess> child;
    try {
        child.emplace(
            options_.program,
            std::vector<std::string>{"--render-job", request_file.string(), result_file.string()},
            ticket != nullptr ? ticket->native_handle() : -1);
    } catch (const std::exception& e) {
        outcome.error = std::string("cannot start the render process: ") + e.what();
        return outcome;
    }
    const pid_t pid = child->pid();
    if (ticket != nullptr)
        ticket->note_child(pid);
    log_info("render child started (pid {})", pid);

    auto last_tick = std::chrono::steady_clock::now();
    const auto watch = [&] {
        try {
            const auto sample = monitor.snapshot(pid);
            // An exiting child (a zombie) has no resident memory left to read: its "0 MB"
            // would hide the last real sample.
            if (sample.rss_bytes == 0)
                throw std::runtime_error("no memory figures");
            outcome.last_child_sample = sample;
            outcome.child_peak_rss_bytes = std::max(outcome.child_peak_rss_bytes, sample.rss_bytes);
        } catch (const std::exception&) {
            // The child is exiting; its last sample stands.
        }
        const auto now = std::chrono::steady_clock::now();
        if (on_tick && now - last_tick >= options_.tick_interval) {
            last_tick = now;
            on_tick();
        }
    };
    const ChildEnd end = child->wait(stop, options_.sample_interval, options_.kill_grace, watch);
    if (end.wait_errno != 0) {
        outcome.error =
            "lost track of the render process: " + std::string(std::strerror(end.wait_errno));
        return outcome;
    }
    const int status = end.status;
    const bool term_sent = end.stopped;

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
            auto result = rendered_video_from_json(report["result"]);
            if (result.output.empty())
                result.output = request.output;
            result.peak_rss_bytes = std::max(result.peak_rss_bytes, outcome.child_peak_rss_bytes);
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
        // A child that a signal ended (the grace SIGKILL after a stop, the OOM killer, a
        // crash) could not remove its half-written video; nobody else knows its name.
        if (const auto removed = remove_partial_outputs(request.output, pid))
            log_info("removed {} partial file(s) of the render child {}", removed, pid);
        if (term_sent) {
            outcome.failure = RenderFailureKind::cancelled;
            outcome.error = "the render was cancelled";
        } else if (sig == SIGKILL) {
            outcome.failure = RenderFailureKind::killed;
            outcome.oom_kills_after = monitor.oom_kill_count();
            outcome.error = "the render process was killed (SIGKILL" +
                            sigkill_cause(oom_kills_before, outcome.oom_kills_after,
                                          outcome.last_child_sample) +
                            ")" + sample_text;
        } else {
            outcome.failure = RenderFailureKind::crashed;
            outcome.error =
                "the render process crashed (" + signal_description(sig) + ")" + sample_text;
        }
        return outcome;
    }
    outcome.error = "the render process ended in an unknown way";
    return outcome;
}

namespace {

std::atomic<bool> g_child_term{false};
extern "C" void on_child_sigterm(int) {
    g_child_term = true;
}

}  // namespace

int render_job_main(const std::filesystem::path& request_file,
                    const std::filesystem::path& result_file) {
    RenderRequest request;
    try {
        const auto text = detail::read_file(request_file);
        if (!text)
            throw StateError("no request file " + request_file.string());
        request = nlohmann::json::parse(*text).get<RenderRequest>();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render job: bad request %s: %s\n", request_file.c_str(), e.what());
        return 2;
    }
    // The request lives in <state_dir>/work/: a crash of this child goes to the bot's crash.log
    // too, with the child's pid, backtrace and memory (the bot reports how the child ended).
    try {
        install_crash_handlers(request_file.parent_path().parent_path() / "crash.log");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render job: no crash log: %s\n", e.what());
    }
    if (const char* fault = std::getenv("MEMEGEN_RENDER_FAULT")) {
        const std::string f = fault;
        if (f == "sigkill")
            ::raise(SIGKILL);
        if (f == "segv")
            ::raise(SIGSEGV);
        if (f == "abort")
            std::abort();
    }
    std::stop_source stop;
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
    if (const char* fault = std::getenv("MEMEGEN_RENDER_FAULT");
        fault != nullptr && std::string(fault) == "error") {
        report = {{"ok", false},
                  {"error", "injected render error (MEMEGEN_RENDER_FAULT=error)"},
                  {"cancelled", false}};
    } else {
        report = render_with_library(request, [&](double) { return stop.stop_requested(); });
    }
    if (!report.value("ok", false))
        exit_code = report.value("cancelled", false) ? 4 : 3;
    watcher.request_stop();
    try {
        detail::write_file_atomically(result_file, report.dump());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "render job: cannot write %s: %s\n", result_file.c_str(), e.what());
        return 5;
    }
    return exit_code;
}

}  // namespace memegen::bot
