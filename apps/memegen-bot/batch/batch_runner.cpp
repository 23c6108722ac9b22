#include "batch/batch_runner.hpp"

#include <filesystem>
#include <set>

#include <memegen/log.hpp>

namespace memegen::bot {

namespace {

void remove_rendered(const std::vector<Made>& made) {
    for (const auto& m : made) {
        std::error_code ec;
        std::filesystem::remove(m.result.output, ec);
        std::filesystem::remove(m.result.thumbnail, ec);
    }
}

}  // namespace

BatchRunner::BatchRunner(const BotConfig& config, const Messages& text, Replies& replies,
                         Generator& generator, ReviewFlow& review, PublishFlow& publish,
                         CandidateStore& candidates, CrashStateStore& state,
                         ResourceMonitor& monitor, GenerationCounts& counts,
                         ScheduledRuns& schedule, std::stop_token bot_stop)
    : config_(config),
      text_(text),
      replies_(replies),
      generator_(generator),
      review_(review),
      publish_(publish),
      candidates_(candidates),
      state_(state),
      monitor_(monitor),
      counts_(counts),
      schedule_(schedule),
      bot_stop_(std::move(bot_stop)) {}

GenerationContext BatchRunner::context_of(const Job& job) {
    return {job.label, job.ticket ? &*job.ticket : nullptr,
            [this, chat = job.chat] { replies_.chat_action(chat, "upload_video"); }};
}

BatchProgress BatchRunner::progress_of(const Job& job, bool shown) {
    return BatchProgress(replies_, text_, config_.state_dir / "batch.json", job.chat, job.label,
                         job.count, shown);
}

// ---------------------------------------------------------------- /generate [N]

void BatchRunner::run_generate(Job& job, std::stop_token stop) {
    const auto started = std::chrono::steady_clock::now();
    const bool batch = job.count > 1;
    if (batch)
        monitor_.log_resource_usage("batch_start");
    const auto batch_id = CandidateStore::new_id();
    auto progress = progress_of(job, batch);
    progress.show(true);
    const auto context = context_of(job);
    std::set<std::filesystem::path> used;
    for (int index = 0; index < job.count && !stop.stop_requested(); ++index) {
        const auto generated = generator_.make_new(context, index, index % 5, used, stop);
        if (stop.stop_requested() && !generated.made)
            break;
        std::string failure = generated.failure_html;
        bool sent = false;
        if (generated.made) {
            auto result = review_.send(*generated.made, job.chat, batch_id);
            sent = result.candidate.has_value();
            failure = std::move(result.failure_html);
        }
        counts_.finished(job, sent);
        (sent ? progress.done : progress.failed) += 1;
        // One message per meme: the video, or its one failure with the cause.
        if (!sent && !failure.empty())
            replies_.say(job.chat, failure);
        progress.show(false);
    }
    end_generate(job, progress, batch, started, stop);
    if (batch)
        monitor_.log_resource_usage("batch_end");
}

void BatchRunner::end_generate(Job& job, BatchProgress& progress, bool batch,
                               std::chrono::steady_clock::time_point started,
                               std::stop_token stop) {
    if (stop.stop_requested()) {
        // The bot's own stop is a shutdown; the job's alone is /cancel.
        const bool shutdown = shutting_down();
        counts_.cancelled(job, job.count - progress.done - progress.failed);
        const auto stopped = text_.batch_stopped(shutdown, progress.done, job.count);
        if (batch) {
            progress.end(stopped, shutdown);
        } else if (shutdown) {
            replies_.say_while_stopping(job.chat, stopped);
        }
        if (!shutdown)
            replies_.say(job.chat, text_.cancelled());
        state_.record(stage::cancelled, {{"label", job.label},
                                         {"ok", progress.done},
                                         {"failed", progress.failed},
                                         {"by", shutdown ? "shutdown" : "cancel"}});
    } else if (batch) {
        progress.end(progress.counts_text(), false);
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
        replies_.say(job.chat, text_.batch_summary(progress.done, progress.failed, seconds));
        state_.record(stage::idle,
                      {{"label", job.label}, {"ok", progress.done}, {"failed", progress.failed}});
    } else {
        state_.record(stage::idle, {{"label", job.label}});
    }
}

// ---------------------------------------------------------------- scheduled batches

void BatchRunner::run_scheduled(Job& job, std::stop_token stop) {
    monitor_.log_resource_usage("scheduled_start");
    const bool again = job.kind == JobKind::regenerate_all;
    const auto batch_id = again ? job.batch_id : CandidateStore::new_id();
    if (again) {
        // The old candidates of that batch are replaced: their buttons become stale.
        for (const auto& c : candidates_.batch(job.batch_id)) {
            if (c.status == CandidateStatus::review)
                candidates_.transition(c.id, CandidateStatus::review, CandidateStatus::replaced);
        }
    }
    // Acknowledged at once: the progress message, as for /generate N.
    auto progress = progress_of(job, true);
    progress.show(true);
    const auto harvest = make_all(job, progress, stop);
    bool any_sent = false;
    if (config_.auto_publish && publish_.has_targets() && !harvest.made.empty() &&
        !stop.stop_requested()) {
        progress.end(progress.counts_text(), false);
        any_sent = auto_publish(job, harvest, batch_id);
    } else if (!stop.stop_requested()) {
        // The progress message becomes the intro of the candidates below it.
        progress.end(harvest.made.empty()
                         ? text_.batch_progress(harvest.failed, job.count, harvest.failed)
                         : text_.scheduled_intro(static_cast<int>(harvest.made.size())),
                     false);
        any_sent = send_for_review(job, harvest, batch_id);
    }
    if (job.slot) {
        schedule_.mark(*job.slot,
                       !stop.stop_requested() && any_sent ? SlotStatus::done : SlotStatus::failed);
    }
    if (stop.stop_requested()) {
        end_scheduled_stopped(job, progress, harvest, any_sent);
    } else {
        state_.record(
            stage::idle,
            {{"label", job.label}, {"ok", harvest.made.size()}, {"failed", harvest.failed}});
    }
    monitor_.log_resource_usage("scheduled_end");
}

BatchRunner::Harvest BatchRunner::make_all(Job& job, BatchProgress& progress,
                                           std::stop_token stop) {
    Harvest out;
    const auto context = context_of(job);
    std::set<std::filesystem::path> used;
    for (int index = 0; index < job.count && !stop.stop_requested(); ++index) {
        // Different variant groups make candidates of one job look different.
        auto generated = generator_.make_new(context, index, index % 5, used, stop);
        if (generated.made) {
            out.made.push_back(std::move(*generated.made));
            ++progress.done;
        } else if (!stop.stop_requested()) {
            ++out.failed;
            ++progress.failed;
            counts_.finished(job, false);
            if (!generated.failure_html.empty())
                out.failures.push_back(std::move(generated.failure_html));
        }
        progress.show(false);
    }
    return out;
}

// The first good meme goes out without waiting for review, through the same targets and
// per-target lines as the Publish button, so the owner sees what was posted where (and can
// Retry a failed target); the rest of the batch is dropped.
bool BatchRunner::auto_publish(Job& job, const Harvest& harvest, const std::string& batch_id) {
    const auto sent = review_.send(harvest.made.front(), job.chat, batch_id);
    counts_.finished(job, sent.candidate.has_value());
    remove_rendered(harvest.made);
    if (!sent.candidate) {
        if (!sent.failure_html.empty())
            replies_.say(job.chat, sent.failure_html);
        return false;
    }
    publish_.publish_now(sent.candidate->id);
    return true;
}

bool BatchRunner::send_for_review(Job& job, const Harvest& harvest, const std::string& batch_id) {
    for (const auto& failure : harvest.failures)
        replies_.say(job.chat, failure);
    bool any_sent = false;
    for (const auto& m : harvest.made) {
        const auto sent = review_.send(m, job.chat, batch_id);
        any_sent = any_sent || sent.candidate.has_value();
        counts_.finished(job, sent.candidate.has_value());
        if (!sent.candidate && !sent.failure_html.empty())
            replies_.say(job.chat, sent.failure_html);
    }
    if (any_sent) {
        replies_.say(job.chat,
                     text_.scheduled_done(static_cast<int>(harvest.made.size()), harvest.failed),
                     review_.regenerate_all_keyboard(batch_id));
    }
    return any_sent;
}

void BatchRunner::end_scheduled_stopped(Job& job, BatchProgress& progress, const Harvest& harvest,
                                        bool any_sent) {
    const bool shutdown = shutting_down();
    // Candidates made but not sent, and those never made, were cancelled.
    if (!any_sent)
        counts_.cancelled(job, job.count - harvest.failed);
    progress.end(text_.batch_stopped(shutdown, static_cast<int>(harvest.made.size()), job.count),
                 shutdown);
    remove_rendered(harvest.made);
    if (!shutdown)
        replies_.say(job.chat, text_.cancelled());
    state_.record(stage::cancelled,
                  {{"label", job.label}, {"by", shutdown ? "shutdown" : "cancel"}});
}

}  // namespace memegen::bot
