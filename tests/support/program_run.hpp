#pragma once
// Test support: run a program (a CLI under test, path from the environment) to its end and
// read its exit code, stdout and stderr — for tests of command lines and exit codes.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_files.hpp"

extern char** environ;

namespace memegen::test {

/// How a program ended and what it printed.
struct ProgramRun {
    int exit_code = -1;  ///< 128 + signal if it was killed
    std::string out;     ///< stdout
    std::string err;     ///< stderr
};

/// The program named by environment variable `variable` (meson's test env). Throws if unset.
inline std::filesystem::path program_from_env(const char* variable) {
    const char* path = std::getenv(variable);
    if (path == nullptr || *path == '\0')
        throw std::runtime_error(std::string(variable) + " is not set");
    return path;
}

/// Runs `program` with `args` and waits for it; its stdout and stderr go through files in
/// `scratch` (a folder that exists). Throws if it cannot be started.
inline ProgramRun run_program(const std::filesystem::path& program, std::vector<std::string> args,
                              const std::filesystem::path& scratch) {
    args.insert(args.begin(), program.string());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto out = scratch / "stdout.txt";
    const auto err = scratch / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot start " + program.string());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ProgramRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = read_all(out);
    run.err = read_all(err);
    return run;
}

}  // namespace memegen::test
