// The review flow against the recording Replies fake (issue 12): a candidate is sent under
// its buttons, published once however often Publish is pressed, retired when replaced; the
// candidate store keeps reading files older versions wrote.

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <nlohmann/json.hpp>

#include "commands/callback_codec.hpp"
#include "review_fixture.hpp"
#include "telegram/html.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using namespace std::chrono_literals;
using memegen::test::kChannel;
using memegen::test::kOwner;
using memegen::test::TempDir;
using nlohmann::json;

namespace {

struct Fixture : memegen::test::ReviewFixture {
    Fixture() : ReviewFixture("review-test") {}
    ButtonPress press(ReviewAction action, const std::string& target) {
        return press_of(action, target);
    }
};

}  // namespace

TEST_CASE("Publish posts a candidate once, however often it is pressed") {
    Fixture f;
    f.add("c1");
    f.start_publishing();
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    REQUIRE(f.publish.wait_idle(10s));

    const auto posts = f.replies.calls("send_video_by_file_id");
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].chat == std::to_string(kChannel));
    CHECK(posts[0].text == "FILE-c1");
    const auto answers = f.replies.calls("answer");
    REQUIRE(answers.size() == 2);
    CHECK(answers[0].text == f.text.publishing(1));
    CHECK(answers[1].text == f.text.already_published());
    CHECK(f.candidates.get("c1")->status == CandidateStatus::published);
    // The review message itself gains a line per target: queued, then the link to the post;
    // no other message is sent.
    CHECK(f.replies.calls("say").empty());
    const auto edits = f.replies.calls("edit_caption");
    REQUIRE(edits.size() >= 2);
    CHECK(edits.front().message_id == 55);
    CHECK(edits.front().text == "🎬 cat.png\n\n⏳ Telegram -100500: queued");
    CHECK_FALSE(edits.front().markup.has_value());  // nothing to press while it uploads
    CHECK(edits.back().message_id == 55);
    CHECK(edits.back().text == "🎬 cat.png\n\n✅ Telegram -100500: https://t.me/c/500/" +
                                   std::to_string(posts[0].message_id));
    const auto state = f.candidates.get("c1")->targets.at("telegram:-100500");
    CHECK(state.state == "done");
    // The review buttons become one "Published" button, which answers without posting.
    const auto data = (*edits.back().markup)["inline_keyboard"][0][0]["callback_data"];
    CHECK(data == "x:c1");
    f.review.on_button(f.press(ReviewAction::published, "c1"), f.queue);
    CHECK(f.replies.calls("answer").back().text == f.text.already_published());
    CHECK(f.replies.calls("send_video_by_file_id").size() == 1);
}

TEST_CASE("the target lines fit a full caption: the caption is cut, the lines are whole") {
    Fixture f;
    auto c = f.add("c1");
    c.caption = "🎬 " + std::string(1100, 'a');
    f.candidates.put(c);
    f.start_publishing();
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    REQUIRE(f.publish.wait_idle(10s));
    const auto caption = f.replies.calls("edit_caption").back().text;
    CHECK(html_text_length(caption) <= kMaxCaptionLength);
    CHECK(caption.starts_with("🎬 aaa"));
    CHECK(caption.find("…\n\n✅ Telegram -100500: https://t.me/c/500/") != std::string::npos);
}

