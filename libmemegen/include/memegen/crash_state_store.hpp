#pragma once
/// \file crash_state_store.hpp
/// `generation_state.json` and `crash.log`: after any restart, the cause is known.
///
/// The state file keeps the seed's format — {"state", "details", "timestamp"} —
/// so tooling that read the Python bot's file keeps working. Every write is
/// atomic (temp, fsync, rename, fsync of the directory): a kill -9 at any
/// instant leaves the old or the new file, never a torn one. Problems are also
/// kept in a bounded history (`problem_history.json`), where the seed kept one.

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memegen/detail/clock.hpp"
#include "memegen/detail/files.hpp"
#include "memegen/detail/proc_reader.hpp"
#include "memegen/error.hpp"
#include "memegen/log.hpp"
#include "memegen/resource_monitor.hpp"

namespace memegen {

/// The stage names written to generation_state.json; the problem stages are the seed's.
namespace stage {
inline constexpr std::string_view generating = "generating";  ///< a generation is in progress
inline constexpr std::string_view completed = "completed";
inline constexpr std::string_view idle = "idle";
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view generation_error = "generation_error";
inline constexpr std::string_view batch_error = "batch_error";
inline constexpr std::string_view init_error = "init_error";
inline constexpr std::string_view dedup_error = "dedup_error";
inline constexpr std::string_view results_error = "results_error";
inline constexpr std::string_view send_error = "send_error";
/// A meme source (a subreddit) could not be read, listed or fetched.
inline constexpr std::string_view source_error = "source_error";
/// A target (Telegram channel, YouTube, X) refused or failed a publication.
inline constexpr std::string_view publish_error = "publish_error";
/// The previous process ended while a generation was in progress, without a word.
inline constexpr std::string_view unclean_shutdown = "unclean_shutdown";
/// A state file was unreadable and was moved aside.
inline constexpr std::string_view state_corrupt = "state_corrupt";
}  // namespace stage

/// True for the stages that report a problem (the seed's *_error, unclean_shutdown, ...).
[[nodiscard]] inline bool is_problem_stage(std::string_view s) noexcept {
    return s.ends_with("_error") || s == stage::unclean_shutdown || s == stage::state_corrupt;
}

/// The content of generation_state.json.
struct StateRecord {
    std::string state;
    nlohmann::json details = nlohmann::json::object();
    std::string timestamp;  ///< local time with offset, "2025-10-03T15:30:45+07:00"
};

/// Something that went wrong: the seed's "Last problem" (stage, error, time) plus details.
struct Problem {
    std::string stage;
    std::string error;
    std::string timestamp;
    nlohmann::json details = nlohmann::json::object();
};

/// A Problem as JSON: {"stage", "error", "timestamp", "details"}.
inline void to_json(nlohmann::json& j, const Problem& p) {
    j = {
        {"stage", p.stage}, {"error", p.error}, {"timestamp", p.timestamp}, {"details", p.details}};
}

/// Settings of a CrashStateStore.
struct CrashStateStoreOptions {
    std::size_t history_limit = 20;    ///< problems kept in problem_history.json
    ResourceMonitorOptions monitor{};  ///< for the memory sample attached to each record
};

/// crash.log is rotated when a writer opens it at this size or more: it becomes crash.log.1
/// (the one before is dropped), so at most about twice this stays on disk.
inline constexpr std::uintmax_t kCrashLogRotateBytes = 1024 * 1024;

/// Installs handlers that append a record to `crash_log` for uncaught exceptions
/// (std::terminate) and fatal signals (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL):
/// time, cause, memory, backtrace. The signal path uses only async-signal-safe calls, then
/// lets the default action happen so a supervisor still sees the crash. Process-wide;
/// a second call switches to the new file. Throws SystemError if the log cannot be opened.
void install_crash_handlers(const std::filesystem::path& crash_log);

/// Appends one record ("=== <time> pid <pid> <cause>", memory, backtrace) to `crash_log`.
/// Not for signal handlers. Never throws.
void append_crash_record(const std::filesystem::path& crash_log, std::string_view cause) noexcept;

/// Reads and writes generation_state.json, problem_history.json and crash.log in a state
/// directory. Thread-safe. Reading never throws on bad content: a corrupt, empty, binary or
/// wrongly-typed file is moved aside (`<name>.corrupt-<time>`) and reported as a problem.
class CrashStateStore {
  public:
    /// Uses `state_dir`, creating it (0700) if needed. Throws SystemError if it cannot.
    explicit CrashStateStore(std::filesystem::path state_dir, CrashStateStoreOptions options = {})
        : dir_(std::move(state_dir)), options_(std::move(options)), monitor_(options_.monitor) {
        detail::ensure_private_directory(dir_);
        sweep_stale_temp_files();
    }

