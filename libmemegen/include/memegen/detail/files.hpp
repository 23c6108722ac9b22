#pragma once
// Small, careful file helpers shared by the state stores: whole-file reads and
// crash-safe replacement (temp file, fsync, rename, fsync of the directory), so
// that a kill -9 at any instant leaves either the old or the new content.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "memegen/detail/clock.hpp"
#include "memegen/detail/unique_fd.hpp"
#include "memegen/error.hpp"

namespace memegen::detail {

/// Writes all of `data` to `fd`, retrying on EINTR and short writes; false with errno set on error.
inline bool write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

/// The whole content of `path`, or nullopt if it does not exist. Throws SystemError otherwise.
inline std::optional<std::string> read_file(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::nullopt;
        throw_errno("cannot open", path);
    }
    std::string content;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("cannot read", path);
        }
        if (n == 0)
            break;
        content.append(buffer, static_cast<size_t>(n));
    }
    return content;
}

/// fsync()s a directory so that a rename inside it survives a power cut.
inline void fsync_directory(const std::filesystem::path& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        throw_errno("cannot open directory", dir);
    if (::fsync(fd.get()) != 0)
        throw_errno("cannot fsync directory", dir);
}

/// Replaces `path` with `content` atomically; the file gets `mode` (0600 by default).
/// Throws SystemError naming the path on any failure and leaves no temp file behind.
inline void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                  mode_t mode = 0600) {
    static std::atomic<unsigned> counter{0};
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const auto tmp = std::filesystem::path(path).concat(".tmp." + std::to_string(::getpid()) + "." +
                                                        std::to_string(counter.fetch_add(1)));
    {
        UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
        if (!fd)
            throw_errno("cannot create", tmp);
        if (!write_all(fd.get(), content) || ::fsync(fd.get()) != 0) {
            const int code = errno;
            ::unlink(tmp.c_str());
            throw SystemError("cannot write '" + tmp.string() + "'", code);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int code = errno;
        ::unlink(tmp.c_str());
        throw SystemError("cannot rename '" + tmp.string() + "' to '" + path.string() + "'", code);
    }
    fsync_directory(dir);
}

/// Creates `dir` (and parents) with mode 0700 if missing. Throws SystemError naming it.
inline void ensure_private_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec))
        return;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw SystemError("cannot create directory '" + dir.string() + "'", ec.value());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
}

/// Renames an unreadable state file to "<file>.corrupt-<local time>" (unique), so it can be
/// inspected instead of being overwritten, and returns the problem text to log and record:
/// "<name> was unreadable (<reason>); moved aside to <new name>". A file that cannot be moved
/// is removed, so the next write does not trip over it again. Never throws.
inline std::string quarantine_file(const std::filesystem::path& file, std::string_view reason) {
    try {
        const std::string stamp = compact_local_timestamp();
        auto aside = file;
        aside += ".corrupt-" + stamp;
        std::error_code ec;
        for (int n = 1; std::filesystem::exists(aside, ec); ++n) {
            aside = file;
            aside += ".corrupt-" + stamp + "-" + std::to_string(n);
        }
        std::filesystem::rename(file, aside, ec);
        if (ec) {
            std::filesystem::remove(file, ec);
            return file.filename().string() + " was unreadable (" + std::string(reason) +
                   "); could not be moved aside, removed";
        }
        return file.filename().string() + " was unreadable (" + std::string(reason) +
               "); moved aside to " + aside.filename().string();
    } catch (const std::exception&) {
        return file.filename().string() + " was unreadable (" + std::string(reason) + ")";
    }
}

/// What reading a state file found.
struct StateFileRead {
    std::optional<std::string> text;     ///< the content; nullopt when absent or moved aside
    std::optional<std::string> problem;  ///< set when the file was unusable and moved aside
};

/// Reads a state file for a store. Never throws: anything in its place that cannot be read as
/// a file (a directory, a file without read permission, an I/O error) is moved aside with
/// quarantine_file() and the problem text returned, so the store goes on with defaults and the
/// next atomic write does not fail on it either. The content's shape is the caller's to check
/// (and to hand to quarantine_file() when wrong).
inline StateFileRead read_state_file(const std::filesystem::path& path) noexcept {
    StateFileRead read;
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(path, ec);
    if (ec || status.type() == std::filesystem::file_type::not_found)
        return read;
    if (status.type() == std::filesystem::file_type::directory) {
        read.problem = quarantine_file(path, "it is a directory, not a file");
        return read;
    }
    if (status.type() != std::filesystem::file_type::regular &&
        status.type() != std::filesystem::file_type::symlink) {
        // A FIFO or a device could block the read for ever.
        read.problem = quarantine_file(path, "it is not a regular file");
        return read;
    }
    try {
        read.text = read_file(path);
    } catch (const std::exception& e) {
        read.problem = quarantine_file(path, e.what());
    }
    return read;
}

}  // namespace memegen::detail