TEST_CASE("a failed post is a line with the cause and a Retry that posts once") {
    Fixture f;
    f.add("c1");
    f.replies.fail_videos = true;
    f.start_publishing();
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    REQUIRE(f.publish.wait_idle(10s));
    const auto edit = f.replies.calls("edit_caption").back();
    CHECK(edit.message_id == 55);
    CHECK(edit.text == "🎬 cat.png\n\n❌ Telegram -100500: Bad Request: wrong file");
    const auto retry = (*edit.markup)["inline_keyboard"][0][0];
    CHECK(retry["text"] == "🔁 Retry Telegram -100500");
    CHECK(retry["callback_data"] == "y:c1:telegram:-100500");
    CHECK(f.candidates.get("c1")->status == CandidateStatus::publishing);
    REQUIRE(f.state.last_problem());
    CHECK(f.state.last_problem()->stage == memegen::stage::publish_error);
    CHECK(f.state.last_problem()->details["target"] == "telegram:-100500");

    f.replies.fail_videos = false;
    const auto decoded = decode_callback(retry["callback_data"].get<std::string>());
    REQUIRE(decoded);
    f.review.on_button({"cb-retry", ChatId(kOwner), kOwner, "@owner", *decoded}, f.queue);
    REQUIRE(f.publish.wait_idle(10s));
    f.review.on_button({"cb-retry2", ChatId(kOwner), kOwner, "@owner", *decoded}, f.queue);
    CHECK(f.replies.calls("answer").back().text == f.text.retry_not_needed());
    CHECK(f.replies.count("send_video_by_file_id", "FILE-c1") == 2);  // the failed one, then one
    CHECK(f.candidates.get("c1")->status == CandidateStatus::published);
}

TEST_CASE("a restart in the middle of a post reports the doubt instead of posting twice") {
    Fixture f;
    auto c = f.add("c1", CandidateStatus::publishing);
    c.targets["telegram:-100500"] = TargetState{"uploading", {}, {}, false, {}};
    f.candidates.put(c);
    f.journal.put("c1", "telegram:-100500", {"posting", {}, {}, 0});
    f.start_publishing();
    REQUIRE(f.publish.wait_idle(10s));
    CHECK(f.replies.calls("send_video_by_file_id").empty());
    const auto edit = f.replies.calls("edit_caption").back();
    CHECK(edit.message_id == 55);
    CHECK(edit.text.find("❌ Telegram -100500: the bot stopped while posting") != std::string::npos);
    CHECK(f.candidates.get("c1")->targets.at("telegram:-100500").state == "failed");
}

TEST_CASE("stale buttons and a missing channel are answered, nothing is posted") {
    Fixture f;
    f.add("old", CandidateStatus::replaced);
    SUBCASE("an unknown candidate") {
        f.start_publishing();
        f.review.on_button(f.press(ReviewAction::publish, "nosuch"), f.queue);
        CHECK(f.replies.calls("answer").back().text == f.text.stale_button());
    }
    SUBCASE("a replaced candidate") {
        f.start_publishing();
        f.review.on_button(f.press(ReviewAction::publish, "old"), f.queue);
        CHECK(f.replies.calls("answer").back().text == f.text.stale_button());
        f.review.on_button(f.press(ReviewAction::regenerate, "old"), f.queue);
        CHECK(f.replies.calls("answer").back().text == f.text.stale_button());
        f.review.on_button(f.press(ReviewAction::regenerate_all, "no-batch"), f.queue);
        CHECK(f.replies.calls("answer").back().text == f.text.stale_button());
    }
    SUBCASE("no channel configured") {
        f.add("c1");
        f.config.channel.reset();
        f.start_publishing();
        f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
        CHECK(f.replies.calls("answer").back().text == f.text.no_channel());
        CHECK(f.replies.calls("answer").back().alert);
    }
    REQUIRE(f.publish.wait_idle(10s));
    CHECK(f.replies.calls("send_video_by_file_id").empty());
    CHECK_FALSE(f.guard.holder().has_value());  // no job was queued
}

TEST_CASE("Regenerate becomes a job; a second press while it runs gets the busy alert") {
    Fixture f;
    f.add("c1");
    f.review.on_button(f.press(ReviewAction::regenerate, "c1"), f.queue);
    CHECK(f.replies.calls("answer").back().text == f.text.working());
    REQUIRE(f.guard.holder().has_value());
    CHECK(f.guard.holder()->label == "Regenerate by @owner");
    f.review.on_button(f.press(ReviewAction::change_track, "c1"), f.queue);
    const auto busy = f.replies.calls("answer").back();
    CHECK(busy.alert);
    CHECK(busy.text.find("already running") != std::string::npos);
}

