#include "fake_platforms.hpp"

#include <ctime>
#include <stdexcept>

#include "net/listen_thread.hpp"
#include "publish/oauth1.hpp"

namespace memegen::test {

using nlohmann::json;

LoopbackServer::LoopbackServer() = default;

void LoopbackServer::start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
        throw std::runtime_error("fake server: cannot bind 127.0.0.1");
    thread_ = bot::listen_in_background(server_);
}

LoopbackServer::~LoopbackServer() {
    server_.stop();
    if (thread_.joinable())
        thread_.join();
}

std::string LoopbackServer::base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

namespace {

void answer_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json; charset=UTF-8");
}

json oauth_error(const std::string& error) {
    return {{"error", error}, {"error_description", "fake: " + error}};
}

json google_api_error(int code, const std::string& reason, const std::string& message) {
    return {{"error",
             {{"code", code},
              {"message", message},
              {"errors",
               json::array(
                   {{{"domain", "youtube.quota"}, {"reason", reason}, {"message", message}}})}}}};
}

}  // namespace

// ---------------------------------------------------------------- Google

FakeGoogle::FakeGoogle() {
    server_.Post("/device/code", [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        if (req.get_param_value("client_id").empty() || req.get_param_value("scope").empty())
            return answer_json(res, 400, oauth_error("invalid_request"));
        answer_json(res, 200,
                    {{"device_code", "fake-device-code"},
                     {"user_code", "GQVQ-JKEC"},
                     {"verification_url", "https://www.google.com/device"},
                     {"expires_in", 1800},
                     {"interval", device_interval}});
    });
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        if (req.get_param_value("client_secret") != client_secret)
            return answer_json(res, 401, oauth_error("invalid_client"));
        const std::string grant = req.get_param_value("grant_type");
        if (grant == "urn:ietf:params:oauth:grant-type:device_code") {
            poll_times_.push_back(std::chrono::steady_clock::now());
            const std::string next = polls_.empty() ? "ok" : polls_.front();
            if (polls_.size() > 1)
                polls_.pop_front();
            // The statuses Google uses for these answers; clients branch on `error`.
            if (next == "authorization_pending")
                return answer_json(res, 428, oauth_error(next));
            if (next == "slow_down" || next == "access_denied")
                return answer_json(res, 403, oauth_error(next));
            if (next == "expired_token")
                return answer_json(res, 400, oauth_error(next));
            return answer_json(res, 200,
                               {{"access_token", "at-" + std::to_string(token_generation_)},
                                {"expires_in", 3599},
                                {"refresh_token", refresh_token},
                                {"scope", req.get_param_value("scope")},
                                {"token_type", "Bearer"}});
        }
        if (grant == "refresh_token") {
            if (req.get_param_value("refresh_token") != refresh_token)
                return answer_json(res, 400, oauth_error("invalid_grant"));
            ++refreshes_;
            return answer_json(res, 200,
                               {{"access_token", "at-" + std::to_string(token_generation_)},
                                {"expires_in", 3599},
                                {"token_type", "Bearer"}});
        }
        answer_json(res, 400, oauth_error("unsupported_grant_type"));
    });
    server_.Post("/revoke", [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        revoked_.push_back(req.get_param_value("token"));
        res.status = 200;
    });
    server_.Post("/upload/youtube/v3/videos", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
        std::lock_guard lock(mutex_);
        ++init_requests_;
        if (req.get_param_value("uploadType") != "resumable" ||
            req.get_param_value("part") != "snippet,status")
            return answer_json(res, 400, google_api_error(400, "invalidParameter", "bad query"));
        if (!authorized(req, res))
            return;
        if (!forbid_reason_.empty()) {
            const std::string reason = std::exchange(forbid_reason_, "");
            return answer_json(res, 403,
                               google_api_error(403, reason, "The request cannot be completed."));
        }
        Session s;
        s.resource = json::parse(req.body, nullptr, false);
        for (const char* h : {"X-Upload-Content-Length", "X-Upload-Content-Type", "Content-Type"})
            s.headers[h] = req.get_header_value(h);
        s.total = std::stoull(req.get_header_value("X-Upload-Content-Length"));
        sessions_.push_back(std::move(s));
        res.status = 200;
        res.set_header("Location",
                       base_url() + "/upload/youtube/v3/videos?uploadType=resumable&upload_id=s" +
                           std::to_string(sessions_.size() - 1));
    });
    server_.Put(
        "/upload/youtube/v3/videos", [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock lock(mutex_);
            if (holding_) {
                ++held_;
                released_.wait(lock, [this] { return !holding_; });
                --held_;
            }
            const std::string id = req.get_param_value("upload_id");
            if (id.size() < 2 || std::stoul(id.substr(1)) >= sessions_.size())
                return answer_json(res, 404, google_api_error(404, "notFound", "no such session"));
            if (!authorized(req, res))
                return;
            Session& s = sessions_[std::stoul(id.substr(1))];
            const auto incomplete = [&] {
                res.status = 308;
                if (!s.bytes.empty())
                    res.set_header("Range", "bytes=0-" + std::to_string(s.bytes.size() - 1));
            };
            const auto complete = [&] {
                answer_json(res, 200,
                            {{"kind", "youtube#video"},
                             {"id", "vid" + id},
                             {"snippet", s.resource.value("snippet", json::object())},
                             {"status", {{"uploadStatus", "uploaded"}}}});
            };
            const std::string range = req.get_header_value("Content-Range");
            if (range == "bytes */" + std::to_string(s.total)) {
                ++status_queries_;
                return s.bytes.size() == s.total ? complete() : incomplete();
            }
            std::size_t first = 0, last = 0, total = 0;
            if (std::sscanf(range.c_str(), "bytes %zu-%zu/%zu", &first, &last, &total) != 3 ||
                total != s.total || first != s.bytes.size() ||
                last + 1 - first != req.body.size() || last >= total)
                return answer_json(res, 400, google_api_error(400, "badContentRange", range));
            if (last + 1 != total && req.body.size() % (256 * 1024) != 0)
                return answer_json(res, 400, google_api_error(400, "badChunkSize", range));
            if (fail_chunks_ > 0) {
                --fail_chunks_;
                return answer_json(res, 503, google_api_error(503, "backendError", "try again"));
            }
            if (drop_next_) {
                drop_next_ = false;
                s.bytes += req.body.substr(0, drop_keep_);
                // Headers go out, then the body provider fails: the connection drops mid-answer.
                res.status = 200;
                res.set_content_provider(1000, "text/plain",
                                         [](size_t, size_t, httplib::DataSink&) { return false; });
                return;
            }
            s.bytes += req.body;
            return s.bytes.size() == s.total ? complete() : incomplete();
        });
    // thumbnails.set: the image is the whole body (at most 2 MB; JPEG, PNG or octet-stream),
    // for a video of this channel.
    server_.Post("/upload/youtube/v3/thumbnails/set", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
        std::lock_guard lock(mutex_);
        ++thumbnail_requests_;
        if (!authorized(req, res))
            return;
        const std::string video = req.get_param_value("videoId");
        if (video.empty())
            return answer_json(res, 400,
                               google_api_error(400, "missingRequiredParameter", "No videoId"));
        bool known = false;
        for (std::size_t n = 0; n < sessions_.size(); ++n) {
            const auto& s = sessions_[n];
            known = known || (video == "vids" + std::to_string(n) && s.bytes.size() == s.total);
        }
        if (!known)
            return answer_json(res, 404, google_api_error(404, "videoNotFound", "No such video"));
        if (!forbid_thumbnail_reason_.empty()) {
            const std::string reason = std::exchange(forbid_thumbnail_reason_, "");
            return answer_json(res, 403,
                               google_api_error(403, reason,
                                                "The authenticated user doesn't have "
                                                "permissions to upload and set custom video "
                                                "thumbnails."));
        }
        if (fail_thumbnails_ > 0) {
            --fail_thumbnails_;
            return answer_json(res, 500, google_api_error(500, "backendError", "try again"));
        }
        const std::string type = req.get_header_value("Content-Type");
        if (type != "image/jpeg" && type != "image/png" && type != "application/octet-stream")
            return answer_json(
                res, 400,
                google_api_error(400, "badContent", "Media type '" + type + "' is not supported."));
        if (req.body.empty())
            return answer_json(res, 400,
                               google_api_error(400, "mediaBodyRequired", "No image content"));
        if (req.body.size() > 2 * 1024 * 1024)
            return answer_json(res, 413, google_api_error(413, "mediaBodyTooLarge", "Over 2 MB"));
        if (type == "image/jpeg" && req.body.rfind("\xFF\xD8\xFF", 0) != 0)
            return answer_json(res, 400, google_api_error(400, "invalidImage", "Not a JPEG image"));
        thumbnails_.push_back({video, type, req.body});
        const std::string base = "https://i.ytimg.com/vi/" + video + "/";
        answer_json(
            res, 200,
            {{"kind", "youtube#thumbnailSetResponse"},
             {"etag", "fake-etag"},
             {"items",
              json::array({json{{"default", {{"url", base + "default.jpg"}, {"width", 120}}},
                                {"high", {{"url", base + "hqdefault.jpg"}, {"width", 480}}}}})}});
    });
    start();
}

