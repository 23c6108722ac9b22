#pragma once
/// \file generate_command.hpp
/// /generate [N]: checks N, keeps strangers (open_generate) to one generation per
/// generate_cooldown_seconds, and queues the job.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>

#include "commands/command_table.hpp"
#include "config/config.hpp"
#include "core/messages.hpp"
#include "generation/generation_queue.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// The /generate handler; thread-safe.
class GenerateCommand {
  public:
    GenerateCommand(const BotConfig& config, const Messages& text, Replies& replies,
                    GenerationQueue& queue)
        : config_(config), text_(text), replies_(replies), queue_(queue) {}

    void operator()(const CommandRequest& request);

  private:
    // True (and the sender told how long to wait) while `user`'s cooldown runs; else starts it.
    bool cooling_down(std::int64_t user, const ChatId& chat);

    const BotConfig& config_;
    const Messages& text_;
    Replies& replies_;
    GenerationQueue& queue_;
    std::mutex mutex_;
    std::map<std::int64_t, std::chrono::steady_clock::time_point> last_generate_;
};

}  // namespace memegen::bot
