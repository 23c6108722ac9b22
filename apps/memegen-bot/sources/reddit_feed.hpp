#pragma once
/// \file reddit_feed.hpp
/// Fresh subreddit memes joining the meme library in the background: every
/// reddit.fetch_minutes up to reddit.fetch_count posts are downloaded, probed and admitted.
/// Posts taken are remembered in <state_dir>/reddit_history.json (the newest 10000), so a
/// restart does not download them again. Failures go to the log and /status, never further;
/// a near-duplicate of a meme the bot has seen is refused, logged and counted in /status.

#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include <memegen/crash_state_store.hpp>

#include "config/config.hpp"
#include "library/library_catalog.hpp"
#include "sources/reddit_source.hpp"
#include "state/state_file.hpp"

namespace memegen::bot {

/// The feed; run() on a thread of its own.
class RedditFeed {
  public:
    RedditFeed(const BotConfig& config, LibraryCatalog& library, CrashStateStore& state);

    /// Loads the sources and the history, then fetches until `stop`.
    void run(std::stop_token stop);

  private:
    void load_history();
    void fetch(std::stop_token stop);
    void remember(const std::string& url);  // caller holds mutex_
    void save_history();

    const BotConfig& config_;
    LibraryCatalog& library_;
    CrashStateStore& state_;
    const JsonStateFile history_file_;  // reddit_history.json
    std::optional<RedditSource> source_;
    std::mutex mutex_;
    std::set<std::string> used_;     // permalinks and media URLs taken, for lookups
    std::deque<std::string> order_;  // the same, oldest first (reddit_history.json)
};

}  // namespace memegen::bot
