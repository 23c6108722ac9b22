// Delete, Dislike and Edit captions (issue 13) against the recording Replies fake: what the
// owner reads, in order, once each; nothing changes state on a refusal. Also the parts they
// stand on: the button codec's new verbs, "top | bottom", the dislike list, the router's
// replies and the quiet-hours policy.

#include <doctest/doctest.h>

#include <fstream>
#include <future>
#include <string>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <nlohmann/json.hpp>

#include "commands/bot_commands.hpp"
#include "commands/callback_codec.hpp"
#include "commands/update_router.hpp"
#include "config/timezone.hpp"
#include "library/dislike_store.hpp"
#include "library/media_picker.hpp"
#include "replies/quiet_policy.hpp"
#include "review/caption_edit.hpp"
#include "review_fixture.hpp"
#include "temp_dir.hpp"

using namespace memegen::bot;
using memegen::test::FakeReplies;
using memegen::test::kChannel;
using memegen::test::kMessage;
using memegen::test::kOwner;
using memegen::test::ReplyCall;
using memegen::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Fixture : memegen::test::ReviewFixture {
    Fixture() : ReviewFixture("review-buttons-test") {}

    // With what a rendered candidate also has: music, a seed, its effects.
    Candidate add(const std::string& id, CandidateStatus status = CandidateStatus::review) {
        auto c = ReviewFixture::add(id, status);
        c.music = "/music/song.mp3";
        c.seed = 42;
        c.effects = {"zoom"};
        candidates.put(c);
        return c;
    }

    void press(ReviewAction action, const std::string& target) {
        review.on_button(press_of(action, target), queue);
    }

    void reply(const std::string& words, std::int64_t to = kMessage) {
        review.on_reply(ReplyUpdate{ChatId(kOwner), kOwner, "@owner", words, to}, queue);
    }

    // The texts the owner read (answers and messages), in order.
    std::vector<std::string> read() const {
        std::vector<std::string> out;
        for (const auto& c : replies.calls()) {
            if (c.kind == "answer" || c.kind == "say")
                out.push_back(c.text);
        }
        return out;
    }
};

// The texts on a keyboard's buttons, row by row.
std::vector<std::string> button_texts(const json& markup) {
    std::vector<std::string> out;
    for (const auto& row : markup["inline_keyboard"]) {
        for (const auto& b : row)
            out.push_back(b["text"].get<std::string>());
    }
    return out;
}

}  // namespace

TEST_CASE("the new buttons' data round-trips, and every older verb keeps its meaning") {
    for (const auto action :
         {ReviewAction::delete_candidate, ReviewAction::dislike, ReviewAction::edit_captions}) {
        const ReviewCallback callback{action, "ab3k9mzq2x"};
        const auto data = encode_callback(callback);
        CHECK(data.size() <= 64);
        CHECK(decode_callback(data) == callback);
    }
    CHECK(encode_callback({ReviewAction::delete_candidate, "id1"}) == "d:id1");
    CHECK(encode_callback({ReviewAction::dislike, "id1"}) == "l:id1");
    CHECK(encode_callback({ReviewAction::edit_captions, "id1"}) == "e:id1");
    CHECK(decode_callback("p:id1") == ReviewCallback{ReviewAction::publish, "id1"});
    CHECK(decode_callback("x:id1") == ReviewCallback{ReviewAction::published, "id1"});
}

TEST_CASE(
    "a candidate's keyboard has Edit captions, Dislike and Delete under the old buttons, then "
    "Choose platforms") {
    Fixture f;
    const auto k = f.review.keyboard("c1");
    CHECK(button_texts(k) == std::vector<std::string>{"📢 Publish", "🎵 Change track", "🔄 Regenerate",
                                                      "✏️ Edit captions", "👎 Dislike",
                                                      "🗑 Delete",
                                                      f.text.button_choose_targets()});
    CHECK(k["inline_keyboard"][2][0]["callback_data"] == "e:c1");
    CHECK(k["inline_keyboard"][2][1]["callback_data"] == "l:c1");
    CHECK(k["inline_keyboard"][2][2]["callback_data"] == "d:c1");
    CHECK(button_texts(f.review.keyboard("c1", true))[4] == "👎 Disliked ✓");
}

