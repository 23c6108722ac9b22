#pragma once
/// \file upload_intake.hpp
/// Media sent to the bot: queued by the polling thread, then downloaded (within
/// library.max_upload_mb, checked before and during the download), probed and admitted to a
/// library on a thread of its own, and answered with what was added or why not — a meme that
/// looks like one the bot has seen is refused naming it (library/look_alikes.hpp).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "commands/update_router.hpp"
#include "config/config.hpp"
#include "core/messages.hpp"
#include "intake/sent_file.hpp"
#include "library/library_catalog.hpp"
#include "replies/telegram_replies.hpp"
#include "telegram/bot_api.hpp"

namespace memegen::bot {

/// The upload queue and its worker.
class UploadIntake {
  public:
    UploadIntake(const BotConfig& config, const Messages& text, const BotApi& api,
                 TelegramReplies& replies, LibraryCatalog& library);

    /// From the polling thread: queues an admin's upload (bounded), or says why not.
    void queue(const UploadUpdate& upload);
    /// Takes queued uploads until `stop`.
    void loop(std::stop_token stop);

  private:
    void take(const UploadUpdate& upload, std::stop_token stop);
    // The downloaded file, or nullopt once the sender was told why not.
    std::optional<std::filesystem::path> download(const SentFile& sent, const UploadUpdate& upload,
                                                  std::stop_token stop);
    void too_large(const UploadUpdate& upload, std::uint64_t bytes);
    // "it looks like <b>cat.jpg</b>, published on ...": why a near-duplicate was refused.
    [[nodiscard]] std::string near_duplicate_html(const LookAlike& look_alike) const;
    [[nodiscard]] std::uint64_t limit_bytes() const;

    const BotConfig& config_;
    const Messages& text_;
    const BotApi& api_;
    TelegramReplies& replies_;
    LibraryCatalog& library_;
    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::deque<UploadUpdate> queue_;  // oldest first
};

}  // namespace memegen::bot
