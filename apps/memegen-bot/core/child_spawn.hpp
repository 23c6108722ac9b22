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
/// ignores SIGPIPE; the child gets them unblocked and at their defaults. Throws SystemError.
pid_t spawn_child(const std::filesystem::path& program, const std::vector<std::string>& args);

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
