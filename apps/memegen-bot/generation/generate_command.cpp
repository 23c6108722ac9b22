#include "generation/generate_command.hpp"

#include <charconv>

#include <fmt/format.h>

namespace memegen::bot {

void GenerateCommand::operator()(const CommandRequest& request) {
    int count = 1;
    if (!request.argument.empty()) {
        const auto& argument = request.argument;
        const auto* end = argument.data() + argument.size();
        const auto [ptr, ec] = std::from_chars(argument.data(), end, count);
        if (ec != std::errc() || ptr != end || count < 1 || count > config_.max_batch) {
            replies_.say(request.chat, text_.generate_usage(config_.max_batch));
            return;
        }
    }
    if (!request.admin && cooling_down(request.user, request.chat))
        return;
    Job job;
    job.kind = JobKind::generate;
    job.count = count;
    job.chat = request.chat;
    job.label =
        text_.job_label(count == 1 ? "/generate" : fmt::format("/generate {}", count), request.who);
    queue_.try_start(std::move(job), request.chat);
}

bool GenerateCommand::cooling_down(std::int64_t user, const ChatId& chat) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto cooldown = std::chrono::seconds(config_.generate_cooldown_seconds);
    if (auto it = last_generate_.find(user);
        it != last_generate_.end() && now - it->second < cooldown) {
        replies_.say(chat, text_.cooldown(std::chrono::duration_cast<std::chrono::seconds>(
                                              cooldown - (now - it->second))
                                              .count()));
        return true;
    }
    // Entries past their cooldown say nothing any more: drop them so the map stays small.
    std::erase_if(last_generate_,
                  [&](const auto& entry) { return now - entry.second >= cooldown; });
    last_generate_[user] = now;
    return false;
}

}  // namespace memegen::bot
