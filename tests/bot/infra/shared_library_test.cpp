#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/memegen_library.hpp"

using memegen::bot::SharedLibrary;

TEST_CASE("a function of a shared library is found by name and can be called") {
    const SharedLibrary libm("libm.so.6");
    const auto cosine = libm.function<double (*)(double)>("cos", "the test");
    REQUIRE_MESSAGE(cosine, cosine.error);
    CHECK(cosine.error.empty());
    CHECK(cosine.call(0.0) == 1.0);

    SUBCASE("a missing symbol names the library, the symbol, its user and dlerror()'s reason") {
        const auto missing = libm.function<void (*)()>("memegen_no_such_symbol", "the test");
        CHECK_FALSE(missing);
        CHECK(missing.error.starts_with(
            "libm.so.6 has no memegen_no_such_symbol entry point for the test: "));
        CHECK(missing.error.find("undefined symbol") != std::string::npos);
    }
}

TEST_CASE("a library that cannot be loaded is named with dlerror()'s reason, every time") {
    const SharedLibrary absent("libmemegen-absent.so.0");
    for (int i = 0; i < 2; ++i) {
        const auto f = absent.function<void (*)()>("memegen_render_json", "the renderer");
        CHECK_FALSE(f);
        CHECK(f.error.starts_with("cannot load the renderer (libmemegen-absent.so.0): "));
        CHECK(f.error.find("cannot open shared object file") != std::string::npos);
    }
}

TEST_CASE("threads that ask at once load the library once and find the same function") {
    const SharedLibrary libm("libm.so.6");
    std::vector<void*> found(8, nullptr);
    {
        std::vector<std::jthread> threads;
        for (std::size_t i = 0; i < found.size(); ++i) {
            threads.emplace_back([&libm, &found, i] {
                found[i] = reinterpret_cast<void*>(
                    libm.function<double (*)(double)>("cos", "the test").call);
            });
        }
    }
    REQUIRE(found[0] != nullptr);
    for (void* address : found)
        CHECK(address == found[0]);
}

TEST_CASE("the bot renders and probes through libmemegen.so.0, the C entry points' soname") {
    CHECK(memegen::bot::memegen_library().soname() == "libmemegen.so.0");
}
