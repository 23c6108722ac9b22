#include <doctest/doctest.h>

#include <memegen/resource_monitor.hpp>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

using memegen::MemoryLimitSource;
using memegen::PeakSampler;
using memegen::ResourceMonitor;
using memegen::ResourceMonitorOptions;
using memegen::ResourceSnapshot;
using memegen::test::TempDir;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;

void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

std::uint64_t status_kib(const std::string& key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) == 0)
            return std::stoull(line.substr(key.size()));
    }
    return 0;
}

// A fake /proc (self and pid 4242) and /sys with the given cgroup setup.
struct FakeRoots {
    TempDir dir{"memegen-fake-proc"};
    std::filesystem::path proc = dir.path() / "proc";
    std::filesystem::path sys = dir.path() / "sys";

    explicit FakeRoots(const std::string& cgroup_file) {
        write(
            proc / "meminfo",
            "MemTotal:       16384000 kB\nMemFree:         1000 kB\nMemAvailable:    8192000 kB\n");
        for (const char* who : {"self", "4242"}) {
            write(proc / who / "status",
                  "Name:\tbot\nVmPeak:\t  900000 kB\nVmSize:\t  819200 kB\nVmHWM:\t  307200 kB\n"
                  "VmRSS:\t  204800 kB\nThreads:\t15\n");
            write(proc / who / "stat",
                  "4242 (memegen bot) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 15 0 "
                  "12345 838860800 51200\n");
            write(proc / who / "cgroup", cgroup_file);
            std::filesystem::create_directories(proc / who / "fd");
            for (int fd = 0; fd < 7; ++fd)
                write(proc / who / "fd" / std::to_string(fd), "");
        }
    }
    ResourceMonitorOptions options() const {
        ResourceMonitorOptions o;
        o.proc_root = proc;
        o.sys_root = sys;
        return o;
    }
};

}  // namespace

TEST_CASE("a snapshot of this process agrees with /proc/self/status") {
    const ResourceMonitor monitor;
    const ResourceSnapshot s = monitor.snapshot();
    CHECK(s.pid == ::getpid());
    // RSS moves a little between the two reads; a few MiB of slack is plenty.
    const auto rss_kib = status_kib("VmRSS:");
    CHECK(s.rss_bytes / 1024 == doctest::Approx(static_cast<double>(rss_kib)).epsilon(0.05));
    CHECK(s.vms_bytes >= s.rss_bytes);
    CHECK(s.peak_rss_bytes >= s.rss_bytes);
    CHECK(s.threads == static_cast<int>(status_kib("Threads:")));
    REQUIRE(s.open_fds.has_value());
    CHECK(*s.open_fds >= 3);
    CHECK(s.limit_bytes > 0);
    CHECK(s.system_available_bytes > 0);
    CHECK(s.percent > 0.0);
    CHECK(s.percent < 100.0);
}

