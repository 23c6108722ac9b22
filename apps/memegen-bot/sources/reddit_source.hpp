#pragma once
/// \file reddit_source.hpp
/// RedditSource: "fetch one meme from the configured subreddits" — the one call the bot
/// makes. It walks the subreddits round-robin (each call starts one further, so a batch
/// spreads over them), reads each listing (reused for listing_ttl), takes the first post that
/// parse_listing() accepts and the caller has not used, and downloads its media into the
/// caller's cache directory as "reddit_<subreddit>_<post id>.<ext>".
///
/// Errors: fetch_one() does not throw for anything the network, Reddit or the disk can do; it
/// returns a FetchResult with no meme and the problems (each naming the subreddit, the URL
/// and the cause, and already logged), and the caller falls back to the local library.
/// Only programming errors (std::bad_alloc, std::logic_error) escape.
///
/// A downloaded file has the right signature and size but has not been decoded: the bot must
/// probe it (in its child process, since the bot process does not load FFmpeg) before it
/// renders it, and delete it if the probe fails. Videos from v.redd.it are silent: Reddit
/// keeps their sound in a separate DASH track, and only the video track is downloaded.
///
/// Thread safety: calls are serialised by an internal mutex.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "sources/media_sniff.hpp"
#include "sources/reddit_client.hpp"
#include "sources/reddit_listing.hpp"
#include "sources/reddit_sources.hpp"
#include "sources/source_problem.hpp"

namespace memegen::bot {

/// A meme downloaded from a subreddit.
struct FetchedMeme {
    std::filesystem::path path;  ///< the file in the cache directory; probe it before use
    /// The post's permalink ("https://www.reddit.com/r/memes/comments/..."): record it in the
    /// history of used sources, and show it as the meme's source.
    std::string source_url;
    std::string media_url;                          ///< where the bytes came from (after redirects)
    std::string title;                              ///< the post's title
    std::string subreddit;                          ///< "memes"
    std::string post_id;                            ///< Reddit's post id
    RedditMediaKind kind = RedditMediaKind::image;  ///< what the post promised
    MediaFormat format = MediaFormat::unknown;      ///< what the bytes are
    std::uint64_t bytes = 0;                        ///< file size
};

/// What one fetch_one() call did.
struct FetchResult {
    std::optional<FetchedMeme> meme;      ///< set on success
    std::vector<SourceProblem> problems;  ///< what failed on the way (also on success)
    std::vector<SkippedPost> skipped;     ///< posts looked at and not taken, and why
    std::vector<HttpAttempt> attempts;    ///< every HTTP request made, in order

    /// True when a meme was downloaded.
    [[nodiscard]] bool ok() const noexcept { return meme.has_value(); }
};

/// The subreddit source; see the file comment.
class RedditSource {
  public:
    /// Takes a validated configuration (load_reddit_sources(...).config).
    explicit RedditSource(RedditSourcesConfig config);

    /// Downloads one meme into `cache_dir` (created if missing) from a post whose permalink
    /// and media URL are not in `used_sources`. Tries at most max_downloads_per_fetch
    /// downloads. A post that failed or was taken is not offered again until its listing is
    /// requested anew. `stop` interrupts waits and transfers (a cancelled problem).
    [[nodiscard]] FetchResult fetch_one(const std::filesystem::path& cache_dir,
                                        const std::set<std::string>& used_sources,
                                        std::stop_token stop = {});

    /// Drops the remembered listings, so the next fetch requests them again.
    void forget_listings();

    /// The configuration in use.
    [[nodiscard]] const RedditSourcesConfig& config() const noexcept { return client_.config(); }

  private:
    struct CachedListing {
        std::chrono::steady_clock::time_point fetched;
        std::vector<RedditPost> posts;     // still offerable, in listing order
        std::vector<SkippedPost> skipped;  // as parsed
    };

    /// The listing of subreddit `index`, from the cache or the network; nullptr on a problem.
    CachedListing* listing(std::size_t index, FetchResult& result, const std::stop_token& stop);

    RedditClient client_;
    ListingRules rules_;
    std::mutex mutex_;
    std::size_t next_ = 0;                           // the subreddit the next fetch starts at
    std::map<std::string, CachedListing> listings_;  // by subreddit name
};

/// "reddit_<subreddit>_<id>" with every character outside [A-Za-z0-9_-] replaced by '_' and
/// at most 80 characters: safe as a file name in any cache directory.
[[nodiscard]] std::string reddit_file_stem(std::string_view subreddit, std::string_view post_id);

}  // namespace memegen::bot