bool FakeGoogle::authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer at-" + std::to_string(token_generation_))
        return true;
    answer_json(res, 401, google_api_error(401, "authError", "Invalid Credentials"));
    return false;
}

void FakeGoogle::script_device_polls(std::vector<std::string> answers) {
    std::lock_guard lock(mutex_);
    polls_.assign(answers.begin(), answers.end());
}
std::vector<std::chrono::steady_clock::time_point> FakeGoogle::poll_times() const {
    std::lock_guard lock(mutex_);
    return poll_times_;
}
void FakeGoogle::expire_access_tokens() {
    std::lock_guard lock(mutex_);
    ++token_generation_;
}
int FakeGoogle::refreshes() const {
    std::lock_guard lock(mutex_);
    return refreshes_;
}
std::vector<std::string> FakeGoogle::revoked() const {
    std::lock_guard lock(mutex_);
    return revoked_;
}
void FakeGoogle::forbid_next_init(std::string reason) {
    std::lock_guard lock(mutex_);
    forbid_reason_ = std::move(reason);
}
void FakeGoogle::drop_next_chunk(std::size_t keep) {
    std::lock_guard lock(mutex_);
    drop_next_ = true;
    drop_keep_ = keep;
}
FakeGoogle::~FakeGoogle() {
    release_chunks();  // a held PUT would keep the server from stopping
}
void FakeGoogle::hold_chunks() {
    std::lock_guard lock(mutex_);
    holding_ = true;
}
void FakeGoogle::release_chunks() {
    {
        std::lock_guard lock(mutex_);
        holding_ = false;
    }
    released_.notify_all();
}
int FakeGoogle::held_chunks() const {
    std::lock_guard lock(mutex_);
    return held_;
}
void FakeGoogle::fail_next_chunks(int n) {
    std::lock_guard lock(mutex_);
    fail_chunks_ = n;
}
int FakeGoogle::init_requests() const {
    std::lock_guard lock(mutex_);
    return init_requests_;
}
std::size_t FakeGoogle::sessions() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}
std::string FakeGoogle::session_bytes(std::size_t n) const {
    std::lock_guard lock(mutex_);
    return sessions_.at(n).bytes;
}
json FakeGoogle::session_resource(std::size_t n) const {
    std::lock_guard lock(mutex_);
    return sessions_.at(n).resource;
}
std::map<std::string, std::string> FakeGoogle::session_headers(std::size_t n) const {
    std::lock_guard lock(mutex_);
    return sessions_.at(n).headers;
}
int FakeGoogle::status_queries() const {
    std::lock_guard lock(mutex_);
    return status_queries_;
}
void FakeGoogle::forbid_next_thumbnail(std::string reason) {
    std::lock_guard lock(mutex_);
    forbid_thumbnail_reason_ = std::move(reason);
}
void FakeGoogle::fail_next_thumbnails(int n) {
    std::lock_guard lock(mutex_);
    fail_thumbnails_ = n;
}
std::vector<FakeGoogle::Thumbnail> FakeGoogle::thumbnails() const {
    std::lock_guard lock(mutex_);
    return thumbnails_;
}
int FakeGoogle::thumbnail_requests() const {
    std::lock_guard lock(mutex_);
    return thumbnail_requests_;
}

