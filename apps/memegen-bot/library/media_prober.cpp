#include "library/media_prober.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include <memegen/render_entry.h>
#include <memegen/detail/files.hpp>
#include <memegen/detail/unique_fd.hpp>
#include <memegen/log.hpp>

#include "core/child_spawn.hpp"
#include "core/memegen_library.hpp"

namespace memegen::bot {

using nlohmann::json;

json probe_request(const ProbeTask& task, const MediaProberOptions& options) {
    return {{"files", {{{"path", task.file.string()}, {"role", to_string(task.role)}}}},
            {"max_bytes", options.max_bytes},
            {"max_pixels", options.max_pixels}};
}

ProbeVerdict verdict_from_json(const json& result) {
    ProbeVerdict v;
    v.file = result.value("path", std::string{});
    v.ok = result.value("ok", false);
    v.error = result.value("error", std::string{});
    if (v.ok) {
        try {
            v.info = result.at("info").get<MediaInfo>();
            if (result.contains("text_layout"))
                v.text_layout = result["text_layout"].get<TextLayout>();
            if (result.contains("perceptual_hash"))
                v.perceptual_hash = result["perceptual_hash"].get<PerceptualHash>();
        } catch (const std::exception& e) {
            v.ok = false;
            v.error = "'" + v.file.string() + "': unreadable probe result (" + e.what() + ")";
        }
    }
    return v;
}

json probe_with_library(const json& request) {
    using FreeFn = void (*)(char*);
    const auto& library = memegen_library();
    const auto probe = library.function<char* (*)(const char*, memegen_probe_result, void*)>(
        MEMEGEN_PROBE_JSON_SYMBOL, "the media probe");
    const auto free_string =
        library.function<FreeFn>(MEMEGEN_FREE_STRING_SYMBOL, "the media probe");
    if (!probe || !free_string) {
        return {{"ok", false},
                {"error", !probe ? probe.error : free_string.error},
                {"unavailable", true}};
    }
    char* answer = probe.call(request.dump().c_str(), nullptr, nullptr);
    if (answer == nullptr)
        return {{"ok", false}, {"error", "the media probe returned no answer"}};
    const std::unique_ptr<char, FreeFn> owned(answer, free_string.call);
    auto parsed = json::parse(owned.get(), nullptr, false);
    if (!parsed.is_object())
        return {{"ok", false}, {"error", "the media probe's answer is not JSON"}};
    return parsed;
}

std::vector<ProbeVerdict> MediaProber::probe(const std::vector<ProbeTask>& tasks,
                                             std::stop_token stop) {
    if (tasks.empty())
        return {};
    return options_.isolate ? probe_in_child(tasks, std::move(stop))
                            : probe_in_thread(tasks, std::move(stop));
}

std::vector<ProbeVerdict> MediaProber::probe_in_thread(const std::vector<ProbeTask>& tasks,
                                                       std::stop_token stop) {
    std::vector<ProbeVerdict> out;
    for (const auto& task : tasks) {
        if (stop.stop_requested())
            break;
        const auto answer = probe_with_library(probe_request(task, options_));
        if (!answer.value("ok", false)) {
            log_error("cannot probe library files: {}", answer.value("error", std::string("?")));
            break;
        }
        out.push_back(verdict_from_json(answer["results"].at(0)));
    }
    return out;
}

std::vector<ProbeVerdict> MediaProber::probe_in_child(const std::vector<ProbeTask>& tasks,
                                                      std::stop_token stop) {
    std::vector<ProbeVerdict> out;
    std::error_code ec;
    std::filesystem::create_directories(options_.work_dir, ec);
    const auto stem = options_.work_dir / ("probe-" + std::to_string(::getpid()) + "-" +
                                           std::to_string(counter_.fetch_add(1)));
    const auto request_file = std::filesystem::path(stem).concat(".request.json");
    const auto results_file = std::filesystem::path(stem).concat(".results.jsonl");
    struct Cleanup {
        std::filesystem::path a, b;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove(a, ignored);
            std::filesystem::remove(b, ignored);
        }
    } cleanup{request_file, results_file};

