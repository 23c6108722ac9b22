#include "publish/x_publisher.hpp"

#include <ctime>
#include <fstream>
#include <variant>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "memegen/log.hpp"
#include "publish/http.hpp"
#include "publish/text_limits.hpp"

namespace memegen::bot::publish {

using nlohmann::json;

namespace {

constexpr std::string_view kTarget = "x";

struct Answer {
    int status = 0;
    std::optional<httplib::Error> transport;
    httplib::Headers headers;
    std::string body;
};

/// What a request carries: nothing, a JSON body, or a multipart form.
using Body = std::variant<std::monostate, json, httplib::MultipartFormDataItems>;

std::string error_detail(const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    if (j.is_object()) {
        if (j.contains("detail") && j["detail"].is_string())
            return j["detail"].get<std::string>();
        if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty() &&
            j["errors"][0].is_object())
            return j["errors"][0].value("message", j["errors"][0].dump());
    }
    return detail::body_excerpt(body);
}

}  // namespace

XPublisher::XPublisher(XConfig config, PublishJournal& journal)
    : config_(std::move(config)), journal_(journal) {
    for (const auto* secret :
         {&config_.credentials.consumer_key, &config_.credentials.consumer_secret,
          &config_.credentials.access_token, &config_.credentials.access_token_secret})
        memegen::register_secret(*secret);
    if (config_.chunk_size == 0 || config_.chunk_size > 5ull * 1024 * 1024)
        throw PublishError(kTarget,
                           fmt::format("chunk size {} is not within 1..5 MB", config_.chunk_size));
    if (!detail::split_url(config_.api_url))
        throw PublishError(kTarget,
                           fmt::format("api_url '{}' is not an http(s) URL", config_.api_url));
}

PublishOutcome XPublisher::publish(const PublishItem& item, std::stop_token stop,
                                   const ProgressCallback& progress) {
    return outcome_of(kTarget, [&] { return run(item, stop, progress); });
}

