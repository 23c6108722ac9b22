#pragma once
/// \file error.hpp
/// The exception types of libmemegen. Every error the library reports is a
/// memegen::Error; its message names the file or value involved and the reason,
/// and starts with a stable, greppable id such as "[memegen.state]".

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace memegen {

/// Base of every exception thrown by libmemegen.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// An operating-system call failed; carries errno.
class SystemError : public Error {
  public:
    /// Builds "[memegen.system] <what>: <strerror(code)>".
    SystemError(std::string_view what, int code)
        : Error(std::string("[memegen.system] ") + std::string(what) + ": " + std::strerror(code)),
          code_(code) {}

    /// The errno value of the failed call.
    [[nodiscard]] int code() const noexcept { return code_; }

  private:
    int code_;
};

/// A state file (generation_state.json, history, ...) could not be read or written.
class StateError : public Error {
  public:
    /// Builds "[memegen.state] <what>".
    explicit StateError(std::string_view what)
        : Error(std::string("[memegen.state] ") + std::string(what)) {}
};

/// Input media, fonts, captions or render options were rejected; names the file and cause.
class MediaError : public Error {
  public:
    /// Builds "[memegen.media] <what>".
    explicit MediaError(std::string_view what)
        : Error(std::string("[memegen.media] ") + std::string(what)) {}
};

/// A render was cancelled through its stop token or ran past its time limit.
class CancelledError : public Error {
  public:
    /// Builds "[memegen.cancelled] <what>".
    explicit CancelledError(std::string_view what)
        : Error(std::string("[memegen.cancelled] ") + std::string(what)) {}
};

namespace detail {

/// Throws SystemError for the current errno, naming the operation and path.
[[noreturn]] inline void throw_errno(std::string_view operation,
                                     const std::filesystem::path& path) {
    const int code = errno;
    throw SystemError(std::string(operation) + " '" + path.string() + "'", code);
}

}  // namespace detail
}  // namespace memegen
