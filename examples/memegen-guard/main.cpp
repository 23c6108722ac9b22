// memegen-guard: take the generation guard of a state directory and hold it, or
// say who holds it — run two at once to see the second one refused.

#include <memegen/generation_guard.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "cli.hpp"

namespace {

struct Options {
    std::string dir = "state";
    std::string label = "memegen-guard";
    double hold = 10;  // seconds
    double wait = 0;   // seconds; 0: give up at once when busy
    bool status_only = false;
};

void declare(CLI::App& app, Options& o) {
    constexpr double kDay = 86400;
    app.description(
        "Takes the one-generation-at-a-time guard of DIR and holds it for S seconds, the way a\n"
        "render does. Run a second one meanwhile, from another terminal: it is refused and told\n"
        "who holds the guard and since when.");
    app.footer("Exit status: 0 held and released, 1 busy (or timed out), 2 usage error.");
    app.option_defaults()->always_capture_default();
    app.add_option("--state-dir", o.dir, "the state directory shared with the bot")
        ->type_name("DIR");
    app.add_option("--label", o.label, "who this is")->type_name("TEXT");
    app.add_option("--hold", o.hold, "seconds to hold the guard")
        ->type_name("S")
        ->check(examples::real(0, kDay, "s"));
    app.add_option("--wait", o.wait, "if busy, wait up to S seconds instead of giving up at once")
        ->type_name("S")
        ->check(examples::real(0, kDay, "s"));
    app.add_flag("--status", o.status_only, "only print who holds the guard, if anyone");
}

std::stop_source g_stop;
extern "C" void on_signal(int) {
    g_stop.request_stop();
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("", "memegen-guard");
    declare(app, o);
    if (const auto exit_code = examples::parse(app, argc, argv))
        return *exit_code;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        memegen::GenerationGuard guard(o.dir);
        if (o.status_only) {
            if (const auto holder = guard.holder()) {
                std::cout << "LOCKED by '" << holder->label << "' (pid " << holder->pid
                          << "), started " << holder->seconds_held() << " s ago\n";
            } else {
                std::cout << "FREE\n";
            }
            return 0;
        }
        auto acquired =
            o.wait > 0 ? guard.acquire(o.label,
                                       std::chrono::milliseconds(static_cast<long>(o.wait * 1000)),
                                       g_stop.get_token())
                       : guard.try_acquire(o.label);
        if (!acquired) {
            std::cout << memegen::busy_message(acquired.holder()) << "\n";
            if (acquired.holder()) {
                std::cout << "  held by '" << acquired.holder()->label << "' (pid "
                          << acquired.holder()->pid << ")\n";
            }
            return 1;
        }
        std::cout << "holding the guard of " << guard.lock_path().parent_path().string() << " for "
                  << o.hold << " s (pid " << ::getpid() << "); Ctrl-C releases it early"
                  << std::endl;
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait_for(lock, g_stop.get_token(),
                    std::chrono::milliseconds(static_cast<long>(o.hold * 1000)),
                    [] { return false; });
    } catch (const std::exception& e) {
        std::cerr << "memegen-guard: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
