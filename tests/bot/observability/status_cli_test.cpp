// memegen-status, the program: run on a real state directory, its output parsed.

#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <nlohmann/json.hpp>

#include "program_run.hpp"
#include "temp_dir.hpp"

using memegen::test::TempDir;

namespace {

struct Run {
    int status = -1;     // exit status
    std::string output;  // stdout and stderr together
};

Run run_status(std::vector<std::string> args) {
    TempDir scratch("memegen-status-cli");  // its stdout and stderr, away from the state
    const auto run = memegen::test::run_program(
        memegen::test::program_from_env("MEMEGEN_STATUS_BINARY"), std::move(args), scratch.path());
    return {run.exit_code, run.out + run.err};
}

}  // namespace

TEST_CASE("memegen-status prints /status from a state directory, as text or JSON") {
    TempDir dir;
    {
        memegen::CrashStateStore store(dir.path());
        store.record_problem(memegen::stage::send_error, "Telegram said 502 Bad Gateway", {});
    }
    const std::vector<std::string> state{"--state-dir", dir.path().string()};
    const auto with = [&state](std::vector<std::string> more) {
        more.insert(more.begin(), state.begin(), state.end());
        return more;
    };

    SUBCASE("text: the last problem, the guard, today's count, no failed publications") {
        const auto run = run_status(state);
        CHECK(run.status == 0);
        CHECK(run.output.find("System status") != std::string::npos);
        CHECK(run.output.find("Stage: send_error") != std::string::npos);
        CHECK(run.output.find("Telegram said 502 Bad Gateway") != std::string::npos);
        CHECK(run.output.find("Generation: FREE") != std::string::npos);
        CHECK(run.output.find("Generations today: 0 done / 0 failed") != std::string::npos);
        CHECK(run.output.find("Failed publications") == std::string::npos);
    }

    SUBCASE("Russian") {
        const auto run = run_status(with({"--language", "ru"}));
        CHECK(run.status == 0);
        CHECK(run.output.find("Состояние системы") != std::string::npos);
    }

    SUBCASE("JSON for scripts") {
        const auto run = run_status(with({"--json"}));
        REQUIRE(run.status == 0);
        const auto j = nlohmann::json::parse(run.output);
        CHECK(j["last_problem"]["stage"] == "send_error");
        CHECK(j["guard"].is_null());
        CHECK(j["generations_today"]["done"] == 0);
        CHECK(j["failed_publications"] == nlohmann::json::array());
    }

    SUBCASE("the failed publications of candidates.json, the file untouched") {
        // As the bot writes it: YouTube's authorization gone for one meme, X failed and the
        // channel done for another, and a deleted candidate's failure that waits for no one.
        const auto failed = [](const char* error, bool needs_reauth) {
            return nlohmann::json{{"state", "failed"},
                                  {"url", ""},
                                  {"error", error},
                                  {"needs_reauth", needs_reauth},
                                  {"at", ""}};
        };
        const nlohmann::json candidates = {
            {"candidates",
             {{{"id", "c1"},
               {"media", "/lib/frog.png"},
               {"status", "publishing"},
               {"targets",
                {{"x", failed("[memegen.publish] x: HTTP 503", false)},
                 {"telegram:@memes",
                  {{"state", "done"}, {"url", "https://t.me/memes/4"}, {"at", "2026-03-01"}}}}}},
              {{"id", "c2"},
               {"media", "/lib/cat.mp4"},
               {"status", "publishing"},
               {"targets",
                {{"youtube", failed("[memegen.publish] youtube: not connected", true)}}}},
              {{"id", "c3"},
               {"media", "/lib/gone.png"},
               {"status", "deleted"},
               {"targets",
                {{"telegram:@memes", failed("[memegen.publish] telegram:@memes: "
                                            "wrong file",
                                            false)}}}}}}};
        const auto file = dir / "candidates.json";
        std::FILE* f = std::fopen(file.c_str(), "w");
        REQUIRE(f);
        std::fputs(candidates.dump(2).c_str(), f);
        std::fclose(f);

        const auto text = run_status(state);
        CHECK(text.status == 0);
        CHECK(text.output.find("📤 Failed publications (2):\n"
                               "  ❌ YouTube · cat.mp4: not connected — send /connect youtube, "
                               "then press Retry\n"
                               "  ❌ X · frog.png: HTTP 503\n") != std::string::npos);
        CHECK(text.output.find("gone.png") == std::string::npos);
        const auto ru = run_status(with({"--language", "ru"}));
        CHECK(ru.output.find("📤 Неудачные публикации (2):\n"
                             "  ❌ YouTube · cat.mp4: not connected — отправьте /connect youtube, "
                             "затем нажмите «Повторить»\n"
                             "  ❌ X · frog.png: HTTP 503\n") != std::string::npos);
        const auto json = run_status(with({"--json"}));
        REQUIRE(json.status == 0);
        const auto list = nlohmann::json::parse(json.output)["failed_publications"];
        REQUIRE(list.size() == 2);
        CHECK(list[0]["label"] == "YouTube");
        CHECK(list[0]["needs_reauth"] == true);
        CHECK(list[0]["reconnect"] == "/connect youtube");
        CHECK(list[1]["target"] == "x");
        CHECK(list[1]["reason"] == "HTTP 503");
        // Read, not rewritten: still the bytes written above.
        std::FILE* again = std::fopen(file.c_str(), "r");
        REQUIRE(again);
        std::string kept;
        for (int c = std::fgetc(again); c != EOF; c = std::fgetc(again))
            kept += static_cast<char>(c);
        std::fclose(again);
        CHECK(kept == candidates.dump(2));
    }

    SUBCASE("a directory that does not exist: exit 1, named") {
        const auto run = run_status({"--state-dir", (dir / "missing").string()});
        CHECK(run.status == 1);
        CHECK(run.output.find((dir / "missing").string()) != std::string::npos);
    }

    SUBCASE("bad usage: exit 2") {
        CHECK(run_status(with({"--language", "fr"})).status == 2);
        CHECK(run_status({"--bogus"}).status == 2);
        CHECK(run_status(with({"--timezone", "Not/AZone"})).status == 2);
    }

    SUBCASE("--help: the options on stdout, exit 0") {
        const auto run = run_status({"--help"});
        CHECK(run.status == 0);
        for (const char* flag : {"--config", "--state-dir", "--json", "--language", "--timezone"})
            CHECK_MESSAGE(run.output.find(flag) != std::string::npos, flag);
    }

    SUBCASE("a language or config file that cannot be: named, exit 2") {
        const auto language = run_status(with({"--language", "fr"}));
        CHECK(language.status == 2);
        CHECK(language.output.find("--language: fr") != std::string::npos);
        const auto config = run_status({"--config", (dir / "none.json").string()});
        CHECK(config.status == 2);
        CHECK(config.output.find((dir / "none.json").string()) != std::string::npos);
    }

    SUBCASE("a broken config is reported key by key, the token aside") {
        const auto config = dir / "bot.json";
        std::FILE* f = std::fopen(config.c_str(), "w");
        REQUIRE(f);
        std::fputs(R"({"state_dir": ".", "language": "xx"})", f);
        std::fclose(f);
        const auto run = run_status({"--config", config.string()});
        CHECK(run.status == 2);
        CHECK(run.output.find("language") != std::string::npos);
        CHECK(run.output.find("token") == std::string::npos);
    }
}