    /// `<dir>/generation_state.json`: the current stage.
    [[nodiscard]] std::filesystem::path state_path() const {
        return dir_ / "generation_state.json";
    }
    /// `<dir>/problem_history.json`: the last problems, oldest first.
    [[nodiscard]] std::filesystem::path history_path() const {
        return dir_ / "problem_history.json";
    }
    /// `<dir>/crash.log`: what the crash signal handler appends.
    [[nodiscard]] std::filesystem::path crash_log_path() const { return dir_ / "crash.log"; }
    /// The state directory.
    [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }

    /// Records a stage transition. Adds to `details` what a post-mortem needs: "pid", the
    /// process start time, "memory" (a fresh snapshot unless given) and the cgroup's OOM-kill
    /// count. A problem stage is also appended to the history. Throws SystemError if the
    /// file cannot be written.
    StateRecord record(std::string_view state, nlohmann::json details = nlohmann::json::object()) {
        if (!details.is_object())
            details = nlohmann::json{{"value", std::move(details)}};
        if (!details.contains("memory"))
            details["memory"] = monitor_.snapshot();
        details["pid"] = ::getpid();
        if (auto start = process_start_ticks(::getpid()))
            details["pid_start"] = *start;
        if (auto ooms = monitor_.oom_kill_count())
            details["oom_kill_count"] = *ooms;
        StateRecord rec{std::string(state), std::move(details), detail::local_timestamp()};
        const nlohmann::json j = {
            {"state", rec.state}, {"details", rec.details}, {"timestamp", rec.timestamp}};
        std::lock_guard lock(mutex_);
        detail::write_file_atomically(state_path(), j.dump(2) + "\n");
        if (is_problem_stage(rec.state)) {
            const auto error = rec.details.find("error");
            append_problem_locked(Problem{
                rec.state,
                error != rec.details.end() && error->is_string() ? error->get<std::string>() : "",
                rec.timestamp, rec.details});
        }
        return rec;
    }

    /// Records a problem stage with its error text; the memory sample is taken now.
    StateRecord record_problem(std::string_view problem_stage, std::string_view error,
                               nlohmann::json details = nlohmann::json::object()) {
        if (!details.is_object())
            details = nlohmann::json::object();
        details["error"] = std::string(error);
        return record(problem_stage, std::move(details));
    }

    /// Adds a problem to the history without changing generation_state.json (which may still
    /// hold evidence of how the previous process ended): e.g. another store's state_corrupt.
    void note_problem(std::string_view problem_stage, std::string_view error,
                      nlohmann::json details = nlohmann::json::object()) {
        if (!details.is_object())
            details = nlohmann::json::object();
        std::lock_guard lock(mutex_);
        append_problem_locked(Problem{std::string(problem_stage), std::string(error),
                                      detail::local_timestamp(), std::move(details)});
    }

    /// The current generation_state.json; nullopt if there is none or it was corrupt (then it
    /// is moved aside and a state_corrupt problem is recorded).
    [[nodiscard]] std::optional<StateRecord> current() {
        std::lock_guard lock(mutex_);
        return current_locked();
    }

    /// The most recent problem, if any.
    [[nodiscard]] std::optional<Problem> last_problem() {
        auto all = recent_problems();
        if (all.empty())
            return std::nullopt;
        return all.back();
    }

    /// Up to history_limit problems, oldest first.
    [[nodiscard]] std::vector<Problem> recent_problems() {
        std::lock_guard lock(mutex_);
        return history_locked();
    }