TEST_CASE("touching 64 MiB raises RSS by at least 60 MiB and the sampler's peak sees it") {
    const ResourceMonitor monitor;
    PeakSampler sampler(monitor, std::chrono::milliseconds(10));
    const auto before = monitor.snapshot();
    std::uint64_t during_rss = 0;
    {
        auto block = std::make_unique<char[]>(64 * MiB);
        std::memset(block.get(), 0x5a, 64 * MiB);  // touch every page so it is resident
        during_rss = monitor.snapshot().rss_bytes;
        // The block stays until the sampler has taken two samples since it was touched: its
        // thread may be descheduled for longer than any fixed sleep on a loaded machine.
        const auto seen = sampler.samples();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (sampler.samples() < seen + 2 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        REQUIRE(sampler.samples() >= seen + 2);
        CHECK(block[64 * MiB - 1] == 0x5a);
    }
    const auto peak = sampler.stop();
    CHECK(during_rss >= before.rss_bytes + 60 * MiB);
    CHECK(peak >= before.rss_bytes + 60 * MiB);
    CHECK(sampler.samples() >= 2);
}

TEST_CASE("a snapshot of another process reads that process") {
    const ResourceMonitor monitor;
    const auto s = monitor.snapshot(::getppid());
    CHECK(s.pid == ::getppid());
    CHECK(s.rss_bytes > 0);
    SUBCASE("and a process that is gone is a SystemError naming its status file") {
        CHECK_THROWS_WITH_AS(static_cast<void>(monitor.snapshot(999999999)),
                             doctest::Contains("999999999/status"), memegen::SystemError);
    }
}

TEST_CASE("without a cgroup limit, percent is relative to MemTotal") {
    FakeRoots roots("0::/\n");
    const ResourceMonitor monitor(roots.options());
    const auto s = monitor.snapshot();
    CHECK(s.limit_source == MemoryLimitSource::machine);
    CHECK(s.limit_bytes == 16384000ull * 1024);
    CHECK(s.rss_bytes == 204800ull * 1024);
    CHECK(s.vms_bytes == 819200ull * 1024);
    CHECK(s.peak_rss_bytes == 307200ull * 1024);
    CHECK(s.threads == 15);
    CHECK(s.open_fds == 7);
    CHECK(s.cpu_user_seconds == doctest::Approx(250.0 / static_cast<double>(sysconf(_SC_CLK_TCK))));
    CHECK(s.cpu_system_seconds ==
          doctest::Approx(50.0 / static_cast<double>(sysconf(_SC_CLK_TCK))));
    CHECK(s.system_available_bytes == 8192000ull * 1024);
    CHECK(s.percent == doctest::Approx(100.0 * 204800 / 16384000));
    SUBCASE("and 'max' in memory.max means no limit") {
        write(roots.sys / "fs/cgroup/memory.max", "max\n");
        const ResourceMonitor again(roots.options());
        CHECK(again.limit_source() == MemoryLimitSource::machine);
    }
}

TEST_CASE("a cgroup v2 memory.max sets the limit, the nearest ancestor's if smaller") {
    FakeRoots roots("0::/system.slice/memegen-bot.service\n");
    const auto group = roots.sys / "fs/cgroup/system.slice/memegen-bot.service";
    write(group / "memory.max", "1073741824\n");
    write(group / "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n");
    write(roots.sys / "fs/cgroup/system.slice/memory.max", "max\n");

    SUBCASE("its own limit") {
        const ResourceMonitor monitor(roots.options());
        const auto s = monitor.snapshot();
        CHECK(s.limit_source == MemoryLimitSource::cgroup_v2);
        CHECK(s.limit_bytes == 1073741824ull);
        CHECK(s.percent == doctest::Approx(100.0 * 204800 * 1024 / 1073741824.0));
        CHECK(monitor.oom_kill_count() == 2u);
    }
    SUBCASE("a smaller limit on the parent wins") {
        write(roots.sys / "fs/cgroup/system.slice/memory.max", "536870912\n");
        const ResourceMonitor monitor(roots.options());
        CHECK(monitor.limit_bytes() == 536870912ull);
    }
}

TEST_CASE("a cgroup v1 memory.limit_in_bytes sets the limit unless it means 'unlimited'") {
    FakeRoots roots("4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n0::/\n");
    const auto group = roots.sys / "fs/cgroup/memory/docker/abc";
    SUBCASE("a real limit") {
        write(group / "memory.limit_in_bytes", "268435456\n");
        write(group / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
        const ResourceMonitor monitor(roots.options());
        CHECK(monitor.limit_source() == MemoryLimitSource::cgroup_v1);
        CHECK(monitor.limit_bytes() == 268435456ull);
        CHECK(monitor.snapshot().percent == doctest::Approx(100.0 * 204800 * 1024 / 268435456.0));
        CHECK(monitor.oom_kill_count() == 5u);
    }
    SUBCASE("the kernel's 'unlimited' value") {
        write(group / "memory.limit_in_bytes", "9223372036854771712\n");
        const ResourceMonitor monitor(roots.options());
        CHECK(monitor.limit_source() == MemoryLimitSource::machine);
        CHECK(monitor.limit_bytes() == 16384000ull * 1024);
    }
}

TEST_CASE("the JSON form carries the seed's keys and the extras") {
    FakeRoots roots("0::/\n");
    const auto j = nlohmann::json(ResourceMonitor(roots.options()).snapshot());
    CHECK(j["rss_mb"] == 200.0);
    CHECK(j["vms_mb"] == 800.0);
    CHECK(j["percent"] == doctest::Approx(1.3));
    CHECK(j["threads"] == 15);
    CHECK(j["peak_rss_mb"] == 300.0);
    CHECK(j["open_fds"] == 7);
    CHECK(j["limit_source"] == "machine");
    CHECK(j.contains("system_available_mb"));
    CHECK(j.contains("cpu_user_s"));
}

TEST_CASE("log_resource_usage logs the seed's line, and warns above the threshold") {
    FakeRoots roots("0::/\n");
    std::vector<std::pair<memegen::LogLevel, std::string>> lines;
    memegen::set_log_sink([&](memegen::LogLevel level, std::string_view m) {
        lines.emplace_back(level, std::string(m));
    });
    SUBCASE("below the threshold: an info line in the seed's format") {
        const auto s = ResourceMonitor(roots.options()).log_resource_usage("gen_0_0_start");
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].first == memegen::LogLevel::info);
        CHECK(lines[0].second ==
              "[gen_0_0_start] Memory: 200.00MB RSS, 800.00MB VMS, 1.2%, threads: 15");
        CHECK(s.threads == 15);
    }
    SUBCASE("at or above it: a warning naming the limit") {
        auto options = roots.options();
        options.warn_percent = 1.0;
        ResourceMonitor(options).log_resource_usage("batch_start");
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].first == memegen::LogLevel::warning);
        CHECK(lines[0].second.find("above 1%") != std::string::npos);
    }
    SUBCASE("an unreadable /proc is logged, not thrown") {
        auto options = roots.options();
        const ResourceMonitor monitor(options);
        std::filesystem::remove_all(roots.proc / "self");
        const auto s = monitor.log_resource_usage("after_error");
        CHECK(s.rss_bytes == 0);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].first == memegen::LogLevel::error);
    }
    memegen::set_log_sink({});
}