TEST_CASE("Delete discards a candidate once: its keyboard goes and it can never be published") {
    Fixture f;
    f.add("c1");
    f.press(ReviewAction::delete_candidate, "c1");

    CHECK(f.read() == std::vector<std::string>{f.text.deleted()});
    const auto edits = f.replies.calls("edit_markup");
    REQUIRE(edits.size() == 1);
    CHECK(edits[0].message_id == kMessage);
    CHECK_FALSE(edits[0].markup.has_value());
    // Kept as a record (its old buttons are answered), without the file id that could post it.
    CandidateStore reopened(f.dir / "candidates.json");
    REQUIRE(reopened.get("c1"));
    CHECK(reopened.get("c1")->status == CandidateStatus::deleted);
    CHECK(reopened.get("c1")->file_id.empty());

    SUBCASE("an old Publish, Change track, Edit captions or Delete is answered, nothing posted") {
        f.press(ReviewAction::publish, "c1");
        f.press(ReviewAction::change_track, "c1");
        f.press(ReviewAction::edit_captions, "c1");
        f.press(ReviewAction::delete_candidate, "c1");
        CHECK(f.read() == std::vector<std::string>{
                              f.text.deleted(), f.text.already_deleted(), f.text.already_deleted(),
                              f.text.already_deleted(), f.text.already_deleted()});
        CHECK(f.replies.calls("send_video_by_file_id").empty());
        CHECK(f.replies.calls("edit_markup").size() == 1);
        CHECK_FALSE(f.guard.holder());
        CHECK(f.candidates.get("c1")->status == CandidateStatus::deleted);
    }
    SUBCASE("a reply with captions to it is answered, no render") {
        f.reply("top | bottom");
        CHECK(f.read().back() == f.text.already_deleted());
        CHECK_FALSE(f.guard.holder());
    }
}

TEST_CASE("Delete of a published or replaced candidate is refused and changes nothing") {
    Fixture f;
    f.add("pub", CandidateStatus::published);
    f.press(ReviewAction::delete_candidate, "pub");
    CHECK(f.read() == std::vector<std::string>{f.text.already_published()});
    CHECK(f.candidates.get("pub")->status == CandidateStatus::published);
    CHECK(f.candidates.get("pub")->file_id == "FILE-pub");
    CHECK(f.replies.calls("edit_markup").empty());

    f.add("old", CandidateStatus::replaced);
    f.press(ReviewAction::delete_candidate, "old");
    f.press(ReviewAction::delete_candidate, "nosuch");
    CHECK(f.read() == std::vector<std::string>{f.text.already_published(), f.text.stale_button(),
                                               f.text.stale_button()});
    CHECK(f.candidates.get("old")->status == CandidateStatus::replaced);
}

TEST_CASE("Dislike keeps the source from picks for dislike_days, across a restart") {
    Fixture f;
    f.config.dislike_days = 2;
    f.add("c1");
    f.press(ReviewAction::dislike, "c1");

    const auto read = f.read();
    REQUIRE(read.size() == 1);
    CHECK(read[0].find("👎 cat.png will not be picked for 2 days (until ") == 0);
    // The keyboard shows it.
    const auto edits = f.replies.calls("edit_markup");
    REQUIRE(edits.size() == 1);
    CHECK(button_texts(*edits[0].markup)[4] == "👎 Disliked ✓");
    CHECK(f.candidates.get("c1")->status == CandidateStatus::review);

    const auto now = std::chrono::system_clock::now();
    DislikeStore reopened(f.dir / "dislikes.json");
    const auto active = reopened.active(now);
    REQUIRE(active.size() == 1);
    CHECK(active[0].media == "/memes/cat.png");
    CHECK(active[0].until > now + 47h);
    CHECK(active[0].until <= now + 48h);
    CHECK(reopened.active(now + 49h).empty());

    SUBCASE("the picker passes it over, even when it is the only fresh meme") {
        MediaPicker picker(
            [](bool audio) {
                return audio
                           ? std::vector<std::filesystem::path>{}
                           : std::vector<std::filesystem::path>{"/memes/cat.png", "/memes/dog.png"};
            },
            f.dir / "history.json", 7);
        picker.avoid_memes([&] { return reopened.avoided(std::chrono::system_clock::now()); });
        for (int i = 0; i < 5; ++i)
            CHECK(picker.pick_meme() == std::filesystem::path("/memes/dog.png"));
        CHECK_FALSE(picker.pick_meme({"/memes/dog.png"}).has_value());
    }
    SUBCASE("a second press is answered again and leaves the keyboard alone") {
        f.press(ReviewAction::dislike, "c1");
        CHECK(f.read().size() == 2);
        CHECK(f.replies.calls("edit_markup").size() == 1);
    }
    SUBCASE("a new candidate of the same source comes with the button already pressed") {
        Made made;
        made.media = "/memes/cat.png";
        made.result.output = f.dir / "none.mp4";
        const auto sent = f.review.send(made, ChatId(kOwner), "b2");
        REQUIRE(sent.candidate);
        const auto video = f.replies.calls("send_video").back();
        CHECK(button_texts(*video.markup)[4] == "👎 Disliked ✓");
    }
}

