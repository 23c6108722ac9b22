#include "sources/reddit_listing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <variant>

#include "net/url.hpp"
#include "state/json_kind.hpp"

namespace memegen::bot {

using nlohmann::json;

std::string_view to_string(RedditMediaKind kind) noexcept {
    switch (kind) {
        case RedditMediaKind::image:
            return "image";
        case RedditMediaKind::gif:
            return "gif";
        case RedditMediaKind::video:
            return "video";
    }
    return "unknown";
}

namespace {

/// `object[key]` if it is a string, else "".
std::string string_at(const json& object, std::string_view key) {
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// `object[key]` if it is a boolean, else false.
bool flag_at(const json& object, std::string_view key) {
    if (!object.is_object())
        return false;
    const auto it = object.find(key);
    return it != object.end() && it->is_boolean() && it->get<bool>();
}

/// Follows a path of object keys; nullptr when any step is missing or not an object.
const json* find_path(const json& root, std::initializer_list<std::string_view> keys) {
    const json* node = &root;
    for (const auto key : keys) {
        if (!node->is_object())
            return nullptr;
        const auto it = node->find(key);
        if (it == node->end())
            return nullptr;
        node = &*it;
    }
    return node;
}

/// A candidate media URL with the kind its extension promises.
struct Media {
    std::string url;
    RedditMediaKind kind;
};

/// The kind an extension promises, or nothing for unsupported ones.
std::optional<RedditMediaKind> kind_of_extension(std::string_view ext) {
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp")
        return RedditMediaKind::image;
    if (ext == ".gif")
        return RedditMediaKind::gif;
    if (ext == ".mp4" || ext == ".webm")
        return RedditMediaKind::video;
    return std::nullopt;
}

/// The video track of a Reddit-hosted video (media or secure_media .reddit_video).
std::optional<std::string> reddit_video_url(const json& post) {
    for (const auto* key : {"secure_media", "media"}) {
        if (const json* v = find_path(post, {key, "reddit_video", "fallback_url"});
            v && v->is_string() && !v->get<std::string>().empty()) {
            return v->get<std::string>();
        }
    }
    return std::nullopt;
}

/// Reddit's own MP4 or GIF rendition of a linked animation (preview.images[0].variants).
std::optional<Media> preview_variant(const json& post) {
    const json* images = find_path(post, {"preview", "images"});
    if (!images || !images->is_array() || images->empty())
        return std::nullopt;
    const json& first = (*images)[0];
    if (const json* mp4 = find_path(first, {"variants", "mp4", "source", "url"});
        mp4 && mp4->is_string()) {
        return Media{mp4->get<std::string>(), RedditMediaKind::video};
    }
    if (const json* gif = find_path(first, {"variants", "gif", "source", "url"});
        gif && gif->is_string()) {
        return Media{gif->get<std::string>(), RedditMediaKind::gif};
    }
    return std::nullopt;
}

/// Decides the media of one post's data, or why there is none.
std::variant<Media, std::string> choose_media(const json& post) {
    if (flag_at(post, "is_self") || string_at(post, "post_hint") == "self")
        return std::string("text post");
    if (flag_at(post, "is_gallery") ||
        (post.contains("gallery_data") && !post["gallery_data"].is_null()))
        return std::string("gallery (several images; not supported)");
    if (flag_at(post, "is_video")) {
        if (auto v = reddit_video_url(post))
            return Media{*v, RedditMediaKind::video};
        return std::string("Reddit video without media.reddit_video.fallback_url");
    }
    const std::string hint = string_at(post, "post_hint");
    if (hint == "rich:video") {
        return fmt::format("embedded player from {} (not a downloadable file)",
                           string_at(post, "domain"));
    }
    std::string link = string_at(post, "url_overridden_by_dest");
    if (link.empty())
        link = string_at(post, "url");
    const auto parsed = parse_http_url(link);
    if (!parsed) {
        return link.empty() ? std::string("no url")
                            : fmt::format("url \"{}\" is not an http(s) URL", link);
    }
    const std::string ext = url_extension(*parsed);
    if (ext == ".gifv") {
        // imgur's .gifv is an HTML page around <id>.mp4.
        HttpUrl mp4 = *parsed;
        const std::string path = mp4.path();
        mp4.target = path.substr(0, path.size() - 5) + ".mp4";
        return Media{mp4.to_string(), RedditMediaKind::video};
    }
    if (const auto kind = kind_of_extension(ext))
        return Media{parsed->to_string(), *kind};
    if (auto variant = preview_variant(post))
        return *variant;
    return fmt::format("link to {}{} is not an image, GIF or video file", parsed->host,
                       parsed->path());
}

bool valid_id(std::string_view id) {
    return !id.empty() && id.size() <= 16 &&
           id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789") == std::string_view::npos;
}

SourceProblem shape_problem(std::string_view subreddit, std::string_view url, std::string message) {
    SourceProblem p;
    p.kind = SourceProblemKind::bad_shape;
    p.subreddit = std::string(subreddit);
    p.url = std::string(url);
    p.message = std::move(message);
    return p;
}

}  // namespace

Outcome<ListingPage> parse_listing_json(const json& listing, std::string_view subreddit,
                                        std::string_view url, const ListingRules& rules) {
    Outcome<ListingPage> out;
    const auto fail = [&](std::string message) {
        out.problem = shape_problem(subreddit, url, std::move(message));
        return out;
    };
    if (!listing.is_object())
        return fail(fmt::format("the listing is {}, not an object", json_kind(listing)));
    if (listing.contains("error")) {
        // Reddit's error form: {"message": "Not Found", "error": 404} or {"reason": "private"}.
        std::string text = listing.dump(-1, ' ', false, json::error_handler_t::replace);
        if (text.size() > 200)
            text = text.substr(0, 200) + "...";  // an error body is short; keep the log line so
        return fail(fmt::format("Reddit answered an error instead of a listing: {}", text));
    }
    if (const auto kind = string_at(listing, "kind"); kind != "Listing")
        return fail(fmt::format("\"kind\" is \"{}\", expected \"Listing\"", kind));
    const json* data = find_path(listing, {"data"});
    if (!data || !data->is_object())
        return fail("\"data\" is missing or not an object");
    const json* children = find_path(*data, {"children"});
    if (!children || !children->is_array())
        return fail("\"data.children\" is missing or not an array");

    ListingPage page;
    for (const json& child : *children) {
        SkippedPost skip;
        const json* post = find_path(child, {"data"});
        if (!child.is_object() || !post || !post->is_object()) {
            skip.reason = "malformed entry (no data object)";
            page.skipped.push_back(std::move(skip));
            continue;
        }
        skip.id = string_at(*post, "id");
        const std::string permalink = string_at(*post, "permalink");
        if (!permalink.empty())
            skip.permalink =
                permalink[0] == '/' ? std::string(kRedditWebBase) + permalink : permalink;
        const auto skipped = [&](std::string reason) {
            skip.reason = std::move(reason);
            page.skipped.push_back(skip);
        };
        if (const auto kind = string_at(child, "kind"); kind != "t3") {
            skipped(fmt::format("not a post (kind \"{}\")", kind));
            continue;
        }
        if (!valid_id(skip.id)) {
            skipped("missing or malformed id");
            continue;
        }
        if (permalink.empty() || permalink[0] != '/') {
            skipped("missing or malformed permalink");
            continue;
        }
        if (flag_at(*post, "stickied")) {
            skipped("stickied (pinned by the moderators)");
            continue;
        }
        // A crosspost carries its media in the original post; NSFW on either side counts.
        const json* media_post = post;
        if (const json* parents = find_path(*post, {"crosspost_parent_list"});
            parents && parents->is_array() && !parents->empty() && (*parents)[0].is_object()) {
            media_post = &(*parents)[0];
        }
        if ((flag_at(*post, "over_18") || flag_at(*media_post, "over_18")) && !rules.allow_nsfw) {
            skipped("NSFW (allow_nsfw is false)");
            continue;
        }
        auto choice = choose_media(*media_post);
        if (auto* reason = std::get_if<std::string>(&choice)) {
            skipped(std::move(*reason));
            continue;
        }
        auto& media = std::get<Media>(choice);
        const auto media_url = parse_http_url(media.url);
        if (!media_url) {
            skipped(fmt::format("media URL \"{}\" is not an http(s) URL", media.url));
            continue;
        }
        if (!media_url->https && !rules.allow_http) {
            skipped(fmt::format("media URL {} is not https", media.url));
            continue;
        }
        if (std::find(rules.media_hosts.begin(), rules.media_hosts.end(), media_url->host) ==
            rules.media_hosts.end()) {
            skipped(fmt::format("media host {} is not supported", media_url->host));
            continue;
        }
        RedditPost taken;
        taken.id = skip.id;
        taken.subreddit = std::string(subreddit);
        taken.title = string_at(*post, "title");
        taken.permalink = skip.permalink;
        taken.media_url = media_url->to_string();
        taken.kind = media.kind;
        taken.nsfw = flag_at(*post, "over_18") || flag_at(*media_post, "over_18");
        page.posts.push_back(std::move(taken));
    }
    out.value = std::move(page);
    return out;
}

Outcome<ListingPage> parse_listing(std::string_view body, std::string_view subreddit,
                                   std::string_view url, const ListingRules& rules) {
    json listing = json::parse(body, nullptr, false);
    if (listing.is_discarded()) {
        Outcome<ListingPage> out;
        SourceProblem p;
        p.kind = SourceProblemKind::bad_json;
        p.subreddit = std::string(subreddit);
        p.url = std::string(url);
        std::string start(body.substr(0, 60));
        for (auto& c : start) {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                c = '?';  // keep the log line printable
        }
        p.message =
            fmt::format("the listing is not JSON ({} bytes, starting \"{}\")", body.size(), start);
        out.problem = std::move(p);
        return out;
    }
    return parse_listing_json(listing, subreddit, url, rules);
}

}  // namespace memegen::bot