TEST_CASE("a made meme goes to review under its three buttons, and its files are removed") {
    Fixture f;
    std::filesystem::create_directories(f.dir / "work");
    std::ofstream(f.dir / "work" / "m.mp4") << "video";
    std::ofstream(f.dir / "work" / "m.thumb.jpg") << "jpeg";
    Made made;
    made.result.output = f.dir / "work" / "m.mp4";
    made.result.thumbnail = f.dir / "work" / "m.thumb.jpg";
    made.result.width = 1080;
    made.result.height = 1920;
    made.result.duration_seconds = 8.04;
    made.result.size_bytes = 2'340'000;
    made.result.effects = {"mirror", "sepia"};
    made.media = "/memes/<cat>.png";
    made.music = "/music/song.mp3";
    made.music_label = "Artist — Song";
    made.seed = 42;
    made.variant_group = 2;

    SUBCASE("sent") {
        const auto sent = f.review.send(made, ChatId(kOwner), "b7");
        REQUIRE(sent.candidate);
        CHECK(sent.failure_html.empty());
        const auto videos = f.replies.calls("send_video");
        REQUIRE(videos.size() == 1);
        CHECK(videos[0].text ==
              "🎬 &lt;cat&gt;.png\n🎵 Artist — Song\n⏱ 8.0 s · 2.3 MB · "
              "1080×1920\n✨ mirror, sepia");
        const auto keyboard = (*videos[0].markup)["inline_keyboard"];
        const auto& id = sent.candidate->id;
        CHECK(keyboard[0][0]["callback_data"] == "p:" + id);
        CHECK(keyboard[1][0]["callback_data"] == "t:" + id);
        CHECK(keyboard[1][1]["callback_data"] == "r:" + id);
        const auto stored = f.candidates.get(id);
        REQUIRE(stored);
        CHECK(stored->batch == "b7");
        CHECK(stored->seed == 42);
        CHECK(stored->file_id == "file-" + std::to_string(videos[0].message_id));
        CHECK(stored->status == CandidateStatus::review);
    }
    SUBCASE("refused by Telegram: one message with the cause, nothing recorded") {
        f.replies.fail_videos = true;
        const auto sent = f.review.send(made, ChatId(kOwner), "b7");
        CHECK_FALSE(sent.candidate);
        CHECK(sent.failure_html.find("wrong file") != std::string::npos);
        CHECK(f.candidates.batch("b7").empty());
    }
    CHECK_FALSE(std::filesystem::exists(made.result.output));
    CHECK_FALSE(std::filesystem::exists(made.result.thumbnail));
}

TEST_CASE("a replaced candidate is retired once: marked and its buttons removed") {
    Fixture f;
    const auto old = f.add("c1");
    f.review.retire(old);
    f.review.retire(old);
    CHECK(f.candidates.get("c1")->status == CandidateStatus::replaced);
    const auto edits = f.replies.calls("edit_markup");
    REQUIRE(edits.size() == 1);
    CHECK_FALSE(edits[0].markup.has_value());
}

