#pragma once
/// \file reddit_listing.hpp
/// Reads a subreddit listing in Reddit's real shape
/// ({"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {...post...}}], "after"}})
/// and decides, post by post, what can become a meme and why the rest cannot. Pure logic:
/// no network, no files.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sources/source_problem.hpp"

namespace memegen::bot {

/// What a taken post's media is.
enum class RedditMediaKind { image, gif, video };

/// Lower-case name ("image", "gif", "video").
[[nodiscard]] std::string_view to_string(RedditMediaKind kind) noexcept;

/// A post whose media can be downloaded.
struct RedditPost {
    std::string id;         ///< Reddit's base-36 post id ("1abc2de")
    std::string subreddit;  ///< the subreddit the listing was read from
    std::string title;      ///< the post's title, as Reddit has it
    /// The post's page, absolute ("https://www.reddit.com/r/memes/comments/1abc2de/title/"):
    /// the source URL recorded in the bot's history.
    std::string permalink;
    /// What to download: the image/GIF itself, an imgur .gifv as its .mp4, or a v.redd.it
    /// video's fallback_url. The fallback is the video track only: Reddit serves the sound as
    /// a separate DASH track, so a v.redd.it meme arrives silent (the render adds music anyway).
    std::string media_url;
    RedditMediaKind kind = RedditMediaKind::image;  ///< from the URL; the bytes have the last word
    bool nsfw = false;                              ///< over_18 (taken only with allow_nsfw)
};

/// A post that was not taken, and why.
struct SkippedPost {
    std::string id;         ///< the post id, if it had one
    std::string permalink;  ///< absolute permalink, if it had one
    std::string reason;     ///< "text post", "gallery", "NSFW (allow_nsfw is false)", ...
};

/// One parsed listing page.
struct ListingPage {
    std::vector<RedditPost> posts;     ///< takeable posts, in listing order
    std::vector<SkippedPost> skipped;  ///< the others, in listing order
};

/// What parse_listing() accepts.
struct ListingRules {
    /// Take posts marked over_18.
    bool allow_nsfw = false;
    /// Hosts media may be downloaded from (exact, lower-case).
    std::vector<std::string> media_hosts = {"i.redd.it", "v.redd.it", "preview.redd.it",
                                            "external-preview.redd.it", "i.imgur.com"};
    /// Accept plain-http media URLs (only when the listings themselves come over http: tests
    /// and local mirrors); real media is https only.
    bool allow_http = false;
};

/// Where relative permalinks point ("/r/x/comments/..." becomes "https://www.reddit.com/r/...").
inline constexpr std::string_view kRedditWebBase = "https://www.reddit.com";

/// Parses a listing body. A body that is not JSON is a bad_json problem, JSON in another
/// shape (including Reddit's {"error": 404, "message": "Not Found"}) a bad_shape problem;
/// both name `subreddit` and `url`. A malformed post is skipped, not fatal.
[[nodiscard]] Outcome<ListingPage> parse_listing(std::string_view body, std::string_view subreddit,
                                                 std::string_view url, const ListingRules& rules);

/// Same for already parsed JSON.
[[nodiscard]] Outcome<ListingPage> parse_listing_json(const nlohmann::json& listing,
                                                      std::string_view subreddit,
                                                      std::string_view url,
                                                      const ListingRules& rules);

}  // namespace memegen::bot
