#pragma once
/// \file memegen_library.hpp
/// SharedLibrary: a library opened with dlopen() on first use and kept for the life of the
/// process, with its functions looked up by name; memegen_library() is libmemegen.so.0, through
/// which the bot renders and probes. Until one of those runs in this process, FFmpeg's
/// libraries are not mapped and the idle bot stays small.
///
/// Errors: nothing throws; a library that cannot be loaded or a missing symbol is a
/// LibraryFunction whose `error` names the library and dlerror()'s reason.

#include <mutex>
#include <string>
#include <string_view>

namespace memegen::bot {

/// A function looked up in a SharedLibrary, or why there is none.
template <typename Fn>
struct LibraryFunction {
    Fn call = nullptr;  ///< set when found
    std::string error;  ///< "cannot load the renderer (libmemegen.so.0): ..." when not

    /// True when the function was found.
    [[nodiscard]] explicit operator bool() const noexcept { return call != nullptr; }
};

/// A shared library loaded once, by the first thread that needs it, and never closed: what it
/// loaded (FFmpeg, its threads and atexit handlers) must not vanish under a later call.
class SharedLibrary {
  public:
    /// Remembers `soname`; nothing is loaded until function() is first called.
    explicit SharedLibrary(std::string soname) : soname_(std::move(soname)) {}
    SharedLibrary(const SharedLibrary&) = delete;
    SharedLibrary& operator=(const SharedLibrary&) = delete;

    /// The name dlopen() is given.
    [[nodiscard]] const std::string& soname() const noexcept { return soname_; }

    /// The function `symbol` as an `Fn`, loading the library first if no call has yet.
    /// `user` names what needs it in the error ("the renderer"). Thread-safe.
    template <typename Fn>
    [[nodiscard]] LibraryFunction<Fn> function(const char* symbol, std::string_view user) const {
        LibraryFunction<Fn> found;
        if (void* address = find(symbol, user, found.error))
            found.call = reinterpret_cast<Fn>(address);
        return found;
    }

  private:
    // The symbol's address, or nullptr with `error` set.
    void* find(const char* symbol, std::string_view user, std::string& error) const;

    std::string soname_;
    mutable std::once_flag loaded_;
    mutable void* handle_ = nullptr;  // written once, under loaded_
    mutable std::string load_error_;  // dlerror() of the one dlopen(), if it failed
};

/// libmemegen.so.0 (the C entry points of render_entry.h), one per process.
[[nodiscard]] const SharedLibrary& memegen_library();

}  // namespace memegen::bot
