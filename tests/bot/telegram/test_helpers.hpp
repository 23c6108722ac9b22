#pragma once
// Shared setup of the Telegram client tests: a client aimed at the fake server with fast,
// deterministic retry settings, and catching the error a call must throw.

#include <chrono>
#include <stdexcept>

#include <doctest/doctest.h>

#include "fake_bot_api.hpp"
#include "telegram/bot_api.hpp"

namespace memegen::test {

/// Options for a client of `api` with short backoffs and timeouts, so failure paths run fast.
inline bot::BotApiOptions fast_options(const FakeBotApi& api) {
    bot::BotApiOptions o;
    o.token = api.token();
    o.base_url = api.base_url();
    o.connect_timeout = std::chrono::milliseconds(2000);
    o.request_timeout = std::chrono::milliseconds(3000);
    o.transfer_timeout = std::chrono::milliseconds(10000);
    o.long_poll_margin = std::chrono::milliseconds(3000);
    o.retry.max_attempts = 5;
    o.retry.initial_backoff = std::chrono::milliseconds(20);
    o.retry.max_backoff = std::chrono::milliseconds(200);
    return o;
}

/// The TelegramError `f` throws; a test failure when it throws none.
template <typename F>
bot::TelegramError catch_telegram_error(F&& f) {
    try {
        f();
    } catch (const bot::TelegramError& e) {
        return e;
    }
    FAIL("expected a TelegramError");
    throw std::logic_error("unreachable");
}

}  // namespace memegen::test
