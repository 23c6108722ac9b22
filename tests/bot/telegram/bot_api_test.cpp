// The Bot API client against the fake server on loopback: results, error mapping, the retry
// policy (429, 5xx, resets, timeouts, never-repeated sends), long polling, stop tokens, and
// token redaction.

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fake_bot_api.hpp"
#include "memegen/log.hpp"
#include "telegram/bot_api.hpp"
#include "telegram/html.hpp"
#include "test_helpers.hpp"

using namespace std::chrono_literals;
using memegen::bot::BotApi;
using memegen::bot::TelegramError;
using memegen::test::catch_telegram_error;
using memegen::test::FakeBotApi;
using memegen::test::fast_options;
using memegen::test::Fault;
using Kind = TelegramError::Kind;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kUser = 4242;

/// Collects log lines for the lifetime of the object.
class LogCapture {
  public:
    LogCapture() {
        memegen::set_log_sink([this](memegen::LogLevel, std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    ~LogCapture() { memegen::set_log_sink({}); }
    std::vector<std::string> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }

  private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

}  // namespace

TEST_CASE("get_me returns the result object of a successful call") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    const json me = client.get_me();
    CHECK(me["id"] == FakeBotApi::bot_user_id());
    CHECK(me["is_bot"] == true);
    CHECK(api.call_count("getMe") == 1);
}

TEST_CASE("send_message sends HTML with markup and reply-to and returns the Message") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    const json first = client.send_message(kUser, "<b>Hello</b> &amp; welcome");
    CHECK(first["text"] == "Hello & welcome");
    memegen::bot::MessageOptions options;
    options.reply_markup =
        json{{"inline_keyboard", {{{{"text", "Publish"}, {"callback_data", "pub:1"}}}}}};
    options.reply_to_message_id = first["message_id"].get<std::int64_t>();
    const json second = client.send_message(kUser, "second", options);
    CHECK(second["message_id"].get<std::int64_t>() > first["message_id"].get<std::int64_t>());
    CHECK(second["reply_markup"] == *options.reply_markup);
    CHECK(second["reply_to_message"]["message_id"] == first["message_id"]);
    const auto sent = api.sent_messages(kUser);
    REQUIRE(sent.size() == 2);
    CHECK(api.calls("sendMessage")[0].params["parse_mode"] == "HTML");
}

TEST_CASE("Bot API error answers map to TelegramError fields") {
    FakeBotApi api;
    auto options = fast_options(api);
    options.retry.max_attempts = 1;
    BotApi client(options);

    SUBCASE("400 bad markup") {
        const auto e =
            catch_telegram_error([&] { client.send_message(kUser, "<blink>x</blink>"); });
        CHECK(e.kind() == Kind::api);
        CHECK(e.error_code() == 400);
        CHECK(e.description().find("can't parse entities") != std::string::npos);
        CHECK_FALSE(e.may_have_reached());
        CHECK(std::string(e.what()).find("sendMessage") != std::string::npos);
    }
    SUBCASE("400 with migrate_to_chat_id") {
        api.fail_next(
            "sendMessage", 1,
            Fault::api_error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                             {{"migrate_to_chat_id", -1001234567890}}));
        const auto e = catch_telegram_error([&] { client.send_message(-42, "hi"); });
        CHECK(e.error_code() == 400);
        REQUIRE(e.migrate_to_chat_id());
        CHECK(*e.migrate_to_chat_id() == -1001234567890);
    }
    SUBCASE("401 is flagged as a rejected token") {
        auto bad = options;
        bad.token = "999:wrong-token";
        BotApi wrong(bad);
        const auto e = catch_telegram_error([&] { wrong.get_me(); });
        CHECK(e.is_unauthorized());
        CHECK(std::string(e.what()).find("the bot token was rejected") != std::string::npos);
    }
    SUBCASE("403 blocked by the user") {
        api.fail_next("sendMessage", 1,
                      Fault::api_error(403, "Forbidden: bot was blocked by the user"));
        const auto e = catch_telegram_error([&] { client.send_message(kUser, "hi"); });
        CHECK(e.is_forbidden());
        CHECK(e.description() == "Forbidden: bot was blocked by the user");
    }
    SUBCASE("409 webhook active") {
        api.set_webhook("https://example.org/hook");
        const auto e = catch_telegram_error([&] { client.get_updates(0, 0, {}, {}); });
        CHECK(e.is_conflict());
        CHECK(std::string(e.what()).find("another instance") != std::string::npos);
    }
    SUBCASE("429 carries retry_after") {
        api.fail_next("sendMessage", 1, Fault::rate_limit(7));
        const auto e = catch_telegram_error([&] { client.send_message(kUser, "hi"); });
        CHECK(e.is_rate_limited());
        REQUIRE(e.retry_after());
        CHECK(*e.retry_after() == 7);
    }
    SUBCASE("500") {
        api.fail_next("getMe", 1, Fault::internal_error());
        const auto e = catch_telegram_error([&] { client.get_me(); });
        CHECK(e.kind() == Kind::api);
        CHECK(e.error_code() == 500);
    }
}

