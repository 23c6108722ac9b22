// The generation queue and /generate (issue 12): one job at a time under the generation
// lock, a second refused with the seed's message, /cancel stops the running job, strangers
// keep a cooldown. Jobs here are stand-ins that wait for the test, not renders.

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <memegen/generation_guard.hpp>

#include "fake_replies.hpp"
#include "generation/generate_command.hpp"
#include "generation/generation_queue.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using memegen::test::FakeReplies;
using memegen::test::TempDir;

namespace {

constexpr std::int64_t kOwner = 1001;

// What the worker ran, and a way to wait for it.
struct Recorder {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> started;
    std::vector<std::string> ended;  // "label:cancelled" or "label:done"

    template <class Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(20), pred);
    }
};

Job job_labelled(const std::string& label) {
    Job job;
    job.chat = ChatId(kOwner);
    job.label = label;
    return job;
}

}  // namespace

TEST_CASE("one job at a time: a second is refused while the first runs, /cancel stops it") {
    TempDir dir("queue-test");
    memegen::GenerationGuard guard(dir.path());
    Messages text{Language::en};
    FakeReplies replies;
    Recorder rec;
    std::stop_source bot_stop;
    GenerationQueue queue(guard, text, replies);
    queue.start(
        [&](Job& job, std::stop_token stop) {
            {
                std::lock_guard lock(rec.mutex);
                rec.started.push_back(job.label);
            }
            rec.cv.notify_all();
            // A render that runs until it is cancelled.
            std::mutex m;
            std::unique_lock lock(m);
            std::condition_variable_any().wait(lock, stop, [] { return false; });
            {
                std::lock_guard done(rec.mutex);
                rec.ended.push_back(job.label + (stop.stop_requested() ? ":cancelled" : ":done"));
            }
            rec.cv.notify_all();
        },
        bot_stop.get_token());

    CHECK_FALSE(queue.cancel());  // nothing runs yet
    REQUIRE(queue.try_start(job_labelled("first"), ChatId(kOwner)));
    REQUIRE(rec.wait([&] { return rec.started.size() == 1; }));
    CHECK(guard.holder()->label == "first");

    CHECK_FALSE(queue.try_start(job_labelled("second"), ChatId(kOwner)));
    REQUIRE(replies.calls("say").size() == 1);
    CHECK(replies.calls("say")[0].text.find("A generation is already running (started") !=
          std::string::npos);
    CHECK_FALSE(queue.try_start(job_labelled("button"), ChatId(kOwner), "cb9"));
    REQUIRE(replies.calls("answer").size() == 1);
    CHECK(replies.calls("answer")[0].alert);
    CHECK(replies.calls("answer")[0].chat == "cb9");

    CHECK(queue.cancel());
    REQUIRE(rec.wait([&] { return rec.ended.size() == 1; }));
    CHECK(rec.ended[0] == "first:cancelled");
    // The lock is released once the job has ended (a same-process release wakes a waiter at
    // once): the next one runs.
    auto probe = guard.acquire("probe", std::chrono::seconds(20));
    REQUIRE(probe);
    probe.ticket().release();
    REQUIRE(queue.try_start(job_labelled("third"), ChatId(kOwner)));
    REQUIRE(rec.wait([&] { return rec.started.size() == 2; }));

    SUBCASE("the bot's stop cancels the running job and ends the worker") {
        bot_stop.request_stop();
        queue.stop();
        REQUIRE(rec.ended.size() == 2);
        CHECK(rec.ended[1] == "third:cancelled");
    }
    bot_stop.request_stop();
}

TEST_CASE("a scheduled job waits for the lock, bounded, and names who kept it") {
    TempDir dir("queue-wait-test");
    memegen::GenerationGuard guard(dir.path());
    Messages text{Language::en};
    FakeReplies replies;
    GenerationQueue queue(guard, text, replies);  // no worker: queued jobs keep the lock
    auto held = guard.try_acquire("a CLI render");
    REQUIRE(held);
    const auto waited = queue.start_waiting(job_labelled("scheduled job"), std::chrono::minutes(0),
                                            std::stop_token{});
    CHECK_FALSE(waited.queued);
    CHECK(waited.holder == "a CLI render");
    held.ticket().release();
    const auto again = queue.start_waiting(job_labelled("scheduled job"), std::chrono::minutes(0),
                                           std::stop_token{});
    CHECK(again.queued);
    CHECK(guard.holder()->label == "scheduled job");
}

TEST_CASE("/generate: N is checked, and strangers keep a cooldown") {
    TempDir dir("generate-test");
    memegen::GenerationGuard guard(dir.path());
    BotConfig config;
    config.owner_id = kOwner;
    config.max_batch = 5;
    config.generate_cooldown_seconds = 300;
    Messages text{Language::en};
    FakeReplies replies;
    GenerationQueue queue(guard, text, replies);  // no worker: a queued job keeps the lock
    GenerateCommand generate(config, text, replies, queue);
    const auto request = [](std::int64_t user, const std::string& argument, bool admin) {
        return CommandRequest{ChatId(user), user, "@u" + std::to_string(user), argument, admin};
    };

    SUBCASE("a bad N gets the usage and queues nothing") {
        for (const char* bad : {"0", "6", "abc", "2x", "-1"})
            generate(request(kOwner, bad, true));
        CHECK(replies.count("say", "Usage: /generate or /generate N, with 1 ≤ N ≤ 5.") == 5);
        CHECK_FALSE(guard.holder().has_value());
    }
    SUBCASE("a good N is queued under its label") {
        generate(request(kOwner, "3", true));
        REQUIRE(guard.holder().has_value());
        CHECK(guard.holder()->label == "/generate 3 by @u1001");
        CHECK(replies.calls().empty());
    }
    SUBCASE("a stranger's second /generate within the cooldown is told to wait") {
        generate(request(7, "", false));
        REQUIRE(guard.holder().has_value());
        generate(request(7, "", false));
        CHECK(replies.count("say", "Please wait ") == 1);
        generate(request(8, "", false));  // another stranger: busy, not cooling down
        CHECK(replies.count("say", "already running") == 1);
    }
}