    /// Call once at start-up, before generating. If the previous process died while the state
    /// said a generation was in progress (killed — the OOM killer's SIGKILL leaves no other
    /// trace — or crashed), records and returns an unclean_shutdown problem naming what it was
    /// doing, its last memory sample, whether the cgroup's OOM-kill count grew and the last
    /// crash.log cause of that pid. Nullopt after a clean end, or while that process still runs.
    std::optional<Problem> detect_unclean_end() {
        std::lock_guard lock(mutex_);
        auto previous = current_locked();
        if (!previous || previous->state != stage::generating)
            return std::nullopt;
        const auto& d = previous->details;
        // The record was checked for shape, its details were not: a field of the wrong type
        // (hand-edited, another version) reads as absent instead of throwing.
        const pid_t pid = d.contains("pid") && d["pid"].is_number_integer()
                              ? static_cast<pid_t>(d["pid"].get<std::int64_t>())
                              : 0;
        // Alive only by evidence: the same pid, not a zombie, with the recorded start time
        // (without one the pid may have been reused, so it proves nothing).
        if (pid > 0 && d.contains("pid_start") && d["pid_start"].is_number_unsigned()) {
            if (process_start_ticks(pid) == d["pid_start"].get<std::uint64_t>())
                return std::nullopt;
        }
        Problem problem;
        problem.stage = std::string(stage::unclean_shutdown);
        problem.timestamp = detail::local_timestamp();
        const std::string what = d.contains("label") && d["label"].is_string()
                                     ? d["label"].get<std::string>()
                                     : std::string("a generation");
        problem.error =
            fmt::format("the previous process (pid {}) ended during {} (state written {})", pid,
                        what, previous->timestamp);
        problem.details = {{"previous_state", nlohmann::json{{"state", previous->state},
                                                             {"details", d},
                                                             {"timestamp", previous->timestamp}}},
                           {"pid", pid}};
        if (d.contains("memory"))
            problem.details["memory"] = d["memory"];
        const auto crash = last_crash_cause(pid);
        if (crash) {
            problem.error += fmt::format(": it crashed ({})", *crash);
            problem.details["crash"] = *crash;
        }
        const auto ooms_now = monitor_.oom_kill_count();
        if (ooms_now && d.contains("oom_kill_count") && d["oom_kill_count"].is_number_unsigned()) {
            const auto before = d["oom_kill_count"].get<std::uint64_t>();
            const bool grew = *ooms_now > before;
            problem.details["oom_kill_grew"] = grew;
            if (grew) {
                problem.error += fmt::format(
                    ": the cgroup's OOM killer killed a process since (oom_kill {} -> {})", before,
                    *ooms_now);
            }
        }
        if (!crash && !problem.details.value("oom_kill_grew", false)) {
            problem.error += ": probably killed (SIGKILL, e.g. by the OOM killer)";
        }
        nlohmann::json record = {{"state", problem.stage},
                                 {"details", problem.details},
                                 {"timestamp", problem.timestamp}};
        record["details"]["error"] = problem.error;
        detail::write_file_atomically(state_path(), record.dump(2) + "\n");
        append_problem_locked(problem);
        log_warning("Previous run ended uncleanly: {}", problem.error);
        return problem;
    }

    /// Routes uncaught exceptions and fatal signals of this process to crash_log_path().
    void install_crash_handlers() const { memegen::install_crash_handlers(crash_log_path()); }

    /// Start time of a living process in clock ticks since boot (field 22 of /proc/PID/stat):
    /// with the pid it names one process for good, even after the pid is reused. Nullopt when
    /// the process is gone or a zombie (dead, only not reaped yet).
    [[nodiscard]] std::optional<std::uint64_t> process_start_ticks(pid_t pid) const {
        return detail::living_process_start(pid, options_.monitor.proc_root.c_str());
    }

  private:
    // A process killed between creating and renaming its temp file leaves it behind: remove
    // temp files of processes that no longer exist (never a live writer's).
    void sweep_stale_temp_files() noexcept {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
            const std::string name = entry.path().filename().string();
            const auto tmp = name.find(".json.tmp.");
            if (tmp == std::string::npos)
                continue;
            const auto pid_text = name.substr(tmp + 10, name.find('.', tmp + 10) - tmp - 10);
            const auto pid = detail::parse_u64(pid_text);
            if (pid && *pid != static_cast<std::uint64_t>(::getpid()) &&
                !detail::process_alive(static_cast<pid_t>(*pid), std::nullopt,
                                       options_.monitor.proc_root.c_str())) {
                std::filesystem::remove(entry.path(), ec);
            }
        }
    }

    std::optional<StateRecord> current_locked() {
        auto read = detail::read_state_file(state_path());
        if (read.problem) {
            note_corrupt_locked(state_path(), *read.problem);
            return std::nullopt;
        }
        const auto& text = read.text;
        if (!text)
            return std::nullopt;
        const auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
        if (j.is_object() && j.contains("details") && j["details"].is_object()) {
            if (const auto field = mistyped_detail(j["details"])) {
                quarantine_locked(
                    state_path(),
                    fmt::format("its details field \"{}\" has the wrong type", *field));
                return std::nullopt;
            }
        }
        if (j.is_object() && j.contains("state") && j["state"].is_string() &&
            j.contains("timestamp") && j["timestamp"].is_string() &&
            (!j.contains("details") || j["details"].is_object())) {
            StateRecord rec;
            rec.state = j["state"].get<std::string>();
            rec.timestamp = j["timestamp"].get<std::string>();
            if (j.contains("details"))
                rec.details = j["details"];
            return rec;
        }
        quarantine_locked(state_path(), text->empty() ? "it is empty" : "it is not a state record");
        return std::nullopt;
    }

