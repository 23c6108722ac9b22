#include "sources/reddit_source.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "memegen/log.hpp"
#include "net/url.hpp"

namespace memegen::bot {

namespace {

void append(std::vector<HttpAttempt>& to, std::vector<HttpAttempt>&& from) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

std::string reddit_file_stem(std::string_view subreddit, std::string_view post_id) {
    std::string stem = fmt::format("reddit_{}_{}", subreddit, post_id);
    for (auto& c : stem) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            c = '_';
    }
    if (stem.size() > 80)
        stem.resize(80);
    return stem;
}

RedditSource::RedditSource(RedditSourcesConfig config) : client_(std::move(config)) {
    rules_.allow_nsfw = client_.config().allow_nsfw;
    rules_.media_hosts = client_.config().media_hosts;
    const auto base = parse_http_url(client_.config().base_url);
    rules_.allow_http = base && !base->https;
}

void RedditSource::forget_listings() {
    std::lock_guard lock(mutex_);
    listings_.clear();
}

RedditSource::CachedListing* RedditSource::listing(std::size_t index, FetchResult& result,
                                                   const std::stop_token& stop) {
    const SubredditSource& sub = client_.config().subreddits[index];
    const auto now = std::chrono::steady_clock::now();
    if (const auto it = listings_.find(sub.name);
        it != listings_.end() && now - it->second.fetched < client_.config().listing_ttl) {
        return &it->second;
    }
    listings_.erase(sub.name);
    auto body = client_.get_listing(sub, stop);
    append(result.attempts, std::move(body.attempts));
    if (!body) {
        result.problems.push_back(std::move(*body.problem));
        return nullptr;
    }
    const std::string url = client_.listing_url(sub);
    auto page = parse_listing(*body.value, sub.name, url, rules_);
    if (!page) {
        result.problems.push_back(std::move(*page.problem));
        return nullptr;
    }
    memegen::log_info("Reddit: r/{} listing has {} usable posts of {}", sub.name,
                      page.value->posts.size(),
                      page.value->posts.size() + page.value->skipped.size());
    CachedListing& entry = listings_[sub.name];
    entry.fetched = now;
    entry.posts = std::move(page.value->posts);
    entry.skipped = std::move(page.value->skipped);
    return &entry;
}

FetchResult RedditSource::fetch_one(const std::filesystem::path& cache_dir,
                                    const std::set<std::string>& used_sources,
                                    std::stop_token stop) {
    std::lock_guard lock(mutex_);
    FetchResult result;
    const auto& config = client_.config();
    const auto finish_without_meme = [&](SourceProblem last) {
        result.problems.push_back(std::move(last));
        for (const auto& p : result.problems)
            memegen::log_warning("{}", p.to_string());
        return std::move(result);
    };
    if (config.subreddits.empty()) {
        return finish_without_meme(make_source_problem(SourceProblemKind::no_candidates, "", "",
                                                       "no subreddits are configured"));
    }
    const std::size_t count = config.subreddits.size();
    const std::size_t start = next_ % count;
    next_ = (start + 1) % count;
    int downloads = 0;
    for (std::size_t k = 0; k < count; ++k) {
        if (stop.stop_requested())
            break;
        const std::size_t index = (start + k) % count;
        const SubredditSource& sub = config.subreddits[index];
        CachedListing* entry = listing(index, result, stop);
        if (!entry)
            continue;
        for (const auto& s : entry->skipped)
            result.skipped.push_back(s);
        auto& posts = entry->posts;
        for (auto it = posts.begin(); it != posts.end();) {
            if (stop.stop_requested())
                break;
            if (used_sources.count(it->permalink) || used_sources.count(it->media_url)) {
                result.skipped.push_back({it->id, it->permalink, "already used"});
                ++it;
                continue;
            }
            if (downloads >= config.max_downloads_per_fetch) {
                return finish_without_meme(make_source_problem(
                    SourceProblemKind::no_candidates, "", "",
                    fmt::format("gave up after {} failed downloads (max_downloads_per_fetch)",
                                downloads)));
            }
            ++downloads;
            const RedditPost post = *it;
            // Taken or failed, the post is not offered again from this listing.
            it = posts.erase(it);
            auto media = client_.download(post.media_url, cache_dir,
                                          reddit_file_stem(sub.name, post.id), stop);
            append(result.attempts, std::move(media.attempts));
            if (!media) {
                SourceProblem p = std::move(*media.problem);
                p.subreddit = sub.name;
                p.message += fmt::format(" (post {})", post.permalink);
                result.problems.push_back(std::move(p));
                continue;
            }
            FetchedMeme meme;
            meme.path = media.value->path;
            meme.source_url = post.permalink;
            meme.media_url = media.value->final_url;
            meme.title = post.title;
            meme.subreddit = sub.name;
            meme.post_id = post.id;
            meme.kind = post.kind;
            meme.format = media.value->format;
            meme.bytes = media.value->bytes;
            for (const auto& p : result.problems)
                memegen::log_warning("{}", p.to_string());
            memegen::log_info("Reddit: took r/{} post {} ({}, {}, {} bytes) into {}", sub.name,
                              post.permalink, to_string(post.kind), to_string(meme.format),
                              meme.bytes, meme.path.string());
            result.meme = std::move(meme);
            // The next call starts after the subreddit that just delivered.
            next_ = (index + 1) % count;
            return result;
        }
    }
    if (stop.stop_requested()) {
        return finish_without_meme(
            make_source_problem(SourceProblemKind::cancelled, "", "", "stop requested"));
    }
    std::string names;
    for (const auto& s : config.subreddits)
        names += (names.empty() ? "r/" : ", r/") + s.name;
    return finish_without_meme(make_source_problem(
        SourceProblemKind::no_candidates, "", "",
        fmt::format("no post of {} could be taken ({} skipped or already used, {} problems)", names,
                    result.skipped.size(), result.problems.size())));
}

}  // namespace memegen::bot
