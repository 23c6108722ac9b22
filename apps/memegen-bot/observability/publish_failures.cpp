#include "observability/publish_failures.hpp"

#include <filesystem>

#include "publish/publisher.hpp"

namespace memegen::bot {

std::vector<PublishFailure> publish_failures(const std::vector<Candidate>& candidates) {
    std::vector<PublishFailure> out;
    for (auto c = candidates.rbegin(); c != candidates.rend(); ++c) {
        if (c->status == CandidateStatus::deleted || c->status == CandidateStatus::replaced)
            continue;
        for (const auto& [target, t] : c->targets) {
            if (t.state != "failed")
                continue;
            PublishFailure f;
            f.candidate = c->id;
            f.target = target;
            f.label = publish::target_label(target);
            f.media = std::filesystem::path(c->media).filename().string();
            f.reason = std::string(publish::reason_of(t.error));
            f.needs_reauth = t.needs_reauth;
            if (t.needs_reauth)
                f.reconnect = publish::reconnect_command(target);
            out.push_back(std::move(f));
        }
    }
    return out;
}

}  // namespace memegen::bot
