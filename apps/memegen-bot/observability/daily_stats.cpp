#include "observability/daily_stats.hpp"

#include <nlohmann/json.hpp>

#include <memegen/log.hpp>

namespace memegen::bot {

using nlohmann::json;

DailyStats::DailyStats(std::filesystem::path file) : file_(std::move(file), "a stats record") {
    // A directory or an unreadable file in its place is moved aside, or every save after it
    // would fail too.
    const auto loaded = file_.load(parse);
    if (loaded.value)
        figures_ = *loaded.value;
    if (loaded.problem) {
        log_warning("stats: {}; today's counts start at 0", *loaded.problem);
        problems_.push_back(*loaded.problem);
    }
}

void DailyStats::record(bool ok, const std::string& date) {
    std::lock_guard lock(mutex_);
    if (figures_.date != date) {
        figures_.date = date;
        figures_.done = figures_.failed = 0;
    }
    ++(ok ? figures_.done : figures_.failed);
    save_locked();
}

void DailyStats::set_last_render_peak(std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    figures_.last_render_peak_bytes = bytes;
    save_locked();
}

DailyFigures DailyStats::figures(const std::string& date) const {
    std::lock_guard lock(mutex_);
    DailyFigures out = figures_;
    if (out.date != date) {
        out.date = date;
        out.done = out.failed = 0;
    }
    return out;
}

std::optional<DailyFigures> DailyStats::read(const std::filesystem::path& file) {
    return JsonStateFile(file, "a stats record").peek(parse);
}

std::optional<DailyFigures> DailyStats::parse(const json& j) {
    if (!j.is_object() || !j.contains("date") || !j["date"].is_string())
        return std::nullopt;
    DailyFigures f;
    f.date = j["date"].get<std::string>();
    const auto count = [&](const char* key) -> std::optional<int> {
        if (!j.contains(key))
            return 0;
        if (!j[key].is_number_integer() || j[key].get<long long>() < 0)
            return std::nullopt;
        return static_cast<int>(j[key].get<long long>());
    };
    const auto done = count("done");
    const auto failed = count("failed");
    if (!done || !failed)
        return std::nullopt;
    f.done = *done;
    f.failed = *failed;
    if (j.contains("last_render_peak_bytes") && j["last_render_peak_bytes"].is_number_unsigned())
        f.last_render_peak_bytes = j["last_render_peak_bytes"].get<std::uint64_t>();
    return f;
}

void DailyStats::save_locked() const {
    const json j = {{"date", figures_.date},
                    {"done", figures_.done},
                    {"failed", figures_.failed},
                    {"last_render_peak_bytes", figures_.last_render_peak_bytes}};
    try {
        file_.save(j);
    } catch (const std::exception& e) {
        // The count stays right in memory; only a restart would lose it.
        log_warning("stats: cannot save: {}", e.what());
    }
}

}  // namespace memegen::bot
