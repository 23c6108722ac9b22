#include "publish/publisher.hpp"

#include <fmt/format.h>

#include "memegen/log.hpp"

namespace memegen::bot::publish {

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