TEST_CASE("a broken dislike list is moved aside and none is in force") {
    TempDir dir{"dislikes-broken"};
    { std::ofstream(dir / "dislikes.json") << "{\"dislikes\": 3}"; }
    DislikeStore store(dir / "dislikes.json");
    REQUIRE(store.problems().size() == 1);
    CHECK(store.problems()[0].find("dislikes.json") != std::string::npos);
    CHECK(store.active(std::chrono::system_clock::now()).empty());
}

TEST_CASE("Edit captions answers how to do it; replies that are no edit are answered, no render") {
    Fixture f;
    f.add("c1");
    f.press(ReviewAction::edit_captions, "c1");
    const auto answers = f.replies.calls("answer");
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].alert);
    CHECK(answers[0].text == f.text.edit_captions_how());
    CHECK(answers[0].text.find("top text | bottom text") != std::string::npos);

    const auto how = f.text.edit_captions_how();
    SUBCASE("a reply to a message that is no candidate") {
        f.reply("top | bottom", 999);
        CHECK(f.read() == std::vector<std::string>{how, f.text.caption_reply_not_candidate()});
    }
    SUBCASE("a reply without a bar, or with two") {
        f.reply("just words");
        f.reply("a | b | c");
        CHECK(f.read() == std::vector<std::string>{how, f.text.caption_edit_usage(),
                                                   f.text.caption_edit_usage()});
    }
    SUBCASE("a side over the limit, named with its length and the limit") {
        f.reply("short | " + std::string(151, 'x'));
        CHECK(f.read() == std::vector<std::string>{
                              how,
                              "The bottom caption is 151 characters long, over the limit of "
                              "150. Nothing was changed."});
    }
    SUBCASE("a reply to a published or a replaced candidate") {
        auto pub = f.add("pub", CandidateStatus::published);
        pub.message_id = 77;
        f.candidates.put(pub);
        f.reply("top | bottom", 77);
        auto old = *f.candidates.get("c1");
        old.status = CandidateStatus::replaced;
        f.candidates.put(old);
        f.reply("top | bottom");
        CHECK(f.read() == std::vector<std::string>{how, f.text.caption_edit_published(),
                                                   f.text.caption_edit_replaced()});
    }
    // Whatever the refusal: no job, the candidate's captions as they were.
    CHECK_FALSE(f.guard.holder());
    CHECK_FALSE(f.candidates.get("c1")->captions.has_value());
}

TEST_CASE("a good reply becomes an Edit captions job with the owner's words") {
    Fixture f;
    f.add("c1");
    std::promise<Job> ran;
    std::stop_source stop;
    f.queue.start([&](Job& job, std::stop_token) { ran.set_value(std::move(job)); },
                  stop.get_token());
    f.reply("  Привет, мир |  ");
    auto done = ran.get_future();
    REQUIRE(done.wait_for(30s) == std::future_status::ready);
    const auto job = done.get();
    CHECK(job.kind == JobKind::edit_captions);
    CHECK(job.candidate_id == "c1");
    REQUIRE(job.captions);
    CHECK(job.captions->top == "Привет, мир");
    CHECK(job.captions->bottom.empty());
    CHECK(job.label == "Edit captions by @owner");
    CHECK(f.read().empty());  // the new video is the answer
    stop.request_stop();
    f.queue.stop();
}

