// memegen-monitor: print a resource snapshot of this or another process, once or
// repeatedly — the ResourceMonitor used from a program of its own.

#include <memegen/resource_monitor.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "cli.hpp"

namespace {

struct Options {
    pid_t pid = 0;  // 0: this process
    bool json = false;
    long watch_ms = 0;  // 0: once
    long count = 0;     // 0: until interrupted
};

void declare(CLI::App& app, Options& o) {
    app.description(
        "Prints the memory, threads and CPU time of a process, read from /proc: RSS, VMS, peak\n"
        "RSS, percent of the memory the process may use (its cgroup's limit when one is set,\n"
        "else the machine's RAM) and system MemAvailable.");
    app.add_option("--pid", o.pid, "the process to read (default: this one)")
        ->type_name("PID")
        ->check(examples::whole<pid_t>(0));
    app.add_flag("--json", o.json, "one JSON object per snapshot (rss_mb, vms_mb, percent, ...)");
    app.add_option("--watch", o.watch_ms, "repeat every MS milliseconds")
        ->type_name("MS")
        ->check(examples::whole<long>(0));
    app.add_option("--count", o.count,
                   "with --watch, stop after N snapshots (default: until interrupted)")
        ->type_name("N")
        ->check(examples::whole<long>(0));
}

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

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app("", "memegen-monitor");
    declare(app, o);
    if (const auto exit_code = examples::parse(app, argc, argv))
        return *exit_code;

    try {
        const memegen::ResourceMonitor monitor;
        for (long n = 0;; ++n) {
            const auto s = o.pid == 0 ? monitor.snapshot() : monitor.snapshot(o.pid);
            if (o.json) {
                std::cout << nlohmann::json(s).dump() << std::endl;
            } else {
                print_text(s);
            }
            if (o.watch_ms == 0 || (o.count > 0 && n + 1 >= o.count))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(o.watch_ms));
        }
    } catch (const std::exception& e) {
        std::cerr << "memegen-monitor: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
