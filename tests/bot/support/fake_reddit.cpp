#include "fake_reddit.hpp"

#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net/listen_thread.hpp"

namespace memegen::test {

using nlohmann::json;

namespace {

struct Media {
    std::string bytes;
    std::string content_type;
    bool chunked = false;
};

struct Redirect {
    std::string location;
    int status = 302;
};

std::string role_code(std::string_view role) {
    if (role == "sticky")
        return "st";
    if (role == "png")
        return "pn";
    if (role == "self")
        return "sf";
    if (role == "gallery")
        return "ga";
    if (role == "nsfw")
        return "ns";
    if (role == "jpg")
        return "jp";
    if (role == "gif")
        return "gi";
    if (role == "gifv")
        return "gv";
    if (role == "video")
        return "vi";
    if (role == "youtube")
        return "yt";
    if (role == "article")
        return "ar";
    throw std::invalid_argument("unknown sample role " + std::string(role));
}

/// A t3 child with the fields every real post has; `extra` overrides and adds.
json post(const std::string& subreddit, const std::string& id, const std::string& title,
          const json& extra) {
    json d = {
        {"subreddit", subreddit},
        {"subreddit_name_prefixed", "r/" + subreddit},
        {"id", id},
        {"name", "t3_" + id},
        {"title", title},
        {"author", "fake_user_" + id},
        {"permalink", "/r/" + subreddit + "/comments/" + id + "/" + id + "_title/"},
        {"url", "https://www.reddit.com/r/" + subreddit + "/comments/" + id + "/" + id + "_title/"},
        {"domain", "self." + subreddit},
        {"is_self", false},
        {"is_video", false},
        {"over_18", false},
        {"spoiler", false},
        {"stickied", false},
        {"locked", false},
        {"score", 1234},
        {"ups", 1234},
        {"upvote_ratio", 0.97},
        {"num_comments", 56},
        {"created_utc", 1763700000.0},
        {"thumbnail", "default"},
        {"media", nullptr},
        {"secure_media", nullptr},
        {"is_reddit_media_domain", false},
        {"selftext", ""},
    };
    for (const auto& [k, v] : extra.items())
        d[k] = v;
    return {{"kind", "t3"}, {"data", d}};
}

json preview(const std::string& url, int w, int h, const json& variants = json::object()) {
    return {{"images", json::array({{{"source", {{"url", url}, {"width", w}, {"height", h}}},
                                     {"resolutions", json::array()},
                                     {"variants", variants},
                                     {"id", "previewid"}}})},
            {"enabled", true}};
}

}  // namespace

struct FakeReddit::Impl {
    httplib::Server server;
    std::thread thread;
    int port = 0;
    bool stopped = false;

    mutable std::mutex mutex;
    std::condition_variable wake;  // releases slow answers on stop
    bool stopping = false;
    std::map<std::string, json> listings;  // by lower-case subreddit
    std::map<std::string, Media> media;
    std::map<std::string, Redirect> redirects;
    std::map<std::string, std::deque<RedditFault>> faults;
    std::vector<RedditRequest> requests;
    std::string ratelimit_remaining = "95.0";
    std::string ratelimit_reset = "420";

    void handle(const httplib::Request& req, httplib::Response& res);
    bool apply_fault(const RedditFault& fault, httplib::Response& res);
};

namespace {

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

void reddit_json_error(httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(json{{"message", message}, {"error", status}}.dump(), "application/json");
}

}  // namespace

bool FakeReddit::Impl::apply_fault(const RedditFault& fault, httplib::Response& res) {
    using K = RedditFault::Kind;
    switch (fault.kind) {
        case K::garbage_json:
            res.status = 200;
            res.set_content(
                R"({"kind": "Listing", "data": {"after": "t3_x", "children": [{"kind": "t3", "da)",
                "application/json; charset=UTF-8");
            return true;
        case K::unexpected_shape:
            res.status = 200;
            res.set_content(R"({"kind": "Listing", "data": []})",
                            "application/json; charset=UTF-8");
            return true;
        case K::slow: {
            std::unique_lock lock(mutex);
            wake.wait_for(lock, fault.delay, [this] { return stopping; });
            return false;  // then answer normally
        }
        case K::rate_limit:
            res.status = 429;
            if (fault.retry_after_s >= 0)
                res.set_header("Retry-After", std::to_string(fault.retry_after_s));
            if (fault.ratelimit_reset_s >= 0) {
                res.set_header("x-ratelimit-reset", std::to_string(fault.ratelimit_reset_s));
                res.set_header("x-ratelimit-remaining", "0.0");
                res.set_header("x-ratelimit-used", "100");
            }
            res.set_content(R"({"message": "Too Many Requests", "error": 429})",
                            "application/json; charset=UTF-8");
            return true;
        case K::server_error:
            res.status = 500;
            res.set_content(
                "<html><body><h1>500 Internal Server Error</h1>all our servers are "
                "busy right now</body></html>",
                "text/html; charset=UTF-8");
            return true;
        case K::html_page:
            res.status = 200;
            res.set_content(
                "<!doctype html><html><head><title>reddit - please log in</title>"
                "</head><body><p>You must be 18+ to view this community.</p></body>"
                "</html>",
                "text/html; charset=utf-8");
            return true;
        case K::not_found:
            reddit_json_error(res, 404, "Not Found");
            return true;
    }
    return false;
}

