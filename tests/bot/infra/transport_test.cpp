#include <doctest/doctest.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "net/http_transport.hpp"
#include "net/url.hpp"

using namespace std::chrono_literals;
namespace net = memegen::bot::net;

TEST_CASE("a base URL keeps its path prefix and refuses a query") {
    using memegen::bot::parse_base_url;
    SUBCASE("a bare host has an empty prefix") {
        const auto u = parse_base_url("https://api.telegram.org");
        REQUIRE(u);
        CHECK(u->https);
        CHECK(u->scheme_host_port == "https://api.telegram.org");
        CHECK(u->target.empty());
    }
    SUBCASE("trailing slashes are dropped from the prefix") {
        const auto u = parse_base_url("https://proxy.example.org/telegram/");
        REQUIRE(u);
        CHECK(u->target == "/telegram");
    }
    SUBCASE("an IPv6 literal keeps its brackets") {
        const auto u = parse_base_url("http://[::1]:8081/x");
        REQUIRE(u);
        CHECK(u->scheme_host_port == "http://[::1]:8081");
        CHECK(u->target == "/x");
    }
    SUBCASE("what the configuration must refuse") {
        for (const char* bad : {"ftp://x", "https://", "http://host:port", "http://a b",
                                "https://host/p?q=1", "https://host/p#f", "http://host:123456",
                                "http://[::1", "http://[]:80", "api.telegram.org"}) {
            CAPTURE(bad);
            CHECK_FALSE(parse_base_url(bad));
        }
    }
}

TEST_CASE("backoff grows by its multiplier up to its cap") {
    const net::Backoff doubling{1000ms, 2.0, 16000ms, false};
    CHECK(doubling.delay(0) == 1000ms);
    CHECK(doubling.delay(3) == 8000ms);
    CHECK(doubling.delay(4) == 16000ms);
    CHECK(doubling.delay(40) == 16000ms);
    SUBCASE("jitter stays within 20 % and under the cap") {
        const net::Backoff jittered{1000ms, 1.5, 30000ms, true};
        for (int i = 0; i < 50; ++i) {
            const auto d = jittered.jittered(1);
            CHECK(d >= 1200ms);
            CHECK(d <= 1800ms);
            CHECK(jittered.jittered(30) <= 30000ms);
        }
    }
}

TEST_CASE("retries count attempts and stop waiting when asked") {
    std::stop_source source;
    net::Retries retries(3, net::Backoff{0ms, 2.0, 0ms, false}, source.get_token());
    CHECK(retries.attempt() == 1);
    CHECK_FALSE(retries.exhausted());
    REQUIRE(retries.wait(retries.next_backoff()));
    REQUIRE(retries.wait(0ms));
    CHECK(retries.attempt() == 3);
    CHECK(retries.exhausted());
    SUBCASE("a stop during a wait ends it at once, without a next attempt") {
        net::Retries slow(5, net::Backoff{}, source.get_token());
        std::jthread stopper([&] { source.request_stop(); });
        const auto started = net::Clock::now();
        CHECK_FALSE(slow.wait(60s));
        CHECK(net::Clock::now() - started < 30s);
        CHECK(slow.attempt() == 1);
        CHECK(slow.stop_requested());
    }
}

TEST_CASE("a client for an https origin verifies certificates and follows no redirect") {
    const auto client = net::make_client("https://127.0.0.1:1", {100ms, 100ms, ""});
    REQUIRE(client);
    CHECK(client->is_valid());
    // Nothing listens on port 1: a refused connection, reported, not a crash.
    const auto result =
        net::send_stoppable(*client, std::stop_token{}, [&] { return client->Get("/"); });
    CHECK_FALSE(result);
    CHECK_FALSE(net::is_tls_trust_failure(result.error()));
}
