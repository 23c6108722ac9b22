#pragma once
/// \file look_alikes.hpp
/// Near-duplicate memes (issue 13): a file that enters the meme library (sent to the bot,
/// fetched from a subreddit) is compared by perceptual hash (memegen/perceptual_hash.hpp) with
/// every meme the bot has seen — the library's own files, published memes, disliked ones — and
/// refused when it is within `library.duplicate_distance` bits of one.
///
/// What "seen" means grows with the bot, so the finder asks sources, each a function that lists
/// what it knows at the moment of the check: the catalog adds its library, the bot adds the
/// published candidates, and a list of disliked memes is one more add_source() call.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <memegen/perceptual_hash.hpp>

namespace memegen::bot {

/// Where a seen meme comes from; on equal distances the earlier kind is named in the reply (a
/// published meme says more than the library file it was made from).
enum class SeenKind { published, disliked, library };

/// A meme a new file must not look like.
struct SeenMeme {
    SeenKind kind = SeenKind::library;
    std::string name;  ///< its file name, as the refusal names it
    PerceptualHash hash;
    /// When it was published or disliked; nullopt when not known (or a library file).
    std::optional<std::chrono::system_clock::time_point> when;
};

/// Lists seen memes now; called on each check, from the intake's and the feed's threads, so it
/// must be thread-safe. An exception is logged and the source skipped for that check.
using SeenMemes = std::function<std::vector<SeenMeme>()>;

/// The seen meme closest to a new file, within the distance.
struct LookAlike {
    SeenMeme meme;
    int distance = 0;  ///< differing bits (0-64)
};

/// Compares new files with every source's memes, and counts refusals per local day. Thread-safe.
class LookAlikeFinder {
  public:
    /// `max_distance` bits or fewer apart is a look-alike; 0 switches the check off.
    explicit LookAlikeFinder(int max_distance) : max_distance_(max_distance) {}

    /// Adds a source of seen memes (the lead's hook for disliked memes, for one).
    void add_source(SeenMemes source);

    /// The closest seen meme within the distance (ties: published, then disliked, then the
    /// library), or nullopt: none, the check is off, or `hash` has nothing to compare.
    [[nodiscard]] std::optional<LookAlike> find(const PerceptualHash& hash) const;

    /// The distance in force (library.duplicate_distance); 0: off.
    [[nodiscard]] int max_distance() const noexcept { return max_distance_; }

    /// Counts one refused file on local day `date` ("YYYY-MM-DD").
    void count_refusal(const std::string& date);
    /// Files refused on `date` since the bot started.
    [[nodiscard]] int refusals(const std::string& date) const;

  private:
    int max_distance_;
    mutable std::mutex mutex_;
    std::vector<SeenMemes> sources_;
    std::map<std::string, int> refusals_;  // by date; only today's is ever asked for
};

}  // namespace memegen::bot
