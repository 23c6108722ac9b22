// memegen-status: what /status would say, read from the bot's state directory — whether or not
// the bot is running. For the operator at a shell (or a monitoring script with --json) when
// Telegram is not at hand: memory, who holds the generation guard, the last problem, the
// schedule and today's generations.

#include <iostream>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/timezone.hpp"
#include "observability/status_report.hpp"

namespace {

constexpr const char* kUsage =
    R"(Usage: memegen-status [--config FILE | --state-dir DIR] [--json] [--language en|ru]
                      [--timezone ZONE]

Prints what the bot's /status command says, from its state directory.

Options:
  --config FILE     take state_dir, language and timezone from the bot's config
                    (the token is not needed)
  --state-dir DIR   the bot's state directory (default ./state)
  --json            print the report as JSON
  --language en|ru  language of the text (default: the config's, else en)
  --timezone ZONE   IANA name or +HH:MM for the schedule's clock times
                    (default: the config's, else the system's)
  --help            this text

Exit status: 0 printed, 1 the state directory cannot be read, 2 bad usage or config.
)";

}  // namespace

int main(int argc, char** argv) {
    using namespace memegen::bot;
    std::optional<std::string> config_file;
    std::optional<std::string> state_dir;
    std::optional<std::string> language_name;
    std::optional<std::string> timezone;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--json") {
            json = true;
        } else if (arg == "--config" && has_value) {
            config_file = argv[++i];
        } else if (arg == "--state-dir" && has_value) {
            state_dir = argv[++i];
        } else if (arg == "--language" && has_value) {
            language_name = argv[++i];
        } else if (arg == "--timezone" && has_value) {
            timezone = argv[++i];
        } else {
            std::cerr << "memegen-status: unknown or incomplete option '" << arg << "'\n" << kUsage;
            return 2;
        }
    }

    Language language = Language::en;
    std::string zone;
    std::filesystem::path dir = state_dir.value_or("state");
    if (config_file) {
        const auto loaded = load_config(*config_file, process_environment());
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
            return 2;
        language = loaded.config.language;
        zone = loaded.config.timezone;
        if (!state_dir)
            dir = loaded.config.state_dir;
    }
    if (language_name) {
        if (*language_name != "en" && *language_name != "ru") {
            std::cerr << "memegen-status: --language must be en or ru, got '" << *language_name
                      << "'\n";
            return 2;
        }
        language = *language_name == "ru" ? Language::ru : Language::en;
    }
    if (timezone)
        zone = *timezone;
    if (const auto error = apply_timezone(zone)) {
        std::cerr << "memegen-status: " << *error << "\n";
        return 2;
    }

    try {
        const auto report = read_status_report(dir);
        if (json)
            std::cout << to_json(report).dump(2) << "\n";
        else
            std::cout << status_text(report, language);
    } catch (const std::exception& e) {
        std::cerr << "memegen-status: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
