// The update router, the command table and the review buttons' data (issue 12): one table
// feeds /help, the menu and the dispatch; strangers are refused once; old button data decodes.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/bot_commands.hpp"
#include "commands/callback_codec.hpp"
#include "commands/update_router.hpp"
#include "fake_replies.hpp"

using namespace memegen::bot;
using memegen::test::FakeReplies;
using nlohmann::json;

namespace {

constexpr std::int64_t kOwner = 1001;
constexpr std::int64_t kStranger = 2002;

json message_update(std::int64_t user, json message) {
    message["from"] = {{"id", user}, {"username", "user" + std::to_string(user)}};
    message["chat"] = {{"id", user}};
    return {{"update_id", 1}, {"message", message}};
}

json text_update(std::int64_t user, const std::string& text) {
    return message_update(user, {{"text", text}});
}

json button_update(std::int64_t user, const std::string& data) {
    return {{"update_id", 2},
            {"callback_query",
             {{"id", "cb1"},
              {"from", {{"id", user}}},
              {"message", {{"message_id", 7}, {"chat", {{"id", user}}}}},
              {"data", data}}}};
}

// A router over the real table whose actions record what ran.
struct Fixture {
    BotConfig config;
    Messages text{Language::en};
    FakeReplies replies;
    std::vector<std::string> ran;  // "name:argument:admin"
    std::vector<ButtonPress> presses;
    std::vector<UploadUpdate> uploads;
    std::optional<UpdateRouter> router;

    explicit Fixture(bool open_generate = false) {
        config.owner_id = kOwner;
        config.open_generate = open_generate;
        const auto record = [this](const char* name) {
            return [this, name](const CommandRequest& r) {
                ran.push_back(std::string(name) + ":" + r.argument + ":" +
                              (r.admin ? "admin" : "open"));
            };
        };
        CommandActions a;
        a.help = record("help");
        a.generate = record("generate");
        a.run_scheduled = record("runscheduled");
        a.status = record("status");
        a.cancel = record("cancel");
        a.clear_history = record("clearhistory");
        router.emplace(
            config, text, replies, bot_commands(a),
            [this](const ButtonPress& p) { presses.push_back(p); },
            [this](const UploadUpdate& u) { uploads.push_back(u); });
    }
};

}  // namespace

TEST_CASE("a button's data round-trips, and buttons sent by older versions still decode") {
    for (const auto action :
         {ReviewAction::publish, ReviewAction::change_track, ReviewAction::regenerate,
          ReviewAction::regenerate_all, ReviewAction::published}) {
        const ReviewCallback callback{action, "ab3k9mzq2x"};
        const auto data = encode_callback(callback);
        CHECK(data.size() <= 64);
        CHECK(decode_callback(data) == callback);
    }
    CHECK(encode_callback({ReviewAction::publish, "id1"}) == "p:id1");
    CHECK(decode_callback("t:id1") == ReviewCallback{ReviewAction::change_track, "id1"});
    CHECK(decode_callback("r:id1") == ReviewCallback{ReviewAction::regenerate, "id1"});
    CHECK(decode_callback("a:batch") == ReviewCallback{ReviewAction::regenerate_all, "batch"});
    CHECK(decode_callback("x:id1") == ReviewCallback{ReviewAction::published, "id1"});
    for (const char* bad : {"", "p", "q:id1", "pp:id1", ":id1"})
        CHECK_FALSE(decode_callback(bad).has_value());
    // Retry names the target after the id; target names may hold ':'.
    const ReviewCallback retry{ReviewAction::retry_target, "ab3k9mzq2x",
                               "telegram:@a_public_channel_name_of_32_chars"};
    CHECK(encode_callback(retry).size() <= 64);
    CHECK(decode_callback(encode_callback(retry)) == retry);
    CHECK(decode_callback("y:id1:youtube") ==
          ReviewCallback{ReviewAction::retry_target, "id1", "youtube"});
    for (const char* bad : {"y:id1", "y:id1:", "y::youtube"})
        CHECK_FALSE(decode_callback(bad).has_value());
    // Choose platforms carries the selection as hex after the id.
    CHECK(encode_callback({ReviewAction::toggle_target, "id1", {}, 0x5}) == "s:id1:5");
    CHECK(decode_callback("S:id1:ff") ==
          ReviewCallback{ReviewAction::publish_selected, "id1", {}, 0xff});
    CHECK(decode_callback("g:id1") == ReviewCallback{ReviewAction::choose_targets, "id1"});
    CHECK(decode_callback("c:id1") == ReviewCallback{ReviewAction::cancel_choice, "id1"});
    for (const char* bad : {"s:id1", "s:id1:", "s:id1:zz", "S::1"})
        CHECK_FALSE(decode_callback(bad).has_value());
}