TEST_CASE("a 429 is waited out for retry_after plus a margin and then retried") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    api.fail_next("sendMessage", 1, Fault::rate_limit(1));
    const json m = client.send_message(kUser, "after the flood");
    CHECK(m["text"] == "after the flood");
    const auto calls = api.calls("sendMessage");
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].status == 429);
    CHECK(calls[1].status == 200);
    CHECK(calls[1].time - calls[0].time >= 1s);
    CHECK(api.sent_messages(kUser).size() == 1);
}

TEST_CASE("a storm of 5xx answers is retried with backoff until Telegram recovers") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    api.fail_next("sendMessage", 2, Fault::internal_error());
    api.fail_next("sendMessage", 1, Fault::bad_gateway());
    CHECK(client.send_message(kUser, "finally")["text"] == "finally");
    CHECK(api.call_count("sendMessage") == 4);
    CHECK(api.sent_messages(kUser).size() == 1);
}

TEST_CASE("retries are bounded: a persistent 5xx is reported after max_attempts") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    api.fail_next("getMe", 100, Fault::bad_gateway());
    const auto e = catch_telegram_error([&] { client.get_me(); });
    CHECK(e.error_code() == 502);
    CHECK(api.call_count("getMe") == 5);
}

TEST_CASE("a rejected token (401) and a conflict (409) are never retried") {
    FakeBotApi api;
    auto options = fast_options(api);
    SUBCASE("401") {
        options.token = "1:not-the-token";
        BotApi client(options);
        CHECK(catch_telegram_error([&] { client.get_me(); }).is_unauthorized());
        CHECK(api.call_count("getMe") == 1);
    }
    SUBCASE("409") {
        BotApi client(options);
        api.set_webhook("https://example.org/hook");
        CHECK(catch_telegram_error([&] { client.get_updates(0, 0, {}, {}); }).is_conflict());
        CHECK(api.call_count("getUpdates") == 1);
        client.delete_webhook();
        CHECK(client.get_updates(0, 0, {}, {}).empty());
    }
    SUBCASE("403") {
        BotApi client(options);
        api.fail_next("sendMessage", 1, Fault::api_error(403, "Forbidden: user is deactivated"));
        CHECK(catch_telegram_error([&] { client.send_message(kUser, "x"); }).is_forbidden());
        CHECK(api.call_count("sendMessage") == 1);
    }
}

TEST_CASE("a send whose answer is lost after it reached Telegram is not repeated") {
    FakeBotApi api;
    auto options = fast_options(api);
    options.request_timeout = 1000ms;
    options.long_poll_margin = 1000ms;
    BotApi client(options);

    SUBCASE("sendMessage timing out is reported, not repeated") {
        api.fail_next("sendMessage", 1, Fault::slow_reply(2500ms));
        const auto e = catch_telegram_error([&] { client.send_message(kUser, "once"); });
        CHECK(e.kind() == Kind::timeout);
        CHECK(e.may_have_reached());
        CHECK(api.call_count("sendMessage") == 1);
        CHECK(api.sent_messages(kUser).size() == 1);  // Telegram did act on it
    }
    SUBCASE("getUpdates timing out is retried") {
        api.fail_next("getUpdates", 1, Fault::slow_reply(2500ms));
        CHECK(client.get_updates(0, 0, {}, {}).empty());
        CHECK(api.call_count("getUpdates") == 2);
    }
}