void FakeReddit::Impl::handle(const httplib::Request& req, httplib::Response& res) {
    RedditRequest record;
    record.path = req.path;
    for (const auto& [k, v] : req.params) {
        if (!record.query.empty())
            record.query += '&';
        record.query += k + "=" + v;
    }
    record.user_agent = req.get_header_value("User-Agent");
    record.accept = req.get_header_value("Accept");
    std::size_t index = 0;
    std::optional<RedditFault> fault;
    {
        std::lock_guard lock(mutex);
        index = requests.size();
        requests.push_back(record);
        if (auto it = faults.find(req.path); it != faults.end() && !it->second.empty()) {
            fault = it->second.front();
            it->second.pop_front();
        }
    }
    const auto finish = [&] {
        std::lock_guard lock(mutex);
        requests[index].status = res.status;
    };
    if (fault && apply_fault(*fault, res)) {
        finish();
        return;
    }
    std::lock_guard lock(mutex);
    if (const auto it = redirects.find(req.path); it != redirects.end()) {
        res.status = it->second.status;
        res.set_header("Location", it->second.location);
        requests[index].status = res.status;
        return;
    }
    // /r/<name>/<sort>.json
    if (req.path.rfind("/r/", 0) == 0 && req.path.size() > 8 &&
        req.path.substr(req.path.size() - 5) == ".json") {
        const std::string rest = req.path.substr(3);
        const std::string name = lower(rest.substr(0, rest.find('/')));
        if (const auto it = listings.find(name); it != listings.end()) {
            res.status = 200;
            res.set_header("x-ratelimit-remaining", ratelimit_remaining);
            res.set_header("x-ratelimit-used", "5");
            res.set_header("x-ratelimit-reset", ratelimit_reset);
            res.set_content(it->second.dump(), "application/json; charset=UTF-8");
        } else {
            reddit_json_error(res, 404, "Not Found");
        }
        requests[index].status = res.status;
        return;
    }
    if (const auto it = media.find(req.path); it != media.end()) {
        res.status = 200;
        if (it->second.chunked) {
            auto bytes = std::make_shared<std::string>(it->second.bytes);
            res.set_chunked_content_provider(
                it->second.content_type, [bytes](std::size_t offset, httplib::DataSink& sink) {
                    if (offset >= bytes->size()) {
                        sink.done();
                        return true;
                    }
                    const std::size_t n = std::min<std::size_t>(64 * 1024, bytes->size() - offset);
                    return sink.write(bytes->data() + offset, n);
                });
        } else {
            res.set_content(it->second.bytes, it->second.content_type);
        }
        requests[index].status = res.status;
        return;
    }
    reddit_json_error(res, 404, "Not Found");
    requests[index].status = res.status;
}

FakeReddit::FakeReddit() : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.server.Get(".*", [&impl](const httplib::Request& req, httplib::Response& res) {
        impl.handle(req, res);
    });
    impl.port = impl.server.bind_to_any_port("127.0.0.1");
    if (impl.port <= 0)
        throw std::runtime_error("FakeReddit: cannot bind 127.0.0.1");
    impl.thread = bot::listen_in_background(impl.server);
}

FakeReddit::~FakeReddit() {
    stop();
}

