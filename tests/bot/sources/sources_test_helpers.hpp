#pragma once
// Shared setup of the subreddit source tests: a temporary directory, the demo pack's files as
// served media, and a configuration aimed at the fake Reddit with short timeouts/backoffs.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fake_reddit.hpp"
#include "memegen/log.hpp"
#include "sources/reddit_sources.hpp"

namespace memegen::test {

/// A fresh directory under the system's temp dir, removed with its content.
class TempDir {
  public:
    TempDir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("memegen-reddit-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

/// The whole content of `path`; throws if it cannot be read.
inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// Writes `text` to `path`.
inline void write_text(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

/// The demo pack's real PNG, JPEG, GIF and MP4 (MEMEGEN_DEMO_MEMES, set by meson).
inline SampleMedia demo_media() {
    const char* dir = std::getenv("MEMEGEN_DEMO_MEMES");
    if (!dir)
        throw std::runtime_error("MEMEGEN_DEMO_MEMES is not set");
    const std::filesystem::path d(dir);
    SampleMedia m;
    m.png = read_bytes(d / "build_passes_first_try.png");
    m.jpg = read_bytes(d / "reading_my_own_code.jpg");
    m.gif = read_bytes(d / "fixed_one_bug.gif");
    m.mp4 = read_bytes(d / "daily_standup.mp4");
    return m;
}

/// The User-Agent the tests configure and expect on every request.
inline constexpr std::string_view kTestUserAgent =
    "linux:memegen-bot-tests:0.1.0 (by /u/memegen_test)";

/// A configuration for `reddit` reading `subreddits`, with timeouts and backoffs short
/// enough that failure paths run fast.
inline bot::RedditSourcesConfig fast_config(const FakeReddit& reddit,
                                            const std::vector<std::string>& subreddits) {
    bot::RedditSourcesConfig c;
    c.base_url = reddit.base_url();
    c.media_hosts = {"127.0.0.1"};
    c.user_agent = std::string(kTestUserAgent);
    c.connect_timeout = std::chrono::milliseconds(2000);
    c.read_timeout = std::chrono::milliseconds(5000);
    c.retry_backoff = std::chrono::milliseconds(10);
    c.max_attempts = 3;
    for (const auto& s : subreddits) {
        bot::SubredditSource source;
        source.name = s;
        c.subreddits.push_back(source);
    }
    return c;
}

/// Collects log lines for the lifetime of the object.
class LogCapture {
  public:
    LogCapture() {
        memegen::set_log_sink([this](memegen::LogLevel, std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    ~LogCapture() { memegen::set_log_sink({}); }
    /// True if a line contains every one of `parts`.
    bool contains(std::initializer_list<std::string_view> parts) {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_) {
            bool all = true;
            for (const auto part : parts)
                all = all && line.find(part) != std::string::npos;
            if (all)
                return true;
        }
        return false;
    }

  private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

/// Files in `dir` whose name contains ".part" (left-over temporaries).
inline int partial_files(const std::filesystem::path& dir) {
    int n = 0;
    if (!std::filesystem::exists(dir))
        return 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().find(".part") != std::string::npos)
            ++n;
    }
    return n;
}

}  // namespace memegen::test