TEST_CASE("a connection dropped without an answer is retried only for idempotent methods") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    SUBCASE("getMe") {
        api.fail_next("getMe", 1, Fault::drop_connection());
        CHECK(client.get_me()["is_bot"] == true);
        CHECK(api.call_count("getMe") == 2);
    }
    SUBCASE("sendMessage") {
        api.fail_next("sendMessage", 1, Fault::drop_connection());
        const auto e = catch_telegram_error([&] { client.send_message(kUser, "maybe"); });
        CHECK(e.kind() == Kind::network);
        CHECK(e.may_have_reached());
        CHECK(api.call_count("sendMessage") == 1);
    }
}

TEST_CASE("a refused connection is retried even for sends, then reported without the token") {
    std::string base_url;
    {
        FakeBotApi closed;
        base_url = closed.base_url();
    }  // the port is free again: connections are refused
    FakeBotApi api;
    auto options = fast_options(api);
    options.base_url = base_url;
    options.retry.max_attempts = 3;
    BotApi client(options);
    LogCapture logs;
    const auto e = catch_telegram_error([&] { client.send_message(kUser, "hello"); });
    CHECK(e.kind() == Kind::network);
    CHECK_FALSE(e.may_have_reached());
    const std::string what = e.what();
    CHECK(what.find("could not connect") != std::string::npos);
    CHECK(what.find(options.token) == std::string::npos);
    const auto lines = logs.lines();
    CHECK(lines.size() == 2);  // one warning per retry
    for (const auto& line : lines)
        CHECK(line.find(options.token) == std::string::npos);
}

TEST_CASE("the token never appears in exception messages or log lines") {
    FakeBotApi api;
    auto options = fast_options(api);
    options.request_timeout = 500ms;
    BotApi client(options);
    LogCapture logs;
    std::vector<std::string> messages;
    const auto collect = [&](auto&& f) {
        try {
            f();
        } catch (const std::exception& e) {
            messages.emplace_back(e.what());
        }
    };
    api.fail_next("getMe", 2, Fault::drop_connection());
    api.fail_next("getMe", 1, Fault::slow_reply(1500ms));
    api.fail_next("getMe", 10, Fault::api_error(500, "Internal error for bot" + api.token()));
    collect([&] { client.get_me(); });
    api.fail_next("sendMessage", 1, Fault::api_error(400, "Bad Request: " + api.token()));
    collect([&] { client.send_message(kUser, "x"); });
    auto bad = options;
    bad.base_url = "ftp://" + api.token();
    collect([&] { BotApi broken(bad); });
    collect([&] { client.download_file("files/missing", "/nonexistent-dir/x", 10); });
    REQUIRE(messages.size() == 4);
    const auto lines = logs.lines();
    CHECK(lines.size() >= 3);
    for (const auto& m : messages) {
        CAPTURE(m);
        CHECK(m.find(api.token()) == std::string::npos);
    }
    for (const auto& line : lines) {
        CAPTURE(line);
        CHECK(line.find(api.token()) == std::string::npos);
    }
}

TEST_CASE("a stop request interrupts a backoff wait promptly") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    api.fail_next("getMe", 1, Fault::rate_limit(30));
    std::stop_source stop;
    // The stop comes during the 30 s backoff: after the 429 has arrived.
    std::thread stopper([&] {
        api.wait_for_calls("getMe", 1, std::chrono::seconds(60));
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    const auto started = Clock::now();
    const auto e = catch_telegram_error([&] { client.get_me(stop.get_token()); });
    stopper.join();
    CHECK(e.kind() == Kind::cancelled);
    CHECK(Clock::now() - started < 5s);
    CHECK(api.call_count("getMe") == 1);
}

TEST_CASE("a stop request ends a running long poll at once") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    std::stop_source stop;
    const auto started = Clock::now();
    auto poll = std::async(std::launch::async,
                           [&] { return client.get_updates(0, 30, {}, stop.get_token()); });
    REQUIRE(api.wait_for_calls("getUpdates", 1, 5s));
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
    REQUIRE(poll.wait_for(5s) == std::future_status::ready);
    CHECK(poll.get().empty());
    CHECK(Clock::now() - started < 10s);
}

