#pragma once
/// \file telegram_publisher.hpp
/// The Telegram target: one Publisher per configured channel (`channel` and
/// publish.telegram.channels), named "telegram:<chat>" so each channel has its own line,
/// state and Retry; "telegram" in publish.default_targets stands for all of them. It posts
/// the review upload again by its file_id (no second upload). sendVideo is not idempotent:
/// the journal marks "posting" before the request, and a restart that finds the mark reports
/// the doubt instead of posting twice (the owner checks the channel and presses Retry).

#include <string>

#include "config/config.hpp"
#include "publish/publish_journal.hpp"
#include "publish/publisher.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// The target name of `channel`: "telegram:@name" or "telegram:-100123".
[[nodiscard]] std::string telegram_target_name(const ChatId& channel);
/// Where a channel post can be seen: t.me/<name>/<id> for public channels, t.me/c/<id>/<msg>
/// for private ones (-100… ids); empty for other chats.
[[nodiscard]] std::string telegram_post_url(const ChatId& channel, std::int64_t message_id);

/// One Telegram channel as a publishing target.
class TelegramChannelPublisher final : public publish::Publisher {
  public:
    /// `replies` and `journal` must outlive the publisher.
    TelegramChannelPublisher(ChatId channel, Replies& replies, publish::PublishJournal& journal);

    [[nodiscard]] std::string_view target() const override { return name_; }
    [[nodiscard]] bool needs_video_file() const override { return false; }
    publish::PublishOutcome publish(const publish::PublishItem& item, std::stop_token stop,
                                    const publish::ProgressCallback& progress) override;

  private:
    ChatId channel_;
    std::string name_;
    Replies& replies_;
    publish::PublishJournal& journal_;
};

}  // namespace memegen::bot
