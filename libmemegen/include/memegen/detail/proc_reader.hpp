#pragma once
// Allocation-light readers for /proc and /sys text files. A snapshot reads a
// handful of these; they use a stack buffer and raw read(2) so that one
// snapshot stays in the tens of microseconds.

#include <dirent.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "memegen/detail/unique_fd.hpp"

namespace memegen::detail {

/// Reads up to N-1 bytes of a small file into `buffer`; the view of what was read, or nullopt.
template <std::size_t N>
std::optional<std::string_view> read_small_file(const char* path, char (&buffer)[N]) noexcept {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    std::size_t used = 0;
    while (used < N - 1) {
        const ssize_t n = ::read(fd.get(), buffer + used, N - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return std::nullopt;
        }
        if (n == 0)
            break;
        used += static_cast<std::size_t>(n);
    }
    buffer[used] = '\0';
    return std::string_view(buffer, used);
}

/// Parses a leading unsigned integer after optional spaces; nullopt if there is none.
inline std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data())
        return std::nullopt;
    return value;
}

/// In "Key:   value unit" lines, the number after `key` (key includes the colon).
inline std::optional<std::uint64_t> field_value(std::string_view text,
                                                std::string_view key) noexcept {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto end = text.find('\n', pos);
        const auto line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
        if (line.substr(0, key.size()) == key)
            return parse_u64(line.substr(key.size()));
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return std::nullopt;
}

/// Number of entries (not . and ..) in a directory, or nullopt if it cannot be read.
inline std::optional<int> count_directory_entries(const char* path) noexcept {
    struct DirCloser {
        void operator()(DIR* dir) const noexcept { ::closedir(dir); }
    };
    const std::unique_ptr<DIR, DirCloser> dir(::opendir(path));
    if (!dir)
        return std::nullopt;
    // Listing /proc/self/fd shows the listing's own descriptor too: leave it out.
    const std::string own_fd = std::to_string(::dirfd(dir.get()));
    int count = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        if (name == own_fd) {
            char target[256];
            const ssize_t n =
                ::readlinkat(::dirfd(dir.get()), entry->d_name, target, sizeof target);
            if (n > 3 && std::string_view(target, static_cast<std::size_t>(n)).ends_with("/fd")) {
                continue;
            }
        }
        ++count;
    }
    return count;
}

/// Fields 3 (state) and 22 (start time, clock ticks since boot) of /proc/PID/stat.
struct ProcessStat {
    char state = '?';
    std::uint64_t start_ticks = 0;
};

/// Reads /proc/PID/stat under `proc_root`; nullopt if the process does not exist. The command
/// name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
inline std::optional<ProcessStat> read_process_stat(pid_t pid,
                                                    const char* proc_root = "/proc") noexcept {
    if (pid <= 0)
        return std::nullopt;
    char path[256];
    const int n = std::snprintf(path, sizeof path, "%s/%d/stat", proc_root, static_cast<int>(pid));
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof path)
        return std::nullopt;
    char buffer[1024];
    const auto text = read_small_file(path, buffer);
    if (!text)
        return std::nullopt;
    const auto close = text->rfind(')');
    if (close == std::string_view::npos || close + 2 >= text->size())
        return std::nullopt;
    ProcessStat stat;
    auto rest = text->substr(close + 2);
    stat.state = rest.front();
    for (int field = 3; field < 22; ++field) {
        const auto space = rest.find(' ');
        if (space == std::string_view::npos)
            return std::nullopt;
        rest = rest.substr(space + 1);
    }
    const auto start = parse_u64(rest);
    if (!start)
        return std::nullopt;
    stat.start_ticks = *start;
    return stat;
}

/// Start time of a *living* process (field 22): nullopt when it is gone or only a zombie
/// (state Z or X: it still has /proc/PID and kill(pid, 0) succeeds on it, but it runs no more).
/// With the pid it names one process for good, even after the pid is reused.
inline std::optional<std::uint64_t> living_process_start(pid_t pid,
                                                         const char* proc_root = "/proc") noexcept {
    const auto stat = read_process_stat(pid, proc_root);
    if (!stat || stat->state == 'Z' || stat->state == 'X' || stat->state == 'x')
        return std::nullopt;
    return stat->start_ticks;
}

/// Liveness by evidence: true only when `pid` runs and is not a zombie, and, when the start
/// time it had is known, its start time is still that one (a reused pid is another process).
inline bool process_alive(pid_t pid, std::optional<std::uint64_t> expected_start = std::nullopt,
                          const char* proc_root = "/proc") noexcept {
    const auto start = living_process_start(pid, proc_root);
    if (!start)
        return false;
    return !expected_start || *expected_start == *start;
}

}  // namespace memegen::detail