    std::size_t next = 0;
    while (next < tasks.size() && !stop.stop_requested()) {
        json list = json::array();
        for (std::size_t i = next; i < tasks.size(); ++i)
            list.push_back({{"path", tasks[i].file.string()}, {"role", to_string(tasks[i].role)}});
        std::optional<ChildProcess> child;
        try {
            detail::write_file_atomically(request_file, json{{"tasks", list},
                                                             {"max_bytes", options_.max_bytes},
                                                             {"max_pixels", options_.max_pixels}}
                                                            .dump());
            std::filesystem::remove(results_file, ec);
            child.emplace(options_.program,
                          std::vector<std::string>{"--probe-job", request_file.string(),
                                                   results_file.string()});
        } catch (const std::exception& e) {
            log_error("cannot start a probe process: {}", e.what());
            return out;
        }
        const auto end = child->wait(stop);
        std::size_t got = 0;
        if (const auto text = detail::read_file(results_file)) {
            std::istringstream lines(*text);
            std::string line;
            while (std::getline(lines, line) && next + got < tasks.size()) {
                const auto j = json::parse(line, nullptr, false);
                if (!j.is_object())
                    break;  // a line cut by a crash
                auto v = verdict_from_json(j);
                v.file = tasks[next + got].file;
                out.push_back(std::move(v));
                ++got;
            }
        }
        next += got;
        if (next >= tasks.size() || end.stopped)
            break;
        // The child ended before its list was done: the file it was on is to blame.
        std::string how;
        if (WIFSIGNALED(end.status)) {
            how = "crashed (" + signal_name(WTERMSIG(end.status)) + ")";
        } else if (WIFEXITED(end.status)) {
            if (WEXITSTATUS(end.status) == 5 || WEXITSTATUS(end.status) == 2) {
                log_error(
                    "the probe process cannot probe (exit status {}); library files stay "
                    "unchecked until it can",
                    WEXITSTATUS(end.status));
                return out;
            }
            how = "exited with status " + std::to_string(WEXITSTATUS(end.status));
        }
        ProbeVerdict v;
        v.file = tasks[next].file;
        v.error = "'" + v.file.string() + "': the probe process " + how + " while reading it";
        out.push_back(std::move(v));
        ++next;
    }
    return out;
}

int probe_job_main(const std::filesystem::path& request_file,
                   const std::filesystem::path& results_file) {
    json request;
    try {
        const auto text = detail::read_file(request_file);
        if (!text)
            throw StateError("no request file " + request_file.string());
        request = json::parse(*text);
        if (!request.at("tasks").is_array())
            throw StateError("\"tasks\" is not an array");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "probe job: bad request %s: %s\n", request_file.c_str(), e.what());
        return 2;
    }
    detail::UniqueFd out(
        ::open(results_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!out) {
        std::fprintf(stderr, "probe job: cannot open %s\n", results_file.c_str());
        return 2;
    }
    const char* fault = std::getenv("MEMEGEN_PROBE_FAULT");
    const std::string crash_on =
        fault != nullptr && std::string_view(fault).starts_with("segv:") ? fault + 5 : "";
    MediaProberOptions limits;
    limits.max_bytes = request.value("max_bytes", limits.max_bytes);
    limits.max_pixels = request.value("max_pixels", limits.max_pixels);
    for (const auto& t : request["tasks"]) {
        ProbeTask task;
        task.file = t.value("path", std::string{});
        task.role = parse_media_role(t.value("role", std::string("any"))).value_or(MediaRole::any);
        if (!crash_on.empty() && task.file.string().find(crash_on) != std::string::npos)
            ::raise(SIGSEGV);
        const auto answer = probe_with_library(probe_request(task, limits));
        if (!answer.value("ok", false)) {
            std::fprintf(stderr, "probe job: %s\n",
                         answer.value("error", std::string("probe failed")).c_str());
            return 5;
        }
        // One line per file, written at once: what a crash on the next file cannot take back.
        const auto line = answer["results"].at(0).dump() + "\n";
        if (!detail::write_all(out.get(), line))
            return 5;
    }
    return 0;
}

}  // namespace memegen::bot
