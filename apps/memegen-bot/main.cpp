// memegen-bot: wires the configuration, the library's guard, monitor, state store and
// renderer, and the Telegram client together. See README for the commands.

#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include <memegen/detail/files.hpp>
#include <memegen/detail/unique_fd.hpp>
#include <memegen/error.hpp>
#include <memegen/log.hpp>

#include "config/config.hpp"
#include "config/timezone.hpp"
#include "core/bot.hpp"
#include "core/render_runner.hpp"
#include "library/media_prober.hpp"

namespace {

// What the command line asks for. The internal --render-job and --probe-job are not here:
// main() takes them before CLI11, as they are the bot's own children, not users' options.
struct Options {
    std::optional<std::filesystem::path> config_file;
    bool check_only = false;
    bool help_config = false;
    std::optional<memegen::LogLevel> level;
};

// Reads the command line into `o`. Returns the exit code to end with (0 after --help; a usage
// error is a bad configuration: printed, exit 1), or nullopt to go on.
std::optional<int> parse_command_line(int argc, char** argv, Options& o) {
    CLI::App app(
        "A Telegram bot that renders meme videos on /generate and on a daily schedule, sends\n"
        "them to its owner for review, and publishes the chosen ones to a channel.",
        "memegen-bot");
    app.footer(
        "Exit status: 0 stopped by SIGINT/SIGTERM, 1 bad configuration, 2 the bot token was\n"
        "rejected (401), 3 start-up failed. Environment variables such as TELEGRAM_BOT_TOKEN\n"
        "and DAILY_GENERATIONS override the configuration file.");
    app.add_option("--config", o.config_file,
                   "JSON configuration (see --help-config); environment variables override it")
        ->type_name("FILE");
    app.add_flag("--check-config", o.check_only,
                 "list every problem of the configuration and exit (0 if none)");
    app.add_flag("--help-config", o.help_config,
                 "print every configuration key with its default and variable");
    app.add_option_function<std::string>(
           "--log-level",
           [&o](const std::string& name) {
               o.level = memegen::parse_log_level(name);
               if (!o.level)
                   throw CLI::ValidationError("--log-level", "unknown log level '" + name + "'");
           },
           "debug, info, warning, error (overrides log_level)")
        ->type_name("LEVEL");
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);  // --help, on stdout
    } catch (const CLI::Error& e) {
        std::cerr << "memegen-bot: " << e.what() << "\n";
        return 1;
    }
    return std::nullopt;
}

// One bot per state directory: two would answer the same updates, render past each other's
// guard record and overwrite each other's state. An OFD lock on <state>/bot.lock is held for
// the process's life (the kernel drops it when the process dies, kill -9 included); the file
// holds the holder's pid so the refusal can name it. O_CLOEXEC: a render child keeps the
// generation lock, not this one, so a restarted bot is not refused by an orphaned render.
memegen::detail::UniqueFd lock_instance(const std::filesystem::path& state_dir) {
    using memegen::detail::UniqueFd;
    memegen::detail::ensure_private_directory(state_dir);
    const auto path = state_dir / "bot.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd)
        memegen::detail::throw_errno("cannot open", path);
    flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_SETLK, &fl) == 0) {
        const std::string record = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd.get(), 0) == 0) {
            [[maybe_unused]] const ssize_t n = ::pwrite(fd.get(), record.data(), record.size(), 0);
        }
        return fd;
    }
    if (errno != EAGAIN && errno != EACCES)
        memegen::detail::throw_errno("cannot lock", path);
    // The holder writes its pid right after locking: give it a moment.
    std::string holder;
    for (int attempt = 0; attempt < 10 && holder.empty(); ++attempt) {
        try {
            holder = memegen::detail::read_file(path).value_or("");
        } catch (const std::exception&) {
        }
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        if (holder.empty())
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw memegen::StateError("another memegen-bot (pid " + (holder.empty() ? "unknown" : holder) +
                              ") is running on the state directory '" + state_dir.string() +
                              "'; refusing to start a second one");
}

// Runs the bot on its state directory until SIGINT/SIGTERM or a reason of its own (401) stops
// it; returns the exit status.
int run_until_stopped(memegen::bot::BotConfig config) {
    memegen::detail::UniqueFd instance_lock;
    try {
        instance_lock = lock_instance(config.state_dir);
    } catch (const std::exception& e) {
        memegen::log_error("memegen-bot cannot start: {}", e.what());
        return static_cast<int>(memegen::bot::BotExit::startup_failed);
    }

    // SIGPIPE would kill us on a dropped connection; SIGINT/SIGTERM are read by a thread.
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::stop_source stop;
    std::atomic<bool> exiting_on_own{false};
    std::thread signal_waiter([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        // The SIGTERM we send ourselves below only wakes this thread: not a stop request.
        if (sig != 0 && !exiting_on_own)
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
        exiting_on_own = true;
        stop.request_stop();
        ::kill(::getpid(), SIGTERM);
    }
    signal_waiter.join();
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    // The render child: same binary, so isolation needs no second program to install.
    if (argc == 4 && std::strcmp(argv[1], "--render-job") == 0) {
#if defined(__GLIBC__)
        // As memegen-render does: big decoded frames, freed and allocated again at every loop
        // of a clip, go back to the system instead of fragmenting the heap (a 2000x2000 GIF:
        // 175 -> 153 MB peak).
        mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
        return memegen::bot::render_job_main(argv[2], argv[3]);
    }
    // The probe child: checks library files with libmemegen loaded, away from the bot.
    if (argc == 4 && std::strcmp(argv[1], "--probe-job") == 0) {
        return memegen::bot::probe_job_main(argv[2], argv[3]);
    }
    Options options;
    if (const auto exit_code = parse_command_line(argc, argv, options))
        return *exit_code;
    if (options.help_config) {
        std::cout << memegen::bot::config_reference();
        return 0;
    }
    auto loaded =
        memegen::bot::load_config(options.config_file, memegen::bot::process_environment());
    if (!loaded.ok()) {
        std::cerr << "memegen-bot: the configuration has " << loaded.problems.size()
                  << " problem(s):\n";
        for (const auto& p : loaded.problems)
            std::cerr << "  " << p.to_string() << "\n";
        return 1;
    }
    if (options.check_only) {
        std::cout << "configuration OK\n";
        return 0;
    }
    auto config = std::move(loaded.config);
    memegen::set_log_level(options.level.value_or(config.log_level));
    if (!config.timezone.empty()) {
        if (const auto error = memegen::bot::apply_timezone(config.timezone)) {
            std::cerr << "memegen-bot: timezone: " << *error << "\n";
            return 1;
        }
    }

    return run_until_stopped(std::move(config));
}
