#include "core/child_spawn.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <memegen/error.hpp>

extern char** environ;

namespace memegen::bot {

pid_t spawn_child(const std::filesystem::path& program, const std::vector<std::string>& args) {
    std::vector<std::string> strings{program.string()};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : strings)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program.c_str(), nullptr, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0)
        throw SystemError("cannot start '" + program.string() + "'", rc);
    return pid;
}

ChildEnd wait_child(pid_t pid, std::stop_token stop, std::chrono::milliseconds interval,
                    std::chrono::milliseconds kill_grace) {
    ChildEnd end;
    auto term_time = std::chrono::steady_clock::now();
    for (;;) {
        const pid_t r = ::waitpid(pid, &end.status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return end;
        const auto now = std::chrono::steady_clock::now();
        if (stop.stop_requested()) {
            if (!end.stopped) {
                ::kill(pid, SIGTERM);
                end.stopped = true;
                term_time = now;
            } else if (now - term_time > kill_grace) {
                ::kill(pid, SIGKILL);
            }
        }
        std::this_thread::sleep_for(interval);
    }
}

std::string signal_name(int sig) {
    const char* name = sigabbrev_np(sig);
    return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(sig);
}

}  // namespace memegen::bot
