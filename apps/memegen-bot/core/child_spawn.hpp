#pragma once
/// \file child_spawn.hpp
/// ChildProcess: a helper child of the bot (`memegen-bot --render-job ...`, `--probe-job ...`)
/// as an object that owns its pid, after libcamera's Process: started with the signal state
/// and the scrubbed environment a fresh program expects, waited for while honouring a stop
/// request, and killed and reaped when the object goes away, so no path leaves a zombie or a
/// stray render behind.
///
/// Errors: the constructor throws memegen::SystemError naming the program; everything else
/// reports through ChildEnd and never throws.
///
/// Threads: create, wait for and destroy a ChildProcess in one thread. The child's
/// parent-death signal follows the *thread* that started it (PR_SET_PDEATHSIG), and that
/// thread outlives the child only if it is the one that reaps it.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace memegen::bot {

/// The environment a child gets, from `environment` (the bot's, "NAME=value" entries): only the
/// locale, time zone, PATH, HOME, TMPDIR, the library path, the journal stream, the log level,
/// malloc and sanitizer tuning and the tests' fault switches — an explicit list, so no token or
/// other secret (TELEGRAM_BOT_TOKEN, API keys) reaches a process that decodes untrusted media.
[[nodiscard]] std::vector<std::string> child_environment(const char* const* environment);

/// How a waited-for child ended.
struct ChildEnd {
    int status = 0;        ///< raw waitpid() status (meaningless when wait_errno is set)
    bool stopped = false;  ///< a stop request ended it (SIGTERM, then SIGKILL after grace)
    int wait_errno = 0;    ///< waitpid() failed with this errno: the child was lost, not reaped
};

/// A running helper child; see the file comment. Movable, not copyable.
class ChildProcess {
  public:
    /// Starts `program` with `args` (argv[1..]). The bot blocks SIGINT/SIGTERM in every thread
    /// and ignores SIGPIPE; the child gets them unblocked and at their defaults. The child dies
    /// with the bot: before exec it asks for SIGKILL on its parent's death and exits at once if
    /// the parent is already gone. It gets child_environment(), never the bot's secrets, and no
    /// descriptor of the bot except `keep_fd` (e.g. the generation lock), which stays open
    /// across exec at the same number. Throws SystemError naming the program (exec's own
    /// failure included: it comes back through a close-on-exec pipe).
    ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                 int keep_fd = -1);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    /// Kills (SIGKILL) a child that has not been reaped yet and reaps it.
    ~ChildProcess();

    /// The child's pid (valid until the object is destroyed or moved from).
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// Waits for the end, polling every `interval` and calling `on_poll` (if any) after each
    /// look that found it running; on a stop request sends SIGTERM, then SIGKILL after
    /// `kill_grace`. Reaps the child.
    ChildEnd wait(std::stop_token stop,
                  std::chrono::milliseconds interval = std::chrono::milliseconds(20),
                  std::chrono::milliseconds kill_grace = std::chrono::milliseconds(3000),
                  const std::function<void()>& on_poll = {});

  private:
    /// Kills and reaps the child if it is still ours; leaves pid_ = -1.
    void kill_and_reap() noexcept;

    pid_t pid_ = -1;  // -1: nothing to reap (moved from, or reaped)
};

/// "SIGSEGV", "signal 42".
[[nodiscard]] std::string signal_name(int sig);

}  // namespace memegen::bot
