#include "housekeeping/work_cleanup.hpp"

#include <condition_variable>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#include <memegen/log.hpp>

namespace memegen::bot {

namespace fs = std::filesystem;
using std::chrono::system_clock;

namespace {

// The partial downloads of intake (".incoming-<id>") and of the subreddit feed
// (".<stem>.part-<pid>-<n>"); the libraries never list dot files.
bool partial_download(std::string_view name) {
    return name.starts_with(".incoming-") ||
           (name.starts_with('.') && name.find(".part-") != std::string_view::npos);
}

// Removes `file` if it is old enough and not the lock holder's.
void consider(const fs::path& file, const SweepOptions& o, SweepResult& result) {
    std::error_code ec;
    const auto written = fs::last_write_time(file, ec);
    if (ec)
        return;  // gone meanwhile
    const auto modified = std::chrono::file_clock::to_sys(written);
    if (o.keep_since && modified >= *o.keep_since)
        return;
    if (o.now - modified <= o.max_age)
        return;
    const auto size = fs::file_size(file, ec);
    if (fs::remove(file, ec)) {
        ++result.files;
        result.bytes += size == static_cast<std::uintmax_t>(-1) ? 0 : size;
    } else if (ec) {
        ++result.failed;
        log_warning("cleanup: cannot remove {}: {}", file.string(), ec.message());
    }
}

}  // namespace

SweepResult sweep_work_files(const SweepOptions& o) {
    SweepResult result;
    std::error_code ec;
    for (const auto& dir : o.work_dirs) {
        fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
        for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            std::error_code type_ec;
            if (it->is_regular_file(type_ec) && !it->is_symlink(type_ec))
                consider(it->path(), o, result);
        }
        ec.clear();
    }
    for (const auto& dir : o.library_dirs) {
        for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
             it.increment(ec)) {
            std::error_code type_ec;
            if (partial_download(it->path().filename().string()) && it->is_regular_file(type_ec) &&
                !it->is_symlink(type_ec)) {
                consider(it->path(), o, result);
            }
        }
        ec.clear();
    }
    return result;
}

SweepResult WorkCleanup::sweep() {
    SweepOptions o;
    o.work_dirs = {config_.state_dir / "work"};
    o.library_dirs = {config_.media_dir, config_.music_dir};
    o.max_age = std::chrono::hours(config_.cleanup_hours);
    o.now = system_clock::now();
    if (const auto holder = guard_.holder())
        o.keep_since = holder->since;
    const auto result = sweep_work_files(o);
    log_info("cleanup: {} work file(s) older than {} h removed ({:.1f} MB){}", result.files,
             config_.cleanup_hours, static_cast<double>(result.bytes) / 1e6,
             result.failed > 0 ? fmt::format("; {} could not be removed", result.failed) : "");
    return result;
}

void WorkCleanup::run_daily(std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any sleeper;
    while (!stop.stop_requested()) {
        sweep();
        std::unique_lock lock(m);
        sleeper.wait_for(lock, stop, std::chrono::hours(24), [] { return false; });
    }
}

}  // namespace memegen::bot
