#pragma once
/// \file generation_metrics.hpp
/// GenerationMetrics: what the bot's generations did since it started — a counter per
/// trigger and result, and a histogram of render durations. Thread-safe: the worker records,
/// the metrics endpoint reads.

#include <array>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace memegen::bot {

/// What started a generation.
enum class GenerationTrigger {
    command,   ///< /generate (one video) or a review button (change track, regenerate)
    batch,     ///< /generate N with N > 1, or "regenerate all"
    schedule,  ///< a daily slot or /runscheduled
};

/// How one generation (one video) ended.
enum class GenerationResult { ok, failed, cancelled };

/// "command" / "batch" / "schedule".
[[nodiscard]] std::string_view to_string(GenerationTrigger trigger) noexcept;
/// "ok" / "failed" / "cancelled".
[[nodiscard]] std::string_view to_string(GenerationResult result) noexcept;

/// Counts and render durations of the generations of this process.
class GenerationMetrics {
  public:
    /// Upper bounds (seconds) of the render-duration histogram's buckets, "+Inf" implied.
    /// Chosen around what renders take here: 1–4 s at 1080×1920, up to minutes on slow hosts.
    static constexpr std::array<double, 10> duration_buckets{1,  2,  5,   10,  20,
                                                             30, 60, 120, 300, 600};

    /// A copy of the figures, taken under the lock.
    struct Snapshot {
        /// generations[trigger][result].
        std::array<std::array<std::uint64_t, 3>, 3> generations{};
        /// Renders whose duration was ≤ duration_buckets[i] (cumulative, as Prometheus wants).
        std::array<std::uint64_t, duration_buckets.size()> duration_le{};
        std::uint64_t duration_count = 0;  ///< renders timed
        double duration_sum = 0;           ///< their total seconds

        /// generations[trigger][result] by name.
        [[nodiscard]] std::uint64_t count(GenerationTrigger trigger,
                                          GenerationResult result) const noexcept;
    };

    /// Counts one generation (one video asked for) by what started it and how it ended.
    void record(GenerationTrigger trigger, GenerationResult result);

    /// Adds one render's wall time (seconds) to the histogram — every render that ran to its
    /// end, retries included, so slow media show up even when a retry saved the generation.
    void observe_render(double seconds);

    /// The figures now.
    [[nodiscard]] Snapshot snapshot() const;

  private:
    mutable std::mutex mutex_;
    Snapshot figures_;
};

}  // namespace memegen::bot