TEST_CASE("a long poll returns as soon as an update is pushed") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    const auto started = Clock::now();
    auto poll = std::async(std::launch::async, [&] {
        return client.get_updates(0, 20, {"message", "callback_query"}, {});
    });
    REQUIRE(api.wait_for_calls("getUpdates", 1, 5s));
    std::this_thread::sleep_for(100ms);
    api.push_message(kUser, kUser, "/start");
    REQUIRE(poll.wait_for(10s) == std::future_status::ready);
    const auto updates = poll.get();
    REQUIRE(updates.size() == 1);
    CHECK(updates[0]["message"]["text"] == "/start");
    CHECK(updates[0]["message"]["entities"][0]["type"] == "bot_command");
    CHECK(Clock::now() - started < 10s);
    CHECK(api.calls("getUpdates")[0].params["timeout"] == 20);
}

TEST_CASE("confirming with offset = last update_id + 1 drops the confirmed updates") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    api.push_message(kUser, kUser, "one");
    api.push_message(kUser, kUser, "two");
    const auto first = client.get_updates(0, 0, {}, {});
    REQUIRE(first.size() == 2);
    // Without confirmation the same updates come again.
    CHECK(client.get_updates(0, 0, {}, {}).size() == 2);
    const std::int64_t last = first.back()["update_id"].get<std::int64_t>();
    api.push_message(kUser, kUser, "three");
    const auto next = client.get_updates(last + 1, 0, {}, {});
    REQUIRE(next.size() == 1);
    CHECK(next[0]["message"]["text"] == "three");
    CHECK(api.pending_updates() == 1);
    CHECK(client.get_updates(next[0]["update_id"].get<std::int64_t>() + 1, 0, {}, {}).empty());
    CHECK(api.pending_updates() == 0);
}

TEST_CASE("edits, callback answers, chat actions and commands reach the server") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    const json keyboard = {{"inline_keyboard", {{{{"text", "Yes"}, {"callback_data", "y"}}}}}};
    memegen::bot::MessageOptions options;
    options.reply_markup = keyboard;
    const json m = client.send_message(kUser, "Rendering…", options);
    const std::int64_t id = m["message_id"].get<std::int64_t>();

    const json edited = client.edit_message_text(kUser, id, "Rendering… 50%", options);
    CHECK(edited["text"] == "Rendering… 50%");
    const auto same = catch_telegram_error(
        [&] { client.edit_message_text(kUser, id, "Rendering… 50%", options); });
    CHECK(same.is_not_modified());
    CHECK(api.call_count("editMessageText") == 2);  // a 400 is never retried

    client.edit_message_reply_markup(kUser, id, std::nullopt);
    CHECK_FALSE(api.message(id)->contains("reply_markup"));

    api.push_callback(kUser, id, "y");
    const auto updates = client.get_updates(0, 0, {}, {});
    REQUIRE(updates.size() == 1);
    const std::string query = updates[0]["callback_query"]["id"];
    CHECK(updates[0]["callback_query"]["message"]["message_id"] == id);
    client.answer_callback_query(query, "Done");
    CHECK(api.answered_callbacks().count(query) == 1);

    client.send_chat_action(kUser, "upload_video");
    client.set_my_commands({{"start", "Start"}, {"meme", "Make a meme"}});
    CHECK(api.commands().size() == 2);
    CHECK(api.call_count("sendChatAction") == 1);
}

TEST_CASE("a polling thread and a sending thread can use one client concurrently") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    std::stop_source stop;
    std::atomic<int> received{0};
    std::thread poller([&] {
        std::int64_t offset = 0;
        while (!stop.stop_requested()) {
            for (const auto& u : client.get_updates(offset, 5, {}, stop.get_token())) {
                offset = u["update_id"].get<std::int64_t>() + 1;
                ++received;
            }
        }
    });
    std::thread sender([&] {
        for (int i = 0; i < 20; ++i)
            client.send_message(kUser, "msg " + std::to_string(i));
    });
    for (int i = 0; i < 5; ++i)
        api.push_message(kUser, kUser, "in " + std::to_string(i));
    sender.join();
    CHECK(api.wait_until([&] { return received.load() == 5; }, 10s));
    stop.request_stop();
    poller.join();
    CHECK(api.sent_messages(kUser).size() == 20);
}

