// memegen-guard: take the generation guard of a state directory and hold it, or
// say who holds it — run two at once to see the second one refused.

#include <memegen/generation_guard.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {

constexpr const char* kUsage =
    R"(Usage: memegen-guard [--state-dir DIR] [--label TEXT] [--hold S] [--wait S] [--status]

Takes the one-generation-at-a-time guard of DIR (default ./state) and holds
it for S seconds, the way a render does. Run a second one meanwhile, from
another terminal: it is refused and told who holds the guard and since when.

Options:
  --state-dir DIR  the state directory shared with the bot (default ./state)
  --label TEXT     who this is (default "memegen-guard")
  --hold S         seconds to hold the guard (default 10)
  --wait S         if busy, wait up to S seconds instead of giving up at once
  --status         only print who holds the guard, if anyone
  --help           this text

Exit status: 0 held and released, 1 busy (or timed out), 2 usage error.
)";

std::stop_source g_stop;
extern "C" void on_signal(int) {
    g_stop.request_stop();
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = "state";
    std::string label = "memegen-guard";
    double hold = 10;
    double wait = 0;
    bool status_only = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        try {
            if (arg == "--help" || arg == "-h") {
                std::cout << kUsage;
                return 0;
            } else if (arg == "--status") {
                status_only = true;
            } else if (arg == "--state-dir" && has_value) {
                dir = argv[++i];
            } else if (arg == "--label" && has_value) {
                label = argv[++i];
            } else if (arg == "--hold" && has_value) {
                hold = std::stod(argv[++i]);
            } else if (arg == "--wait" && has_value) {
                wait = std::stod(argv[++i]);
            } else {
                std::cerr << "memegen-guard: unknown or incomplete option '" << arg << "'\n"
                          << kUsage;
                return 2;
            }
        } catch (const std::exception&) {
            std::cerr << "memegen-guard: " << arg << " needs a number of seconds, got '" << argv[i]
                      << "'\n";
            return 2;
        }
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        memegen::GenerationGuard guard(dir);
        if (status_only) {
            if (const auto holder = guard.holder()) {
                std::cout << "LOCKED by '" << holder->label << "' (pid " << holder->pid
                          << "), started " << holder->seconds_held() << " s ago\n";
            } else {
                std::cout << "FREE\n";
            }
            return 0;
        }
        auto acquired =
            wait > 0
                ? guard.acquire(label, std::chrono::milliseconds(static_cast<long>(wait * 1000)),
                                g_stop.get_token())
                : guard.try_acquire(label);
        if (!acquired) {
            std::cout << memegen::busy_message(acquired.holder()) << "\n";
            if (acquired.holder()) {
                std::cout << "  held by '" << acquired.holder()->label << "' (pid "
                          << acquired.holder()->pid << ")\n";
            }
            return 1;
        }
        std::cout << "holding the guard of " << guard.lock_path().parent_path().string() << " for "
                  << hold << " s (pid " << ::getpid() << "); Ctrl-C releases it early" << std::endl;
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait_for(lock, g_stop.get_token(),
                    std::chrono::milliseconds(static_cast<long>(hold * 1000)),
                    [] { return false; });
    } catch (const std::exception& e) {
        std::cerr << "memegen-guard: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
