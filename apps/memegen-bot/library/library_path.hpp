#pragma once
/// \file library_path.hpp
/// Paths that come from outside — sidecar files, downloads — resolve inside their library or
/// not at all: absolute paths, ".." and symlinks that leave the library are refused with an
/// error naming the path; downloaded file names are made safe and unique.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <memegen/error.hpp>

namespace memegen::bot {

/// A path that would leave its library, or cannot be placed in it.
class LibraryPathError : public Error {
  public:
    /// Builds "[memegen.library] <what>".
    explicit LibraryPathError(std::string_view what)
        : Error(std::string("[memegen.library] ") + std::string(what)) {}
};

/// `relative` (as written in a sidecar) resolved inside `library`. Throws LibraryPathError for
/// an empty or absolute path, a ".." component, or one whose existing part resolves (through
/// symlinks) outside the library. The file itself need not exist.
[[nodiscard]] std::filesystem::path resolve_in_library(const std::filesystem::path& library,
                                                       std::string_view relative);

/// True if `path` exists and, every symlink followed, lies inside `library`.
[[nodiscard]] bool stays_inside(const std::filesystem::path& library,
                                const std::filesystem::path& path);

/// A file name safe to create in a library: the last component of `name` only, control
/// characters, slashes and backslashes replaced by '_', no leading dots or spaces, at most
/// `max_bytes` bytes (cut on a UTF-8 boundary, extension kept), and never empty ("file").
[[nodiscard]] std::string sanitize_file_name(std::string_view name, std::size_t max_bytes = 96);

/// Moves `from` into `dir` under `name` (already sanitised) without replacing anything: on a
/// collision "stem-2.ext", "stem-3.ext", ... are tried. Both must be on one filesystem.
/// Returns the final path; throws LibraryPathError naming the file on failure.
std::filesystem::path move_into_library(const std::filesystem::path& from,
                                        const std::filesystem::path& dir, const std::string& name);

}  // namespace memegen::bot
