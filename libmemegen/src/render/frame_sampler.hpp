#pragma once
// A few pictures of a meme, for looking at it rather than rendering it: where its text is
// (detect_text) and what it looks like (perceptual_hash). A still is its one picture; a clip is
// sampled over its first seconds, where a meme's look and text are set, which also bounds the
// decode of a long video.

#include <functional>
#include <vector>

#include "video_source.hpp"

namespace memegen::detail {

/// Seconds of a clip the samples spread over.
inline constexpr double kSampledSpan = 6.0;

/// {0} for a still (or count 1); otherwise the middles of `count` equal spans of the clip's
/// first kSampledSpan seconds (its length from the header, or scanned), after the clip's first
/// picture when `with_first`.
[[nodiscard]] std::vector<double> sample_times(VideoSource& source, int count, bool with_first);

/// Decodes up to each time in turn and calls `look` with the picture shown then. A clip
/// shorter than its header said: its last picture stands for the times past its end, once.
void for_each_sample(VideoSource& source, const std::vector<double>& times,
                     const std::function<void(const AVFrame&)>& look);

}  // namespace memegen::detail
