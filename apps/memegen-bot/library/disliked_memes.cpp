#include "library/disliked_memes.hpp"

namespace memegen::bot {

SeenMemes disliked_memes(DislikeStore& dislikes, const LibraryCatalog& library,
                         std::chrono::days dislike_days) {
    return [&dislikes, &library, dislike_days] {
        std::vector<SeenMeme> out;
        for (const auto& d : dislikes.active(std::chrono::system_clock::now())) {
            const std::filesystem::path media = d.media;
            const auto hash = library.perceptual_hash(media);
            if (!hash)
                continue;  // the file has left the library: nothing to compare with
            out.push_back(
                {SeenKind::disliked, media.filename().string(), *hash, d.until - dislike_days});
        }
        return out;
    };
}

}  // namespace memegen::bot
