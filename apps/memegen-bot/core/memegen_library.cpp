#include "core/memegen_library.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

namespace memegen::bot {

namespace {

// dlerror() is per thread and cleared by reading it: read it right after the failing call.
std::string last_dl_error() {
    const char* why = ::dlerror();
    return why != nullptr ? why : "unknown error";
}

}  // namespace

void* SharedLibrary::find(const char* symbol, std::string_view user, std::string& error) const {
    std::call_once(loaded_, [this] {
        handle_ = ::dlopen(soname_.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (handle_ == nullptr)
            load_error_ = last_dl_error();
    });
    if (handle_ == nullptr) {
        error = fmt::format("cannot load {} ({}): {}", user, soname_, load_error_);
        return nullptr;
    }
    (void)::dlerror();
    void* address = ::dlsym(handle_, symbol);
    if (address == nullptr) {
        error = fmt::format("{} has no {} entry point for {}: {}", soname_, symbol, user,
                            last_dl_error());
    }
    return address;
}

const SharedLibrary& memegen_library() {
    static const SharedLibrary library("libmemegen.so.0");
    return library;
}

}  // namespace memegen::bot
