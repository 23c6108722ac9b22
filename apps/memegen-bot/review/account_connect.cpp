#include "review/account_connect.hpp"

#include <memegen/log.hpp>

#include "telegram/html.hpp"

namespace memegen::bot {

AccountConnect::AccountConnect(const Messages& text, Replies& replies, publish::GoogleOAuth* google)
    : text_(text), replies_(replies), google_(google) {}

AccountConnect::~AccountConnect() {
    if (flow_.joinable()) {
        flow_.request_stop();
        flow_.join();
    }
}

bool AccountConnect::usable(const CommandRequest& r) {
    if (r.argument != "youtube") {
        replies_.say(r.chat, text_.connect_usage());
        return false;
    }
    if (google_ == nullptr) {
        replies_.say(r.chat, text_.connect_not_configured());
        return false;
    }
    return true;
}

void AccountConnect::connect(const CommandRequest& r) {
    if (!usable(r))
        return;
    if (running_.exchange(true)) {
        replies_.say(r.chat, text_.connect_running());
        return;
    }
    if (flow_.joinable())
        flow_.join();  // the previous flow has ended (running_ was false)
    flow_ = std::jthread([this, chat = r.chat](std::stop_token stop) {
        try {
            const auto code = google_->start_device_flow(stop);
            replies_.say(
                chat, text_.connect_code(escape_html(code.verification_url),
                                         escape_html(code.user_code), (code.expires_in + 59) / 60));
            switch (google_->finish_device_flow(code, stop)) {
                case publish::DeviceFlowEnd::authorized:
                    replies_.say(chat, text_.connect_done());
                    break;
                case publish::DeviceFlowEnd::access_denied:
                    replies_.say(chat, text_.connect_denied());
                    break;
                case publish::DeviceFlowEnd::expired_token:
                    replies_.say(chat, text_.connect_expired());
                    break;
                case publish::DeviceFlowEnd::cancelled:
                    break;
            }
        } catch (const std::exception& e) {
            log_warning("{}", e.what());
            if (!stop.stop_requested())
                replies_.say(chat, text_.connect_failed(escape_html(e.what())));
        }
        running_ = false;
    });
}

void AccountConnect::disconnect(const CommandRequest& r) {
    if (!usable(r))
        return;
    // A /connect under way ends: its code would authorize what is being revoked. Its waits and
    // requests are stoppable, so the join is short.
    if (flow_.joinable()) {
        flow_.request_stop();
        flow_.join();
    }
    running_ = true;
    // Off the poll loop: Google may take its whole timeout to answer the revocation.
    flow_ = std::jthread([this, chat = r.chat](std::stop_token stop) {
        try {
            google_->revoke(stop);
            replies_.say(chat, text_.disconnected());
        } catch (const std::exception& e) {
            log_warning("{}", e.what());
            if (!stop.stop_requested())
                replies_.say(chat, text_.connect_failed(escape_html(e.what())));
        }
        running_ = false;
    });
}

}  // namespace memegen::bot
