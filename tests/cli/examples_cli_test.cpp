// The example CLIs' command lines, run as a user runs them: --help on stdout with exit 0, and a
// bad number refused before any work — one line naming the flag, the value and the range,
// exit 2. (memegen-render's numbers: tests/render/render_cli_test.cpp.)

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "program_run.hpp"
#include "temp_dir.hpp"

namespace {

using memegen::test::program_from_env;
using memegen::test::ProgramRun;
using memegen::test::run_program;
using memegen::test::TempDir;

struct Refusal {
    std::vector<std::string> args;
    std::string message;  // expected in stderr
};

// Runs each refused command line and checks the one-line message and exit 2.
void check_refused(const char* variable, const std::vector<Refusal>& refusals,
                   const TempDir& scratch) {
    for (const auto& r : refusals) {
        CAPTURE(r.args.back());
        const ProgramRun run = run_program(program_from_env(variable), r.args, scratch.path());
        INFO("stderr: ", run.err);
        CHECK(run.exit_code == 2);
        CHECK(run.err.find(r.message) != std::string::npos);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        CHECK(run.out.empty());
    }
}

}  // namespace

TEST_CASE("each example prints its --help on stdout and exits 0") {
    TempDir scratch("memegen-cli-help");
    struct Example {
        const char* variable;
        std::vector<std::string> flags;     // each must be in the help
        std::vector<std::string> required;  // what a run needs besides options
    };
    for (const Example& e :
         {Example{"MEMEGEN_GUARD_BINARY",
                  {"--state-dir", "--label", "--hold", "--wait", "--status"},
                  {}},
          Example{"MEMEGEN_MONITOR_BINARY", {"--pid", "--json", "--watch", "--count"}, {}},
          Example{"MEMEGEN_STATE_BINARY", {"--state-dir", "--json", "--detect", "--problems"}, {}},
          Example{"MEMEGEN_RENDER_BINARY",
                  {"--output", "--music", "--size", "--effects", "--json"},
                  {"in.png", "-o", "out.mp4"}}}) {
        CAPTURE(e.variable);
        for (const std::string help : {"--help", "-h"}) {
            const ProgramRun run =
                run_program(program_from_env(e.variable), {help}, scratch.path());
            CHECK(run.exit_code == 0);
            CHECK(run.err.empty());
            CHECK(run.out.find("Usage:") != std::string::npos);
            for (const auto& flag : e.flags)
                CHECK_MESSAGE(run.out.find(flag) != std::string::npos, flag);
        }
        auto args = e.required;
        args.push_back("--bogus");
        const ProgramRun unknown = run_program(program_from_env(e.variable), args, scratch.path());
        CHECK(unknown.exit_code == 2);
        CHECK(unknown.err.find("--bogus") != std::string::npos);
    }
}

TEST_CASE("memegen-guard refuses a bad number of seconds and takes no guard") {
    TempDir scratch("memegen-cli-guard");
    const auto state = (scratch / "state").string();
    const std::string range = "is not a number from 0 to 86400 s";
    check_refused("MEMEGEN_GUARD_BINARY",
                  {{{"--state-dir", state, "--hold", "-5"}, "--hold: '-5' " + range},
                   {{"--state-dir", state, "--hold", "nan"}, "--hold: 'nan' " + range},
                   {{"--state-dir", state, "--hold", "1e300"}, "--hold: '1e300' " + range},
                   {{"--state-dir", state, "--hold", "inf"}, "--hold: 'inf' " + range},
                   {{"--state-dir", state, "--hold", "10s"}, "--hold: '10s' " + range},
                   {{"--state-dir", state, "--wait", "-1"}, "--wait: '-1' " + range}},
                  scratch);
    CHECK_FALSE(std::filesystem::exists(state));

    SUBCASE("a good number still works: --hold 0 takes and releases the guard") {
        const ProgramRun run = run_program(program_from_env("MEMEGEN_GUARD_BINARY"),
                                           {"--state-dir", state, "--hold", "0"}, scratch.path());
        INFO("stderr: ", run.err);
        CHECK(run.exit_code == 0);
        CHECK(run.out.find("holding the guard of") != std::string::npos);
        CHECK(run.out.find(" for 0 s") != std::string::npos);
    }
}

TEST_CASE("memegen-state refuses a count of problems that is not a whole number") {
    TempDir scratch("memegen-cli-state");
    const auto state = (scratch / "state").string();
    const std::string range = "is not a whole number from 0 to";
    check_refused("MEMEGEN_STATE_BINARY",
                  {{{"--state-dir", state, "--problems", "-1"}, "--problems: '-1' " + range},
                   {{"--state-dir", state, "--problems", "1.5"}, "--problems: '1.5' " + range},
                   {{"--state-dir", state, "--problems", "many"}, "--problems: 'many' " + range},
                   {{"--state-dir", state, "--problems", "99999999999999999999999"},
                    "--problems: '99999999999999999999999' " + range}},
                  scratch);

    SUBCASE("a good number still works") {
        std::filesystem::create_directory(state);
        const ProgramRun run =
            run_program(program_from_env("MEMEGEN_STATE_BINARY"),
                        {"--state-dir", state, "--problems", "0", "--json"}, scratch.path());
        INFO("stderr: ", run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(nlohmann::json::parse(run.out)["problems"].empty());
    }
}

TEST_CASE("memegen-monitor refuses negative and fractional counts") {
    TempDir scratch("memegen-cli-monitor");
    const std::string range = "is not a whole number from 0 to";
    check_refused("MEMEGEN_MONITOR_BINARY",
                  {{{"--pid", "-1"}, "--pid: '-1' " + range},
                   {{"--watch", "nan"}, "--watch: 'nan' " + range},
                   {{"--watch", "0.5"}, "--watch: '0.5' " + range},
                   {{"--count", "1e3"}, "--count: '1e3' " + range}},
                  scratch);

    SUBCASE("good numbers still work: two snapshots as JSON") {
        const ProgramRun run =
            run_program(program_from_env("MEMEGEN_MONITOR_BINARY"),
                        {"--json", "--watch", "1", "--count", "2"}, scratch.path());
        INFO("stderr: ", run.err);
        REQUIRE(run.exit_code == 0);
        CHECK(std::count(run.out.begin(), run.out.end(), '\n') == 2);
        CHECK(nlohmann::json::parse(run.out.substr(0, run.out.find('\n'))).contains("rss_mb"));
    }
}