void FakeReddit::stop() {
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mutex);
        if (impl.stopped)
            return;
        impl.stopped = true;
        impl.stopping = true;
    }
    impl.wake.notify_all();
    impl.server.stop();
    if (impl.thread.joinable())
        impl.thread.join();
}

std::string FakeReddit::base_url() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::string FakeReddit::url(std::string_view path) const {
    return base_url() + std::string(path);
}

void FakeReddit::set_listing(const std::string& subreddit, json listing) {
    std::lock_guard lock(impl_->mutex);
    impl_->listings[lower(subreddit)] = std::move(listing);
}

void FakeReddit::add_media(const std::string& path, std::string bytes, std::string content_type,
                           bool chunked) {
    std::lock_guard lock(impl_->mutex);
    impl_->media[path] = Media{std::move(bytes), std::move(content_type), chunked};
}

void FakeReddit::add_redirect(const std::string& path, const std::string& location, int status) {
    std::lock_guard lock(impl_->mutex);
    impl_->redirects[path] = Redirect{location, status};
}

void FakeReddit::set_rate_limit_headers(std::string remaining, std::string reset) {
    std::lock_guard lock(impl_->mutex);
    impl_->ratelimit_remaining = std::move(remaining);
    impl_->ratelimit_reset = std::move(reset);
}

void FakeReddit::fail_next(const std::string& path, int count, RedditFault fault) {
    std::lock_guard lock(impl_->mutex);
    for (int i = 0; i < count; ++i)
        impl_->faults[path].push_back(fault);
}

std::vector<RedditRequest> FakeReddit::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::size_t FakeReddit::request_count(std::string_view path) const {
    std::lock_guard lock(impl_->mutex);
    return static_cast<std::size_t>(std::count_if(impl_->requests.begin(), impl_->requests.end(),
                                                  [&](const auto& r) { return r.path == path; }));
}

std::string FakeReddit::sample_post_id(const std::string& subreddit, std::string_view role) {
    std::string id = role_code(role);
    for (const char c : lower(subreddit)) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            id += c;
    }
    return id.substr(0, 12);
}

std::string FakeReddit::sample_permalink(const std::string& subreddit, std::string_view role) {
    const std::string id = sample_post_id(subreddit, role);
    return "https://www.reddit.com/r/" + subreddit + "/comments/" + id + "/" + id + "_title/";
}

std::string FakeReddit::sample_media_path(const std::string& subreddit, std::string_view role) {
    const std::string id = sample_post_id(subreddit, role);
    const std::string sub = lower(subreddit);
    if (role == "video")
        return "/v/" + id + "/DASH_480.mp4";
    if (role == "gifv")
        return "/imgur/" + id + ".mp4";
    std::string ext = ".png";
    if (role == "jpg")
        ext = ".jpg";
    else if (role == "gif")
        ext = ".gif";
    return "/i/" + sub + "/" + id + ext;
}

