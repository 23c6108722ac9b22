#pragma once
// Test support: the real memegen-bot binary, started against a FakeBotApi with a config
// written for the test, its stderr captured to a file.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../support/test_files.hpp"
#include "fake_bot_api.hpp"

extern char** environ;

namespace memegen::test {

/// How long a test waits for what the bot should do: long enough for a sanitizer build on a
/// busy 2-core machine. Every wait ends on the event, so this is never a timing claim.
inline constexpr auto kWait = std::chrono::seconds(120);

inline constexpr std::int64_t kOwner = 1001;
inline constexpr std::int64_t kAdmin = 1002;
inline constexpr std::int64_t kStranger = 6666;
inline constexpr std::int64_t kChannel = -1009876543210;

/// Runs `ffmpeg ARGS` quietly; throws if it fails.
inline void make_fixture(const std::string& args) {
    ffmpeg(args);
}

/// A media and a music library of tiny files made with the ffmpeg CLI.
inline void make_libraries(const std::filesystem::path& media, const std::filesystem::path& music,
                           int memes = 4) {
    std::filesystem::create_directories(media);
    std::filesystem::create_directories(music);
    const char* sources[] = {"testsrc2=s=160x120",   "mandelbrot=s=120x160", "smptebars=s=160x160",
                             "rgbtestsrc=s=200x120", "cellauto=s=160x120",   "life=s=120x120"};
    for (int i = 0; i < memes; ++i) {
        make_fixture("-f lavfi -i " + std::string(sources[i % 6]) + " -frames:v 1 " +
                     (media / ("meme" + std::to_string(i) + ".png")).string());
    }
    make_fixture("-f lavfi -i sine=f=440:d=3 -c:a aac -b:a 48k " + (music / "tone_a.m4a").string());
    make_fixture("-f lavfi -i sine=f=660:d=3 -c:a aac -b:a 48k " + (music / "tone_b.m4a").string());
}

/// The bot's configuration for a test; tweak fields before start().
inline nlohmann::json test_config(const FakeBotApi& api, const std::filesystem::path& dir) {
    return {
        {"token", api.token()},
        {"api_url", api.base_url()},
        {"owner_id", kOwner},
        {"admin_ids", {kAdmin}},
        {"channel", kChannel},
        {"daily_generations", 0},
        {"candidates", 3},
        {"state_dir", (dir / "state").string()},
        {"media_dir", (dir / "media").string()},
        {"music_dir", (dir / "music").string()},
        {"render",
         {{"size", "180x320"},
          {"fps", 12},
          {"min_seconds", 1.0},
          {"max_seconds", 1.5},
          {"preset", "ultrafast"}}},
        {"log_level", "info"},
    };
}

/// The memegen-bot process.
class BotProcess {
  public:
    BotProcess(const std::filesystem::path& dir, const nlohmann::json& config,
               std::map<std::string, std::string> env = {})
        : log_(dir / ("bot-" + std::to_string(++starts()) + ".log")) {
        const char* binary = std::getenv("MEMEGEN_BOT_BINARY");
#ifdef MEMEGEN_BOT_BINARY_DEFAULT
        if (binary == nullptr)
            binary = MEMEGEN_BOT_BINARY_DEFAULT;
#endif
        if (binary == nullptr)
            throw std::runtime_error("MEMEGEN_BOT_BINARY is not set");
        const auto config_file = dir / "config.json";
        std::ofstream(config_file) << config.dump(2);

        std::vector<std::string> env_strings;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry = *e;
            // The test's own variables would override the file: keep them out.
            if (entry.rfind("TELEGRAM_", 0) == 0 || entry.rfind("MEMEGEN_OWNER", 0) == 0 ||
                entry.rfind("DAILY_GENERATIONS", 0) == 0) {
                continue;
            }
            env_strings.push_back(entry);
        }
        for (const auto& [k, v] : env)
            env_strings.push_back(k + "=" + v);
        std::vector<char*> envp;
        for (auto& s : env_strings)
            envp.push_back(s.data());
        envp.push_back(nullptr);

        std::string program = binary;
        std::string flag = "--config";
        std::string file = config_file.string();
        char* argv[] = {program.data(), flag.data(), file.data(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        const int rc = posix_spawn(&pid_, binary, &actions, nullptr, argv, envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0)
            throw std::runtime_error("cannot start memegen-bot");
    }
    BotProcess(const BotProcess&) = delete;
    BotProcess& operator=(const BotProcess&) = delete;
    ~BotProcess() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            wait_exit(std::chrono::seconds(10));
        }
    }

    [[nodiscard]] pid_t pid() const noexcept {
        return pid_;
    }

    void signal(int sig) const {
        ::kill(pid_, sig);
    }

    /// Waits for the process to end; the raw wait status, or nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        if (status_)
            return status_;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                status_ = status;
                return status_;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }

    /// Whether the process is still running.
    [[nodiscard]] bool running() {
        if (status_)
            return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = status;
            return false;
        }
        return true;
    }

    /// Everything it logged so far.
    [[nodiscard]] std::string log() const {
        std::ifstream in(log_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    /// Pids of its children (render processes), from /proc.
    [[nodiscard]] std::vector<pid_t> children() const {
        // A child belongs to the thread that started it (the worker): read every task's list.
        std::vector<pid_t> out;
        std::error_code ec;
        const auto tasks = std::filesystem::path("/proc") / std::to_string(pid_) / "task";
        for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
            std::ifstream in(task.path() / "children");
            pid_t child = 0;
            while (in >> child)
                out.push_back(child);
        }
        return out;
    }

  private:
    static int& starts() {
        static int n = 0;
        return n;
    }
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

}  // namespace memegen::test
