#include "review/dry_run.hpp"

namespace memegen::bot {

DryRun::DryRun(std::filesystem::path file) : file_(std::move(file), "a dry-run record") {
    const auto loaded = file_.load([](const nlohmann::json& j) -> std::optional<bool> {
        if (!j.is_object() || !j.contains("on") || !j["on"].is_boolean())
            return std::nullopt;
        return j["on"].get<bool>();
    });
    problem_ = loaded.problem;
    if (loaded.value)
        on_ = *loaded.value;
}

void DryRun::set(bool on) {
    file_.save(nlohmann::json{{"on", on}});
    on_ = on;
}

}  // namespace memegen::bot
