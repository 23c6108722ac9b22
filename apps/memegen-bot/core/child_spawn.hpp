#pragma once
/// \file child_spawn.hpp
/// Starting a helper child of the bot (`memegen-bot --probe-job ...`) with the signal state a
/// fresh program expects, and waiting for it while honouring a stop request.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

namespace memegen::bot {

/// Starts `program` with `args` (argv[1..]). The bot blocks SIGINT/SIGTERM in every thread and
/// ignores SIGPIPE; the child gets them unblocked and at their defaults. The child dies with
/// the bot: before exec it asks for SIGKILL on its parent's death (PR_SET_PDEATHSIG) and exits
/// at once if the parent is already gone. That signal follows the *thread* that started the
/// child, so call this from the thread that then waits for the child until it is reaped (as
/// wait_child() and the render runner do): that thread then outlives the child unless the
/// whole process dies. The child gets child_environment(), never the bot's secrets, and no
/// descriptor of the bot except `keep_fd` (e.g. the generation lock), which stays open across
/// exec at the same number. Throws SystemError naming the program.
pid_t spawn_child(const std::filesystem::path& program, const std::vector<std::string>& args,
                  int keep_fd = -1);

/// The environment a child gets, from `environment` (the bot's, "NAME=value" entries): only the
/// locale, time zone, PATH, HOME, TMPDIR, the library path, the journal stream, the log level,
/// malloc and sanitizer tuning and the tests' fault switches — an explicit list, so no token or
/// other secret (TELEGRAM_BOT_TOKEN, API keys) reaches a process that decodes untrusted media.
[[nodiscard]] std::vector<std::string> child_environment(const char* const* environment);

/// How a waited-for child ended.
struct ChildEnd {
    int status = 0;        ///< raw waitpid() status
    bool stopped = false;  ///< a stop request ended it (SIGTERM, then SIGKILL after grace)
};

/// Waits for `pid`, polling every `interval`; on a stop request sends SIGTERM, then SIGKILL
/// after `kill_grace`. Always reaps the child.
ChildEnd wait_child(pid_t pid, std::stop_token stop,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(20),
                    std::chrono::milliseconds kill_grace = std::chrono::milliseconds(3000));

/// "SIGSEGV", "signal 42".
[[nodiscard]] std::string signal_name(int sig);

}  // namespace memegen::bot
