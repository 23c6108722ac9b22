// memegen-bot's own command line (not the bot's behaviour: tests/bot/e2e): --help and
// --help-config on stdout with exit 0, --check-config's verdicts, and a usage error treated as
// a bad configuration — one line naming the flag, exit 1, as the help's exit status says.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "program_run.hpp"
#include "temp_dir.hpp"
#include "test_files.hpp"

namespace {

using memegen::test::program_from_env;
using memegen::test::ProgramRun;
using memegen::test::TempDir;

ProgramRun run_bot(const TempDir& scratch, const std::vector<std::string>& args) {
    // The configuration under test is the file alone, whatever the developer's shell holds.
    ::unsetenv("TELEGRAM_BOT_TOKEN");
    ::unsetenv("MEMEGEN_OWNER_ID");
    return memegen::test::run_program(program_from_env("MEMEGEN_BOT_BINARY"), args, scratch.path());
}

}  // namespace

TEST_CASE("memegen-bot --help and --help-config print on stdout and exit 0") {
    TempDir scratch("memegen-cli-bot");
    SUBCASE("--help lists the options and the exit statuses") {
        const ProgramRun run = run_bot(scratch, {"--help"});
        CHECK(run.exit_code == 0);
        CHECK(run.err.empty());
        for (const char* text : {"Usage:", "--config", "--check-config", "--help-config",
                                 "--log-level", "Exit status", "rejected (401)"}) {
            CHECK_MESSAGE(run.out.find(text) != std::string::npos, text);
        }
        CHECK(run.out.find("--render-job") == std::string::npos);  // internal, not an option
    }
    SUBCASE("--help-config lists the keys with their variables") {
        const ProgramRun run = run_bot(scratch, {"--help-config"});
        CHECK(run.exit_code == 0);
        CHECK(run.out.find("TELEGRAM_BOT_TOKEN") != std::string::npos);
        CHECK(run.out.find("owner_id") != std::string::npos);
    }
}

TEST_CASE("memegen-bot --check-config gives the configuration's verdict without starting") {
    TempDir scratch("memegen-cli-bot-check");
    const auto config = scratch / "bot.json";
    SUBCASE("a usable configuration: OK, exit 0") {
        memegen::test::write_all(
            config, R"({"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678", "owner_id": 42,
                        "state_dir": ")" +
                        (scratch / "state").string() + R"("})");
        const ProgramRun run = run_bot(
            scratch, {"--config", config.string(), "--check-config", "--log-level", "warn"});
        INFO("stderr: ", run.err);
        CHECK(run.exit_code == 0);
        CHECK(run.out == "configuration OK\n");
    }
    SUBCASE("a missing token: named, exit 1") {
        memegen::test::write_all(config, R"({"owner_id": 42})");
        const ProgramRun run = run_bot(scratch, {"--check-config", "--config", config.string()});
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("token") != std::string::npos);
    }
}

TEST_CASE("memegen-bot refuses a bad command line in one line, exit 1") {
    TempDir scratch("memegen-cli-bot-usage");
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    for (const Case& c :
         {Case{{"--log-level", "loud"}, "--log-level: unknown log level 'loud'"},
          Case{{"--bogus"}, "--bogus"}, Case{{"--check-config", "extra"}, "extra"},
          Case{{"--config"}, "--config"}, Case{{"--render-job", "only-one"}, "--render-job"}}) {
        CAPTURE(c.args.front());
        const ProgramRun run = run_bot(scratch, c.args);
        INFO("stderr: ", run.err);
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("memegen-bot: ") == 0);
        CHECK(run.err.find(c.message) != std::string::npos);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        CHECK(run.out.empty());
    }
}