TEST_CASE("/help, the menu and the dispatch come from one table") {
    const auto table = bot_commands({});
    const Messages en{Language::en};
    const Messages ru{Language::ru};
    std::vector<std::string> names;
    for (const auto& c : table.menu(en))
        names.push_back(c.command);
    CHECK(names == std::vector<std::string>{"generate", "runscheduled", "status", "cancel",
                                            "clearhistory", "scheduleinfo", "setnext",
                                            "rebuildschedule", "cleanup", "chatid", "dryrun",
                                            "history", "connect", "disconnect", "help"});
    const auto help = table.help(en);
    CHECK(help.rfind("<b>Meme bot</b>\n/generate — make one meme\n", 0) == 0);
    for (const auto& name : names)  // "/status — …", or "/setnext # time — …" with arguments
        CHECK(help.find("\n/" + name + " ") != std::string::npos);
    CHECK(help.find("/start") == std::string::npos);  // answered, not listed
    CHECK(help.find("Send a photo, GIF, video or audio file") != std::string::npos);
    const auto help_ru = table.help(ru);
    CHECK(help_ru.find("/generate N — сделать N мемов подряд") != std::string::npos);
    CHECK(table.menu(ru).front().description == "Сделать мем (или /generate N)");
    REQUIRE(table.find("start") != nullptr);
    CHECK(table.find("nosuch") == nullptr);
}

TEST_CASE("commands reach their handler with the argument; unknown ones get the hint") {
    Fixture f;
    f.router->route(text_update(kOwner, "/generate@my_bot 3 \n"));
    f.router->route(text_update(kOwner, "/status"));
    f.router->route(text_update(kOwner, "/start"));
    f.router->route(text_update(kOwner, "/nosuch"));
    f.router->route(text_update(kOwner, "just text"));
    CHECK(f.ran == std::vector<std::string>{"generate:3:admin", "status::admin", "help::admin"});
    CHECK(f.replies.count("say", "Unknown command") == 1);
    CHECK(f.replies.calls().size() == 1);
}

TEST_CASE("a stranger is refused once, whatever they send, and nothing runs") {
    Fixture f;
    f.router->route(text_update(kStranger, "/generate"));
    f.router->route(text_update(kStranger, "/status"));
    f.router->route(message_update(kStranger, {{"photo", json::array({{{"file_id", "x"}}})}}));
    f.router->route(text_update(kStranger, "/nosuch"));
    CHECK(f.ran.empty());
    CHECK(f.uploads.empty());
    const auto said = f.replies.calls("say");
    REQUIRE(said.size() == 1);
    CHECK(said[0].chat == std::to_string(kStranger));
    CHECK(said[0].text.find("only works for its owner") != std::string::npos);
}

TEST_CASE("open_generate lets anyone /generate one meme, and nothing more") {
    Fixture f(true);
    f.router->route(text_update(kStranger, "/generate"));
    f.router->route(text_update(kStranger, "/generate 5"));
    f.router->route(text_update(kStranger, "/status"));
    CHECK(f.ran == std::vector<std::string>{"generate::open"});
    CHECK(f.replies.count("say", "only works for its owner") == 1);
}

TEST_CASE("button presses: a stranger gets an alert, unknown data a stale answer") {
    Fixture f;
    f.router->route(button_update(kStranger, "p:abc"));
    f.router->route(button_update(kOwner, "zz"));
    f.router->route(button_update(kOwner, "p:abc"));
    const auto answers = f.replies.calls("answer");
    REQUIRE(answers.size() == 2);
    CHECK(answers[0].alert);
    CHECK(answers[0].text.find("only works for its owner") != std::string::npos);
    CHECK(answers[1].text.find("stale") != std::string::npos);
    REQUIRE(f.presses.size() == 1);
    CHECK(f.presses[0].callback == ReviewCallback{ReviewAction::publish, "abc"});
    CHECK(f.presses[0].chat == ChatId(kOwner));
    CHECK(f.presses[0].id == "cb1");
}

TEST_CASE("files from an admin go to the intake; a message without sender is ignored") {
    Fixture f;
    f.router->route(message_update(kOwner, {{"audio", {{"file_id", "a1"}}}}));
    REQUIRE(f.uploads.size() == 1);
    CHECK(f.uploads[0].who == "@user1001");
    CHECK(f.uploads[0].chat == ChatId(kOwner));
    f.router->route(json{{"update_id", 3}, {"message", {{"text", "/status"}}}});
    f.router->route(json{{"update_id", 4}, {"edited_message", {{"text", "/status"}}}});
    CHECK(f.ran.empty());
    CHECK(f.replies.calls().empty());
}

TEST_CASE("a user without a username is #<id>") {
    CHECK(who_of(json{{"id", 42}}) == "#42");
    CHECK(who_of(json{{"id", 42}, {"username", "ann"}}) == "@ann");
}
