#include "sources/reddit_feed.hpp"

#include <algorithm>
#include <condition_variable>

#include <fmt/format.h>

#include <memegen/log.hpp>
#include <nlohmann/json.hpp>

namespace memegen::bot {

namespace {

// A listing holds at most 100 posts, so the last 10000 URLs cover any page the bot can still
// see, and the history does not grow for the life of the bot.
constexpr std::size_t kMaxRemembered = 10000;

}  // namespace

RedditFeed::RedditFeed(const BotConfig& config, LibraryCatalog& library, CrashStateStore& state)
    : config_(config),
      library_(library),
      state_(state),
      history_file_(config.state_dir / "reddit_history.json", "a list of used posts") {}

void RedditFeed::run(std::stop_token stop) {
    const auto loaded = load_reddit_sources(config_.reddit.sources_file);
    if (!loaded.ok()) {
        // load_config() checked the file; it changed since. Say so once and stay local.
        for (const auto& p : loaded.problems)
            log_error("reddit: {}", p.to_string());
        state_.record_problem(stage::source_error, loaded.problems.front().to_string(),
                              {{"label", "subreddit sources"}});
        return;
    }
    source_.emplace(loaded.config);
    load_history();
    std::mutex wait_mutex;
    std::condition_variable_any wait_cv;
    while (!stop.stop_requested()) {
        try {
            fetch(stop);
        } catch (const std::exception& e) {
            // A state file that cannot be written must not end the bot from this thread.
            log_error("reddit: {}", e.what());
        }
        std::unique_lock lock(wait_mutex);
        wait_cv.wait_for(lock, stop, std::chrono::minutes(config_.reddit.fetch_minutes),
                         [] { return false; });
    }
}

void RedditFeed::load_history() {
    const auto loaded =
        history_file_.load([](const nlohmann::json& j) -> std::optional<std::vector<std::string>> {
            if (!j.is_array() ||
                !std::all_of(j.begin(), j.end(), [](const auto& item) { return item.is_string(); }))
                return std::nullopt;
            return j.get<std::vector<std::string>>();
        });
    if (loaded.value) {
        std::lock_guard lock(mutex_);
        for (const auto& url : *loaded.value)
            remember(url);
    }
    if (loaded.problem) {
        log_warning("reddit: {}; starting with an empty history", *loaded.problem);
        state_.note_problem(stage::state_corrupt, *loaded.problem,
                            {{"file", "reddit_history.json"}});
    }
}

void RedditFeed::fetch(std::stop_token stop) {
    // Downloads land in a hidden directory inside the meme library: the scan skips it, and
    // admit() moves a file that passes the probe into the library with a rename.
    const auto cache = config_.media_dir / ".reddit-incoming";
    int added = 0;
    for (int i = 0; i < config_.reddit.fetch_count && !stop.stop_requested(); ++i) {
        std::set<std::string> used;
        {
            std::lock_guard lock(mutex_);
            used = used_;
        }
        auto result = source_->fetch_one(cache, used, stop);
        if (!result.meme) {
            if (!result.problems.empty() && !stop.stop_requested()) {
                // Visible in /status; the local library carries on.
                state_.record_problem(stage::source_error, result.problems.back().to_string(),
                                      {{"label", "subreddit sources"}});
            }
            break;
        }
        const auto& meme = *result.meme;
        {
            // Taken even if the probe refuses it below: a broken post is not tried again.
            std::lock_guard lock(mutex_);
            remember(meme.source_url);
            remember(meme.media_url);
        }
        save_history();
        const auto admission = library_.admit(
            meme.path, MediaRole::meme, "reddit_" + meme.subreddit + "_" + meme.post_id, stop,
            nlohmann::json{{"source", meme.source_url}, {"title", meme.title}});
        if (admission.ok) {
            ++added;
            log_info("reddit: added {} from r/{} ({})", admission.file.filename().string(),
                     meme.subreddit, meme.source_url);
        } else if (admission.look_alike) {
            // Not a fault of the source: counted in /status (today's near-duplicates), not a
            // problem, and nobody is messaged.
            log_info("reddit: {} from r/{} refused: {}", meme.source_url, meme.subreddit,
                     admission.reason);
        } else if (!stop.stop_requested()) {
            state_.record_problem(stage::source_error,
                                  fmt::format("r/{}: {} was refused: {}", meme.subreddit,
                                              meme.media_url, admission.reason),
                                  {{"label", "subreddit sources"}});
        }
    }
    if (added > 0)
        log_info("reddit: {} meme(s) joined the library", added);
}

void RedditFeed::remember(const std::string& url) {
    if (url.empty() || !used_.insert(url).second)
        return;
    order_.push_back(url);
    while (order_.size() > kMaxRemembered) {
        used_.erase(order_.front());
        order_.pop_front();
    }
}

void RedditFeed::save_history() {
    nlohmann::json j = nlohmann::json::array();
    {
        std::lock_guard lock(mutex_);
        for (const auto& url : order_)
            j.push_back(url);
    }
    try {
        history_file_.save(j, 1);
    } catch (const std::exception& e) {
        log_warning("reddit: cannot save the history: {}", e.what());
    }
}

}  // namespace memegen::bot
