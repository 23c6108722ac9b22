#pragma once
/// \file reddit_sources.hpp
/// reddit_sources.json: which subreddits the bot takes memes from, and how politely.
/// Two forms are read (README.md in this directory has the full reference):
///   - the seed's: a JSON array of subreddits, each "memes", "r/memes", "/r/memes/" or
///     "https://www.reddit.com/r/memes/";
///   - an object {"subreddits": [...], "allow_nsfw": false, "max_download_mb": 25, ...}
///     whose entries may also be objects {"name": "memes", "sort": "top", "time": "week",
///     "limit": 50}.
/// Loading never throws and never stops at the first mistake: every problem is collected,
/// naming the file and the key ("subreddits[2].sort"), like the bot's own configuration.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sources/source_problem.hpp"

namespace memegen::bot {

/// One subreddit to read, with its listing options.
struct SubredditSource {
    std::string name;          ///< as Reddit spells it, without "r/" ("ProgrammerHumor")
    std::string sort = "hot";  ///< "hot", "new", "top" or "rising"
    std::string time = "day";  ///< period of "top": hour, day, week, month, year, all
    int limit = 50;            ///< posts per listing request, 1..100 (Reddit's maximum)
};

/// Everything reddit_sources.json configures; the defaults are what an empty object gives.
struct RedditSourcesConfig {
    /// The subreddits, in file order; may be empty (subreddit sources off).
    std::vector<SubredditSource> subreddits;
    /// Take posts marked over_18.
    bool allow_nsfw = false;
    /// Cap of one downloaded media file.
    std::uint64_t max_download_bytes = 25ull * 1024 * 1024;
    /// Reddit asks for "<platform>:<app id>:<version> (by /u/<username>)" and throttles or
    /// blocks generic agents; put your Reddit user name in it.
    std::string user_agent = "linux:memegen-bot:0.1.0 (self-hosted Telegram meme bot)";
    /// TCP and TLS connect timeout.
    std::chrono::milliseconds connect_timeout{10000};
    /// Read/write timeout of one request (a stall longer than this fails the attempt).
    std::chrono::milliseconds read_timeout{20000};
    /// Requests per URL in total, the first included (429, 5xx, timeouts and resets retry).
    int max_attempts = 3;
    /// A 429 asking to wait longer than this is reported instead of waited out.
    std::chrono::seconds max_retry_after{60};
    /// How long a subreddit's listing is reused before it is requested again.
    std::chrono::seconds listing_ttl{600};
    /// First wait after a 5xx, a timeout or a reset; doubles per retry, capped at 16x.
    std::chrono::milliseconds retry_backoff{1000};
    /// Downloads tried per fetch before giving up (bounds the time of one fetch).
    int max_downloads_per_fetch = 5;
    /// Hosts media may be downloaded from (exact names; redirects must stay on them too).
    std::vector<std::string> media_hosts = {"i.redd.it", "v.redd.it", "preview.redd.it",
                                            "external-preview.redd.it", "i.imgur.com"};
    /// Where listings come from; tests point it at a loopback fake.
    std::string base_url = "https://www.reddit.com";
    /// CA bundle used to verify https servers.
    std::string ca_file = "/etc/ssl/certs/ca-certificates.crt";
};

/// What load_reddit_sources() found.
struct RedditSourcesLoadResult {
    RedditSourcesConfig config;           ///< usable only when problems is empty
    std::vector<SourceProblem> problems;  ///< kind config; url = the file, message "key: cause"

    /// True when there is no problem.
    [[nodiscard]] bool ok() const noexcept { return problems.empty(); }
};

/// Reads and validates `file`. A missing or unreadable file, invalid JSON, an unknown key,
/// a wrong type or value: each is one problem naming the file and the key. Keys starting
/// with '_' ("_comment") are ignored at any level.
[[nodiscard]] RedditSourcesLoadResult load_reddit_sources(const std::filesystem::path& file);

/// Validates already parsed JSON; `origin` names its file in problems.
[[nodiscard]] RedditSourcesLoadResult parse_reddit_sources(const nlohmann::json& document,
                                                           std::string_view origin);

/// The subreddit name in "memes", "r/memes", "/r/memes/" or a reddit.com URL of it; empty if
/// the text is none of these or the name is not 2..21 letters, digits or '_'.
[[nodiscard]] std::string normalize_subreddit(std::string_view text);

}  // namespace memegen::bot
