#include "library/look_alikes.hpp"

#include <memegen/log.hpp>

namespace memegen::bot {

void LookAlikeFinder::add_source(SeenMemes source) {
    std::lock_guard lock(mutex_);
    sources_.push_back(std::move(source));
}

std::optional<LookAlike> LookAlikeFinder::find(const PerceptualHash& hash) const {
    if (max_distance_ <= 0 || hash.empty())
        return std::nullopt;
    std::vector<SeenMemes> sources;
    {
        // Sources are called unlocked: one may take its own locks (the catalog's state).
        std::lock_guard lock(mutex_);
        sources = sources_;
    }
    std::optional<LookAlike> best;
    for (const auto& source : sources) {
        std::vector<SeenMeme> memes;
        try {
            memes = source();
        } catch (const std::exception& e) {
            log_error("near-duplicates: a list of seen memes could not be read: {}", e.what());
            continue;
        }
        for (auto& meme : memes) {
            const auto d = memegen::distance(hash, meme.hash);
            if (!d || *d > max_distance_)
                continue;
            if (!best || *d < best->distance ||
                (*d == best->distance && meme.kind < best->meme.kind)) {
                best = LookAlike{std::move(meme), *d};
            }
        }
    }
    return best;
}

void LookAlikeFinder::count_refusal(const std::string& date) {
    std::lock_guard lock(mutex_);
    // Only today's count is shown: older days are dropped as a new one starts.
    std::erase_if(refusals_, [&](const auto& day) { return day.first < date; });
    ++refusals_[date];
}

int LookAlikeFinder::refusals(const std::string& date) const {
    std::lock_guard lock(mutex_);
    const auto it = refusals_.find(date);
    return it == refusals_.end() ? 0 : it->second;
}

}  // namespace memegen::bot