json FakeReddit::sample_listing(const std::string& sub) const {
    const auto id = [&](std::string_view role) { return sample_post_id(sub, role); };
    const auto media_url = [&](std::string_view role) { return url(sample_media_path(sub, role)); };
    const auto image = [&](std::string_view role, const std::string& title, json extra) {
        const std::string u = media_url(role);
        json base = {{"url", u},
                     {"url_overridden_by_dest", u},
                     {"domain", "i.redd.it"},
                     {"post_hint", "image"},
                     {"is_reddit_media_domain", true},
                     {"thumbnail", "https://b.thumbs.redditmedia.com/" + id(role) + ".jpg"},
                     {"preview",
                      preview("https://preview.redd.it/" + id(role) + ".png?auto=webp", 640, 480)}};
        for (const auto& [k, v] : extra.items())
            base[k] = v;
        return post(sub, id(role), title, base);
    };
    const std::string gifv_page = url("/imgur/" + id("gifv") + ".gifv");
    json children = json::array({
        image("sticky", "Weekly meta thread: rules reminder", {{"stickied", true}}),
        image("png", "When the build passes on the first try", json::object()),
        post(sub, id("self"), "Which meme format is your favourite?",
             {{"is_self", true},
              {"domain", "self." + sub},
              {"post_hint", "self"},
              {"selftext", "Discuss below."}}),
        post(sub, id("gallery"), "A gallery of my cat",
             {{"is_gallery", true},
              {"domain", "reddit.com"},
              {"url", "https://www.reddit.com/gallery/" + id("gallery")},
              {"url_overridden_by_dest", "https://www.reddit.com/gallery/" + id("gallery")},
              {"gallery_data",
               {{"items", json::array({{{"media_id", "abc1"}, {"id", 1}},
                                       {{"media_id", "abc2"}, {"id", 2}}})}}},
              {"media_metadata", {{"abc1", {{"status", "valid"}, {"e", "Image"}}}}}}),
        image("nsfw", "Spicy meme (NSFW)", {{"over_18", true}, {"thumbnail", "nsfw"}}),
        image("jpg", "Reading my own code from last year", json::object()),
        image(
            "gif", "Friday deploy",
            {{"preview",
              preview("https://preview.redd.it/" + id("gif") + ".gif?format=png8", 320, 240,
                      {{"gif",
                        {{"source", {{"url", media_url("gif")}, {"width", 320}, {"height", 240}}}}},
                       {"mp4",
                        {{"source",
                          {{"url", "https://preview.redd.it/" + id("gif") + ".gif?format=mp4"},
                           {"width", 320},
                           {"height", 240}}}}}})}}),
        post(sub, id("gifv"), "Imgur classic",
             {{"url", gifv_page},
              {"url_overridden_by_dest", gifv_page},
              {"domain", "i.imgur.com"},
              {"post_hint", "link"},
              {"preview",
               preview("https://external-preview.redd.it/" + id("gifv") + ".gif", 480, 270,
                       {{"mp4",
                         {{"source",
                           {{"url",
                             "https://external-preview.redd.it/" + id("gifv") + ".gif?format=mp4"},
                            {"width", 480},
                            {"height", 270}}}}}})}}),
        post(sub, id("video"), "Daily standup, visualised",
             {{"url", "https://v.redd.it/" + id("video")},
              {"url_overridden_by_dest", "https://v.redd.it/" + id("video")},
              {"domain", "v.redd.it"},
              {"post_hint", "hosted:video"},
              {"is_video", true},
              {"is_reddit_media_domain", true},
              {"media",
               {{"reddit_video",
                 {{"fallback_url", media_url("video") + "?source=fallback"},
                  {"dash_url", "https://v.redd.it/" + id("video") + "/DASHPlaylist.mpd"},
                  {"hls_url", "https://v.redd.it/" + id("video") + "/HLSPlaylist.m3u8"},
                  {"height", 480},
                  {"width", 270},
                  {"duration", 9},
                  {"has_audio", true},
                  {"is_gif", false},
                  {"transcoding_status", "completed"}}}}},
              {"secure_media", nullptr}}),
        post(sub, id("youtube"), "Programming in a nutshell (YouTube)",
             {{"url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
              {"url_overridden_by_dest", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
              {"domain", "youtube.com"},
              {"post_hint", "rich:video"},
              {"media", {{"type", "youtube.com"}, {"oembed", {{"provider_name", "YouTube"}}}}}}),
        post(sub, id("article"), "Study: developers spend 40% of time in meetings",
             {{"url", "https://news.example.com/developers-meetings"},
              {"url_overridden_by_dest", "https://news.example.com/developers-meetings"},
              {"domain", "news.example.com"},
              {"post_hint", "link"}}),
    });
    return {{"kind", "Listing"},
            {"data",
             {{"after", "t3_" + id("article")},
              {"dist", children.size()},
              {"modhash", ""},
              {"geo_filter", nullptr},
              {"children", children},
              {"before", nullptr}}}};
}

void FakeReddit::install_sample(const std::string& subreddit, const SampleMedia& media) {
    set_listing(subreddit, sample_listing(subreddit));
    const auto serve = [&](std::string_view role, const std::string& bytes, const char* type) {
        if (!bytes.empty())
            add_media(sample_media_path(subreddit, role), bytes, type);
    };
    serve("png", media.png, "image/png");
    serve("jpg", media.jpg, "image/jpeg");
    serve("gif", media.gif, "image/gif");
    serve("gifv", media.mp4, "video/mp4");
    serve("video", media.mp4, "video/mp4");
    // The sticky and NSFW posts have images too, so a client that wrongly took them would
    // succeed and the test would notice.
    serve("sticky", media.png, "image/png");
    serve("nsfw", media.png, "image/png");
}

}  // namespace memegen::test
