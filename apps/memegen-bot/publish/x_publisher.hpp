#pragma once
/// \file x_publisher.hpp
/// X (Twitter) through the v2 chunked media upload on its dedicated paths
/// (POST /2/media/upload/initialize, /2/media/upload/{id}/append, /{id}/finalize, then
/// GET /2/media/upload?command=STATUS until processing succeeds or fails, waiting
/// check_after_secs), then POST /2/tweets with the text and the media id. Every request is
/// signed with OAuth 1.0a (user context). A 429 waits until x-rate-limit-reset (bounded,
/// stoppable). The post is the one request that is not idempotent: the journal marks it
/// "posting" before it is sent, and a restart that finds that mark reports the doubt instead
/// of posting twice.

#include <chrono>
#include <cstdint>
#include <string>

#include "publish/oauth1.hpp"
#include "publish/publish_journal.hpp"
#include "publish/publisher.hpp"

namespace memegen::bot::publish {

/// Settings of the X target (publish.x.* in the bot's configuration).
struct XConfig {
    std::string api_url = "https://api.x.com";  ///< tests point it at a fake
    OAuth1Credentials credentials;
    std::string media_category = "amplify_video";
    std::uint64_t chunk_size = 4ull * 1024 * 1024;  ///< X accepts at most 5 MB per APPEND
    int max_attempts = 5;  ///< consecutive 5xx/transport failures, or 429 waits, of one request
    std::chrono::milliseconds retry_backoff{1000};
    std::chrono::seconds max_rate_limit_wait{15 * 60};  ///< a longer x-rate-limit-reset fails
    std::chrono::seconds max_processing{10 * 60};       ///< give up on STATUS after this
    /// How long one of the protocol's seconds (check_after_secs) lasts; tests shrink it.
    std::chrono::milliseconds protocol_second{1000};
    HttpSettings http;
};

/// The X target.
class XPublisher final : public Publisher {
  public:
    /// Registers the keys as secrets. Throws PublishError for a chunk size over 5 MB or a bad
    /// api_url.
    XPublisher(XConfig config, PublishJournal& journal);

    [[nodiscard]] std::string_view target() const override { return "x"; }
    [[nodiscard]] std::string preview(const PublishItem& item) const override {
        return item.caption;
    }
    PublishOutcome publish(const PublishItem& item, std::stop_token stop,
                           const ProgressCallback& progress) override;

  private:
    PublishOutcome run(const PublishItem& item, const std::stop_token& stop,
                       const ProgressCallback& progress);

    XConfig config_;
    PublishJournal& journal_;
};

}  // namespace memegen::bot::publish
