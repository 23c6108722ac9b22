#pragma once
/// \file render_runner.hpp
/// Runs one MemeRenderer render for the bot, isolated in a child process by default, so
/// that a crash or an out-of-memory kill while rendering cannot take the bot down; the
/// bot learns exactly how the child ended. In-thread rendering is a config switch.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <memegen/generation_guard.hpp>
#include <memegen/render_options.hpp>  // FFmpeg-free: the renderer is loaded with dlopen
#include <memegen/resource_monitor.hpp>
#include <nlohmann/json.hpp>

namespace memegen::bot {

/// Everything a render needs, serialisable so it can cross into a child process: the media,
/// the output and the library's own RenderOptions (the per-candidate seed, variant group,
/// music, captions, effects and cached text layout included). Its callbacks do not cross:
/// run()'s stop token and ticks take their place.
struct RenderRequest {
    std::filesystem::path media;
    std::filesystem::path output;  ///< the MP4 to write (its folder must exist)
    RenderOptions options;
};

/// The request as memegen_render_json() reads it: RenderOptions' JSON plus "media" and "output".
void to_json(nlohmann::json& j, const RenderRequest& r);
/// Reads what to_json() writes. Throws MediaError for a bad option, nlohmann::json's errors for
/// missing media or output.
void from_json(const nlohmann::json& j, RenderRequest& r);

/// What a render made: the fields of the renderer's result the bot uses.
struct RenderedVideo {
    std::filesystem::path output;
    std::filesystem::path thumbnail;
    int width = 0;
    int height = 0;
    int fps = 0;
    double duration_seconds = 0;
    std::uint64_t size_bytes = 0;
    bool has_audio = false;
    std::string audio_source;
    std::string media_kind;
    double render_seconds = 0;
    std::uint64_t peak_rss_bytes = 0;
    std::vector<std::string> effects;
};

/// Reads the renderer's result JSON (render_entry.h); missing fields stay zero.
[[nodiscard]] RenderedVideo rendered_video_from_json(const nlohmann::json& j);

/// How a render ended when it did not succeed.
enum class RenderFailureKind {
    error,      ///< the renderer reported an error (bad media, disk full, ...)
    cancelled,  ///< /cancel or shutdown
    crashed,    ///< the child died of a signal other than SIGKILL (SEGV, ABRT, ...)
    killed,     ///< SIGKILL nobody here sent (the error says whether the OOM killer did it)
    exited,     ///< the child exited with an unexpected status and no report
};

/// "error", "cancelled", "crashed", "killed", "exited".
[[nodiscard]] std::string_view to_string(RenderFailureKind kind) noexcept;

/// The outcome of one render: a result, or why there is none.
struct RenderOutcome {
    std::optional<RenderedVideo> result;  ///< set on success
    RenderFailureKind failure = RenderFailureKind::error;
    std::string error;                       ///< a sentence naming the cause (never the token)
    std::optional<int> exit_code;            ///< the child's exit status, if it exited
    std::optional<int> signal;               ///< the signal that ended the child, if any
    std::uint64_t child_peak_rss_bytes = 0;  ///< highest RSS seen of the child (0 in-thread)
    std::optional<ResourceSnapshot> last_child_sample;  ///< the child's last memory sample
    /// The cgroup's OOM-kill counter before and after the child (unset where unreadable): a
    /// SIGKILL is put down to memory only when it grew, or the last sample was near the limit.
    std::optional<std::uint64_t> oom_kills_before;
    std::optional<std::uint64_t> oom_kills_after;

    [[nodiscard]] bool ok() const noexcept { return result.has_value(); }
};

/// How renders are run.
struct RenderRunnerOptions {
    bool isolate = true;  ///< a child process (true) or the calling thread
    /// The program to start for a child render: it is run as `PROGRAM --render-job REQ OUT`.
    std::filesystem::path program = "/proc/self/exe";
    std::chrono::milliseconds sample_interval{100};  ///< memory samples of the child
    std::chrono::milliseconds tick_interval{4000};   ///< on_tick cadence (chat actions)
    std::chrono::milliseconds kill_grace{3000};      ///< SIGTERM → SIGKILL on cancel
};

/// Runs renders; one at a time per runner (the GenerationGuard sees to that).
class RenderRunner {
  public:
    explicit RenderRunner(RenderRunnerOptions options = {}) : options_(std::move(options)) {}

    /// Renders `request`. `on_tick` is called every tick_interval while it runs (to repeat
    /// the upload_video chat action). A stop request cancels: the child gets SIGTERM, then
    /// SIGKILL after kill_grace. Never throws for render failures; they are in the outcome.
    /// With `ticket` (the generation's guard ticket), a render child keeps the lock's open
    /// file description and is recorded in the lock, so the guard stays held for as long as
    /// the child lives, even if this process dies first.
    RenderOutcome run(const RenderRequest& request, std::stop_token stop,
                      const std::function<void()>& on_tick = {},
                      const GenerationGuard::Ticket* ticket = nullptr);

  private:
    RenderOutcome run_in_thread(const RenderRequest& request, std::stop_token stop,
                                const std::function<void()>& on_tick);
    RenderOutcome run_in_child(const RenderRequest& request, std::stop_token stop,
                               const std::function<void()>& on_tick,
                               const GenerationGuard::Ticket* ticket);

    RenderRunnerOptions options_;
};

/// The renderer, loaded on first use with dlopen("libmemegen.so.0"): until a render runs in
/// this process, FFmpeg's libraries are not mapped (the bot's idle memory stays small).
/// Renders `request`; `poll` is called per frame and cancels when it returns non-zero.
/// Returns the answer JSON of memegen_render_json(); a library that cannot be loaded is an
/// {"ok": false} answer naming dlerror().
nlohmann::json render_with_library(const RenderRequest& request,
                                   const std::function<bool(double)>& poll);

/// The child side: `memegen-bot --render-job REQUEST.json RESULT.json`. Renders, writes
/// {"ok": true, "result": ...} or {"ok": false, "error": ..., "cancelled": bool} to RESULT,
/// and returns the process exit status (0 ok, 3 render error, 4 cancelled, 2 bad request).
/// SIGTERM cancels the render cooperatively. MEMEGEN_RENDER_FAULT=sigkill|segv|abort|error
/// (tests only) injects a failure before rendering.
int render_job_main(const std::filesystem::path& request_file,
                    const std::filesystem::path& result_file);

}  // namespace memegen::bot
