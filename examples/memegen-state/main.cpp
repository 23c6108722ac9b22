// memegen-state: what happened last, read from a state directory without the bot
// running — the current state, the last problems, and whether the previous run
// ended uncleanly.

#include <memegen/crash_state_store.hpp>

#include <iostream>
#include <string>

#include "cli.hpp"

namespace {

struct Options {
    std::string dir = "state";
    bool json = false;
    bool detect = false;
    std::size_t show = 5;  // recent problems
};

void declare(CLI::App& app, Options& o) {
    app.description("Prints generation_state.json and the last problems of DIR.");
    app.option_defaults()->always_capture_default();
    app.add_option("--state-dir", o.dir, "the bot's state directory")->type_name("DIR");
    app.add_flag("--json", o.json, R"(print {"state": ..., "problems": [...]} as JSON)");
    app.add_flag("--detect", o.detect,
                 "first record an unclean_shutdown if the last run died mid-generation");
    app.add_option("--problems", o.show, "how many recent problems to show")
        ->type_name("N")
        ->check(examples::whole<std::size_t>());
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("", "memegen-state");
    declare(app, o);
    if (const auto exit_code = examples::parse(app, argc, argv))
        return *exit_code;
    try {
        memegen::CrashStateStore store(o.dir);
        if (o.detect)
            store.detect_unclean_end();
        const auto state = store.current();
        auto problems = store.recent_problems();
        if (problems.size() > o.show) {
            problems.erase(problems.begin(), problems.end() - static_cast<std::ptrdiff_t>(o.show));
        }
        if (o.json) {
            nlohmann::json out = {{"state", nullptr}, {"problems", problems}};
            if (state) {
                out["state"] = {{"state", state->state},
                                {"details", state->details},
                                {"timestamp", state->timestamp}};
            }
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        if (state) {
            std::cout << "State: " << state->state << " (" << state->timestamp << ")\n";
            if (state->details.contains("label")) {
                std::cout << "  Label: " << state->details["label"].get<std::string>() << "\n";
            }
        } else {
            std::cout << "State: none recorded\n";
        }
        if (problems.empty()) {
            std::cout << "No problems recorded.\n";
        }
        for (auto it = problems.rbegin(); it != problems.rend(); ++it) {
            std::cout << (it == problems.rbegin() ? "⚠️ Last problem:\n" : "Earlier:\n")
                      << "  Stage: " << it->stage << "\n  Error: " << it->error
                      << "\n  Time: " << it->timestamp << "\n";
        }
    } catch (const std::exception& e) {
        std::cerr << "memegen-state: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
