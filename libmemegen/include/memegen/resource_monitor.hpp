#pragma once
/// \file resource_monitor.hpp
/// Memory and thread figures of a process, read from /proc (the seed's psutil
/// `get_memory_info()`), with `percent` taken against the memory the process
/// may really use: its cgroup's limit when one is set, else the machine's RAM.

#include <sys/types.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "memegen/detail/files.hpp"
#include "memegen/detail/proc_reader.hpp"
#include "memegen/error.hpp"
#include "memegen/log.hpp"

namespace memegen {

/// Where the memory limit behind `percent` came from.
enum class MemoryLimitSource {
    machine,    ///< MemTotal of /proc/meminfo: no cgroup limit is set
    cgroup_v2,  ///< memory.max of the process's cgroup (or an ancestor's)
    cgroup_v1,  ///< memory.limit_in_bytes of the process's memory cgroup (or an ancestor's)
};

/// "machine", "cgroup_v2" or "cgroup_v1".
[[nodiscard]] constexpr std::string_view to_string(MemoryLimitSource source) noexcept {
    switch (source) {
        case MemoryLimitSource::machine:
            return "machine";
        case MemoryLimitSource::cgroup_v2:
            return "cgroup_v2";
        case MemoryLimitSource::cgroup_v1:
            return "cgroup_v1";
    }
    return "?";
}

/// One reading of a process's resources. "MB" in text means MiB, as psutil's figures did.
struct ResourceSnapshot {
    pid_t pid = 0;                     ///< the process read
    std::uint64_t rss_bytes = 0;       ///< VmRSS: resident memory now
    std::uint64_t vms_bytes = 0;       ///< VmSize: virtual memory now
    std::uint64_t peak_rss_bytes = 0;  ///< VmHWM: highest resident memory so far
    int threads = 0;                   ///< Threads
    std::optional<int> open_fds;       ///< entries of /proc/PID/fd (absent if unreadable)
    double cpu_user_seconds = 0;       ///< utime of /proc/PID/stat
    double cpu_system_seconds = 0;     ///< stime of /proc/PID/stat
    std::uint64_t limit_bytes = 0;     ///< the memory the process may use (see limit_source)
    MemoryLimitSource limit_source = MemoryLimitSource::machine;  ///< where limit_bytes came from
    std::uint64_t system_available_bytes = 0;                     ///< MemAvailable of /proc/meminfo
    double percent = 0;                                           ///< 100 * rss / limit

    /// rss_bytes in MiB (psutil's "MB").
    [[nodiscard]] double rss_mb() const noexcept { return mib(rss_bytes); }
    /// vms_bytes in MiB.
    [[nodiscard]] double vms_mb() const noexcept { return mib(vms_bytes); }
    /// peak_rss_bytes in MiB.
    [[nodiscard]] double peak_rss_mb() const noexcept { return mib(peak_rss_bytes); }

    /// "450.23MB RSS, 1200.50MB VMS, 12.3%, threads: 15" — the seed's memory line.
    [[nodiscard]] std::string summary() const {
        return fmt::format("{:.2f}MB RSS, {:.2f}MB VMS, {:.1f}%, threads: {}", rss_mb(), vms_mb(),
                           percent, threads);
    }

    /// Bytes to MiB.
    static constexpr double mib(std::uint64_t bytes) noexcept {
        return static_cast<double>(bytes) / (1024.0 * 1024.0);
    }
};

/// JSON with the seed's keys (rss_mb, vms_mb, percent, threads) plus the extras.
inline void to_json(nlohmann::json& j, const ResourceSnapshot& s) {
    const auto round2 = [](double v) { return static_cast<double>(std::llround(v * 100)) / 100; };
    j = nlohmann::json{
        {"rss_mb", round2(s.rss_mb())},
        {"vms_mb", round2(s.vms_mb())},
        {"percent", static_cast<double>(std::llround(s.percent * 10)) / 10},
        {"threads", s.threads},
        {"pid", s.pid},
        {"peak_rss_mb", round2(s.peak_rss_mb())},
        {"cpu_user_s", round2(s.cpu_user_seconds)},
        {"cpu_system_s", round2(s.cpu_system_seconds)},
        {"limit_mb", round2(ResourceSnapshot::mib(s.limit_bytes))},
        {"limit_source", to_string(s.limit_source)},
        {"system_available_mb", round2(ResourceSnapshot::mib(s.system_available_bytes))},
    };
    if (s.open_fds)
        j["open_fds"] = *s.open_fds;
}

/// Settings of a ResourceMonitor; the roots are replaceable so tests can feed a fake /proc and
/// /sys.
struct ResourceMonitorOptions {
    std::filesystem::path proc_root = "/proc";
    std::filesystem::path sys_root = "/sys";
    double warn_percent = 80.0;  ///< log_resource_usage() warns at or above this usage
};

/// Reads process resources from /proc. Cheap to copy; snapshot() is thread-safe.
class ResourceMonitor {
  public:
    /// Locates the process's memory cgroup (v2, else v1) and its effective limit once.
    explicit ResourceMonitor(ResourceMonitorOptions options = {}) : options_(std::move(options)) {
        refresh_limit();
    }