// ---------------------------------------------------------------- X

namespace {

std::string percent_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

bool FakeX::signed_ok(const httplib::Request& req) {
    // Recomputes the signature as X does: query parameters plus the oauth_* ones.
    const std::string header = req.get_header_value("Authorization");
    if (header.rfind("OAuth ", 0) != 0)
        return false;
    bot::publish::OAuthParams params;
    std::string signature;
    std::size_t pos = 6;
    while (pos < header.size()) {
        const auto eq = header.find("=\"", pos);
        const auto end = header.find('"', eq + 2);
        if (eq == std::string::npos || end == std::string::npos)
            return false;
        const std::string key = header.substr(pos, eq - pos);
        const std::string value = percent_decode(header.substr(eq + 2, end - eq - 2));
        if (key == "oauth_signature")
            signature = value;
        else
            params.emplace_back(key, value);
        pos = header.find_first_not_of(", ", end + 1);
    }
    bool keys_ok = false;
    for (const auto& [k, v] : params) {
        if (k == "oauth_consumer_key")
            keys_ok = v == consumer_key;
    }
    for (const auto& [k, v] : req.params)
        params.emplace_back(k, v);
    const std::string expected = bot::publish::oauth_sign(
        bot::publish::oauth_signature_base(req.method, base_url() + req.path, params),
        consumer_secret, access_token_secret);
    return keys_ok && signature == expected;
}

FakeX::FakeX() {
    const auto guard = [this](const httplib::Request& req, httplib::Response& res) {
        if (signed_ok(req))
            return true;
        ++bad_signatures_;
        answer_json(res, 401,
                    {{"title", "Unauthorized"}, {"status", 401}, {"detail", "Unauthorized"}});
        return false;
    };
    server_.Post("/2/media/upload/initialize",
                 [this, guard](const httplib::Request& req, httplib::Response& res) {
                     std::lock_guard lock(mutex_);
                     if (!guard(req, res))
                         return;
                     init_body_ = json::parse(req.body, nullptr, false);
                     answer_json(res, 200,
                                 {{"data",
                                   {{"id", "1880028106020515840"},
                                    {"media_key", "7_1880028106020515840"},
                                    {"expires_after_secs", 86400}}}});
                 });
    server_.Post(R"(/2/media/upload/(\d+)/append)", [this, guard](const httplib::Request& req,
                                                                  httplib::Response& res) {
        std::lock_guard lock(mutex_);
        if (!guard(req, res))
            return;
        if (!req.has_file("media") || !req.has_file("segment_index") ||
            req.get_file_value("media").content.size() > 5u * 1024 * 1024)
            return answer_json(res, 400, {{"detail", "media and segment_index required"}});
        const int segment = std::stoi(req.get_file_value("segment_index").content);
        segments_.push_back(segment);
        chunks_[segment] = req.get_file_value("media").content;
        answer_json(res, 200, {{"data", {{"expires_at", 1763786400}}}});
    });
    server_.Post(R"(/2/media/upload/(\d+)/finalize)", [this, guard](const httplib::Request& req,
                                                                    httplib::Response& res) {
        std::lock_guard lock(mutex_);
        if (!guard(req, res))
            return;
        std::size_t size = 0;
        for (const auto& [i, c] : chunks_)
            size += c.size();
        if (size != init_body_.value("total_bytes", std::size_t{0}))
            return answer_json(res, 400, {{"detail", "size mismatch"}});
        answer_json(res, 200,
                    {{"data",
                      {{"id", req.matches[1].str()},
                       {"size", size},
                       {"processing_info", {{"state", "pending"}, {"check_after_secs", 1}}}}}});
    });
    server_.Get(
        "/2/media/upload", [this, guard](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            if (!guard(req, res))
                return;
            if (req.get_param_value("command") != "STATUS")
                return answer_json(res, 400, {{"detail", "command=STATUS expected"}});
            const std::string state =
                processing_states.empty() ? "succeeded" : processing_states.front();
            if (processing_states.size() > 1)
                processing_states.erase(processing_states.begin());
            ++status_requests_;
            json info = {{"state", state}, {"progress_percent", state == "succeeded" ? 100 : 40}};
            if (state == "in_progress" || state == "pending")
                info["check_after_secs"] = 1;
            if (state == "failed")
                info["error"] = {{"code", 1}, {"name", "InvalidMedia"}, {"message", "Unsupported"}};
            answer_json(
                res, 200,
                {{"data", {{"id", req.get_param_value("media_id")}, {"processing_info", info}}}});
        });
    server_.Post("/2/tweets", [this, guard](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        ++post_requests_;
        if (!guard(req, res))
            return;
        if (rate_limited_posts_ > 0) {
            --rate_limited_posts_;
            if (rate_limit_seconds_ >= 0) {
                res.set_header("x-rate-limit-reset",
                               std::to_string(std::time(nullptr) + rate_limit_seconds_));
            }
            res.set_header("x-rate-limit-remaining", "0");
            return answer_json(res, 429, {{"title", "Too Many Requests"}, {"status", 429}});
        }
        posts_.push_back(json::parse(req.body, nullptr, false));
        answer_json(
            res, 201,
            {{"data", {{"id", "1445880548472328192"}, {"text", posts_.back().value("text", "")}}}});
    });
    start();
}

void FakeX::rate_limit_next_post(int seconds, int count) {
    std::lock_guard lock(mutex_);
    rate_limit_seconds_ = seconds;
    rate_limited_posts_ = count;
}
std::string FakeX::media_bytes() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& [i, c] : chunks_)
        all += c;
    return all;
}
json FakeX::init_body() const {
    std::lock_guard lock(mutex_);
    return init_body_;
}
std::vector<json> FakeX::posts() const {
    std::lock_guard lock(mutex_);
    return posts_;
}
int FakeX::post_requests() const {
    std::lock_guard lock(mutex_);
    return post_requests_;
}
int FakeX::status_requests() const {
    std::lock_guard lock(mutex_);
    return status_requests_;
}
int FakeX::bad_signatures() const {
    std::lock_guard lock(mutex_);
    return bad_signatures_;
}
std::vector<int> FakeX::segments() const {
    std::lock_guard lock(mutex_);
    return segments_;
}

}  // namespace memegen::test
