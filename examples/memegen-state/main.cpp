// memegen-state: what happened last, read from a state directory without the bot
// running — the current state, the last problems, and whether the previous run
// ended uncleanly.

#include <memegen/crash_state_store.hpp>

#include <iostream>
#include <string>

namespace {

constexpr const char* kUsage =
    R"(Usage: memegen-state [--state-dir DIR] [--json] [--detect] [--problems N]

Prints generation_state.json and the last problems of DIR (default ./state).

Options:
  --state-dir DIR  the bot's state directory (default ./state)
  --json           print {"state": ..., "problems": [...]} as JSON
  --detect         first check whether the previous process ended during a
                   generation (and record it as an unclean_shutdown problem)
  --problems N     how many recent problems to show (default 5)
  --help           this text
)";

}  // namespace

int main(int argc, char** argv) {
    std::string dir = "state";
    bool json = false;
    bool detect = false;
    std::size_t show = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--detect") {
            detect = true;
        } else if (arg == "--state-dir" && has_value) {
            dir = argv[++i];
        } else if (arg == "--problems" && has_value) {
            try {
                show = std::stoul(argv[++i]);
            } catch (const std::exception&) {
                std::cerr << "memegen-state: --problems needs a number, got '" << argv[i] << "'\n";
                return 2;
            }
        } else {
            std::cerr << "memegen-state: unknown or incomplete option '" << arg << "'\n" << kUsage;
            return 2;
        }
    }
    try {
        memegen::CrashStateStore store(dir);
        if (detect)
            store.detect_unclean_end();
        const auto state = store.current();
        auto problems = store.recent_problems();
        if (problems.size() > show) {
            problems.erase(problems.begin(), problems.end() - static_cast<std::ptrdiff_t>(show));
        }
        if (json) {
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