TEST_CASE("\"top | bottom\" is split at its one bar, trimmed, and limited per side") {
    using Kind = CaptionEditRefusal::Kind;
    const auto ok = [](std::string_view text) {
        const auto parsed = parse_caption_edit(text);
        REQUIRE(std::holds_alternative<EditedCaptions>(parsed));
        return std::get<EditedCaptions>(parsed);
    };
    const auto no = [](std::string_view text) {
        const auto parsed = parse_caption_edit(text);
        REQUIRE(std::holds_alternative<CaptionEditRefusal>(parsed));
        return std::get<CaptionEditRefusal>(parsed);
    };
    CHECK(ok("top text | bottom text") == EditedCaptions{"top text", "bottom text"});
    CHECK(ok("| only bottom") == EditedCaptions{"", "only bottom"});
    CHECK(ok("only top|") == EditedCaptions{"only top", ""});
    CHECK(ok("|") == EditedCaptions{"", ""});  // removes both
    CHECK(no("no bar").kind == Kind::no_separator);
    CHECK(no("a|b|c").kind == Kind::too_many_separators);
    // Characters, not bytes: 150 Cyrillic letters (300 bytes) pass, 151 do not.
    std::string letters;
    for (int i = 0; i < 150; ++i)
        letters += "ж";
    CHECK(ok(letters + "|").top == letters);
    const auto long_top = no(letters + "ж | b");
    CHECK(long_top.kind == Kind::too_long);
    CHECK_FALSE(long_top.bottom);
    CHECK(long_top.length == 151);
}

TEST_CASE("the router passes an admin's reply to a bot message on, and ignores other replies") {
    BotConfig config;
    config.owner_id = kOwner;
    Messages text{Language::en};
    FakeReplies replies;
    std::vector<ReplyUpdate> got;
    int active = 0;
    UpdateRouter router(
        config, text, replies, bot_commands({}), [](const ButtonPress&) {},
        [](const UploadUpdate&) {});
    router.set_reply_handler([&](const ReplyUpdate& r) { got.push_back(r); });
    router.set_admin_activity([&] { ++active; });
    const auto reply = [](std::int64_t user, const std::string& words, bool to_bot) {
        return json{{"update_id", 1},
                    {"message",
                     {{"message_id", 9},
                      {"from", {{"id", user}}},
                      {"chat", {{"id", kOwner}}},
                      {"text", words},
                      {"reply_to_message",
                       {{"message_id", 55},
                        {"from", {{"id", to_bot ? 777 : 5}, {"is_bot", to_bot}}},
                        {"chat", {{"id", kOwner}}}}}}}};
    };
    router.route(reply(kOwner, "top | bottom", true));
    REQUIRE(got.size() == 1);
    CHECK(got[0].text == "top | bottom");
    CHECK(got[0].replied_message_id == 55);
    CHECK(got[0].chat == ChatId(kOwner));
    CHECK(active == 1);
    router.route(reply(kOwner, "top | bottom", false));  // to a person: chat
    router.route(reply(2002, "top | bottom", true));     // a stranger: ignored, not refused
    CHECK(got.size() == 1);
    CHECK(active == 1);
    CHECK(replies.calls().empty());
}

TEST_CASE("quiet hours silence what the bot sends to the owner on its own, not replies") {
    REQUIRE_FALSE(apply_timezone("+00:00").has_value());
    const auto hours = std::get<QuietHours>(QuietHours::parse("00:00-10:00"));
    const auto day = std::chrono::sys_days(std::chrono::year(2026) / 12 / 1);
    const std::chrono::system_clock::time_point night = day + 3h, noon = day + 12h;
    QuietPolicy policy(hours, {ChatId(kOwner), ChatId(-100777)});
    CHECK(policy.silent(ChatId(kOwner), night));
    CHECK(policy.silent(ChatId(-100777), night));  // the review chat
    CHECK_FALSE(policy.silent(ChatId(kChannel), night));
    CHECK_FALSE(policy.silent(ChatId(kOwner), noon));
    // The owner typed something: replies for the next minutes notify, later ones do not.
    policy.owner_active(night);
    CHECK_FALSE(policy.silent(ChatId(kOwner), night + 1min));
    CHECK(policy.silent(ChatId(kOwner), night + QuietPolicy::kAwake + 1s));
    QuietPolicy none(std::nullopt, {ChatId(kOwner)});
    CHECK_FALSE(none.silent(ChatId(kOwner), night));
}
