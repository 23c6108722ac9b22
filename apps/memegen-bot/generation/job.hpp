#pragma once
/// \file job.hpp
/// A generation job: what the worker runs while it holds the generation lock.

#include <optional>
#include <string>

#include <memegen/generation_guard.hpp>

#include "config/schedule.hpp"
#include "core/candidate_store.hpp"
#include "observability/generation_metrics.hpp"
#include "telegram/types.hpp"

namespace memegen::bot {

/// What a job makes.
enum class JobKind {
    generate,        ///< /generate [N]: N memes for review
    scheduled,       ///< a daily slot or /runscheduled: candidates (or auto-publish)
    change_track,    ///< a candidate's meme and look with another track
    regenerate,      ///< another meme in a candidate's place
    regenerate_all,  ///< a new batch in place of an old one
    edit_captions,   ///< a candidate rendered again with the owner's captions (issue 13)
};

/// One queued job; it holds the generation lock (ticket) from enqueue to its end.
struct Job {
    JobKind kind = JobKind::generate;
    int count = 1;
    ChatId chat;                             ///< where replies go
    std::string label;                       ///< guard label / state label
    std::string candidate_id;                ///< change_track / regenerate
    std::string batch_id;                    ///< regenerate_all
    std::optional<SlotId> slot;              ///< scheduled (from the daily plan)
    std::optional<EditedCaptions> captions;  ///< edit_captions
    std::optional<GenerationGuard::Ticket> ticket;
};

/// How the metrics count a job's generations.
[[nodiscard]] inline GenerationTrigger trigger_of(const Job& job) noexcept {
    switch (job.kind) {
        case JobKind::generate:
            return job.count > 1 ? GenerationTrigger::batch : GenerationTrigger::command;
        case JobKind::scheduled:
            return GenerationTrigger::schedule;
        case JobKind::regenerate_all:
            return GenerationTrigger::batch;
        case JobKind::change_track:
        case JobKind::regenerate:
        case JobKind::edit_captions:
            return GenerationTrigger::command;
    }
    return GenerationTrigger::command;
}

}  // namespace memegen::bot
