#include "publish/publisher.hpp"

#include <utility>

#include <fmt/format.h>

#include "memegen/log.hpp"

namespace memegen::bot::publish {

std::string reconnect_command(std::string_view target) {
    // Google's device flow can be run from the chat; X's user-context keys cannot.
    return target == "youtube" ? "/connect youtube" : std::string{};
}

std::string target_label(std::string_view target) {
    static constexpr std::pair<std::string_view, std::string_view> kPlatforms[] = {
        {"telegram", "Telegram"}, {"x", "X"}, {"youtube", "YouTube"}};
    const auto colon = target.find(':');
    const auto platform = target.substr(0, colon);
    for (const auto& [name, label] : kPlatforms) {
        if (name != platform)
            continue;
        if (colon == std::string_view::npos)
            return std::string(label);
        return fmt::format("{} {}", label, target.substr(colon + 1));
    }
    return std::string(target);
}

std::string_view reason_of(std::string_view error) noexcept {
    constexpr std::string_view kPrefix = "[memegen.publish] ";
    if (!error.starts_with(kPrefix))
        return error;
    const auto colon = error.find(": ", kPrefix.size());
    return colon == std::string_view::npos ? error : error.substr(colon + 2);
}

PublishError::PublishError(std::string_view target, std::string_view reason, bool retryable,
                           bool needs_reauth)
    : memegen::Error(memegen::redact(fmt::format("[memegen.publish] {}: {}", target, reason))),
      retryable_(retryable),
      needs_reauth_(needs_reauth) {}

PublishOutcome PublishError::outcome() const {
    PublishOutcome o;
    o.error = what();
    o.retryable = retryable_;
    o.needs_reauth = needs_reauth_;
    return o;
}

PublishOutcome outcome_of(std::string_view target, const std::function<PublishOutcome()>& attempt) {
    try {
        return attempt();
    } catch (const PublishError& e) {
        memegen::log_warning("{}", e.what());
        return e.outcome();
    } catch (const std::exception& e) {
        const PublishError wrapped(target, e.what());
        memegen::log_warning("{}", wrapped.what());
        return wrapped.outcome();
    }
}

}  // namespace memegen::bot::publish