    /// A snapshot of this process. Throws SystemError if /proc cannot be read.
    [[nodiscard]] ResourceSnapshot snapshot() const { return read("self", ::getpid()); }

    /// A snapshot of another process (a render child). Throws SystemError if it is gone.
    [[nodiscard]] ResourceSnapshot snapshot(pid_t pid) const {
        return read(std::to_string(pid), pid);
    }

    /// Logs "[context] Memory: 450.23MB RSS, ..." (a warning at or above warn_percent) and
    /// returns the snapshot. Never throws: an unreadable /proc is logged and yields a zero
    /// snapshot.
    ResourceSnapshot log_resource_usage(std::string_view context) const noexcept {
        try {
            const ResourceSnapshot s = snapshot();
            if (s.percent >= options_.warn_percent) {
                log_warning("[{}] Memory: {} — above {:.0f}% of the {:.0f}MB limit ({})", context,
                            s.summary(), options_.warn_percent,
                            ResourceSnapshot::mib(s.limit_bytes), to_string(s.limit_source));
            } else {
                log_info("[{}] Memory: {}", context, s.summary());
            }
            return s;
        } catch (const std::exception& e) {
            log_error("[{}] Memory: unavailable: {}", context, e.what());
            return ResourceSnapshot{};
        }
    }

    /// Re-reads the cgroup and machine limits (they are cached; a container limit rarely changes).
    void refresh_limit() {
        const auto meminfo = read_meminfo();
        limit_bytes_ = meminfo.total;
        limit_source_ = MemoryLimitSource::machine;
        cgroup_v2_dir_.clear();
        cgroup_v1_dir_.clear();
        locate_cgroups();
        if (!cgroup_v2_dir_.empty()) {
            if (auto limit = hierarchy_limit(cgroup_v2_dir_, "memory.max", v2_root())) {
                if (*limit < limit_bytes_ || limit_bytes_ == 0) {
                    limit_bytes_ = *limit;
                    limit_source_ = MemoryLimitSource::cgroup_v2;
                }
            }
        }
        if (limit_source_ == MemoryLimitSource::machine && !cgroup_v1_dir_.empty()) {
            if (auto limit = hierarchy_limit(cgroup_v1_dir_, "memory.limit_in_bytes", v1_root())) {
                if (*limit < limit_bytes_ || limit_bytes_ == 0) {
                    limit_bytes_ = *limit;
                    limit_source_ = MemoryLimitSource::cgroup_v1;
                }
            }
        }
    }

    /// How many processes of this cgroup the kernel's OOM killer has killed so far
    /// (memory.events of v2, memory.oom_control of v1); nullopt where unreadable.
    [[nodiscard]] std::optional<std::uint64_t> oom_kill_count() const {
        char buffer[1024];
        if (!cgroup_v2_dir_.empty()) {
            const auto file = cgroup_v2_dir_ / "memory.events";
            if (auto text = detail::read_small_file(file.c_str(), buffer)) {
                if (auto n = detail::field_value(*text, "oom_kill "))
                    return n;
            }
        }
        if (!cgroup_v1_dir_.empty()) {
            const auto file = cgroup_v1_dir_ / "memory.oom_control";
            if (auto text = detail::read_small_file(file.c_str(), buffer)) {
                if (auto n = detail::field_value(*text, "oom_kill "))
                    return n;
            }
        }
        return std::nullopt;
    }

