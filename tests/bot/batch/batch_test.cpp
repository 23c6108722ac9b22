// A batch's progress message and its record (issue 12): recorded before it is shown, edited
// as it goes, its last word sent even while stopping, and a batch cut short reported after a
// restart. Against the recording Replies fake; no network, no sleeping.

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <nlohmann/json.hpp>

#include "batch/batch_progress.hpp"
#include "batch/scheduled_runs.hpp"
#include "fake_replies.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using memegen::test::FakeReplies;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

constexpr std::int64_t kOwner = 1001;

json read_json(const std::filesystem::path& file) {
    std::ifstream in(file);
    return json::parse(in);
}

}  // namespace

TEST_CASE("a batch's progress is recorded, shown once, then edited, and ends with its last word") {
    TempDir dir("batch-test");
    const auto record = dir / "batch.json";
    Messages text{Language::en};
    FakeReplies replies;
    BatchProgress progress(replies, text, record, ChatId(kOwner), "/generate 3 by @ann", 3, true);
    progress.show(true);
    REQUIRE(replies.calls("say").size() == 1);
    CHECK(replies.calls("say")[0].text == "⏳ Generating: 0 of 3 (failed: 0)");
    const auto id = replies.calls("say")[0].message_id;
    auto saved = read_json(record);
    CHECK(saved["label"] == "/generate 3 by @ann");
    CHECK(saved["chat"] == std::to_string(kOwner));
    CHECK(saved["message_id"] == id);

    progress.done = 1;
    progress.show(false);  // within 3 s of the last: recorded, not edited
    CHECK(read_json(record)["made"] == 1);
    CHECK(replies.calls("edit_text").empty());
    progress.failed = 1;
    progress.show(true);
    REQUIRE(replies.calls("edit_text").size() == 1);
    CHECK(replies.calls("edit_text")[0].text == "⏳ Generating: 2 of 3 (failed: 1)");
    CHECK(replies.calls("edit_text")[0].message_id == id);

    SUBCASE("finished: the record goes") {
        progress.end("done", false);
        CHECK(replies.calls("edit_while_stopping").size() == 1);
        CHECK_FALSE(std::filesystem::exists(record));
    }
    SUBCASE("stopped by a shutdown: the record stays and the next start reports it") {
        progress.end("⏹ Stopped by shutdown: 1 of 3 made.", true);
        CHECK(replies.calls("edit_while_stopping").back().text.find("Stopped by shutdown") !=
              std::string::npos);
        REQUIRE(std::filesystem::exists(record));
        memegen::CrashStateStore state(dir / "state");
        FakeReplies after_restart;
        report_interrupted_batch(record, after_restart, text, ChatId(kOwner), state);
        REQUIRE(after_restart.calls("say").size() == 1);
        CHECK(
            after_restart.calls("say")[0].text ==
            "⚠️ The batch “/generate 3 by @ann” was interrupted when the bot stopped: 1 of "
            "3 "
            "made.");
        CHECK_FALSE(std::filesystem::exists(record));
    }
}

TEST_CASE("one /generate shows no progress and leaves no record") {
    TempDir dir("batch-test");
    Messages text{Language::en};
    FakeReplies replies;
    BatchProgress progress(replies, text, dir / "batch.json", ChatId(kOwner), "/generate", 1,
                           false);
    progress.show(true);
    progress.done = 1;
    progress.end("done", true);
    CHECK(replies.calls().empty());
    CHECK_FALSE(std::filesystem::exists(dir / "batch.json"));
}

TEST_CASE("a progress message that could not be sent is sent at the end instead") {
    TempDir dir("batch-test");
    Messages text{Language::en};
    struct Refusing : FakeReplies {
        std::optional<std::int64_t> say(const ChatId&, const std::string&,
                                        const std::optional<json>&) override {
            return std::nullopt;
        }
    };
    Refusing replies;
    BatchProgress progress(replies, text, dir / "batch.json", ChatId(kOwner), "b", 2, true);
    progress.show(true);
    progress.end("last", false);
    REQUIRE(replies.calls("say_while_stopping").size() == 1);
    CHECK(replies.calls("say_while_stopping")[0].text == "last");
}

TEST_CASE("a broken batch record is moved aside and noted, and nobody is told") {
    TempDir dir("batch-test");
    const auto record = dir / "batch.json";
    memegen::CrashStateStore state(dir / "state");
    Messages text{Language::en};
    FakeReplies replies;
    SUBCASE("not JSON") {
        std::ofstream(record) << "{\"label\": ";
    }
    SUBCASE("a field of the wrong type") {
        std::ofstream(record) << R"({"label":"x","chat":"1","total":"3","made":0,"failed":0})";
    }
    report_interrupted_batch(record, replies, text, ChatId(kOwner), state);
    CHECK(replies.calls().empty());
    CHECK_FALSE(std::filesystem::exists(record));
    bool moved_aside = false;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        moved_aside = moved_aside || e.path().filename().string().starts_with("batch.json.");
    CHECK(moved_aside);
}

TEST_CASE("/runscheduled queues the scheduled job for the review chat, or says a generation runs") {
    TempDir dir("scheduled-test");
    BotConfig config;
    config.owner_id = kOwner;
    config.review_chat = ChatId(std::int64_t{-100777});
    config.candidates = 4;
    config.state_dir = dir / "state";
    config.daily_generations = 0;
    Messages text{Language::en};
    FakeReplies replies;
    memegen::CrashStateStore state(dir / "state");
    memegen::GenerationGuard guard(dir / "state");
    GenerationQueue queue(guard, text, replies);  // no worker: a queued job keeps the lock
    ScheduledRuns schedule(config, text, replies, state, queue);
    schedule.start_up(std::chrono::system_clock::now());
    CHECK_FALSE(schedule.enabled());  // daily_generations 0: no plan is run
    CHECK_FALSE(schedule.next_slot(std::chrono::system_clock::now()).has_value());
    schedule.loop(std::stop_token{});  // returns at once without a schedule

    const CommandRequest request{ChatId(kOwner), kOwner, "@ann", "", true};
    schedule.run_now(request);
    REQUIRE(guard.holder().has_value());
    CHECK(guard.holder()->label == "/runscheduled by @ann");
    CHECK(replies.calls().empty());
    schedule.run_now(request);
    const auto said = replies.calls("say");
    REQUIRE(said.size() == 1);
    CHECK(said[0].chat == std::to_string(kOwner));  // told where it was asked
    CHECK(said[0].text.find("already running") != std::string::npos);
}
