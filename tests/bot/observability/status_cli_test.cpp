// memegen-status, the program: run on a real state directory, its output parsed.

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"

using memegen::test::TempDir;

namespace {

struct Run {
    int status = -1;     // exit status
    std::string output;  // stdout and stderr together
};

Run run_status(const std::string& args) {
    const char* binary = std::getenv("MEMEGEN_STATUS_BINARY");
    REQUIRE_MESSAGE(binary != nullptr, "MEMEGEN_STATUS_BINARY is not set");
    const std::string command = std::string(binary) + " " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    Run run;
    std::array<char, 4096> buffer{};
    while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        run.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

}  // namespace

TEST_CASE("memegen-status prints /status from a state directory, as text or JSON") {
    TempDir dir;
    {
        memegen::CrashStateStore store(dir.path());
        store.record_problem(memegen::stage::send_error, "Telegram said 502 Bad Gateway", {});
    }
    const std::string state = "--state-dir '" + dir.path().string() + "'";

    SUBCASE("text: the last problem, the guard, today's count") {
        const auto run = run_status(state);
        CHECK(run.status == 0);
        CHECK(run.output.find("System status") != std::string::npos);
        CHECK(run.output.find("Stage: send_error") != std::string::npos);
        CHECK(run.output.find("Telegram said 502 Bad Gateway") != std::string::npos);
        CHECK(run.output.find("Generation: FREE") != std::string::npos);
        CHECK(run.output.find("Generations today: 0 done / 0 failed") != std::string::npos);
    }

    SUBCASE("Russian") {
        const auto run = run_status(state + " --language ru");
        CHECK(run.status == 0);
        CHECK(run.output.find("Состояние системы") != std::string::npos);
    }

    SUBCASE("JSON for scripts") {
        const auto run = run_status(state + " --json");
        REQUIRE(run.status == 0);
        const auto j = nlohmann::json::parse(run.output);
        CHECK(j["last_problem"]["stage"] == "send_error");
        CHECK(j["guard"].is_null());
        CHECK(j["generations_today"]["done"] == 0);
    }

    SUBCASE("a directory that does not exist: exit 1, named") {
        const auto run = run_status("--state-dir '" + (dir / "missing").string() + "'");
        CHECK(run.status == 1);
        CHECK(run.output.find((dir / "missing").string()) != std::string::npos);
    }

    SUBCASE("bad usage: exit 2") {
        CHECK(run_status(state + " --language fr").status == 2);
        CHECK(run_status("--bogus").status == 2);
        CHECK(run_status(state + " --timezone Not/AZone").status == 2);
    }

    SUBCASE("a broken config is reported key by key, the token aside") {
        const auto config = dir / "bot.json";
        std::FILE* f = std::fopen(config.c_str(), "w");
        REQUIRE(f);
        std::fputs(R"({"state_dir": ".", "language": "xx"})", f);
        std::fclose(f);
        const auto run = run_status("--config '" + config.string() + "'");
        CHECK(run.status == 2);
        CHECK(run.output.find("language") != std::string::npos);
        CHECK(run.output.find("token") == std::string::npos);
    }
}