PublishOutcome XPublisher::run(const PublishItem& item, const std::stop_token& stop,
                               const ProgressCallback& progress) {
    if (const auto e = journal_.find(item.candidate_id, kTarget)) {
        if (e->state == "done") {
            PublishOutcome o;
            o.ok = true;
            o.url = e->url;
            o.resumed = true;
            return o;
        }
        if (e->state == "posting")
            throw PublishError(kTarget,
                               "a post of this meme was sent before a restart and its answer was "
                               "lost; it may be on the account already, so it is not posted "
                               "twice (check the account)");
    }
    std::ifstream file(item.video, std::ios::binary);
    std::error_code ec;
    const std::uint64_t total = std::filesystem::file_size(item.video, ec);
    if (!file || ec)
        throw PublishError(kTarget, fmt::format("cannot read the video '{}'", item.video.string()));

    const auto base = *detail::split_url(config_.api_url);
    // One request, signed, with the retry policy: 429 waits for x-rate-limit-reset, 5xx and
    // dropped connections back off (unless `idempotent` is false), anything else ends.
    const auto request = [&](const char* method, const std::string& path, const OAuthParams& query,
                             const Body& body, bool idempotent, std::string_view what) -> Answer {
        std::string target = base.target + path;
        for (std::size_t i = 0; i < query.size(); ++i)
            target += (i == 0 ? "?" : "&") + detail::form_encode(query[i].first) + "=" +
                      detail::form_encode(query[i].second);
        int failures = 0;
        int rate_limited = 0;
        for (;;) {
            if (stop.stop_requested())
                throw PublishError(kTarget, fmt::format("stopped before {}", what), true);
            httplib::Headers headers = {
                {"Authorization",
                 oauth_authorization(config_.credentials, method, config_.api_url + path, query,
                                     oauth_nonce(),
                                     static_cast<std::int64_t>(std::time(nullptr)))}};
            auto client = detail::make_client(base.origin, config_.http);
            auto result = detail::send_stoppable(*client, stop, [&]() -> httplib::Result {
                if (std::string_view(method) == "GET")
                    return client->Get(target.c_str(), headers);
                if (const auto* j = std::get_if<json>(&body))
                    return client->Post(target.c_str(), headers, j->dump(), "application/json");
                if (const auto* form = std::get_if<httplib::MultipartFormDataItems>(&body))
                    return client->Post(target.c_str(), headers, *form);
                return client->Post(target.c_str(), headers, "", "application/json");
            });
            Answer a;
            if (result) {
                a.status = result->status;
                a.headers = result->headers;
                a.body = result->body;
                if (a.status >= 200 && a.status < 300)
                    return a;
            } else {
                a.transport = result.error();
            }
            const std::string why =
                a.transport ? detail::describe(*a.transport, base.origin)
                            : fmt::format("HTTP {}: {}", a.status, error_detail(a.body));
            if (a.status == 401)
                throw PublishError(kTarget,
                                   fmt::format("X refused the app's keys during {} ({}): check "
                                               "publish.x keys and the app's permissions",
                                               what, why),
                                   false, true);
            if (a.status == 429) {
                const auto it = a.headers.find("x-rate-limit-reset");
                std::chrono::seconds wait{0};
                if (it != a.headers.end()) {
                    wait = std::chrono::seconds(
                        std::max<long long>(0, std::atoll(it->second.c_str()) -
                                                   static_cast<long long>(std::time(nullptr))));
                }
                // A server that keeps answering 429 (or gives no usable reset time) must not
                // hold this target's queue for ever: a Retry later is the owner's choice.
                if (++rate_limited > config_.max_attempts)
                    throw PublishError(kTarget,
                                       fmt::format("still rate limited during {} after {} waits",
                                                   what, rate_limited - 1),
                                       true);
                if (wait > config_.max_rate_limit_wait)
                    throw PublishError(
                        kTarget,
                        fmt::format("rate limited during {} for {} s, more than "
                                    "the {} s this target waits",
                                    what, wait.count(), config_.max_rate_limit_wait.count()),
                        true);
                memegen::log_warning(
                    "[memegen.publish] x: rate limited during {}; waiting {} s "
                    "for x-rate-limit-reset",
                    what, wait.count());
                // +1 s: the reset is in whole seconds and the window ends after it.
                if (!detail::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           wait + std::chrono::seconds(1)),
                                       stop))
                    throw PublishError(
                        kTarget, fmt::format("stopped while rate limited during {}", what), true);
                continue;
            }
            const bool transient =
                (a.transport && !detail::is_tls_trust_failure(*a.transport)) || a.status >= 500;
            if (!transient)
                throw PublishError(kTarget, fmt::format("{} failed: {}", what, why));
            if (!idempotent)
                throw PublishError(kTarget,
                                   fmt::format("{} failed ({}); it may have reached X, so it is "
                                               "not repeated",
                                               what, why));
            if (++failures >= config_.max_attempts)
                throw PublishError(
                    kTarget, fmt::format("{} failed: {} (after {} attempts)", what, why, failures),
                    true);
            const auto wait = config_.retry_backoff * (1 << std::min(failures - 1, 4));
            memegen::log_warning("[memegen.publish] x: {} failed ({}); retry in {} ms", what, why,
                                 wait.count());
            if (!detail::sleep_for(wait, stop))
                throw PublishError(kTarget, fmt::format("stopped while retrying {}", what), true);
        }
    };
    const auto data_of = [](const Answer& a, std::string_view what) {
        const json j = json::parse(a.body, nullptr, false);
        if (!j.is_object() || !j.contains("data") || !j["data"].is_object())
            throw PublishError(kTarget, fmt::format("{} answered without data: {}", what,
                                                    detail::body_excerpt(a.body)));
        return j["data"];
    };

    // INIT
    const json init = data_of(request("POST", "/2/media/upload/initialize", {},
                                      json{{"media_type", "video/mp4"},
                                           {"total_bytes", total},
                                           {"media_category", config_.media_category}},
                                      true, "initializing the media upload"),
                              "initialize");
    if (!init.value("id", json()).is_string())
        throw PublishError(kTarget, "initialize answered without a media id");
    const std::string media_id = init["id"].get<std::string>();
    journal_.put(item.candidate_id, kTarget, {"uploading", media_id, "", total});

    // APPEND
    int segment = 0;
    for (std::uint64_t offset = 0; offset < total; offset += config_.chunk_size, ++segment) {
        const std::uint64_t length = std::min(config_.chunk_size, total - offset);
        std::string chunk(length, '\0');
        file.seekg(static_cast<std::streamoff>(offset));
        if (!file.read(chunk.data(), static_cast<std::streamsize>(length)))
            throw PublishError(kTarget,
                               fmt::format("cannot read the video '{}'", item.video.string()));
        httplib::MultipartFormDataItems form = {
            {"segment_index", std::to_string(segment), "", ""},
            {"media", std::move(chunk), "chunk", "application/octet-stream"},
        };
        (void)request("POST", "/2/media/upload/" + media_id + "/append", {}, form, true,
                      fmt::format("appending segment {}", segment));
        if (progress)
            progress(offset + length, total);
    }

    // FINALIZE and STATUS
    json info = data_of(request("POST", "/2/media/upload/" + media_id + "/finalize", {}, {}, true,
                                "finalizing the media upload"),
                        "finalize")
                    .value("processing_info", json());
    const auto processing_deadline = std::chrono::steady_clock::now() + config_.max_processing;
    while (info.is_object()) {
        const std::string state = info.value("state", "");
        if (state == "succeeded")
            break;
        if (state == "failed") {
            const json err = info.value("error", json());
            throw PublishError(kTarget,
                               fmt::format("X could not process the video: {}",
                                           err.is_object() ? err.value("message", err.dump())
                                                           : std::string("no reason given")));
        }
        if (std::chrono::steady_clock::now() >= processing_deadline)
            throw PublishError(kTarget,
                               fmt::format("X was still processing the video after {} s",
                                           config_.max_processing.count()),
                               true);
        const int after = std::max(info.value("check_after_secs", 1), 1);
        if (!detail::sleep_for(config_.protocol_second * after, stop))
            throw PublishError(kTarget, "stopped while X processed the video", true);
        info = data_of(request("GET", "/2/media/upload",
                               {{"command", "STATUS"}, {"media_id", media_id}}, {}, true,
                               "asking the processing status"),
                       "status")
                   .value("processing_info", json());
    }

    // POST
    journal_.put(item.candidate_id, kTarget, {"posting", media_id, "", total});
    const json post = data_of(request("POST", "/2/tweets", {},
                                      json{{"text", x_post_text(item.caption)},
                                           {"media", {{"media_ids", json::array({media_id})}}}},
                                      false, "posting"),
                              "post");
    if (!post.value("id", json()).is_string())
        throw PublishError(kTarget, "the post was created but X answered without its id");
    PublishOutcome o;
    o.ok = true;
    o.url = "https://x.com/i/web/status/" + post["id"].get<std::string>();
    journal_.put(item.candidate_id, kTarget, {"done", media_id, o.url, total});
    return o;
}

}  // namespace memegen::bot::publish