    // The details this store reads back (see record() and detect_unclean_end()) must have
    // their types: the first one that does not, if any.
    static std::optional<std::string> mistyped_detail(const nlohmann::json& d) {
        const auto wrong = [&d](const char* key, bool (nlohmann::json::*is)() const noexcept) {
            return d.contains(key) && !(d[key].*is)();
        };
        if (wrong("pid", &nlohmann::json::is_number_integer))
            return "pid";
        if (wrong("pid_start", &nlohmann::json::is_number_unsigned))
            return "pid_start";
        if (wrong("oom_kill_count", &nlohmann::json::is_number_unsigned))
            return "oom_kill_count";
        for (const char* key : {"label", "context", "error"}) {
            if (wrong(key, &nlohmann::json::is_string))
                return key;
        }
        return std::nullopt;
    }

    std::vector<Problem> history_locked() {
        auto read = detail::read_state_file(history_path());
        if (read.problem)
            return {start_history_with_locked(corrupt_problem(history_path(), *read.problem))};
        const auto& text = read.text;
        if (!text)
            return {};
        const auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
        std::vector<Problem> problems;
        if (j.is_array()) {
            for (const auto& item : j) {
                if (!item.is_object() || !item.contains("stage") || !item["stage"].is_string()) {
                    continue;  // skip an odd entry rather than lose the others
                }
                Problem p;
                p.stage = item["stage"].get<std::string>();
                if (item.contains("error") && item["error"].is_string())
                    p.error = item["error"].get<std::string>();
                if (item.contains("timestamp") && item["timestamp"].is_string()) {
                    p.timestamp = item["timestamp"].get<std::string>();
                }
                if (item.contains("details") && item["details"].is_object())
                    p.details = item["details"];
                problems.push_back(std::move(p));
            }
            return problems;
        }
        return {quarantine_locked(history_path(),
                                  text->empty() ? "it is empty" : "it is not a JSON array")};
    }

    void append_problem_locked(Problem problem) {
        auto problems = history_locked();
        problems.push_back(std::move(problem));
        if (problems.size() > options_.history_limit) {
            problems.erase(problems.begin(),
                           problems.end() - static_cast<std::ptrdiff_t>(options_.history_limit));
        }
        const nlohmann::json j = problems;
        // A history that cannot be written must not hide the state transition itself.
        try {
            detail::write_file_atomically(history_path(), j.dump(2) + "\n");
        } catch (const Error& e) {
            log_error("cannot write {}: {}", history_path().string(), e.what());
        }
    }

    // Moves an unreadable file aside so it can be inspected, and says so in the history.
    Problem quarantine_locked(const std::filesystem::path& file, std::string_view reason) {
        return note_corrupt_locked(file, detail::quarantine_file(file, reason));
    }

    static Problem corrupt_problem(const std::filesystem::path& file, const std::string& error) {
        log_warning("{}", error);
        return Problem{std::string(stage::state_corrupt),
                       error,
                       detail::local_timestamp(),
                       {{"file", file.string()}}};
    }

    // Records a file already moved aside (`error` says so) in the history.
    Problem note_corrupt_locked(const std::filesystem::path& file, const std::string& error) {
        auto p = corrupt_problem(file, error);
        if (file == history_path())
            return start_history_with_locked(std::move(p));
        append_problem_locked(p);
        return p;
    }

    // A fresh history with this one entry; no recursion into the broken file.
    Problem start_history_with_locked(Problem p) {
        const nlohmann::json j = std::vector<Problem>{p};
        try {
            detail::write_file_atomically(history_path(), j.dump(2) + "\n");
        } catch (const Error& e) {
            log_error("cannot write {}: {}", history_path().string(), e.what());
        }
        return p;
    }

    // The cause line of the last crash.log record written by `pid`, if any (the rotated
    // crash.log.1 first: a process may have written there before another one rotated).
    [[nodiscard]] std::optional<std::string> last_crash_cause(pid_t pid) const {
        std::optional<std::string> text;
        for (const auto& file :
             {std::filesystem::path(crash_log_path()).concat(".1"), crash_log_path()}) {
            try {
                if (auto part = detail::read_file(file))
                    text = text.value_or("") + *part;
            } catch (const Error&) {
            }
        }
        if (!text)
            return std::nullopt;
        const std::string marker = fmt::format(" pid {} ", pid);
        std::optional<std::string> cause;
        std::string_view rest = *text;
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            const auto line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            if (line.starts_with("=== ")) {
                const auto at = line.find(marker);
                if (at != std::string_view::npos)
                    cause = std::string(line.substr(at + marker.size()));
            }
        }
        return cause;
    }

    std::filesystem::path dir_;
    CrashStateStoreOptions options_;
    ResourceMonitor monitor_;
    std::mutex mutex_;
};

}  // namespace memegen
