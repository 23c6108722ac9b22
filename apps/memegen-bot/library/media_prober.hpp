#pragma once
/// \file media_prober.hpp
/// Probes library files for the bot without mapping FFmpeg into the bot process: by default a
/// child (`memegen-bot --probe-job REQUEST RESULTS`) loads libmemegen.so and probes a list of
/// files, writing one verdict line per file as it goes. A file that crashes the child is
/// rejected by name and the rest of the list goes to a fresh child; the bot never goes down.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <memegen/media_probe.hpp>
#include <memegen/perceptual_hash.hpp>
#include <memegen/text_detect.hpp>
#include <nlohmann/json.hpp>

namespace memegen::bot {

/// One file to probe and what it is for.
struct ProbeTask {
    std::filesystem::path file;
    MediaRole role = MediaRole::any;
};

/// The verdict on one file.
struct ProbeVerdict {
    std::filesystem::path file;
    bool ok = false;
    std::string error;                      ///< why not (names the file and the cause)
    std::optional<MediaInfo> info;          ///< what it holds, when ok
    std::optional<TextLayout> text_layout;  ///< where a picture's text is, when ok
    /// What a picture looks like (for near-duplicates), when ok.
    std::optional<PerceptualHash> perceptual_hash;
};

/// How probes run.
struct MediaProberOptions {
    bool isolate = true;                                ///< a child process, or this thread
    std::filesystem::path program = "/proc/self/exe";   ///< run as PROGRAM --probe-job REQ OUT
    std::filesystem::path work_dir;                     ///< where request/result files go
    std::uint64_t max_bytes = ProbeLimits{}.max_bytes;  ///< probe limits, ProbeLimits' defaults
    std::int64_t max_pixels = ProbeLimits{}.max_pixels;
};

/// Probes lists of files; callers serialise (one probe at a time is what the bot wants).
class MediaProber {
  public:
    explicit MediaProber(MediaProberOptions options) : options_(std::move(options)) {}

    /// Verdicts for `tasks`, in order. A stop request ends early: the verdicts made so far are
    /// returned. When probing cannot run at all (no library, no child process) the error is
    /// logged and the files are left out, so they are tried again later rather than rejected.
    std::vector<ProbeVerdict> probe(const std::vector<ProbeTask>& tasks, std::stop_token stop);

    /// The options in use.
    [[nodiscard]] const MediaProberOptions& options() const noexcept { return options_; }

  private:
    std::vector<ProbeVerdict> probe_in_thread(const std::vector<ProbeTask>& tasks,
                                              std::stop_token stop);
    std::vector<ProbeVerdict> probe_in_child(const std::vector<ProbeTask>& tasks,
                                             std::stop_token stop);

    MediaProberOptions options_;
    std::atomic<unsigned> counter_{0};
};

/// The request of one file, as memegen_probe_json() takes it.
[[nodiscard]] nlohmann::json probe_request(const ProbeTask& task,
                                           const MediaProberOptions& options);

/// A result object of memegen_probe_json() as a verdict.
[[nodiscard]] ProbeVerdict verdict_from_json(const nlohmann::json& result);

/// Probes one request with libmemegen loaded by dlopen; the answer of memegen_probe_json(), or
/// {"ok": false, "error", "unavailable": true} when the library cannot be loaded.
nlohmann::json probe_with_library(const nlohmann::json& request);

/// The child side: `memegen-bot --probe-job REQUEST.json RESULTS.jsonl`. REQUEST is
/// {"tasks": [{"path", "role"}], "max_bytes", "max_pixels"}; one result line per file is
/// appended to RESULTS as soon as it is known. Returns 0, 2 (bad request) or 5 (no library).
/// MEMEGEN_PROBE_FAULT=segv:SUBSTRING (tests only) crashes on a file whose path contains it.
int probe_job_main(const std::filesystem::path& request_file,
                   const std::filesystem::path& results_file);

}  // namespace memegen::bot
