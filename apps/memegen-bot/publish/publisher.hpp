#pragma once
/// \file publisher.hpp
/// Publishing a chosen meme to a platform (YouTube Shorts, X, later Instagram Reels or
/// TikTok): one Publisher per target, each fed the same PublishItem.
///
/// Error idiom of publish/: inside this folder a failure is thrown as PublishError (a
/// memegen::Error whose message starts with "[memegen.publish] <target>:" and is already
/// redacted of every secret), carrying whether trying again later can help and whether the
/// owner must reconnect the account. Publisher::publish() is the boundary: it never throws for
/// a remote or local failure but returns a PublishOutcome, because the review flow shows one
/// line per target and must go on with the others. Only the authorization helpers
/// (GoogleOAuth) throw PublishError to their callers (/connect, /disconnect).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "memegen/error.hpp"

namespace memegen::bot::publish {

/// What is published: the rendered video and the texts the target shows with it.
struct PublishItem {
    std::string candidate_id;         ///< the review candidate; with the target, the journal key
    std::filesystem::path video;      ///< the MP4 as sent for review
    std::filesystem::path thumbnail;  ///< a JPEG; empty when there is none
    std::string title;                ///< YouTube title (<= 100 characters there)
    std::string description;          ///< YouTube description
    std::vector<std::string> tags;    ///< YouTube tags
    std::string caption;              ///< the text of a post (X)
    std::string file_id;              ///< Telegram's id of the review upload (Telegram targets)
};

/// How one target's publish ended.
struct PublishOutcome {
    bool ok = false;
    std::string url;            ///< where the published video can be seen (ok only)
    std::string error;          ///< redacted "[memegen.publish] <target>: <reason>" (failure only)
    bool retryable = false;     ///< a later Retry may succeed (network, 5xx, rate limit)
    bool needs_reauth = false;  ///< the authorization is gone: the owner must reconnect
    bool resumed = false;       ///< continued an upload that a previous run had started
    /// ok only: what went wrong beside the post, redacted ("thumbnail not set: ..."); empty
    /// when nothing did.
    std::string note;
};

/// What people read for the target named `target`, also where no Publisher is at hand
/// (memegen-status): "youtube" → "YouTube", "x" → "X", "<platform>:<account>" → the
/// platform's label and the account ("telegram:@memes" → "Telegram @memes"); an unknown name
/// as it is.
[[nodiscard]] std::string target_label(std::string_view target);

/// The command that connects `target`'s account again ("/connect youtube", see
/// review/account_connect); empty for a target whose keys are in the configuration (X).
[[nodiscard]] std::string reconnect_command(std::string_view target);

/// The reason in an outcome's `error`: the text after "[memegen.publish] <target>: ", which
/// a line naming the target need not repeat; any other text as it is.
[[nodiscard]] std::string_view reason_of(std::string_view error) noexcept;

/// Transport settings every target shares.
struct HttpSettings {
    std::string ca_file;  ///< PEM bundle; empty: the system's (ca-certificates)
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds read_timeout{120'000};  ///< also the write timeout (one chunk)
};

/// Bytes sent so far and the total, for progress on long uploads; called from the
/// publishing thread.
using ProgressCallback = std::function<void(std::uint64_t sent, std::uint64_t total)>;

/// One publishing target. Implementations keep what a restart needs in a PublishJournal, so
/// a candidate is posted at most once per target even across restarts.
class Publisher {
  public:
    virtual ~Publisher() = default;
    /// The target's stable name ("youtube", "x"): config key, journal key, button label.
    [[nodiscard]] virtual std::string_view target() const = 0;
    /// What people read for this target ("YouTube", "Telegram @memes"): target_label().
    [[nodiscard]] virtual std::string label() const { return target_label(target()); }
    /// False for targets that post without the file (Telegram re-sends by file_id), so the
    /// candidate's MP4 is kept only while a target that uploads it may still need it.
    [[nodiscard]] virtual bool needs_video_file() const { return true; }
    /// The text this target would show with `item` (a title, a post), for /dryrun; empty when
    /// it posts the video alone.
    [[nodiscard]] virtual std::string preview(const PublishItem&) const { return {}; }
    /// Publishes `item`; stopping `stop` ends waits and transfers early (the outcome is then a
    /// retryable failure and the journal keeps what allows resuming). Never throws.
    virtual PublishOutcome publish(const PublishItem& item, std::stop_token stop,
                                   const ProgressCallback& progress) = 0;
};

/// A failure inside publish/, see the file comment.
class PublishError : public memegen::Error {
  public:
    /// Builds "[memegen.publish] <target>: <reason>", redacted of registered secrets.
    PublishError(std::string_view target, std::string_view reason, bool retryable = false,
                 bool needs_reauth = false);

    [[nodiscard]] bool retryable() const noexcept { return retryable_; }
    [[nodiscard]] bool needs_reauth() const noexcept { return needs_reauth_; }

    /// The failure as an outcome.
    [[nodiscard]] PublishOutcome outcome() const;

  private:
    bool retryable_;
    bool needs_reauth_;
};

/// The folder's error boundary, written once for every Publisher::publish(): runs `attempt`,
/// and turns any exception into a logged outcome (a foreign one wrapped as `target`'s error).
PublishOutcome outcome_of(std::string_view target, const std::function<PublishOutcome()>& attempt);

}  // namespace memegen::bot::publish
