#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <memegen/error.hpp>

#include "config/config.hpp"
#include "core/child_spawn.hpp"
#include "temp_dir.hpp"

using memegen::bot::ChildEnd;
using memegen::bot::ChildProcess;
using memegen::test::TempDir;
using namespace std::chrono_literals;

namespace {

ChildProcess shell(const std::string& script) {
    return ChildProcess("/bin/sh", {"-c", script});
}

/// True once `pid` is neither running nor a zombie of this process.
bool reaped(pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

}  // namespace

TEST_CASE("a child that ends is reaped by wait with its exit status") {
    auto child = shell("exit 3");
    const pid_t pid = child.pid();
    const ChildEnd end = child.wait(std::stop_token{});
    REQUIRE(WIFEXITED(end.status));
    CHECK(WEXITSTATUS(end.status) == 3);
    CHECK_FALSE(end.stopped);
    CHECK(end.wait_errno == 0);
    CHECK(reaped(pid));
}

TEST_CASE("a child nobody waited for is killed and reaped when its object goes away") {
    pid_t pid = -1;
    {
        auto child = shell("exec sleep 30");
        pid = child.pid();
        REQUIRE(pid > 0);
        SUBCASE("moving it hands the duty over") {
            ChildProcess moved = std::move(child);
            CHECK(moved.pid() == pid);
        }
    }
    CHECK(reaped(pid));
}

TEST_CASE("a stop request ends the child with SIGTERM and says so") {
    auto child = shell("exec sleep 30");
    std::stop_source source;
    int polls = 0;
    const ChildEnd end = child.wait(source.get_token(), 5ms, 3000ms, [&] {
        if (++polls == 2)
            source.request_stop();
    });
    CHECK(end.stopped);
    REQUIRE(WIFSIGNALED(end.status));
    CHECK(WTERMSIG(end.status) == SIGTERM);
}

TEST_CASE("a child that ignores SIGTERM is killed after the grace") {
    TempDir dir;
    const auto ready = dir / "ready";
    auto child = shell("trap '' TERM; touch '" + ready.string() + "'; exec sleep 30");
    std::stop_source source;
    const ChildEnd end = child.wait(source.get_token(), 5ms, 50ms, [&] {
        if (std::filesystem::exists(ready))
            source.request_stop();
    });
    CHECK(end.stopped);
    REQUIRE(WIFSIGNALED(end.status));
    CHECK(WTERMSIG(end.status) == SIGKILL);
}

TEST_CASE("the child's environment has no secrets") {
    TempDir dir;
    const auto out = dir / "env.txt";
    // Every secret the configuration reads from the environment (the bot token, Google's client
    // secret and refresh token, X's four keys), each with a value to look for.
    std::vector<std::string> secrets;
    for (const auto& key : memegen::bot::config_keys()) {
        if (key.type.find("secret") != std::string_view::npos && !key.variable.empty())
            secrets.emplace_back(key.variable);
    }
    CHECK(secrets.size() == 7);
    for (const auto& name : secrets)
        ::setenv(name.c_str(), ("secret-of-" + name).c_str(), 1);
    ::setenv("MEMEGEN_LOG_LEVEL", "debug", 1);
    auto child = shell("env > '" + out.string() + "'");
    const ChildEnd end = child.wait(std::stop_token{});
    for (const auto& name : secrets)
        ::unsetenv(name.c_str());
    REQUIRE(WIFEXITED(end.status));
    std::ostringstream text;
    text << std::ifstream(out).rdbuf();
    for (const auto& name : secrets) {
        CHECK_MESSAGE(text.str().find("secret-of-" + name) == std::string::npos, name);
        CHECK_MESSAGE(text.str().find(name + "=") == std::string::npos, name);
    }
    CHECK(text.str().find("MEMEGEN_LOG_LEVEL=debug") != std::string::npos);
}

TEST_CASE("a program that cannot be started is an error naming it") {
    CHECK_THROWS_AS(ChildProcess("/nonexistent/memegen-helper", {}), memegen::SystemError);
    try {
        ChildProcess("/nonexistent/memegen-helper", {});
    } catch (const memegen::SystemError& e) {
        CHECK(std::string(e.what()).find("/nonexistent/memegen-helper") != std::string::npos);
    }
}
