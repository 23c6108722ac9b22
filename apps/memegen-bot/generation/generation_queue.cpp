#include "generation/generation_queue.hpp"

namespace memegen::bot {

GenerationQueue::GenerationQueue(GenerationGuard& guard, const Messages& text, Replies& replies)
    : guard_(guard), text_(text), replies_(replies) {}

GenerationQueue::~GenerationQueue() {
    stop();
}

void GenerationQueue::start(Runner runner, std::stop_token bot_stop) {
    runner_ = std::move(runner);
    worker_ = std::jthread([this, bot_stop](std::stop_token) { worker_loop(bot_stop); });
}

void GenerationQueue::push(Job job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
}

bool GenerationQueue::try_start(Job job, const ChatId& chat, const std::string& callback_id) {
    auto acquired = guard_.try_acquire(job.label);
    if (!acquired) {
        const auto message = acquired.holder() ? text_.busy(acquired.holder()->seconds_held())
                                               : text_.busy_unknown();
        if (callback_id.empty()) {
            replies_.say(chat, message);
        } else {
            replies_.answer(callback_id, message, true);
        }
        return false;
    }
    job.ticket.emplace(acquired.take());
    push(std::move(job));
    return true;
}

GenerationQueue::Waited GenerationQueue::start_waiting(Job job, std::chrono::minutes wait,
                                                       std::stop_token stop) {
    auto acquired = guard_.acquire(job.label, wait, stop);
    if (!acquired) {
        if (stop.stop_requested())
            return {};
        return {false, acquired.holder() ? acquired.holder()->label : std::string("unknown")};
    }
    job.ticket.emplace(acquired.take());
    push(std::move(job));
    return {true, {}};
}

bool GenerationQueue::cancel() {
    std::lock_guard lock(mutex_);
    if (!current_)
        return false;
    current_->request_stop();
    return true;
}

void GenerationQueue::stop() {
    cancel();
    cv_.notify_all();
    if (worker_.joinable())
        worker_.join();
}

void GenerationQueue::worker_loop(std::stop_token stop) {
    for (;;) {
        Job job;
        std::stop_token job_stop;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, stop, [this] { return !jobs_.empty(); });
            if (jobs_.empty()) {
                if (stop.stop_requested())
                    return;
                continue;
            }
            job = std::move(jobs_.front());
            jobs_.pop_front();
            current_.emplace();
            // Jobs queued before a shutdown still end (and say so), cancelled at once.
            if (stop.stop_requested())
                current_->request_stop();
            job_stop = current_->get_token();
        }
        runner_(job, job_stop);
        {
            std::lock_guard lock(mutex_);
            current_.reset();
        }
        job.ticket.reset();  // releases the guard: logs 🔓 and after_unlock memory
    }
}

}  // namespace memegen::bot
