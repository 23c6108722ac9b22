#pragma once
// What the review tests share: the review and publish flows over temporary state files and
// the recording Replies fake, an owner and a channel, and candidates to press buttons on.

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>

#include "fake_replies.hpp"
#include "generation/generation_queue.hpp"
#include "library/dislike_store.hpp"
#include "review/publish_flow.hpp"
#include "review/review_flow.hpp"
#include "review/telegram_publisher.hpp"
#include "temp_dir.hpp"

namespace memegen::test {

inline constexpr std::int64_t kOwner = 1001;
inline constexpr std::int64_t kChannel = -100500;
inline constexpr std::int64_t kMessage = 55;  ///< every candidate's review message

struct ReviewFixture {
    TempDir dir;
    bot::BotConfig config;
    bot::Messages text{bot::Language::en};
    FakeReplies replies;
    CrashStateStore state{dir / "state"};
    bot::CandidateStore candidates{dir / "candidates.json"};
    bot::DislikeStore dislikes{dir / "dislikes.json"};
    bot::publish::PublishJournal journal{dir / "state" / "publish_journal.json"};
    bot::CandidateFiles files{dir / "state" / "candidates"};
    bot::PublishFlow publish{config, text, replies, candidates, state, files, journal};
    bot::ReviewFlow review{config, text, replies, candidates, state, dislikes, publish, files};
    GenerationGuard guard{dir / "state"};
    bot::GenerationQueue queue{guard, text, replies};  // no worker: jobs stay queued
    std::stop_source stop;

    explicit ReviewFixture(const char* name) : dir(name) {
        config.owner_id = kOwner;
        config.channel = bot::ChatId(kChannel);
        config.state_dir = dir / "state";
    }
    ~ReviewFixture() { publish.stop(); }
    ReviewFixture(const ReviewFixture&) = delete;
    ReviewFixture& operator=(const ReviewFixture&) = delete;

    /// The targets of the configuration as it is now (Bot::add_publishers does the same).
    void start_publishing() {
        for (const auto& channel : config.telegram_channels())
            publish.add(std::make_unique<bot::TelegramChannelPublisher>(channel, replies, journal));
        publish.start(stop.get_token());
    }

    /// A candidate of cat.png in review (or `status`), sent to the owner as kMessage.
    bot::Candidate add(const std::string& id,
                       bot::CandidateStatus status = bot::CandidateStatus::review) {
        bot::Candidate c;
        c.id = id;
        c.batch = "b1";
        c.media = "/memes/cat.png";
        c.chat = bot::ChatId(kOwner);
        c.message_id = kMessage;
        c.caption = "🎬 cat.png";
        c.file_id = "FILE-" + id;
        c.status = status;
        candidates.put(c);
        return c;
    }

    /// The owner's press of `action` on candidate (or batch) `target`.
    static bot::ButtonPress press_of(bot::ReviewAction action, const std::string& target) {
        return {"cb-" + target, bot::ChatId(kOwner), kOwner, "@owner", {action, target}};
    }
};

}  // namespace memegen::test
