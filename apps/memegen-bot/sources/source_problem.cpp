#include "sources/source_problem.hpp"

#include <fmt/format.h>

namespace memegen::bot {

std::string_view to_string(SourceProblemKind kind) noexcept {
    switch (kind) {
        case SourceProblemKind::config:
            return "config";
        case SourceProblemKind::network:
            return "network";
        case SourceProblemKind::tls:
            return "tls";
        case SourceProblemKind::timeout:
            return "timeout";
        case SourceProblemKind::http_status:
            return "http_status";
        case SourceProblemKind::rate_limited:
            return "rate_limited";
        case SourceProblemKind::redirect:
            return "redirect";
        case SourceProblemKind::bad_json:
            return "bad_json";
        case SourceProblemKind::bad_shape:
            return "bad_shape";
        case SourceProblemKind::not_media:
            return "not_media";
        case SourceProblemKind::too_large:
            return "too_large";
        case SourceProblemKind::io:
            return "io";
        case SourceProblemKind::no_candidates:
            return "no_candidates";
        case SourceProblemKind::cancelled:
            return "cancelled";
    }
    return "unknown";
}

std::string SourceProblem::to_string() const {
    std::string out = fmt::format("[reddit.{}]", bot::to_string(kind));
    if (!subreddit.empty())
        out += fmt::format(" r/{}:", subreddit);
    if (!url.empty())
        out += fmt::format(" {}:", url);
    out += " ";
    out += message;
    return out;
}

}  // namespace memegen::bot
