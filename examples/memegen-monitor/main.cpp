// memegen-monitor: print a resource snapshot of this or another process, once or
// repeatedly — the ResourceMonitor used from a program of its own.

#include <memegen/resource_monitor.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace {

constexpr const char* kUsage =
    R"(Usage: memegen-monitor [--pid PID] [--json] [--watch MS] [--count N]

Prints the memory, threads and CPU time of a process, read from /proc:
RSS, VMS, peak RSS, percent of the memory the process may use (its cgroup's
limit when one is set, else the machine's RAM) and system MemAvailable.

Options:
  --pid PID    the process to read (default: this one)
  --json       one JSON object per snapshot (the seed's keys rss_mb, vms_mb,
               percent, threads, plus the extras)
  --watch MS   repeat every MS milliseconds
  --count N    with --watch, stop after N snapshots (default: until interrupted)
  --help       this text
)";

void print_text(const memegen::ResourceSnapshot& s) {
    std::printf("pid %d: %s\n", s.pid, s.summary().c_str());
    std::printf("  peak RSS %.2fMB, open fds %s, cpu %.2fs user + %.2fs system\n", s.peak_rss_mb(),
                s.open_fds ? std::to_string(*s.open_fds).c_str() : "?", s.cpu_user_seconds,
                s.cpu_system_seconds);
    std::printf("  limit %.0fMB (%s), system available %.0fMB\n",
                memegen::ResourceSnapshot::mib(s.limit_bytes),
                std::string(memegen::to_string(s.limit_source)).c_str(),
                memegen::ResourceSnapshot::mib(s.system_available_bytes));
}

std::optional<long> parse_number(const char* text) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0)
        return std::nullopt;
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    pid_t pid = 0;
    bool json = false;
    long watch_ms = 0;
    long count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (arg == "--json") {
            json = true;
        } else if ((arg == "--pid" || arg == "--watch" || arg == "--count") && has_value) {
            const auto value = parse_number(argv[++i]);
            if (!value) {
                std::cerr << "memegen-monitor: " << arg << " needs a non-negative number, got '"
                          << argv[i] << "'\n";
                return 2;
            }
            if (arg == "--pid")
                pid = static_cast<pid_t>(*value);
            if (arg == "--watch")
                watch_ms = *value;
            if (arg == "--count")
                count = *value;
        } else {
            std::cerr << "memegen-monitor: unknown or incomplete option '" << arg << "'\n"
                      << kUsage;
            return 2;
        }
    }
    try {
        const memegen::ResourceMonitor monitor;
        for (long n = 0;; ++n) {
            const auto s = pid == 0 ? monitor.snapshot() : monitor.snapshot(pid);
            if (json) {
                std::cout << nlohmann::json(s).dump() << std::endl;
            } else {
                print_text(s);
            }
            if (watch_ms == 0 || (count > 0 && n + 1 >= count))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(watch_ms));
        }
    } catch (const std::exception& e) {
        std::cerr << "memegen-monitor: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
