#include "core/child_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>

#include <memegen/detail/unique_fd.hpp>
#include <memegen/error.hpp>

extern char** environ;

namespace memegen::bot {

std::vector<std::string> child_environment(const char* const* environment) {
    static constexpr std::array<std::string_view, 14> kExact = {"PATH",
                                                                "HOME",
                                                                "LANG",
                                                                "LANGUAGE",
                                                                "TZ",
                                                                "TMPDIR",
                                                                "LD_LIBRARY_PATH",
                                                                "JOURNAL_STREAM",
                                                                "MEMEGEN_LOG_LEVEL",
                                                                "MEMEGEN_RENDER_FAULT",
                                                                "MEMEGEN_PROBE_FAULT",
                                                                "ASAN_OPTIONS",
                                                                "UBSAN_OPTIONS",
                                                                "LSAN_OPTIONS"};
    static constexpr std::array<std::string_view, 2> kPrefixes = {"LC_", "MALLOC_"};
    std::vector<std::string> out;
    for (auto entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text = *entry;
        const auto equals = text.find('=');
        if (equals == std::string_view::npos)
            continue;
        const auto name = text.substr(0, equals);
        bool keep = false;
        for (const auto exact : kExact)
            keep = keep || name == exact;
        for (const auto prefix : kPrefixes)
            keep = keep || name.starts_with(prefix);
        if (keep)
            out.emplace_back(text);
    }
    return out;
}

namespace {

/// fork + exec with the child's set-up; see ChildProcess's constructor.
pid_t spawn(const std::filesystem::path& program, const std::vector<std::string>& args,
            int keep_fd) {
    // Everything the child needs is built before fork(): between fork and exec only
    // async-signal-safe calls are allowed (another thread may hold malloc's lock).
    std::vector<std::string> strings{program.string()};
    strings.insert(strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : strings)
        argv.push_back(s.data());
    argv.push_back(nullptr);
    auto environment = child_environment(environ);
    std::vector<char*> envp;
    for (auto& s : environment)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    const pid_t parent = ::getpid();

    // exec's failure comes back through a close-on-exec pipe: EOF means the exec happened.
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw SystemError("cannot start '" + program.string() + "': no pipe", errno);
    detail::UniqueFd report_read(pipe_fds[0]);
    detail::UniqueFd report_write(pipe_fds[1]);

    const pid_t pid = ::fork();
    if (pid < 0)
        throw SystemError("cannot start '" + program.string() + "'", errno);
    if (pid == 0) {
        int error = 0;
        // SIGKILL when the forking thread ends; the parent may have died before this call,
        // then nobody would ever send it, so check who the parent is now.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
            ::_exit(127);
        struct sigaction defaults {};
        defaults.sa_handler = SIG_DFL;
        sigemptyset(&defaults.sa_mask);
        for (const int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP})
            ::sigaction(sig, &defaults, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // Sockets and files the bot opened without O_CLOEXEC (the HTTP client's) stay behind.
        ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (keep_fd >= 0 && ::fcntl(keep_fd, F_SETFD, 0) != 0)
            error = errno;
        if (error == 0) {
            ::execve(program.c_str(), argv.data(), envp.data());
            error = errno;
        }
        [[maybe_unused]] const ssize_t n = ::write(report_write.get(), &error, sizeof error);
        ::_exit(127);
    }
    report_write.reset();
    int error = 0;
    ssize_t n = 0;
    do {
        n = ::read(report_read.get(), &error, sizeof error);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof error)) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        throw SystemError("cannot start '" + program.string() + "'", error);
    }
    return pid;
}

}  // namespace

ChildProcess::ChildProcess(const std::filesystem::path& program,
                           const std::vector<std::string>& args, int keep_fd)
    : pid_(spawn(program, args, keep_fd)) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    kill_and_reap();
}

void ChildProcess::kill_and_reap() noexcept {
    if (pid_ <= 0)
        return;
    // Only reached when nobody waited (an exception between start and wait): the child's
    // work has no reader any more, so SIGKILL, and a blocking reap so no zombie stays.
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

ChildEnd ChildProcess::wait(std::stop_token stop, std::chrono::milliseconds interval,
                            std::chrono::milliseconds kill_grace,
                            const std::function<void()>& on_poll) {
    ChildEnd end;
    if (pid_ <= 0) {
        end.wait_errno = ECHILD;
        return end;
    }
    auto term_time = std::chrono::steady_clock::now();
    for (;;) {
        const pid_t r = ::waitpid(pid_, &end.status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            return end;
        }
        if (r < 0 && errno != EINTR) {
            // Someone else reaped it (SIGCHLD ignored, a stray waitpid(-1)): nothing to kill.
            end.wait_errno = errno;
            pid_ = -1;
            return end;
        }
        if (on_poll)
            on_poll();
        const auto now = std::chrono::steady_clock::now();
        if (stop.stop_requested()) {
            if (!end.stopped) {
                ::kill(pid_, SIGTERM);
                end.stopped = true;
                term_time = now;
            } else if (now - term_time > kill_grace) {
                ::kill(pid_, SIGKILL);
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
