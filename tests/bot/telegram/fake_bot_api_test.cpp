// The fake Bot API server itself, spoken to with a raw HTTP client: the request encodings it
// accepts, Telegram's error forms, HTML validation, getUpdates conflicts, and upload checks.
// The bot's end-to-end tests rely on these behaviours.

#include <doctest/doctest.h>
#include <httplib.h>

#include <future>
#include <string>
#include <thread>

#include "fake_bot_api.hpp"

using namespace std::chrono_literals;
using memegen::test::FakeBotApi;
using nlohmann::json;

namespace {

struct Answer {
    int status = 0;
    json body;
};

Answer post_json(const FakeBotApi& api, const std::string& method, const json& params) {
    httplib::Client client(api.base_url());
    client.set_read_timeout(10, 0);
    auto res = client.Post("/bot" + api.token() + "/" + method, params.dump(), "application/json");
    REQUIRE(res);
    return {res->status, json::parse(res->body)};
}

}  // namespace

TEST_CASE("the fake accepts JSON, urlencoded, query-string and multipart parameters") {
    FakeBotApi api;
    httplib::Client client(api.base_url());
    const std::string base = "/bot" + api.token() + "/sendMessage";

    auto form = client.Post(base, httplib::Params{{"chat_id", "1"}, {"text", "form"}});
    REQUIRE(form);
    CHECK(form->status == 200);
    auto query = client.Get(base + "?chat_id=1&text=query");
    REQUIRE(query);
    CHECK(query->status == 200);
    auto multi = client.Post(
        base, httplib::MultipartFormDataItems{{"chat_id", "1", "", ""}, {"text", "multi", "", ""}});
    REQUIRE(multi);
    CHECK(multi->status == 200);
    CHECK(post_json(api, "sendMessage", {{"chat_id", 1}, {"text", "json"}}).status == 200);

    const auto sent = api.sent_messages(1);
    REQUIRE(sent.size() == 4);
    CHECK(sent[0]["text"] == "form");
    CHECK(sent[1]["text"] == "query");
    CHECK(sent[2]["text"] == "multi");
    CHECK(sent[3]["text"] == "json");
}

TEST_CASE("the fake answers in Telegram's error forms") {
    FakeBotApi api;
    httplib::Client client(api.base_url());
    auto wrong = client.Post("/bot1:wrong/getMe", "{}", "application/json");
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    const json body = json::parse(wrong->body);
    CHECK(body == json{{"ok", false}, {"error_code", 401}, {"description", "Unauthorized"}});

    const auto unknown = post_json(api, "noSuchMethod", json::object());
    CHECK(unknown.status == 404);
    CHECK(unknown.body["description"] == "Not Found");

    api.fail_next("getMe", 1, memegen::test::Fault::rate_limit(3));
    const auto limited = post_json(api, "getMe", json::object());
    CHECK(limited.status == 429);
    CHECK(limited.body["parameters"]["retry_after"] == 3);
    CHECK(post_json(api, "getMe", json::object()).status == 200);
}

TEST_CASE("the fake validates Telegram HTML and text lengths like the Bot API") {
    FakeBotApi api;
    const auto send = [&](const std::string& text) {
        return post_json(api, "sendMessage",
                         {{"chat_id", 7}, {"text", text}, {"parse_mode", "HTML"}});
    };
    CHECK(send("<b>bold</b> <i>it</i> <a href=\"https://x.org\">l</a> <tg-spoiler>s</tg-spoiler> "
               "<span class=\"tg-spoiler\">s</span> <pre><code class=\"language-c\">x</code></pre> "
               "&lt;&gt;&amp;&quot;&#33;&#x21;")
              .status == 200);
    for (const std::string bad : {"<div>x</div>", "<b>x", "<b><i>x</b></i>", "a & b", "&nbsp;",
                                  "<span>x</span>", "x</b>"}) {
        CAPTURE(bad);
        const auto r = send(bad);
        CHECK(r.status == 400);
        CHECK(r.body["description"].get<std::string>().rfind("Bad Request: can't parse entities: ",
                                                             0) == 0);
    }
    CHECK(send(std::string(4096, 'a')).status == 200);
    CHECK(send(std::string(4097, 'a')).body["description"] == "Bad Request: message is too long");
    CHECK(send("<b> </b>").body["description"] == "Bad Request: message text is empty");
    CHECK(send(std::string(4000, 'a') + "&amp;&amp;&amp;").status == 200);
}

TEST_CASE("a second concurrent getUpdates terminates the first with 409") {
    FakeBotApi api;
    auto first = std::async(std::launch::async, [&] {
        return post_json(api, "getUpdates", {{"timeout", 10}});
    });
    REQUIRE(api.wait_for_calls("getUpdates", 1, 5s));
    std::this_thread::sleep_for(100ms);
    auto second = std::async(std::launch::async, [&] {
        return post_json(api, "getUpdates", {{"timeout", 0}});
    });
    const auto a = first.get();
    CHECK(a.status == 409);
    CHECK(a.body["description"].get<std::string>().find("terminated by other getUpdates") !=
          std::string::npos);
    CHECK(second.get().status == 200);
}

TEST_CASE("the fake flags chunked uploads and rejects a video part without filename") {
    FakeBotApi api;
    httplib::Client client(api.base_url());
    const std::string path = "/bot" + api.token() + "/sendVideo";
    auto no_name = client.Post(path, httplib::MultipartFormDataItems{{"chat_id", "1", "", ""},
                                                                     {"video", "bytes", "", ""}});
    REQUIRE(no_name);
    CHECK(no_name->status == 400);

    httplib::MultipartFormDataProviderItems providers = {
        {"video",
         [](size_t offset, httplib::DataSink& sink) {
             if (offset == 0) {
                 sink.write("0123456789", 10);
             } else {
                 sink.done();
             }
             return true;
         },
         "v.mp4", "video/mp4"}};
    auto chunked = client.Post(path, {}, {{"chat_id", "1", "", ""}}, providers);
    REQUIRE(chunked);
    CHECK(chunked->status == 200);
    const auto calls = api.calls("sendVideo");
    REQUIRE(calls.size() == 2);
    CHECK(calls[1].chunked);
    CHECK_FALSE(calls[1].content_length);
    REQUIRE(calls[1].files.size() == 1);
    CHECK(calls[1].files[0].size == 10);

    const auto bad_markup = post_json(
        api, "sendVideo", {{"chat_id", 1}, {"video", "whatever"}, {"reply_markup", "{not json"}});
    CHECK(bad_markup.status == 400);
}

TEST_CASE("stop() releases a pending long poll") {
    auto api = std::make_unique<FakeBotApi>();
    auto poll = std::async(std::launch::async, [&] {
        httplib::Client client(api->base_url());
        client.set_read_timeout(30, 0);
        return client
            .Post("/bot" + api->token() + "/getUpdates", R"({"timeout":30})", "application/json")
            .error();
    });
    REQUIRE(api->wait_for_calls("getUpdates", 1, 5s));
    const auto started = std::chrono::steady_clock::now();
    api->stop();
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    REQUIRE(poll.wait_for(5s) == std::future_status::ready);
    poll.get();
}
