#include "review/telegram_publisher.hpp"

#include <fmt/format.h>

namespace memegen::bot {

std::string telegram_target_name(const ChatId& channel) {
    return "telegram:" + channel.to_string();
}

std::string telegram_post_url(const ChatId& channel, std::int64_t message_id) {
    if (message_id == 0)
        return {};
    const auto text = channel.to_string();
    if (text.starts_with('@'))
        return fmt::format("https://t.me/{}/{}", text.substr(1), message_id);
    // Supergroups and channels are -100<id>; t.me/c/ takes the <id>.
    if (text.starts_with("-100") && text.size() > 4)
        return fmt::format("https://t.me/c/{}/{}", text.substr(4), message_id);
    return {};
}

TelegramChannelPublisher::TelegramChannelPublisher(ChatId channel, Replies& replies,
                                                   publish::PublishJournal& journal)
    : channel_(std::move(channel)),
      name_(telegram_target_name(channel_)),
      replies_(replies),
      journal_(journal) {}

publish::PublishOutcome TelegramChannelPublisher::publish(const publish::PublishItem& item,
                                                          std::stop_token,
                                                          const publish::ProgressCallback&) {
    return publish::outcome_of(name_, [&] {
        if (const auto entry = journal_.find(item.candidate_id, name_)) {
            if (entry->state == "done") {
                publish::PublishOutcome done;
                done.ok = true;
                done.url = entry->url;
                done.resumed = true;
                return done;
            }
            if (entry->state == "posting") {
                throw publish::PublishError(
                    name_,
                    "the bot stopped while posting; check the channel, then press Retry if the "
                    "post is missing");
            }
        }
        if (item.file_id.empty())
            throw publish::PublishError(name_, "the review upload has no file_id to re-send");
        journal_.put(item.candidate_id, name_, {"posting", {}, {}, 0});
        const auto sent = replies_.send_video_by_file_id(channel_, item.file_id);
        if (!sent.sent) {
            // Telegram answered with an error: nothing was posted, a Retry is safe.
            journal_.erase(item.candidate_id, name_);
            throw publish::PublishError(name_, sent.error, true);
        }
        publish::PublishOutcome ok;
        ok.ok = true;
        ok.url = telegram_post_url(channel_, sent.sent->message_id);
        journal_.put(item.candidate_id, name_, {"done", {}, ok.url, 0});
        return ok;
    });
}

}  // namespace memegen::bot