    /// The limit `percent` is computed against.
    [[nodiscard]] std::uint64_t limit_bytes() const noexcept { return limit_bytes_; }
    /// Where limit_bytes() came from.
    [[nodiscard]] MemoryLimitSource limit_source() const noexcept { return limit_source_; }
    /// The settings this monitor reads with.
    [[nodiscard]] const ResourceMonitorOptions& options() const noexcept { return options_; }

  private:
    struct MemInfo {
        std::uint64_t total = 0;
        std::uint64_t available = 0;
    };

    // Values this large mean "no limit" (v1 writes PAGE_COUNTER_MAX * page size).
    static constexpr std::uint64_t kUnlimited = std::uint64_t{1} << 60;

    [[nodiscard]] MemInfo read_meminfo() const {
        char buffer[4096];
        const auto path = options_.proc_root / "meminfo";
        const auto text = detail::read_small_file(path.c_str(), buffer);
        if (!text)
            detail::throw_errno("cannot read", path);
        MemInfo info;
        info.total = detail::field_value(*text, "MemTotal:").value_or(0) * 1024;
        info.available = detail::field_value(*text, "MemAvailable:").value_or(0) * 1024;
        return info;
    }

    [[nodiscard]] std::filesystem::path v2_root() const {
        const auto unified = options_.sys_root / "fs/cgroup/unified";
        std::error_code ec;
        return std::filesystem::is_directory(unified, ec) ? unified
                                                          : options_.sys_root / "fs/cgroup";
    }
    [[nodiscard]] std::filesystem::path v1_root() const {
        return options_.sys_root / "fs/cgroup/memory";
    }

    // /proc/self/cgroup: "0::/path" is the v2 group, "N:...memory...:/path" the v1 memory group.
    void locate_cgroups() {
        const auto file = options_.proc_root / "self/cgroup";
        const auto text = detail::read_file(file);
        if (!text)
            return;
        std::string_view rest = *text;
        while (!rest.empty()) {
            const auto end = rest.find('\n');
            const std::string_view line = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
            const auto first = line.find(':');
            const auto second = first == line.npos ? line.npos : line.find(':', first + 1);
            if (second == line.npos)
                continue;
            const auto controllers = line.substr(first + 1, second - first - 1);
            auto path = std::string(line.substr(second + 1));
            while (!path.empty() && path.front() == '/')
                path.erase(0, 1);
            if (line.substr(0, first) == "0" && controllers.empty()) {
                cgroup_v2_dir_ = existing_or_root(v2_root(), path);
            } else if (controllers == "memory" || controllers.find("memory,") == 0 ||
                       controllers.find(",memory") != controllers.npos) {
                cgroup_v1_dir_ = existing_or_root(v1_root(), path);
            }
        }
    }

    // Inside a cgroup namespace the listed path may not exist under our mount: use the root.
    static std::filesystem::path existing_or_root(const std::filesystem::path& root,
                                                  const std::string& path) {
        std::error_code ec;
        auto dir = root / path;
        if (std::filesystem::is_directory(dir, ec))
            return dir;
        return std::filesystem::is_directory(root, ec) ? root : std::filesystem::path{};
    }

    // The effective limit is the smallest one on the way up to the hierarchy's root.
    static std::optional<std::uint64_t> hierarchy_limit(std::filesystem::path dir, const char* file,
                                                        const std::filesystem::path& root) {
        std::optional<std::uint64_t> best;
        for (;;) {
            char buffer[64];
            const auto path = dir / file;
            if (auto text = detail::read_small_file(path.c_str(), buffer)) {
                if (auto value = detail::parse_u64(*text); value && *value < kUnlimited) {
                    best = best ? std::min(*best, *value) : *value;
                }
            }
            if (dir == root || !dir.has_relative_path() || dir.parent_path() == dir)
                break;
            if (dir.string().size() <= root.string().size())
                break;
            dir = dir.parent_path();
        }
        return best;
    }

