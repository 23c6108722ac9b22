#pragma once
/// \file account_connect.hpp
/// /connect youtube and /disconnect youtube: Google's device flow started from Telegram. The
/// owner gets the verification URL and the user code; the token endpoint is polled in the
/// background (interval, slow_down, access_denied, expired_token as GoogleOAuth honours them)
/// and the refresh token is stored in the state dir with mode 0600. /disconnect revokes it
/// (ending a /connect under way). Both talk to Google on their own thread, never the poll loop.
/// Error idiom: GoogleOAuth throws PublishError (already redacted); each becomes one reply.

#include <atomic>
#include <stop_token>
#include <thread>

#include "commands/command_table.hpp"
#include "core/messages.hpp"
#include "publish/google_oauth.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// The two commands; one device flow or revocation at a time.
class AccountConnect {
  public:
    /// `google` is null when publish.youtube is not configured.
    AccountConnect(const Messages& text, Replies& replies, publish::GoogleOAuth* google);
    ~AccountConnect();
    AccountConnect(const AccountConnect&) = delete;
    AccountConnect& operator=(const AccountConnect&) = delete;

    void connect(const CommandRequest& r);
    void disconnect(const CommandRequest& r);

  private:
    [[nodiscard]] bool usable(const CommandRequest& r);

    const Messages& text_;
    Replies& replies_;
    publish::GoogleOAuth* google_;
    std::atomic<bool> running_{false};
    std::jthread flow_;
};

}  // namespace memegen::bot
