#pragma once
// Test support: run a role of this same test binary in a child process
// (posix_spawn of /proc/self/exe), wait for it, kill it, read how it ended.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace memegen::test {

using ChildRole = std::function<int(const std::vector<std::string>& args)>;

inline std::map<std::string, ChildRole>& child_roles() {
    static std::map<std::string, ChildRole> roles;
    return roles;
}

inline int run_child_role(const std::string& name, const std::vector<std::string>& args) {
    const auto it = child_roles().find(name);
    if (it == child_roles().end())
        return 97;
    return it->second(args);
}

struct ChildRoleRegistrar {
    ChildRoleRegistrar(std::string name, ChildRole role) {
        child_roles().emplace(std::move(name), std::move(role));
    }
};

/// How a child ended.
struct ChildExit {
    bool exited = false;
    int exit_code = 0;
    bool signalled = false;
    int signal = 0;
};

/// Decodes a waitpid() status.
inline ChildExit decode_wait_status(int status) {
    ChildExit e;
    if (WIFEXITED(status)) {
        e.exited = true;
        e.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        e.signalled = true;
        e.signal = WTERMSIG(status);
    }
    return e;
}

/// A child process running `--child ROLE ARGS...` of this binary; killed (SIGKILL) and reaped
/// on destruction if still running.
class Child {
  public:
    Child(const std::string& role, const std::vector<std::string>& args) {
        std::vector<std::string> argv_strings{"/proc/self/exe", "--child", role};
        argv_strings.insert(argv_strings.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : argv_strings)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("posix_spawn failed for child role " + role);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (!exit_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
    }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// Sends `sig`.
    void kill(int sig = SIGKILL) const { ::kill(pid_, sig); }

    /// Waits for the child to end and says how.
    ChildExit wait() {
        if (exit_)
            return *exit_;
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        exit_ = decode_wait_status(status);
        return *exit_;
    }

    /// Waits up to `timeout`; nullopt if the child is still running.
    std::optional<ChildExit> wait_for(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                exit_ = decode_wait_status(status);
                return *exit_;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return std::nullopt;
    }

  private:
    pid_t pid_ = -1;
    std::optional<ChildExit> exit_;
};

}  // namespace memegen::test

#define MEMEGEN_TEST_CONCAT_(a, b) a##b
#define MEMEGEN_TEST_CONCAT(a, b) MEMEGEN_TEST_CONCAT_(a, b)
/// Registers a child role: MEMEGEN_TEST_CHILD("name") { ... return exit code; }
#define MEMEGEN_TEST_CHILD(name)                                                                \
    static int MEMEGEN_TEST_CONCAT(memegen_child_fn_,                                           \
                                   __LINE__)(const std::vector<std::string>& args);             \
    static const ::memegen::test::ChildRoleRegistrar MEMEGEN_TEST_CONCAT(                       \
        memegen_child_reg_, __LINE__)(name, &MEMEGEN_TEST_CONCAT(memegen_child_fn_, __LINE__)); \
    static int MEMEGEN_TEST_CONCAT(                                                             \
        memegen_child_fn_, __LINE__)([[maybe_unused]] const std::vector<std::string>& args)
