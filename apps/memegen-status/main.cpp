// memegen-status: what /status would say, read from the bot's state directory — whether or not
// the bot is running. For the operator at a shell (or a monitoring script with --json) when
// Telegram is not at hand: memory, who holds the generation guard, the last problem, the
// failed publications, the schedule and today's generations.
//
// Errors: a usage or config problem is printed and ends with exit 2; a state directory that
// cannot be read, exit 1.

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "config/timezone.hpp"
#include "observability/status_report.hpp"

namespace {

using namespace memegen::bot;

constexpr int kUsageError = 2;

struct Options {
    std::optional<std::string> config_file;
    std::optional<std::string> state_dir;
    std::optional<std::string> language;
    std::optional<std::string> timezone;
    bool json = false;
};

void declare(CLI::App& app, Options& o) {
    app.description("Prints what the bot's /status command says, from its state directory.");
    app.footer(
        "Exit status: 0 printed, 1 the state directory cannot be read, 2 bad usage or config.");
    app.add_option("--config", o.config_file,
                   "take state_dir, language and timezone from the bot's config (the token is "
                   "not needed)")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    app.add_option("--state-dir", o.state_dir, "the bot's state directory (default ./state)")
        ->type_name("DIR");
    app.add_flag("--json", o.json, "print the report as JSON");
    app.add_option("--language", o.language,
                   "language of the text (default: the config's, else en)")
        ->type_name("en|ru")
        ->check(CLI::IsMember({"en", "ru"}));
    app.add_option("--timezone", o.timezone,
                   "IANA name or +HH:MM for the schedule's clock times (default: the config's, "
                   "else the system's)")
        ->type_name("ZONE");
}

// What to read and how to say it: the options over the config over the defaults.
struct Settings {
    std::filesystem::path dir = "state";
    Language language = Language::en;
    std::string zone;  // empty: the system's
};

// Nullopt (after printing why) when the config cannot be used.
std::optional<Settings> settle(const Options& o) {
    Settings s;
    if (o.config_file) {
        const auto loaded = load_config(*o.config_file, process_environment());
        bool usable = true;
        for (const auto& problem : loaded.problems) {
            // A status reader has no use for the token; any other problem may misplace the
            // state directory, so it stops here.
            if (problem.key == "token")
                continue;
            std::cerr << "memegen-status: " << problem.to_string() << "\n";
            usable = false;
        }
        if (!usable)
            return std::nullopt;
        s.dir = loaded.config.state_dir;
        s.language = loaded.config.language;
        s.zone = loaded.config.timezone;
    }
    if (o.state_dir)
        s.dir = *o.state_dir;
    if (o.language)
        s.language = *o.language == "ru" ? Language::ru : Language::en;
    if (o.timezone)
        s.zone = *o.timezone;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("", "memegen-status");
    declare(app, o);
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);  // --help
    } catch (const CLI::Error& e) {
        std::cerr << "memegen-status: " << e.what() << "\n";
        return kUsageError;
    }
    const auto settings = settle(o);
    if (!settings)
        return kUsageError;
    if (const auto error = apply_timezone(settings->zone)) {
        std::cerr << "memegen-status: " << *error << "\n";
        return kUsageError;
    }
    try {
        const auto report = read_status_report(settings->dir);
        if (o.json)
            std::cout << to_json(report).dump(2) << "\n";
        else
            std::cout << status_text(report, settings->language);
    } catch (const std::exception& e) {
        std::cerr << "memegen-status: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
