#include "publish/youtube_publisher.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "memegen/log.hpp"
#include "publish/http.hpp"
#include "publish/text_limits.hpp"

namespace memegen::bot::publish {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "youtube";
constexpr std::uint64_t kChunkUnit = 256 * 1024;
/// thumbnails.set takes an image of at most 2 MB.
constexpr std::uint64_t kMaxThumbnailBytes = 2ull * 1024 * 1024;

/// One HTTP exchange as the upload loop needs it.
struct Answer {
    int status = 0;
    std::optional<httplib::Error> transport;
    httplib::Headers headers;
    std::string body;

    [[nodiscard]] std::string header(const char* name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

Answer exchange(const std::string& url, const char* method, httplib::Headers headers,
                const std::string& body, const std::string& content_type, const HttpSettings& http,
                const std::stop_token& stop) {
    Answer a;
    const auto split = detail::split_url(url);
    if (!split)
        throw PublishError(kTarget, fmt::format("'{}' is not an http(s) URL", url));
    auto client = detail::make_client(split->origin, http);
    auto result = detail::send_stoppable(*client, stop, [&]() -> httplib::Result {
        const std::string target = split->target.empty() ? "/" : split->target;
        if (std::string_view(method) == "POST")
            return client->Post(target.c_str(), headers, body, content_type.c_str());
        return client->Put(target.c_str(), headers, body, content_type.c_str());
    });
    if (!result) {
        a.transport = result.error();
        return a;
    }
    a.status = result->status;
    a.headers = result->headers;
    a.body = result->body;
    return a;
}

std::string describe_status(const Answer& a) {
    return a.transport ? detail::describe(*a.transport, "YouTube")
                       : fmt::format("HTTP {} {}", a.status, detail::body_excerpt(a.body));
}

/// The wait before the next try after `failures` failed ones: doubles up to 16x.
std::chrono::milliseconds backoff(const YouTubeConfig& config, int failures) {
    return config.retry_backoff * (1 << std::min(failures - 1, 4));
}

/// The next byte YouTube wants after a 308: "Range: bytes=0-N" means N+1; no Range means 0.
std::uint64_t next_offset(const Answer& a) {
    const std::string range = a.header("Range");
    const auto dash = range.rfind('-');
    if (range.rfind("bytes=", 0) != 0 || dash == std::string::npos)
        return 0;
    return std::stoull(range.substr(dash + 1)) + 1;
}

/// The `reason` of a Google API error body ("quotaExceeded") and its message.
std::pair<std::string, std::string> google_error(const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object())
        return {"", detail::body_excerpt(body)};
    const json& e = j["error"];
    std::string reason;
    if (e.contains("errors") && e["errors"].is_array() && !e["errors"].empty() &&
        e["errors"][0].is_object())
        reason = e["errors"][0].value("reason", "");
    return {reason, e.value("message", "")};
}

std::string forbidden_text(const std::string& body) {
    const auto [reason, message] = google_error(body);
    std::string hint;
    if (reason == "quotaExceeded" || reason == "dailyLimitExceeded")
        hint =
            " — the project's daily API quota is spent (videos.insert costs 1,600 of the "
            "default 10,000 units a day); it resets at midnight Pacific time";
    else if (reason == "forbidden" || reason == "insufficientPermissions")
        hint =
            " — the connected account may not upload to this channel; /connect youtube "
            "with the channel's owner";
    else if (reason == "uploadLimitExceeded")
        hint = " — the channel reached its upload limit for now";
    return fmt::format("YouTube refused the upload (HTTP 403 {}{}){}",
                       reason.empty() ? "without a reason" : reason,
                       message.empty() ? "" : ": " + message, hint);
}

/// Why YouTube refused a thumbnail, for the owner's note: the reason and what it usually means.
std::string thumbnail_refusal(const Answer& a) {
    const auto [reason, message] = google_error(a.body);
    std::string hint;
    if (reason == "quotaExceeded" || reason == "dailyLimitExceeded")
        hint = " (the project's daily API quota is spent)";
    else if (a.status == 403)
        hint =
            " (the account may not set custom thumbnails: verify the channel at "
            "youtube.com/verify, or set publish.youtube.thumbnail to false)";
    else if (reason == "invalidImage")
        hint = " (YouTube cannot read the image)";
    else if (a.status == 413 || reason == "mediaBodyTooLarge")
        hint = " (the image is over YouTube's size limit)";
    else if (a.status == 404)
        hint = " (YouTube does not know the video)";
    const std::string what =
        !reason.empty() ? reason : detail::body_excerpt(message.empty() ? a.body : message, 80);
    return fmt::format("HTTP {} {}{}", a.status, what, hint);
}

}  // namespace

YouTubePublisher::YouTubePublisher(YouTubeConfig config, GoogleOAuth& oauth,
                                   PublishJournal& journal)
    : config_(std::move(config)), oauth_(oauth), journal_(journal) {
    if (config_.chunk_size == 0 || config_.chunk_size % kChunkUnit != 0)
        throw PublishError(
            kTarget, fmt::format("chunk size {} is not a multiple of 256 KiB", config_.chunk_size));
    if (!detail::split_url(config_.api_url))
        throw PublishError(kTarget,
                           fmt::format("api_url '{}' is not an http(s) URL", config_.api_url));
}

std::string YouTubePublisher::video_resource(const PublishItem& item) const {
    const json resource = {
        {"snippet",
         {{"title", youtube_title(item.title)},
          {"description", youtube_description(item.description)},
          {"tags", youtube_tags(item.tags)},
          {"categoryId", config_.category_id}}},
        {"status",
         {{"privacyStatus", config_.privacy}, {"selfDeclaredMadeForKids", config_.made_for_kids}}},
    };
    return resource.dump();
}

PublishOutcome YouTubePublisher::publish(const PublishItem& item, std::stop_token stop,
                                         const ProgressCallback& progress) {
    return outcome_of(kTarget, [&] {
        auto o = run(item, stop, progress);
        // The video is up; the journal says whether its thumbnail is still to be set.
        const auto entry = journal_.find(item.candidate_id, kTarget);
        if (!entry || entry->state != "thumbnail")
            return o;
        o.note = set_thumbnail(entry->session, item, stop);
        try {
            journal_.put(item.candidate_id, kTarget, {"done", "", entry->url, entry->total_bytes});
        } catch (const std::exception& e) {
            // The video stays published: a restart would only set the thumbnail once more.
            memegen::log_warning("[memegen.publish] youtube: {}", e.what());
        }
        return o;
    });
}

std::string YouTubePublisher::set_thumbnail(const std::string& video_id, const PublishItem& item,
                                            const std::stop_token& stop) {
    if (!config_.thumbnail || item.thumbnail.empty())
        return {};
    const auto note = [&](const std::string& reason) {
        std::string text = memegen::redact("thumbnail not set: " + reason);
        memegen::log_warning("[memegen.publish] youtube: video {}: {}", video_id, text);
        return text;
    };
    const std::string name = item.thumbnail.filename().string();
    std::error_code ec;
    const auto size = std::filesystem::file_size(item.thumbnail, ec);
    if (ec)
        return note(fmt::format("cannot read '{}' ({})", name, ec.message()));
    if (size > kMaxThumbnailBytes)
        return note(fmt::format("'{}' is {} bytes, over YouTube's limit of {} (2 MB)", name, size,
                                kMaxThumbnailBytes));
    std::string image(size, '\0');
    std::ifstream file(item.thumbnail, std::ios::binary);
    if (!file || !file.read(image.data(), static_cast<std::streamsize>(size)))
        return note(fmt::format("cannot read '{}'", name));

    const std::string url = config_.api_url + "/upload/youtube/v3/thumbnails/set?videoId=" +
                            detail::form_encode(video_id);
    const auto stopped = [] {
        return PublishError(kTarget, "stopped before the thumbnail was set", true);
    };
    bool refreshed = false;
    int failures = 0;
    try {
        for (;;) {
            if (stop.stop_requested())
                throw stopped();
            const Answer a =
                exchange(url, "POST", {{"Authorization", "Bearer " + oauth_.access_token(stop)}},
                         image, "image/jpeg", config_.http, stop);
            if (a.status == 200) {
                memegen::log_info("[memegen.publish] youtube: thumbnail of {} set", video_id);
                return {};
            }
            if (a.status == 401) {
                if (refreshed)
                    return note(
                        "YouTube refused a freshly refreshed access token (HTTP 401): send "
                        "/connect youtube");
                refreshed = true;
                (void)oauth_.refresh_access_token(stop);
                continue;
            }
            // Setting a thumbnail twice is harmless, so a dropped connection or a 5xx is
            // retried; a 4xx would be answered the same again.
            if (!a.transport && a.status < 500)
                return note(thumbnail_refusal(a));
            if (stop.stop_requested())
                throw stopped();
            const std::string why = describe_status(a);
            if (++failures >= config_.max_attempts)
                return note(fmt::format("{} (after {} attempts)", why, failures));
            const auto wait = backoff(config_, failures);
            memegen::log_warning("[memegen.publish] youtube: thumbnail of {}: {}; retry in {} ms",
                                 video_id, why, wait.count());
            if (!detail::sleep_for(wait, stop))
                throw stopped();
        }
    } catch (const std::exception& e) {
        // A stop leaves the journal at "thumbnail": the next start sets it. Anything else (the
        // authorization failed, the token file could not be written) costs only the thumbnail.
        if (stop.stop_requested())
            throw;
        return note(std::string(publish::reason_of(e.what())));
    }
}

PublishOutcome YouTubePublisher::run(const PublishItem& item, const std::stop_token& stop,
                                     const ProgressCallback& progress) {
    const auto existing = journal_.find(item.candidate_id, kTarget);
    if (existing && (existing->state == "done" || existing->state == "thumbnail")) {
        PublishOutcome o;
        o.ok = true;
        o.url = existing->url;
        o.resumed = true;
        return o;
    }
    std::ifstream file(item.video, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(item.video, ec);
    if (!file || ec)
        throw PublishError(kTarget, fmt::format("cannot read the video '{}'", item.video.string()));
    const std::uint64_t total = size;

    bool refreshed = false;
    int failures = 0;
    std::string last_failure;
    // One request with the access token; a 401 refreshes it once and repeats the request.
    const auto authed = [&](const std::string& url, const char* method, httplib::Headers headers,
                            const std::string& body, const std::string& type) {
        for (;;) {
            auto h = headers;
            h.emplace("Authorization", "Bearer " + oauth_.access_token(stop));
            Answer a = exchange(url, method, h, body, type, config_.http, stop);
            if (a.status != 401)
                return a;
            if (refreshed)
                throw PublishError(kTarget,
                                   "YouTube refused a freshly refreshed access token (HTTP 401)",
                                   false, true);
            refreshed = true;
            (void)oauth_.refresh_access_token(stop);
        }
    };
    // Counts a failed request; waits the backoff, or throws when the budget is spent.
    const auto failed = [&](std::string why) {
        if (stop.stop_requested())
            throw PublishError(kTarget, "stopped: " + why, true);
        last_failure = std::move(why);
        if (++failures >= config_.max_attempts)
            throw PublishError(kTarget,
                               fmt::format("{} (after {} attempts)", last_failure, failures), true);
        const auto wait = backoff(config_, failures);
        memegen::log_warning("[memegen.publish] youtube: {}; retry in {} ms", last_failure,
                             wait.count());
        if (!detail::sleep_for(wait, stop))
            throw PublishError(kTarget, "stopped while waiting to retry: " + last_failure, true);
    };
    const auto finished = [&](const Answer& a) {
        const json video = json::parse(a.body, nullptr, false);
        if (!video.is_object() || !video.value("id", json()).is_string())
            throw PublishError(
                kTarget, "the upload ended without a video id: " + detail::body_excerpt(a.body));
        const std::string id = video["id"].get<std::string>();
        PublishOutcome o;
        o.ok = true;
        o.url = "https://youtube.com/shorts/" + id;
        // "thumbnail": the video exists, so a restart must not upload it again (see publish()).
        const bool thumbnail_next = config_.thumbnail && !item.thumbnail.empty();
        journal_.put(item.candidate_id, kTarget,
                     thumbnail_next ? JournalEntry{"thumbnail", id, o.url, total}
                                    : JournalEntry{"done", "", o.url, total});
        if (progress)
            progress(total, total);
        return o;
    };
    const auto check_4xx = [&](const Answer& a) {
        if (a.status == 403)
            throw PublishError(kTarget, forbidden_text(a.body));
        if (a.status >= 400 && a.status < 500 && a.status != 404 && a.status != 410 &&
            a.status != 429)
            throw PublishError(kTarget, fmt::format("YouTube answered HTTP {}: {}", a.status,
                                                    detail::body_excerpt(a.body)));
    };

    std::string session;
    std::uint64_t offset = 0;
    bool resumed = false;
    // Asks the session how many bytes arrived; nothing when the session is gone.
    const auto query = [&]() -> std::optional<Answer> {
        for (;;) {
            Answer a = authed(session, "PUT", {{"Content-Range", fmt::format("bytes */{}", total)}},
                              "", "application/octet-stream");
            if (a.status == 404 || a.status == 410)
                return std::nullopt;
            if (a.status == 308 || a.status == 200 || a.status == 201)
                return a;
            check_4xx(a);
            failed("querying the upload status: " + describe_status(a));
        }
    };

    if (existing && existing->state == "uploading" && existing->total_bytes == total &&
        !existing->session.empty()) {
        session = existing->session;
        if (const auto a = query()) {
            if (a->status != 308)
                return finished(*a);
            offset = next_offset(*a);
            resumed = true;
            memegen::log_info("[memegen.publish] youtube: resuming {} at byte {} of {}",
                              item.candidate_id, offset, total);
        } else {
            session.clear();  // expired: an unfinished session never becomes a video
        }
    }

    const std::string init_url =
        config_.api_url + "/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status";
    for (;;) {
        if (session.empty()) {
            offset = 0;
            const Answer a = authed(init_url, "POST",
                                    {{"X-Upload-Content-Length", std::to_string(total)},
                                     {"X-Upload-Content-Type", "video/mp4"}},
                                    video_resource(item), "application/json; charset=UTF-8");
            check_4xx(a);
            if (a.status != 200 || a.header("Location").empty()) {
                failed("starting the upload: " + describe_status(a));
                continue;
            }
            session = a.header("Location");
            journal_.put(item.candidate_id, kTarget, {"uploading", session, "", total});
        }
        while (offset < total) {
            if (stop.stop_requested())
                throw PublishError(kTarget, "stopped during the upload", true);
            const std::uint64_t length = std::min(config_.chunk_size, total - offset);
            std::string chunk(length, '\0');
            file.clear();
            file.seekg(static_cast<std::streamoff>(offset));
            if (!file.read(chunk.data(), static_cast<std::streamsize>(length)))
                throw PublishError(kTarget,
                                   fmt::format("cannot read the video '{}'", item.video.string()));
            const Answer a = authed(session, "PUT",
                                    {{"Content-Range", fmt::format("bytes {}-{}/{}", offset,
                                                                   offset + length - 1, total)}},
                                    chunk, "video/mp4");
            if (a.status == 200 || a.status == 201) {
                auto o = finished(a);
                o.resumed = resumed;
                return o;
            }
            if (a.status == 308) {
                const auto next = next_offset(a);
                if (next > offset)
                    failures = 0;
                offset = next;
                if (progress)
                    progress(offset, total);
                continue;
            }
            check_4xx(a);
            if (a.status == 404 || a.status == 410)
                break;  // session expired
            // Dropped connection or 5xx: how much arrived is for the session to say.
            failed("sending bytes " + std::to_string(offset) + ": " + describe_status(a));
            const auto q = query();
            if (!q)
                break;
            if (q->status != 308) {
                auto o = finished(*q);
                o.resumed = resumed;
                return o;
            }
            offset = next_offset(*q);
        }
        if (offset >= total) {
            // Everything was acknowledged by 308s but no final answer: ask once more.
            if (const auto q = query(); q && q->status != 308)
                return finished(*q);
        }
        memegen::log_warning(
            "[memegen.publish] youtube: the upload session expired; starting a "
            "new one");
        journal_.erase(item.candidate_id, kTarget);
        session.clear();
        failed("the upload session expired");
    }
}

}  // namespace memegen::bot::publish