TEST_CASE("split message parts are all accepted by the server") {
    FakeBotApi api;
    BotApi client(fast_options(api));
    std::string nasty;
    for (int i = 0; i < 800; ++i)
        nasty += "<b> & \xF0\x9F\x98\x80 \xFF text\n";
    const auto parts = memegen::bot::split_html(memegen::bot::escape_html(nasty));
    REQUIRE(parts.size() >= 3);
    for (const auto& p : parts)
        CHECK_NOTHROW(client.send_message(kUser, p));
    CHECK(api.sent_messages(kUser).size() == parts.size());
    // Invalid UTF-8 sent directly is repaired by the client instead of failing.
    memegen::bot::MessageOptions plain;
    plain.parse_mode.clear();
    CHECK_NOTHROW(client.send_message(kUser, "bad \xC0 byte", plain));
}

TEST_CASE("a malformed base_url or token is rejected up front") {
    memegen::bot::BotApiOptions o;
    o.token = "1:abc";
    o.base_url = "api.telegram.org";
    CHECK_THROWS_AS(BotApi{o}, memegen::Error);
    for (const char* good : {"https://api.telegram.org/", "http://127.0.0.1:8081",
                             "https://proxy.example.org/telegram/", "http://[::1]:8081/x"}) {
        o.base_url = good;
        CHECK_NOTHROW(BotApi{o});
    }
    for (const char* bad : {"ftp://x", "https://", "http://host:port", "http://a b",
                            "https://host/p?q=1", "http://host:123456"}) {
        o.base_url = bad;
        CHECK_THROWS_AS(BotApi{o}, memegen::Error);
    }
    o.base_url = "https://api.telegram.org";
    o.token = "";
    CHECK_THROWS_AS(BotApi{o}, memegen::Error);
}

TEST_CASE("only sends and edits count as non-idempotent") {
    using memegen::bot::detail::is_non_idempotent;
    CHECK(is_non_idempotent("sendMessage"));
    CHECK(is_non_idempotent("sendVideo"));
    CHECK(is_non_idempotent("editMessageText"));
    CHECK(is_non_idempotent("answerCallbackQuery"));
    CHECK_FALSE(is_non_idempotent("getUpdates"));
    CHECK_FALSE(is_non_idempotent("getMe"));
    CHECK_FALSE(is_non_idempotent("deleteWebhook"));
    const memegen::bot::RetryPolicy policy;
    CHECK(memegen::bot::detail::backoff_delay(policy, 0) == 1000ms);
    CHECK(memegen::bot::detail::backoff_delay(policy, 1) == 1500ms);
    CHECK(memegen::bot::detail::backoff_delay(policy, 20) == 30000ms);
}

TEST_CASE("polls that come back empty at once are spaced by min_poll_interval") {
    FakeBotApi::Options fake_options;
    fake_options.hold_polls = false;  // a server or proxy that does not hold long polls
    FakeBotApi api(fake_options);
    auto options = fast_options(api);
    options.min_poll_interval = 300ms;
    BotApi client(options);
    for (int i = 0; i < 4; ++i)
        CHECK(client.get_updates(0, 30, {}, {}).empty());
    const auto polls = api.calls("getUpdates");
    REQUIRE(polls.size() == 4);
    // The pacing is the contract, so the arrival times are what to check: each poll waited
    // for the interval since the one before began.
    for (std::size_t i = 1; i < polls.size(); ++i)
        CHECK(polls[i].time - polls[i - 1].time >= options.min_poll_interval - 5ms);

    SUBCASE("and a stop request ends the wait at once") {
        std::stop_source stop;
        stop.request_stop();
        CHECK(client.get_updates(0, 30, {}, stop.get_token()).empty());
        CHECK(api.call_count("getUpdates") == 4);
    }
    SUBCASE("while an update that arrives is still delivered") {
        api.push_message(42, 42, "/start");
        const auto updates = client.get_updates(0, 30, {}, {});
        CHECK(updates.size() == 1);
    }
}
