#pragma once
/// \file generator.hpp
/// Makes one meme: picks a source and a track, renders them (retrying with other sources)
/// and records each attempt. No Telegram in here: a caller that wants a chat action on every
/// render tick passes a heartbeat.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <memegen/crash_state_store.hpp>
#include <memegen/generation_guard.hpp>
#include <memegen/resource_monitor.hpp>

#include "config/config.hpp"
#include "core/candidate_store.hpp"
#include "core/messages.hpp"
#include "core/render_runner.hpp"
#include "library/library_catalog.hpp"
#include "library/media_picker.hpp"
#include "observability/daily_stats.hpp"
#include "observability/generation_metrics.hpp"

namespace memegen::bot {

/// A rendered meme, not yet sent anywhere.
struct Made {
    RenderedVideo result;
    std::string media;
    std::string music;
    std::string music_label;  ///< "artist — title" from the track's sidecar, or its name
    std::uint64_t seed = 0;
    int variant_group = 0;
    std::optional<EditedCaptions> captions;  ///< the owner's captions, when edited
};

/// A candidate's look, kept by Change track: the same meme, seed and effects, another track.
struct SameLook {
    std::string media;
    std::string old_music;  ///< the track to avoid
    std::uint64_t seed = 0;
    int variant_group = 0;
    std::vector<std::string> effects;
    std::optional<EditedCaptions> captions;  ///< edited captions stay through a track change
};

/// Who asks, for the lock, the state records and the heartbeat.
struct GenerationContext {
    std::string label;                                ///< the job's label
    const GenerationGuard::Ticket* ticket = nullptr;  ///< passed to a render child
    std::function<void()> heartbeat;                  ///< called on every render tick
};

/// A meme, or the one message the user gets about its failure (each attempt's failure is in
/// the log and the problem history only). Neither when the render was cancelled.
struct Generated {
    std::optional<Made> made;
    std::string failure_html;
};

/// Makes memes from the libraries; one at a time (the generation lock sees to that).
class Generator {
  public:
    Generator(const BotConfig& config, const Messages& text, LibraryCatalog& library,
              MediaPicker& picker, RenderRunner& runner, CrashStateStore& state,
              ResourceMonitor& monitor, DailyStats& stats, GenerationMetrics& metrics);

    /// A new meme, candidate `index` of a job, in `variant_group`. Up to max_attempts
    /// sources are tried; none of `used` (the job's memes so far, unless the library has no
    /// others) nor one that failed. The made meme's source joins `used`.
    Generated make_new(const GenerationContext& context, int index, int variant_group,
                       std::set<std::filesystem::path>& used, std::stop_token stop);
    /// `look`'s meme with another track: one attempt, since the same source would fail the
    /// same way again.
    Generated make_with_new_track(const GenerationContext& context, const SameLook& look,
                                  std::stop_token stop);
    /// `look` rendered again — the same meme, track (`look.old_music`, kept), seed and
    /// effects — with `captions` in place of the sidecar's top and bottom (Edit captions).
    /// One attempt, like Change track.
    Generated make_with_captions(const GenerationContext& context, const SameLook& look,
                                 const EditedCaptions& captions, std::stop_token stop);

    /// A fresh random seed (thread-safe).
    [[nodiscard]] static std::uint64_t fresh_seed();

  private:
    // One render of a chosen source.
    struct Attempt {
        int index = 0;
        int number = 0;  // 0-based attempt of this candidate
        std::filesystem::path media;
        std::string avoid_music;
        std::uint64_t seed = 0;
        int variant_group = 0;
        std::vector<std::string> effects;
        std::optional<std::string> keep_music;  // set: this track ("" none) instead of a pick
        std::optional<EditedCaptions> captions;
    };
    struct AttemptResult {
        std::optional<Made> made;
        bool cancelled = false;
        std::string failure_html;
    };

    void begin_attempt(int index, int number, std::stop_token stop);
    AttemptResult render(const GenerationContext& context, const Attempt& attempt,
                         std::stop_token stop);
    // The render of `attempt`: the configured options plus the candidate's own. Throws
    // MediaError for a kept effect name the renderer does not know.
    [[nodiscard]] RenderRequest request_for(const Attempt& attempt,
                                            const std::optional<std::filesystem::path>& music,
                                            const std::string& music_label);
    void record_failure(const GenerationContext& context, const Attempt& attempt,
                        const RenderOutcome& outcome);
    [[nodiscard]] static std::string context_name(int index, int number);

    const BotConfig& config_;
    const Messages& text_;
    LibraryCatalog& library_;
    MediaPicker& picker_;
    RenderRunner& runner_;
    CrashStateStore& state_;
    ResourceMonitor& monitor_;
    DailyStats& stats_;
    GenerationMetrics& metrics_;
};

}  // namespace memegen::bot
