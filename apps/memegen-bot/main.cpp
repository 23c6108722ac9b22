// memegen-bot: wires the configuration, the library's guard, monitor, state store and
// renderer, and the Telegram client together. See README for the commands.

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <memegen/log.hpp>

#include "config/config.hpp"
#include "config/timezone.hpp"
#include "core/bot.hpp"
#include "core/media_prober.hpp"
#include "core/render_runner.hpp"

namespace {

constexpr const char* kUsage =
    R"(Usage: memegen-bot [--config FILE] [--check-config] [--log-level LEVEL]

A Telegram bot that renders meme videos on /generate and on a daily schedule,
sends them to its owner for review, and publishes the chosen ones to a channel.

Options:
  --config FILE      JSON configuration (see --help-config); environment variables
                     such as TELEGRAM_BOT_TOKEN and DAILY_GENERATIONS override it
  --check-config     list every problem of the configuration and exit (0 if none)
  --help-config      print every configuration key with its default and variable
  --log-level LEVEL  debug, info, warning, error (overrides log_level)
  --help             this text

Exit status: 0 stopped by SIGINT/SIGTERM, 1 bad configuration, 2 the bot token
was rejected (401), 3 start-up failed.
)";

}  // namespace

int main(int argc, char** argv) {
    // The render child: same binary, so isolation needs no second program to install.
    if (argc == 4 && std::strcmp(argv[1], "--render-job") == 0) {
        return memegen::bot::render_job_main(argv[2], argv[3]);
    }
    // The probe child: checks library files with libmemegen loaded, away from the bot.
    if (argc == 4 && std::strcmp(argv[1], "--probe-job") == 0) {
        return memegen::bot::probe_job_main(argv[2], argv[3]);
    }
    std::optional<std::filesystem::path> config_file;
    bool check_only = false;
    std::optional<memegen::LogLevel> level;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--help-config") {
            std::cout << memegen::bot::config_reference();
            return 0;
        } else if (arg == "--check-config") {
            check_only = true;
        } else if (arg == "--config" && i + 1 < argc) {
            config_file = argv[++i];
        } else if (arg == "--log-level" && i + 1 < argc) {
            level = memegen::parse_log_level(argv[++i]);
            if (!level) {
                std::cerr << "memegen-bot: unknown log level '" << argv[i] << "'\n";
                return 1;
            }
        } else {
            std::cerr << "memegen-bot: unknown or incomplete option '" << arg << "'\n" << kUsage;
            return 1;
        }
    }

    auto loaded = memegen::bot::load_config(config_file, memegen::bot::process_environment());
    if (!loaded.ok()) {
        std::cerr << "memegen-bot: the configuration has " << loaded.problems.size()
                  << " problem(s):\n";
        for (const auto& p : loaded.problems)
            std::cerr << "  " << p.to_string() << "\n";
        return 1;
    }
    if (check_only) {
        std::cout << "configuration OK\n";
        return 0;
    }
    auto config = std::move(loaded.config);
    memegen::set_log_level(level.value_or(config.log_level));
    if (!config.timezone.empty()) {
        if (const auto error = memegen::bot::apply_timezone(config.timezone)) {
            std::cerr << "memegen-bot: timezone: " << *error << "\n";
            return 1;
        }
    }

    // SIGPIPE would kill us on a dropped connection; SIGINT/SIGTERM are read by a thread.
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::stop_source stop;
    std::thread signal_waiter([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        if (sig != 0)
            memegen::log_info("received {}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        stop.request_stop();
    });

    int status = 0;
    try {
        memegen::bot::Bot bot(std::move(config));
        status = static_cast<int>(bot.run(stop.get_token()));
    } catch (const std::exception& e) {
        memegen::log_error("memegen-bot cannot start: {}", e.what());
        status = static_cast<int>(memegen::bot::BotExit::startup_failed);
    }
    // Wake the signal thread if we stopped for another reason (401).
    if (!stop.stop_requested()) {
        stop.request_stop();
        ::kill(::getpid(), SIGTERM);
    }
    signal_waiter.join();
    return status;
}
