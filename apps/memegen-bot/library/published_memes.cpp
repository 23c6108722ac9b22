#include "library/published_memes.hpp"

namespace memegen::bot {

SeenMemes published_memes(CandidateStore& candidates, const LibraryCatalog& library) {
    return [&candidates, &library] {
        std::vector<SeenMeme> out;
        for (const auto& c : candidates.with_status(CandidateStatus::published)) {
            const std::filesystem::path media = c.media;
            const auto hash = library.perceptual_hash(media);
            if (!hash)
                continue;
            SeenMeme meme{SeenKind::published, media.filename().string(), *hash, std::nullopt};
            if (c.published_at > 0)
                meme.when =
                    std::chrono::system_clock::time_point(std::chrono::seconds(c.published_at));
            out.push_back(std::move(meme));
        }
        return out;
    };
}

}  // namespace memegen::bot