TEST_CASE("candidates.json written by older versions loads with every status") {
    TempDir dir("candidates-test");
    const auto file = dir / "candidates.json";
    json j = {{"candidates", json::array()}};
    for (const char* status : {"review", "publishing", "published", "replaced"}) {
        j["candidates"].push_back({{"id", std::string("id-") + status},
                                   {"chat", "1001"},
                                   {"message_id", 9},
                                   {"status", status}});
    }
    j["candidates"].push_back({{"id", "id-channel"}, {"chat", "@mychannel"}});
    std::ofstream(file) << j.dump();
    CandidateStore store(file);
    CHECK(store.problems().empty());
    CHECK(store.get("id-review")->status == CandidateStatus::review);
    CHECK(store.get("id-publishing")->status == CandidateStatus::publishing);
    CHECK(store.get("id-published")->status == CandidateStatus::published);
    CHECK(store.get("id-replaced")->status == CandidateStatus::replaced);
    CHECK(store.get("id-review")->chat == ChatId(std::int64_t{1001}));
    CHECK(store.get("id-channel")->chat == ChatId("@mychannel"));
    CHECK(store.get("id-channel")->status == CandidateStatus::review);  // no status: review

    SUBCASE("and is written back with the same strings") {
        REQUIRE(store.transition("id-review", CandidateStatus::review, CandidateStatus::published));
        std::ifstream in(file);
        const auto saved = json::parse(in);
        CHECK(saved["candidates"][0]["status"] == "published");
        CHECK(saved["candidates"][0]["chat"] == "1001");
    }
    SUBCASE("an unknown status makes the file corrupt: moved aside and named") {
        j["candidates"][0]["status"] = "archived";
        std::ofstream(file) << j.dump();
        CandidateStore broken(file);
        REQUIRE(broken.problems().size() == 1);
        CHECK(broken.problems()[0].find("archived") != std::string::npos);
        CHECK_FALSE(broken.get("id-review").has_value());
    }
}

TEST_CASE("an unusable candidates.json is moved aside and named, and the store saves again") {
    TempDir dir("candidates-test");
    const auto file = dir / "candidates.json";
    std::string reason;
    SUBCASE("JSON of another kind") {
        std::ofstream(file) << "[1, 2, 3]";
        reason = "(it is not a list of review candidates (";
    }
    SUBCASE("cut short") {
        std::ofstream(file) << R"({"candidates": [{"id": "a")";
        reason = "(it is not valid JSON)";
    }
    SUBCASE("a directory in its place") {
        std::filesystem::create_directories(file / "inside");
        reason = "(it is a directory, not a file)";
    }
    CandidateStore store(file);
    REQUIRE(store.problems().size() == 1);
    const auto& problem = store.problems()[0];
    CHECK(problem.starts_with("candidates.json was unreadable " + reason));
    const auto aside = problem.find("; moved aside to candidates.json.corrupt-");
    REQUIRE(aside != std::string::npos);
    const auto moved_to = problem.substr(aside + std::string("; moved aside to ").size());
    CHECK(std::filesystem::exists(dir / moved_to));

    Candidate c;
    c.id = "fresh";
    c.chat = ChatId(kOwner);
    store.put(c);
    CandidateStore reopened(file);
    CHECK(reopened.problems().empty());
    CHECK(reopened.get("fresh").has_value());
}

TEST_CASE("a dry run says what Publish would post and where, posts nothing, and persists") {
    Fixture f;
    f.add("c1");
    DryRun dry_run(f.dir / "state" / "dry_run.json");
    CHECK_FALSE(dry_run.on());
    dry_run.set(true);
    CHECK(DryRun(f.dir / "state" / "dry_run.json").on());  // as after a restart
    f.publish.use_dry_run(dry_run);
    f.start_publishing();
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    REQUIRE(f.publish.wait_idle(10s));
    CHECK(f.replies.calls("answer").back().text == f.text.dry_run_toast());
    const auto said = f.replies.calls("say");
    REQUIRE(said.size() == 1);
    CHECK(said[0].text ==
          "🧪 Dry run: nothing was posted. Publish would send <b>cat.png</b> to:\n"
          "• Telegram -100500");
    CHECK(f.replies.calls("send_video_by_file_id").empty());
    CHECK(f.candidates.get("c1")->status == CandidateStatus::review);
    CHECK(f.candidates.get("c1")->targets.empty());

    dry_run.set(false);
    f.review.on_button(f.press(ReviewAction::publish, "c1"), f.queue);
    REQUIRE(f.publish.wait_idle(10s));
    CHECK(f.replies.calls("send_video_by_file_id").size() == 1);
}

