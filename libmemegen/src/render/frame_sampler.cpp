#include "frame_sampler.hpp"

#include <algorithm>
#include <new>

namespace memegen::detail {
namespace {

// Seconds before a sample from which every picture decodes again: more than the decoder's
// delay (its reordered pictures), so the picture shown at the sample is a whole one.
constexpr double kSkipAhead = 0.5;

}  // namespace

std::vector<double> sample_times(VideoSource& source, int count, bool with_first) {
    if (source.kind() == MediaKind::still || count <= 1)
        return {0.0};
    double length = source.duration_seconds();
    if (length <= 0)
        length = source.scan_duration();
    length = std::min(length, kSampledSpan);
    std::vector<double> times;
    if (with_first)
        times.push_back(0.0);
    const int spans = with_first ? count - 1 : count;
    for (int k = 0; k < spans; ++k)
        times.push_back(length * (k + 0.5) / spans);
    return times;
}

void for_each_sample(VideoSource& source, const std::vector<double>& times,
                     const std::function<void(const AVFrame&)>& look) {
    FramePtr held = make_frame();  // the picture last decoded: next_frame() reuses its own
    bool have = false;
    for (const double t : times) {
        bool reached = false;
        // Far from the sample, pictures nothing refers to are not even decoded (a 12 s 720p
        // clip's three samples: detect_text 375-460 ms instead of 490-536, the hash 246-307
        // instead of 364-405).
        source.skip_unreferenced(t - source.frame_seconds() > kSkipAhead);
        while (const AVFrame* f = source.next_frame()) {
            if (source.frame_seconds() + kSkipAhead >= t)
                source.skip_unreferenced(false);
            av_frame_unref(held.get());
            if (av_frame_ref(held.get(), f) < 0)
                throw std::bad_alloc();
            have = true;
            if (source.frame_seconds() + 1e-6 >= t) {
                reached = true;
                break;
            }
        }
        source.skip_unreferenced(false);
        if (!have)
            return;
        look(*held);
        if (!reached)
            return;
    }
}

}  // namespace memegen::detail
