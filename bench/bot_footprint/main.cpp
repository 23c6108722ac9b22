// bot_footprint: the bot's memory and responsiveness, measured against the fake Bot API on
// loopback in one run. Prints idle RSS, /status latency while a render runs, RSS drift
// over 50 consecutive generations, and the peak of an in-process 1080x1920 render.
// Targets (issue #4): idle ≤ 25 MB; /status during a render ≤ 200 ms; drift ≤ 5 MB.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <memegen/resource_monitor.hpp>

#include "../../tests/bot/e2e/bot_process.hpp"
#include "../../tests/support/temp_dir.hpp"
#include "fake_bot_api.hpp"

using namespace std::chrono_literals;
using memegen::test::BotProcess;
using memegen::test::FakeBotApi;
using memegen::test::kOwner;

namespace {

double mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

int count_texts(const FakeBotApi& api, const std::string& needle) {
    int n = 0;
    for (const auto& m : api.sent_messages(kOwner)) {
        if (m.contains("text") && m["text"].get<std::string>().find(needle) != std::string::npos)
            ++n;
    }
    return n;
}

bool wait_texts(const FakeBotApi& api, const std::string& needle, int count,
                std::chrono::milliseconds timeout = 600s) {
    return api.wait_until([&] { return count_texts(api, needle) >= count; }, timeout);
}

}  // namespace

int main() {
    const memegen::ResourceMonitor monitor;
    memegen::test::TempDir dir("memegen-bench-bot");
    memegen::test::make_libraries(dir / "media", dir / "music", 6);
    FakeBotApi api;
    auto config = memegen::test::test_config(api, dir.path());
    config["max_batch"] = 25;

    std::printf("bot_footprint (memegen-bot against a fake Bot API on 127.0.0.1)\n");
    double idle_mb = 0;
    double drift_mb = 0;
    double first_mb = 0;
    double last_mb = 0;
    std::vector<double> status_ms;
    {
        BotProcess bot(dir.path(), config);
        if (!api.wait_for_calls("setMyCommands", 1, 60s))
            return 1;
        std::this_thread::sleep_for(2s);
        idle_mb = mib(monitor.snapshot(bot.pid()).rss_bytes);

        // 50 generations at 180x320: 1 + 24 + 25.
        api.push_message(kOwner, kOwner, "/generate");
        if (!api.wait_for_calls("sendVideo", 1, 600s))
            return 1;
        std::this_thread::sleep_for(500ms);
        first_mb = mib(monitor.snapshot(bot.pid()).rss_bytes);
        api.push_message(kOwner, kOwner, "/generate 24");
        if (!wait_texts(api, "Done. OK:", 1))
            return 1;
        api.push_message(kOwner, kOwner, "/generate 25");
        if (!wait_texts(api, "Done. OK:", 2))
            return 1;
        std::this_thread::sleep_for(500ms);
        last_mb = mib(monitor.snapshot(bot.pid()).rss_bytes);
        drift_mb = last_mb - first_mb;

        // /status while a long render runs in the child.
        bot.signal(SIGTERM);
        bot.wait_exit(30s);
    }
    {
        auto long_render = config;
        long_render["render"]["size"] = "1080x1920";
        long_render["render"]["min_seconds"] = 10.0;
        long_render["render"]["max_seconds"] = 10.0;
        long_render["render"]["preset"] = "medium";
        BotProcess bot(dir.path(), long_render);
        if (!api.wait_for_calls("setMyCommands", 2, 60s))
            return 1;
        api.push_message(kOwner, kOwner, "/generate");
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (bot.children().empty() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        std::this_thread::sleep_for(500ms);
        for (int i = 0; i < 5; ++i) {
            const int before = count_texts(api, "System status");
            const auto start = std::chrono::steady_clock::now();
            api.push_message(kOwner, kOwner, "/status");
            if (!wait_texts(api, "System status", before + 1, 30s))
                return 1;
            status_ms.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
            std::this_thread::sleep_for(200ms);
        }
        bot.signal(SIGTERM);
        bot.wait_exit(30s);
    }
    double in_process_peak = 0;
    {
        auto in_process = config;
        in_process["render_isolation"] = "thread";
        in_process["render"]["size"] = "1080x1920";
        in_process["render"]["min_seconds"] = 10.0;
        in_process["render"]["max_seconds"] = 10.0;
        in_process["render"]["preset"] = "medium";
        BotProcess bot(dir.path(), in_process);
        if (!api.wait_for_calls("setMyCommands", 3, 60s))
            return 1;
        const auto videos = api.call_count("sendVideo");
        api.push_message(kOwner, kOwner, "/generate");
        if (!api.wait_for_calls("sendVideo", videos + 1, 600s))
            return 1;
        in_process_peak = mib(monitor.snapshot(bot.pid()).peak_rss_bytes);
        bot.signal(SIGTERM);
        bot.wait_exit(30s);
    }
    std::sort(status_ms.begin(), status_ms.end());
    std::printf("%-58s %10s %10s\n", "measure", "value", "target");
    std::printf("%-58s %8.1f MB %7s MB  %s\n", "idle RSS after start-up", idle_mb, "25",
                idle_mb <= 25 ? "met" : "NOT met");
    std::printf("%-58s %8.1f MB %10s\n", "RSS after the 1st generation (180x320, child render)",
                first_mb, "");
    std::printf("%-58s %8.1f MB %10s\n", "RSS after the 50th generation", last_mb, "");
    std::printf("%-58s %+8.1f MB %7s MB  %s\n", "drift over 50 generations", drift_mb, "5",
                drift_mb <= 5 ? "met" : "NOT met");
    std::printf("%-58s %8.0f ms %7s ms  %s\n",
                "/status reply during a 1080x1920 render (median of 5)",
                status_ms[status_ms.size() / 2], "200",
                status_ms[status_ms.size() / 2] <= 200 ? "met" : "NOT met");
    std::printf("%-58s %8.0f ms\n", "/status reply, slowest of 5", status_ms.back());
    std::printf("%-58s %8.1f MB %7s MB  %s\n",
                "bot peak RSS, in-process 1080x1920 10 s render (medium)", in_process_peak, "200",
                in_process_peak <= 200 ? "met" : "NOT met");
    return 0;
}
