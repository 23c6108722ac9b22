#pragma once
/// \file generation_queue.hpp
/// One generation at a time: a job takes the generation lock when it is queued (a second one
/// is refused with the seed's message, or, scheduled, waits a bounded time), runs on the one
/// worker thread, and can be cancelled by /cancel.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include <memegen/generation_guard.hpp>

#include "core/messages.hpp"
#include "generation/job.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// The job queue and its worker.
class GenerationQueue {
  public:
    /// Runs one job; `stop` is the job's own (the bot's stop or /cancel). Must not throw.
    using Runner = std::function<void(Job&, std::stop_token stop)>;

    GenerationQueue(GenerationGuard& guard, const Messages& text, Replies& replies);
    ~GenerationQueue();
    GenerationQueue(const GenerationQueue&) = delete;
    GenerationQueue& operator=(const GenerationQueue&) = delete;

    /// Starts the worker; `bot_stop` ends it (the running job is cancelled by stop()).
    void start(Runner runner, std::stop_token bot_stop);
    /// Queues `job` if the lock is free. If not, tells `chat` (or, for a button, answers
    /// `callback_id` with an alert) that a generation runs, and returns false.
    bool try_start(Job job, const ChatId& chat, const std::string& callback_id = {});

    /// What start_waiting() did.
    struct Waited {
        bool queued = false;
        std::string holder;  ///< who kept the lock, when not queued and not stopped
    };
    /// Queues `job` once the lock is free, waiting up to `wait` (scheduled runs).
    Waited start_waiting(Job job, std::chrono::minutes wait, std::stop_token stop);

    /// Cancels the running job; false if none runs.
    bool cancel();
    /// Cancels the running job and waits for the worker to end (the bot's stop must already
    /// be requested, or the worker goes on with the next job).
    void stop();

  private:
    void push(Job job);
    void worker_loop(std::stop_token stop);

    GenerationGuard& guard_;
    const Messages& text_;
    Replies& replies_;
    Runner runner_;

    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::deque<Job> jobs_;
    std::optional<std::stop_source> current_;  // the running job's stop; guarded by mutex_
    std::jthread worker_;
};

}  // namespace memegen::bot