    [[nodiscard]] ResourceSnapshot read(const std::string& which, pid_t pid) const {
        ResourceSnapshot s;
        s.pid = pid;
        const auto base = options_.proc_root / which;
        char buffer[4096];

        const auto status_path = base / "status";
        const auto status = detail::read_small_file(status_path.c_str(), buffer);
        if (!status)
            detail::throw_errno("cannot read", status_path);
        s.rss_bytes = detail::field_value(*status, "VmRSS:").value_or(0) * 1024;
        s.vms_bytes = detail::field_value(*status, "VmSize:").value_or(0) * 1024;
        s.peak_rss_bytes = detail::field_value(*status, "VmHWM:").value_or(0) * 1024;
        s.threads = static_cast<int>(detail::field_value(*status, "Threads:").value_or(0));

        // /proc/PID/stat: fields after the parenthesised command; utime and stime are 14 and 15.
        const auto stat_path = base / "stat";
        if (auto stat = detail::read_small_file(stat_path.c_str(), buffer)) {
            auto rest = stat->substr(std::min(stat->rfind(')') + 2, stat->size()));
            const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
            for (int field = 3; field <= 15 && !rest.empty(); ++field) {
                const auto space = rest.find(' ');
                if (field == 14)
                    s.cpu_user_seconds = detail::parse_u64(rest).value_or(0) / tick;
                if (field == 15)
                    s.cpu_system_seconds = detail::parse_u64(rest).value_or(0) / tick;
                rest = space == rest.npos ? std::string_view{} : rest.substr(space + 1);
            }
        }

        const auto fd_dir = base / "fd";
        s.open_fds = detail::count_directory_entries(fd_dir.c_str());

        const auto meminfo = read_meminfo();
        s.system_available_bytes = meminfo.available;
        s.limit_bytes = limit_bytes_;
        s.limit_source = limit_source_;
        if (s.limit_bytes > 0) {
            s.percent =
                100.0 * static_cast<double>(s.rss_bytes) / static_cast<double>(s.limit_bytes);
        }
        return s;
    }

    ResourceMonitorOptions options_;
    std::uint64_t limit_bytes_ = 0;
    MemoryLimitSource limit_source_ = MemoryLimitSource::machine;
    std::filesystem::path cgroup_v2_dir_;
    std::filesystem::path cgroup_v1_dir_;
};

/// Samples a process's RSS on a background thread while it lives (every 50 ms by default)
/// and keeps the peak: checkpoints before and after a render miss the spike in between.
class PeakSampler {
  public:
    /// Starts sampling `pid` (0: this process) at once.
    explicit PeakSampler(ResourceMonitor monitor = ResourceMonitor{},
                         std::chrono::milliseconds interval = std::chrono::milliseconds(50),
                         pid_t pid = 0)
        : monitor_(std::move(monitor)), interval_(interval), pid_(pid) {
        sample();
        thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
    }
    PeakSampler(const PeakSampler&) = delete;
    PeakSampler& operator=(const PeakSampler&) = delete;
    ~PeakSampler() { stop(); }

    /// Stops the thread (idempotent) after one last sample; returns the peak RSS in bytes.
    std::uint64_t stop() {
        if (thread_.joinable()) {
            thread_.request_stop();
            wake_.notify_all();
            thread_.join();
            sample();
        }
        return peak_rss_bytes();
    }

    /// The highest RSS seen so far, in bytes.
    [[nodiscard]] std::uint64_t peak_rss_bytes() const noexcept { return peak_.load(); }
    /// How many samples were taken.
    [[nodiscard]] std::uint64_t samples() const noexcept { return samples_.load(); }

  private:
    void run(const std::stop_token& stop) {
        std::unique_lock lock(mutex_);
        while (!stop.stop_requested()) {
            wake_.wait_for(lock, stop, interval_, [] { return false; });
            if (stop.stop_requested())
                break;
            sample();
        }
    }

    void sample() noexcept {
        try {
            const auto s = pid_ == 0 ? monitor_.snapshot() : monitor_.snapshot(pid_);
            std::uint64_t seen = peak_.load();
            while (s.rss_bytes > seen && !peak_.compare_exchange_weak(seen, s.rss_bytes)) {
            }
            samples_.fetch_add(1);
        } catch (const std::exception&) {
            // The sampled child may have exited: its last peak stands.
        }
    }

    ResourceMonitor monitor_;
    std::chrono::milliseconds interval_;
    pid_t pid_;
    std::atomic<std::uint64_t> peak_{0};
    std::atomic<std::uint64_t> samples_{0};
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;
};

}  // namespace memegen
