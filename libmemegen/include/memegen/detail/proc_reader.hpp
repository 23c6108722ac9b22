#pragma once
// Allocation-light readers for /proc and /sys text files. A snapshot reads a
// handful of these; they use a stack buffer and raw read(2) so that one
// snapshot stays in the tens of microseconds.

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
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

}  // namespace memegen::detail
