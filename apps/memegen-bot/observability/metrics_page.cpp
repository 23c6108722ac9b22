#include "observability/metrics_page.hpp"

#include <memegen/detail/clock.hpp>

#include "observability/prometheus_text.hpp"

namespace memegen::bot {

namespace {

double unix_seconds(std::chrono::system_clock::time_point when) {
    return std::chrono::duration<double>(when.time_since_epoch()).count();
}

}  // namespace

std::string metrics_page(const MetricsInputs& in) {
    PrometheusText page;
    const auto& p = in.process;

    // process_* names follow Prometheus' client conventions, so existing dashboards work.
    page.family("process_resident_memory_bytes", "gauge", "Resident memory (VmRSS).");
    page.sample("process_resident_memory_bytes", static_cast<double>(p.rss_bytes));
    page.family("process_virtual_memory_bytes", "gauge", "Virtual memory (VmSize).");
    page.sample("process_virtual_memory_bytes", static_cast<double>(p.vms_bytes));
    page.family("memegen_process_peak_resident_memory_bytes", "gauge",
                "Highest resident memory of the bot process so far (VmHWM).");
    page.sample("memegen_process_peak_resident_memory_bytes",
                static_cast<double>(p.peak_rss_bytes));
    page.family("memegen_process_memory_percent", "gauge",
                "Resident memory as a percentage of the memory the process may use "
                "(cgroup limit, else RAM).");
    page.sample("memegen_process_memory_percent", p.percent);
    page.family("memegen_process_threads", "gauge", "Threads of the bot process.");
    page.sample("memegen_process_threads", p.threads);
    page.family("process_open_fds", "gauge", "Open file descriptors.");
    if (p.open_fds)
        page.sample("process_open_fds", *p.open_fds);
    page.family("process_cpu_seconds_total", "counter", "User and system CPU time.");
    page.sample("process_cpu_seconds_total", p.cpu_user_seconds + p.cpu_system_seconds);

    page.family("memegen_generation_guard_held", "gauge",
                "1 while a generation holds the guard (in any process sharing the state "
                "directory), else 0.");
    page.sample("memegen_generation_guard_held", in.guard ? 1 : 0);
    page.family("memegen_generation_guard_held_seconds", "gauge",
                "How long the current holder has held the guard; 0 when free.");
    page.sample("memegen_generation_guard_held_seconds",
                in.guard ? static_cast<double>(in.guard->seconds_held(in.now)) : 0.0);

    page.family("memegen_generations_total", "counter",
                "Generations (one video each) since the bot started, by trigger and result.");
    for (const auto trigger :
         {GenerationTrigger::command, GenerationTrigger::batch, GenerationTrigger::schedule}) {
        for (const auto result :
             {GenerationResult::ok, GenerationResult::failed, GenerationResult::cancelled}) {
            page.sample("memegen_generations_total",
                        static_cast<double>(in.generations.count(trigger, result)),
                        {{"trigger", std::string(to_string(trigger))},
                         {"result", std::string(to_string(result))}});
        }
    }

    page.family("memegen_render_duration_seconds", "histogram",
                "Wall time of each render, from the start of the render to the finished MP4.");
    const auto& g = in.generations;
    for (std::size_t i = 0; i < GenerationMetrics::duration_buckets.size(); ++i) {
        page.sample("memegen_render_duration_seconds_bucket", static_cast<double>(g.duration_le[i]),
                    {{"le", PrometheusText::format_value(GenerationMetrics::duration_buckets[i])}});
    }
    page.sample("memegen_render_duration_seconds_bucket", static_cast<double>(g.duration_count),
                {{"le", "+Inf"}});
    page.sample("memegen_render_duration_seconds_sum", g.duration_sum);
    page.sample("memegen_render_duration_seconds_count", static_cast<double>(g.duration_count));

    page.family("memegen_last_problem_timestamp_seconds", "gauge",
                "When the last recorded problem happened (Unix time); absent if none.");
    if (in.last_problem) {
        if (const auto when = detail::parse_timestamp(in.last_problem->timestamp)) {
            page.sample("memegen_last_problem_timestamp_seconds", unix_seconds(*when),
                        {{"stage", in.last_problem->stage}});
        }
    }
    page.family("memegen_next_scheduled_generation_timestamp_seconds", "gauge",
                "When the next daily slot is due (Unix time); absent when the schedule is off.");
    if (in.next_slot)
        page.sample("memegen_next_scheduled_generation_timestamp_seconds",
                    unix_seconds(*in.next_slot));
    return page.text();
}

}  // namespace memegen::bot
