// snapshot_cost: what one ResourceMonitor::snapshot() costs, next to the naive
// way (iostreams over /proc/self/status and friends, as a quick script would
// do), in one run. Target: a snapshot under 50 µs, so logging memory at every
// stage and sampling every 50 ms cost nothing worth mentioning.

#include <memegen/resource_monitor.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// The straightforward version: getline over status, meminfo, a directory iterator for fds.
double naive_snapshot() {
    double rss = 0;
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            rss = std::stod(line.substr(6));
    }
    std::ifstream stat("/proc/self/stat");
    std::string stat_text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    int fds = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++fds;
    double total = 0;
    std::ifstream meminfo("/proc/meminfo");
    while (std::getline(meminfo, line)) {
        if (line.rfind("MemTotal:", 0) == 0)
            total = std::stod(line.substr(9));
    }
    return rss / total + fds + static_cast<double>(stat_text.size());
}

template <typename F>
std::vector<double> time_each(F&& f, int rounds) {
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(rounds));
    for (int i = 0; i < rounds; ++i) {
        const auto start = Clock::now();
        f();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    std::sort(us.begin(), us.end());
    return us;
}

double at(const std::vector<double>& sorted, double q) {
    return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::max(10, std::atoi(argv[1])) : 20000;
    const memegen::ResourceMonitor monitor;
    volatile std::uint64_t sink = 0;
    // Alternate the two in blocks so both see the same machine state.
    std::vector<double> ours;
    std::vector<double> naive;
    for (int block = 0; block < 10; ++block) {
        auto a = time_each([&] { sink = sink + monitor.snapshot().rss_bytes; }, rounds / 10);
        auto b = time_each([&] { sink = sink + static_cast<std::uint64_t>(naive_snapshot()); },
                           rounds / 10);
        ours.insert(ours.end(), a.begin(), a.end());
        naive.insert(naive.end(), b.begin(), b.end());
    }
    std::sort(ours.begin(), ours.end());
    std::sort(naive.begin(), naive.end());
    std::printf("snapshot_cost: %d snapshots each\n", rounds);
    std::printf("%-32s %10s %10s\n", "", "median us", "p99 us");
    std::printf("%-32s %10.1f %10.1f\n", "ResourceMonitor::snapshot()", at(ours, 0.5),
                at(ours, 0.99));
    std::printf("%-32s %10.1f %10.1f\n", "naive iostreams", at(naive, 0.5), at(naive, 0.99));
    std::printf("ratio ours/naive (median): %.2f; target: median < 50 us -> %s\n",
                at(ours, 0.5) / at(naive, 0.5), at(ours, 0.5) < 50.0 ? "met" : "NOT met");
    return 0;
}