TEST_CASE("/history lists published candidates, newest first, with a link per target") {
    Fixture f;
    CHECK(f.publish.history_html(10) == f.text.history_empty());
    auto c = f.add("c1", CandidateStatus::published);
    c.track = "Artist — Song";
    c.targets["telegram:-100500"] =
        TargetState{"done", "https://t.me/c/500/7", {}, false, "2026-12-01T06:40:01Z"};
    f.candidates.put(c);
    auto older = f.add("c0", CandidateStatus::published);
    older.media = "/memes/dog.png";
    older.targets["telegram:-100500"] =
        TargetState{"done", "https://t.me/c/500/3", {}, false, "2026-11-30T10:00:00Z"};
    f.candidates.put(older);
    f.add("c2");  // not published
    f.start_publishing();
    CHECK(f.publish.history_html(10) ==
          "📜 <b>Published</b> (last 2)"
          "\n\n🕒 2026-12-01 06:40 UTC · 🎬 cat.png · 🎵 Artist — Song\n"
          "• <a href=\"https://t.me/c/500/7\">Telegram -100500</a>"
          "\n\n🕒 2026-11-30 10:00 UTC · 🎬 dog.png · 🎵 —\n"
          "• <a href=\"https://t.me/c/500/3\">Telegram -100500</a>");
    CHECK(f.publish.history_html(1).find("dog.png") == std::string::npos);
}

TEST_CASE("Choose platforms: one toggle per target, Publish selected posts to the chosen ones") {
    Fixture f;
    f.add("c1");
    f.config.publish.telegram_channels = {ChatId("@second_channel")};
    f.config.publish.default_targets = {"telegram:-100500"};
    f.start_publishing();
    const auto keyboard = [&] { return (*f.replies.calls("edit_markup").back().markup); };
    const auto press = [&](const json& button) {
        const auto decoded = decode_callback(button["callback_data"].get<std::string>());
        REQUIRE(decoded);
        CHECK(button["callback_data"].get<std::string>().size() <= 64);
        f.review.on_button({"cb", ChatId(kOwner), kOwner, "@owner", *decoded}, f.queue);
    };

    f.review.on_button(f.press(ReviewAction::choose_targets, "c1"), f.queue);
    auto k = keyboard()["inline_keyboard"];
    REQUIRE(k.size() == 3);
    CHECK(k[0][0]["text"] == "✅ Telegram -100500");  // the default target, ticked
    CHECK(k[1][0]["text"] == "⬜ Telegram @second_channel");
    CHECK(k[2][0]["text"] == "📢 Publish selected");
    CHECK(k[2][1]["text"] == "✖️ Cancel");

    SUBCASE("untick all: Publish selected asks for one") {
        press(k[0][0]);
        k = keyboard()["inline_keyboard"];
        CHECK(k[0][0]["text"] == "⬜ Telegram -100500");
        press(k[2][0]);
        CHECK(f.replies.calls("answer").back().text == f.text.choose_nothing());
        CHECK(f.candidates.get("c1")->status == CandidateStatus::review);
    }
    SUBCASE("tick the second: both are posted, once each") {
        press(k[1][0]);
        k = keyboard()["inline_keyboard"];
        CHECK(k[1][0]["text"] == "✅ Telegram @second_channel");
        press(k[2][0]);
        REQUIRE(f.publish.wait_idle(10s));
        const auto posts = f.replies.calls("send_video_by_file_id");
        REQUIRE(posts.size() == 2);
        CHECK(f.candidates.get("c1")->status == CandidateStatus::published);
    }
    SUBCASE("Cancel brings the review buttons back") {
        press(k[2][1]);
        CHECK(keyboard()["inline_keyboard"][0][0]["callback_data"] == "p:c1");
        CHECK(f.replies.calls("send_video_by_file_id").empty());
    }
}
