#pragma once
/// \file youtube_publisher.hpp
/// YouTube Shorts through the YouTube Data API v3 resumable upload (videos.insert with
/// uploadType=resumable): the session URI from the initiation's Location header is recorded in
/// the PublishJournal before any byte is sent, the file goes in chunks (multiples of 256 KiB,
/// Content-Range), a dropped connection or a 5xx is followed by a status query
/// (Content-Range: bytes */TOTAL) and the upload continues from the 308's Range. A restart
/// finds the session in the journal and resumes it, so a candidate never becomes two videos.
/// A 401 refreshes the access token once; a 403 (quotaExceeded, forbidden, ...) ends at once
/// with the reason, since retrying only spends quota.
///
/// Once the video is up, its thumbnail is set from the candidate's JPEG (thumbnails.set, the
/// image as the body, at most 2 MB, 50 quota units). The video is published whatever happens
/// to the thumbnail: a failure only adds a note to the outcome. The journal marks the video
/// "thumbnail" (its id kept) until that step ends, so a restart in between sets the thumbnail
/// without uploading the video again.

#include <chrono>
#include <cstdint>
#include <string>

#include "publish/google_oauth.hpp"
#include "publish/publish_journal.hpp"
#include "publish/publisher.hpp"

namespace memegen::bot::publish {

/// Settings of the YouTube target (publish.youtube.* in the bot's configuration).
struct YouTubeConfig {
    std::string api_url = "https://www.googleapis.com";  ///< tests point it at a fake
    std::string privacy = "private";                     ///< private | unlisted | public
    bool made_for_kids = false;                          ///< status.selfDeclaredMadeForKids
    std::string category_id = "24";                      ///< Entertainment
    /// Bytes per PUT; YouTube requires a multiple of 256 KiB for every chunk but the last.
    std::uint64_t chunk_size = 8ull * 256 * 1024;
    int max_attempts = 5;  ///< consecutive failed requests (5xx, transport) before giving up
    std::chrono::milliseconds retry_backoff{1000};  ///< first wait; doubles up to 16x
    bool thumbnail = true;                          ///< set the item's thumbnail after the upload
    HttpSettings http;
};

/// The YouTube target.
class YouTubePublisher final : public Publisher {
  public:
    /// `oauth` and `journal` must outlive the publisher. Throws PublishError when chunk_size is
    /// not a positive multiple of 256 KiB or api_url is not an http(s) URL.
    YouTubePublisher(YouTubeConfig config, GoogleOAuth& oauth, PublishJournal& journal);

    [[nodiscard]] std::string_view target() const override { return "youtube"; }
    [[nodiscard]] std::string preview(const PublishItem& item) const override { return item.title; }
    PublishOutcome publish(const PublishItem& item, std::stop_token stop,
                           const ProgressCallback& progress) override;

    /// The video resource sent at initiation (exposed for tests of the metadata).
    [[nodiscard]] std::string video_resource(const PublishItem& item) const;

  private:
    PublishOutcome run(const PublishItem& item, const std::stop_token& stop,
                       const ProgressCallback& progress);
    /// Sets `item`'s thumbnail on `video_id`; returns the owner's note, empty when it was set
    /// or there is nothing to set. Throws PublishError only when `stop` ends it.
    std::string set_thumbnail(const std::string& video_id, const PublishItem& item,
                              const std::stop_token& stop);

    YouTubeConfig config_;
    GoogleOAuth& oauth_;
    PublishJournal& journal_;
};

}  // namespace memegen::bot::publish
