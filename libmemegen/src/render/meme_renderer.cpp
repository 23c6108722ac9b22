// The render loop: decode → prepare (scale, effects) → compose (background, captions) →
// fade → encode, one output frame at a time, with the sound produced alongside.

#include "memegen/meme_renderer.hpp"

#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "audio_source.hpp"
#include "compositor.hpp"
#include "memegen/error.hpp"
#include "memegen/log.hpp"
#include "memegen/resource_monitor.hpp"
#include "output_file.hpp"
#include "random.hpp"
#include "text_overlay.hpp"
#include "video_source.hpp"

namespace memegen {
namespace {

using detail::FramePtr;
using detail::MediaKind;

constexpr double kFadeSeconds = 0.5;
constexpr double kSpeedChange = 0.05;
constexpr double kBoomerangSeconds = 3.0;  // the forward segment, clip time (≥ 2 s: issue 10)
// A clip longer than this would lose its end (often the punchline) to a drawn boomerang.
constexpr double kBoomerangLongestClip = 2 * kBoomerangSeconds;
constexpr int kThumbnailSide = 320;
constexpr int kAudioBitrate = 128000;
constexpr std::int64_t kMinVideoBitrate = 64000;

bool has(const std::vector<Effect>& effects, Effect e) {
    return std::find(effects.begin(), effects.end(), e) != effects.end();
}

std::string_view kind_name(MediaKind kind) {
    switch (kind) {
        case MediaKind::still:
            return "still";
        case MediaKind::animation:
            return "animation";
        case MediaKind::video:
            return "video";
    }
    return "?";
}

// A file that is removed when the render does not reach the end (failure or cancellation).
class TempFile {
  public:
    explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {}
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (!committed_) {
            std::error_code ec;
            std::filesystem::remove(path_, ec);
        }
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    /// Renames into place; from then on the file is the caller's.
    void commit_to(const std::filesystem::path& target) {
        std::error_code ec;
        std::filesystem::rename(path_, target, ec);
        if (ec)
            throw SystemError("cannot move the result into '" + target.string() + "'", ec.value());
        committed_ = true;
    }

  private:
    std::filesystem::path path_;
    bool committed_ = false;
};

std::filesystem::path temp_name(const std::filesystem::path& target, const char* extension) {
    static std::atomic<unsigned> counter{0};
    return target.parent_path() / (partial_output_prefix(target, ::getpid()) +
                                   std::to_string(counter.fetch_add(1)) + extension);
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
    std::error_code ec;
    return std::filesystem::equivalent(a, b, ec) && !ec;
}

// By inode, so a hard link or another spelling of the input's path is caught too.
void refuse_overwriting_input(const std::filesystem::path& media,
                              const std::filesystem::path& output) {
    std::error_code ec;
    if (output.filename().empty() || std::filesystem::is_directory(output, ec)) {
        throw MediaError("'" + output.string() + "': the output must be a file path like " +
                         (output / "meme.mp4").lexically_normal().string());
    }
    if (same_file(media, output)) {
        throw MediaError("'" + output.string() + "' is the input '" + media.string() +
                         "' itself: choose another output path");
    }
    const auto thumbnail = thumbnail_path_for(output);
    if (same_file(media, thumbnail)) {
        throw MediaError("'" + output.string() + "': its thumbnail '" + thumbnail.string() +
                         "' would replace the input: choose another output path");
    }
}

void validate(const RenderOptions& o) {
    const auto bad = [](const std::string& what) { throw MediaError("render options: " + what); };
    if (o.size.width < 64 || o.size.height < 64 || o.size.width > 4096 || o.size.height > 4096 ||
        o.size.width % 2 != 0 || o.size.height % 2 != 0) {
        bad("frame size " + std::to_string(o.size.width) + "x" + std::to_string(o.size.height) +
            " must be even and within 64-4096");
    }
    if (o.fps < 1 || o.fps > 60)
        bad("fps " + std::to_string(o.fps) + " is outside 1-60");
    if (o.crf < 0 || o.crf > 51)
        bad("crf " + std::to_string(o.crf) + " is outside 0-51");
    if (!is_x264_preset(o.preset))
        bad("preset '" + o.preset + "' is not an x264 preset (ultrafast ... placebo)");
    if (o.variant_group < 0 || o.variant_group > 4) {
        bad("variant group " + std::to_string(o.variant_group) + " is outside 0-4");
    }
    if (!(o.min_seconds > 0) || o.max_seconds < o.min_seconds || !(o.max_video_seconds > 0) ||
        o.max_video_seconds > 60) {
        bad("lengths need 0 < min_seconds <= max_seconds and 0 < max_video_seconds <= 60");
    }
    if (o.duration_seconds && !(*o.duration_seconds > 0))
        bad("duration must be positive");
    if (o.encoder_threads < 1 || o.encoder_threads > 16)
        bad("encoder threads outside 1-16");
    if (o.audio == AudioMode::music && o.music.empty())
        bad("audio mode 'music' needs a music file");
}

class Canceller {
  public:
    Canceller(const RenderOptions& o, std::chrono::steady_clock::time_point start)
        : stop_(o.stop), limit_(o.time_limit), start_(start) {}
    void check(const std::filesystem::path& output) const {
        if (stop_.stop_requested())
            throw CancelledError("render of '" + output.string() + "' was cancelled");
        if (limit_ && std::chrono::steady_clock::now() - start_ > *limit_) {
            throw CancelledError("render of '" + output.string() + "' passed its time limit of " +
                                 std::to_string(limit_->count()) + " ms");
        }
    }

  private:
    std::stop_token stop_;
    std::optional<std::chrono::milliseconds> limit_;
    std::chrono::steady_clock::time_point start_;
};

// The sound of the render: music, the meme's own audio, both, or silence, with fades.
class Soundtrack {
  public:
    Soundtrack(std::optional<detail::AudioSource> music, std::optional<detail::AudioSource> meme,
               std::int64_t total_samples, double fade_out_seconds, bool fade_in)
        : music_(std::move(music)),
          meme_(std::move(meme)),
          total_(total_samples),
          fade_out_(
              std::max<std::int64_t>(1, std::llround(fade_out_seconds * detail::kSampleRate))),
          fade_in_(fade_in ? std::llround(kFadeSeconds * detail::kSampleRate) : 0) {}

    [[nodiscard]] std::string_view source() const {
        if (music_ && meme_)
            return "mix";
        if (music_)
            return "music";
        if (meme_)
            return "meme";
        return "silence";
    }
    [[nodiscard]] std::int64_t written() const noexcept { return written_; }

    [[nodiscard]] std::int64_t total() const noexcept { return total_; }

    /// The next block of at most `block` samples (pts: its first sample), or nullptr once
    /// every sample has been handed out.
    FramePtr next_block(int block) {
        if (written_ >= total_)
            return nullptr;
        const int n = static_cast<int>(std::min<std::int64_t>(block, total_ - written_));
        FramePtr frame = detail::make_frame();
        frame->format = AV_SAMPLE_FMT_FLTP;
        frame->ch_layout = AV_CHANNEL_LAYOUT_STEREO;
        frame->sample_rate = detail::kSampleRate;
        frame->nb_samples = n;
        if (av_frame_get_buffer(frame.get(), 0) < 0)
            throw std::bad_alloc();
        auto* left = reinterpret_cast<float*>(frame->data[0]);
        auto* right = reinterpret_cast<float*>(frame->data[1]);
        float* planes[2] = {left, right};
        if (music_) {
            music_->read(planes, n);
        } else {
            std::fill(left, left + n, 0.0f);
            std::fill(right, right + n, 0.0f);
        }
        if (meme_) {
            scratch_l_.resize(static_cast<std::size_t>(n));
            scratch_r_.resize(static_cast<std::size_t>(n));
            float* own[2] = {scratch_l_.data(), scratch_r_.data()};
            meme_->read(own, n);
            // Mixed, the music sits under the meme's own sound.
            const float music_gain = music_ ? 0.5f : 0.0f;
            for (int i = 0; i < n; ++i) {
                left[i] = std::clamp(left[i] * music_gain + own[0][i], -1.0f, 1.0f);
                right[i] = std::clamp(right[i] * music_gain + own[1][i], -1.0f, 1.0f);
            }
        }
        for (int i = 0; i < n; ++i) {
            const std::int64_t at = written_ + i;
            double gain = std::min(1.0, static_cast<double>(total_ - at) / fade_out_);
            if (fade_in_ > 0)
                gain = std::min(gain, static_cast<double>(at) / fade_in_);
            left[i] = static_cast<float>(left[i] * gain);
            right[i] = static_cast<float>(right[i] * gain);
        }
        frame->pts = written_;
        written_ += n;
        return frame;
    }

  private:
    std::optional<detail::AudioSource> music_;
    std::optional<detail::AudioSource> meme_;
    std::int64_t total_;
    std::int64_t fade_out_;
    std::int64_t fade_in_;
    std::int64_t written_ = 0;
    std::vector<float> scratch_l_, scratch_r_;
};

// The soundtrack encoded on a thread of its own while the pictures are made and encoded: its
// decoding, resampling and AAC encoding take a core that x264's serial parts leave idle. The
// render thread muxes the packets itself, in exactly the order a serial render would (after
// each picture, the packets of every block up to that picture's time; the encoder's flush
// after the video's), so the file is byte for byte the same. The whole soundtrack's packets
// are a few hundred kB at most (128 kbit/s, ≤ 60 s).
class AudioPipeline {
  public:
    AudioPipeline(Soundtrack& sound, detail::OutputFile& out)
        : total_(sound.total()),
          worker_([this, &sound, &out](std::stop_token stop) { run(stop, sound, out); }) {}
    AudioPipeline(const AudioPipeline&) = delete;
    AudioPipeline& operator=(const AudioPipeline&) = delete;
    ~AudioPipeline() {
        worker_.request_stop();
        ready_.notify_all();
    }

    /// Muxes the packets of every block up to sample `until` (capped at the total), as
    /// Soundtrack-then-write_audio would have at this point.
    void mux_until(std::int64_t until, detail::OutputFile& out) {
        until = std::min(until, total_);
        while (muxed_ < until) {
            Block block = take();
            muxed_ += block.samples;
            for (auto& packet : block.packets)
                out.mux_audio(packet.get());
        }
    }
    /// Every remaining block muxed; then flushes the video and muxes the audio encoder's tail.
    void finish(detail::OutputFile& out) {
        mux_until(total_, out);
        Block tail = take();
        worker_.join();
        out.finish(tail.packets);
    }

  private:
    struct Block {
        std::int64_t samples = 0;  // 0: the encoder's flush
        std::vector<detail::PacketPtr> packets;
    };

    void run(const std::stop_token& stop, Soundtrack& sound, detail::OutputFile& out) {
        try {
            const int size = out.audio_frame_size();
            for (;;) {
                if (stop.stop_requested())
                    return;
                FramePtr frame = sound.next_block(size);
                Block block;
                if (frame)
                    block.samples = frame->nb_samples;
                out.encode_audio(frame.get(), block.packets);
                const bool last = !frame;
                put(std::move(block));
                if (last)
                    return;
            }
        } catch (...) {
            const std::lock_guard lock(mutex_);
            error_ = std::current_exception();
            ready_.notify_all();
        }
    }
    void put(Block block) {
        const std::lock_guard lock(mutex_);
        blocks_.push_back(std::move(block));
        ready_.notify_all();
    }
    Block take() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !blocks_.empty() || error_; });
        if (blocks_.empty())
            std::rethrow_exception(error_);
        Block block = std::move(blocks_.front());
        blocks_.pop_front();
        return block;
    }

    std::int64_t total_;
    std::int64_t muxed_ = 0;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Block> blocks_;
    std::exception_ptr error_;
    std::jthread worker_;  // last: started once everything it uses exists, joined first
};

// Hands out, for each output time, the decoded source frame to show: streams forward, loops by
// reopening, and says when the picture changed so it is prepared only then.
class FrameClock {
  public:
    explicit FrameClock(detail::VideoSource& source) : source_(source) {}

    /// The frame to show at source time `t` (seconds, looping); `changed` is set when it differs
    /// from the previous call's. Returns nullptr only if the source has no frame at all.
    const AVFrame* at(double t, bool& changed) {
        changed = false;
        if (!current_) {
            take_next();
            changed = true;
        }
        if (single_frame_)
            return current_.get();
        for (;;) {
            if (!lookahead_) {
                if (!read_lookahead()) {
                    // End of a pass: the clip's length is now known; loop from its start.
                    const double pass = last_time_ + frame_step();
                    if (frames_in_pass_ <= 1 && offset_ == 0) {
                        single_frame_ = true;
                        return current_.get();
                    }
                    if (t < offset_ + pass)
                        return current_.get();
                    offset_ += pass;
                    source_.rewind();
                    frames_in_pass_ = 0;
                    if (!read_lookahead())
                        return current_.get();
                }
            }
            if (lookahead_time_ + offset_ > t + 1e-9)
                return current_.get();
            current_ = std::move(lookahead_);
            current_time_ = lookahead_time_;
            changed = true;
        }
    }

  private:
    double frame_step() const {
        return source_.frame_rate() > 0 ? 1.0 / source_.frame_rate() : 0.1;
    }
    void take_next() {
        const AVFrame* f = source_.next_frame();
        if (f == nullptr)
            return;
        current_ = ref(f);
        current_time_ = source_.frame_seconds();
        last_time_ = current_time_;
        frames_in_pass_ = 1;
    }
    bool read_lookahead() {
        const AVFrame* f = source_.next_frame();
        if (f == nullptr)
            return false;
        lookahead_ = ref(f);
        lookahead_time_ = source_.frame_seconds();
        last_time_ = lookahead_time_;
        ++frames_in_pass_;
        return true;
    }
    static FramePtr ref(const AVFrame* f) {
        FramePtr copy = detail::make_frame();
        if (av_frame_ref(copy.get(), f) < 0)
            throw std::bad_alloc();
        return copy;
    }

    detail::VideoSource& source_;
    FramePtr current_;
    FramePtr lookahead_;
    double current_time_ = 0;
    double lookahead_time_ = 0;
    double last_time_ = 0;
    double offset_ = 0;
    int frames_in_pass_ = 0;
    bool single_frame_ = false;
};

// Boomerang: the first `frames` output frames of the clip (its forward segment), then the same
// backward, and again. Prepared pictures are held one block at a time (at most `block` of them,
// from RenderOptions::boomerang_max_bytes): going forward the block follows the decoder; going
// backward each block is decoded again from the segment's start. Decoding twice (or a few
// times) keeps memory flat whatever the clip's size, where holding the whole segment would
// cost ~1.7 MB a frame at 1080x1920 (80 MB for 2 s at 24 fps).
class BoomerangPlayer {
  public:
    BoomerangPlayer(detail::VideoSource& source, detail::Compositor& compositor,
                    std::int64_t frames, double source_step, std::int64_t block)
        : source_(source),
          compositor_(compositor),
          frames_(frames),
          step_(source_step),
          block_(std::max<std::int64_t>(2, block)) {}

    [[nodiscard]] std::int64_t frames() const noexcept { return frames_; }

    /// The prepared picture of the segment's frame `k` (0 .. frames()-1).
    const FramePtr& at(std::int64_t k) {
        const auto first = first_;
        const auto last = first_ + static_cast<std::int64_t>(cache_.size()) - 1;
        if (cache_.empty() || k < first || k > last) {
            if (cache_.empty() || k > last)
                fill(k, std::min(frames_ - 1, k + block_ - 1));
            else
                fill(std::max<std::int64_t>(0, k - block_ + 1), k);
        }
        return cache_[static_cast<std::size_t>(k - first_)];
    }

  private:
    void fill(std::int64_t first, std::int64_t last) {
        cache_.clear();
        first_ = first;
        if (!clock_ || first < next_) {
            if (clock_)
                source_.rewind();
            clock_.emplace(source_);
            next_ = 0;
            previous_.reset();
        }
        for (; next_ <= last; ++next_) {
            bool changed = false;
            const AVFrame* f = clock_->at(static_cast<double>(next_) * step_, changed);
            if (changed || !previous_)
                previous_ = compositor_.prepare(f);
            if (next_ >= first) {
                FramePtr ref = detail::make_frame();
                if (av_frame_ref(ref.get(), previous_.get()) < 0)
                    throw std::bad_alloc();
                cache_.push_back(std::move(ref));
            }
        }
    }

    detail::VideoSource& source_;
    detail::Compositor& compositor_;
    std::int64_t frames_;
    double step_;
    std::int64_t block_;
    std::optional<FrameClock> clock_;
    std::int64_t next_ = 0;  // the segment frame the clock serves next without a rewind
    FramePtr previous_;      // the picture prepared last (a repeated source frame shares it)
    std::vector<FramePtr> cache_;
    std::int64_t first_ = 0;
};

}  // namespace

struct MemeRenderer::Impl {
    RenderResult render(const std::filesystem::path& media, const std::filesystem::path& output,
                        const RenderOptions& o);
};

MemeRenderer::MemeRenderer() : impl_(std::make_unique<Impl>()) {
    // FFmpeg prints encoder statistics at its default level; a library keeps stderr quiet and
    // reports failures through exceptions. An application that set its own level keeps it.
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_ERROR);
}
MemeRenderer::~MemeRenderer() = default;

RenderResult MemeRenderer::render(const std::filesystem::path& media,
                                  const std::filesystem::path& output,
                                  const RenderOptions& options) {
    // Once every object of the render is freed (on failure too), glibc is asked to give the
    // freed memory back. A render frees tens of MB, much of it in the arenas of threads it
    // started (x264's slices, decoder threads, the audio thread); glibc returns an arena's
    // memory to the system only when its top is free, so without this a long-lived process
    // (the bot, a batch) kept ~20 MB more after its renders than after its first one.
    struct TrimAfter {
        TrimAfter() = default;
        TrimAfter(const TrimAfter&) = delete;
        TrimAfter& operator=(const TrimAfter&) = delete;
        ~TrimAfter() {
#if defined(__GLIBC__)
            ::malloc_trim(0);
#endif
        }
    } trim;
    return impl_->render(media, output, options);
}

RenderResult MemeRenderer::Impl::render(const std::filesystem::path& media,
                                        const std::filesystem::path& output_arg,
                                        const RenderOptions& o) {
    const auto started = std::chrono::steady_clock::now();
    PeakSampler sampler;
    validate(o);
    const Canceller canceller(o, started);

    const std::filesystem::path output = output_arg;
    refuse_overwriting_input(media, output);
    const std::filesystem::path folder =
        output.parent_path().empty() ? std::filesystem::path(".") : output.parent_path();
    {
        std::error_code ec;
        if (!std::filesystem::is_directory(folder, ec)) {
            throw SystemError("output folder '" + folder.string() + "' of '" + output.string() +
                                  "' does not exist",
                              ENOENT);
        }
    }

    // The meme's own text decides which effects it may get (issue 10): mirrored text reads
    // backwards, a crop can cut words in half.
    // Detection (tens of ms) runs on a thread of its own while the music is measured (a full
    // decode of the track): both must be done before the first frame, and they overlap.
    std::future<TextLayout> detected;
    if (!o.text_layout && o.detect_text) {
        detected = std::async(std::launch::async, [&media, pixels = o.max_input_pixels] {
            return detect_text(media, {.max_pixels = pixels});
        });
    }
    std::optional<detail::AudioSource> music, meme_audio;
    const bool want_music =
        o.audio == AudioMode::automatic || o.audio == AudioMode::music || o.audio == AudioMode::mix;
    if (want_music && !o.music.empty())
        music.emplace(o.music, o.music_start_seconds.value_or(0.0), true);
    TextLayout text_layout;
    if (o.text_layout)
        text_layout = *o.text_layout;
    else if (detected.valid()) {
        text_layout = detected.get();
#if defined(__GLIBC__)
        // Tesseract's working memory was freed in the detection thread's own malloc arena,
        // which glibc keeps resident: given back before the render's frames are allocated.
        ::malloc_trim(0);
#endif
    }
    std::vector<std::string> notes;
    std::vector<Effect> effects =
        o.effects ? *o.effects : select_effects(o.seed, o.variant_group, text_layout.has_text());
    if (text_layout.has_text() && has(effects, Effect::mirror)) {
        std::erase(effects, Effect::mirror);
        notes.emplace_back("mirror: left out, the meme has text");
    }

    // Frame-threaded decoding only where x264 leaves a core idle (see VideoSource::open).
    detail::VideoSource source(media, o.max_input_pixels, {o.size.width, o.size.height},
                               detail::is_slow_preset(o.preset));
    const MediaKind kind = source.kind();
    if (kind == MediaKind::still) {
        // Time effects mean nothing for one picture: not applied, not reported.
        std::erase(effects, Effect::speed);
        std::erase(effects, Effect::boomerang);
    }
    std::optional<detail::TextOverlay> text;
    if (!o.captions.empty())
        text.emplace(o.captions, o.font, o.size, [&] { canceller.check(output); });

    detail::SeededRandom random(o.seed, 1);
    const double still_seconds = o.min_seconds + random.uniform() * (o.max_seconds - o.min_seconds);
    const bool faster = random.next() % 2 == 0;
    const double speed =
        has(effects, Effect::speed) ? (faster ? 1 + kSpeedChange : 1 - kSpeedChange) : 1.0;

    detail::PictureEffects picture;
    picture.mirror = has(effects, Effect::mirror);
    picture.black_and_white = has(effects, Effect::black_and_white);
    picture.color_gain = has(effects, Effect::color_gain);
    picture.margins = has(effects, Effect::margins);
    picture.transparency = has(effects, Effect::transparency);
    picture.sepia = has(effects, Effect::sepia);
    if (has(effects, Effect::crop)) {
        picture.crop = text_layout.free_edges(detail::kCropFraction);
        static constexpr const char* kEdge[4] = {"left", "top", "right", "bottom"};
        for (int e = 0; e < 4; ++e) {
            if (picture.crop[static_cast<std::size_t>(e)] < detail::kCropFraction) {
                notes.push_back(fmt::format(
                    "crop: {} edge cut {:.1f} % (not {:.0f} %) to keep text", kEdge[e],
                    picture.crop[static_cast<std::size_t>(e)] * 100, detail::kCropFraction * 100));
            }
        }
    }
    detail::Compositor compositor(o.size, o.background, picture, source.width(), source.height(),
                                  source.rotation(), source.flipped());

    // Length: stills take the configured or seeded length; clips keep their own, looped up to
    // the minimum and cut at the maximum; a boomerang's is its segment forward and back.
    std::optional<BoomerangPlayer> boomerang;
    double seconds;
    double clip = 0;
    if (kind == MediaKind::still) {
        seconds = o.duration_seconds.value_or(still_seconds);
    } else {
        clip = source.duration_seconds();
        if (clip <= 0)
            clip = source.scan_duration();
        if (clip <= 0)
            clip = 1.0 / std::max(1.0, source.frame_rate());
        double natural = clip / speed;
        if (has(effects, Effect::boomerang) && !o.effects && clip > kBoomerangLongestClip) {
            std::erase(effects, Effect::boomerang);
            notes.push_back(fmt::format(
                "boomerang: left out, the clip's {:.1f} s would be cut to its first {:.0f} s", clip,
                kBoomerangSeconds));
        }
        if (has(effects, Effect::boomerang)) {
            const double segment = std::min(clip, kBoomerangSeconds);
            const auto frames = std::max<std::int64_t>(2, std::llround(segment / speed * o.fps));
            const auto block = static_cast<std::int64_t>(
                o.boomerang_max_bytes / std::max<std::uint64_t>(1, compositor.prepared_bytes()));
            boomerang.emplace(source, compositor, frames, speed / o.fps, block);
            natural = static_cast<double>(2 * frames - 2) / o.fps;
        }
        seconds =
            o.duration_seconds.value_or(std::clamp(natural, o.min_seconds, o.max_video_seconds));
    }
    seconds = std::min(seconds, o.max_video_seconds);
    const std::int64_t frames_total = std::max<std::int64_t>(1, std::llround(seconds * o.fps));
    seconds = static_cast<double>(frames_total) / o.fps;
    const std::int64_t samples_total = std::llround(seconds * detail::kSampleRate);

    // Sound.
    if (music && !o.music_start_seconds) {
        const double length = music->duration_seconds();
        if (length > seconds) {
            const double start = std::floor(random.uniform() * (length - seconds) * 100) / 100;
            music->restart_at(start);  // already measured: no second full decode
        }
    }
    const bool want_meme = o.audio == AudioMode::meme || o.audio == AudioMode::mix ||
                           (o.audio == AudioMode::automatic && !music);
    if (want_meme && kind != MediaKind::still && source.has_audio()) {
        meme_audio.emplace(media, 0.0, true, speed, detail::AudioUse::own_sound);
    }
    Soundtrack sound(std::move(music), std::move(meme_audio), samples_total, o.music_fade_seconds,
                     has(effects, Effect::fade));

    // Size cap: x264 keeps CRF unless that would pass the cap (VBV max rate from the duration).
    const double budget_bits = static_cast<double>(o.max_output_bytes) * 8 * 0.90 -
                               kAudioBitrate * seconds - 64 * 1024 * 8;
    const auto video_cap = static_cast<std::int64_t>(budget_bits / seconds);
    if (video_cap < kMinVideoBitrate) {
        throw MediaError("size cap of " + std::to_string(o.max_output_bytes) +
                         " bytes is too small for " + std::to_string(seconds) +
                         " s of video with sound");
    }

    detail::EncoderSettings settings;
    settings.width = o.size.width;
    settings.height = o.size.height;
    settings.fps = o.fps;
    settings.crf = o.crf;
    settings.preset = o.preset;
    settings.threads = o.encoder_threads;
    settings.max_video_bitrate = std::min<std::int64_t>(video_cap, 2'000'000'000);
    settings.audio_bitrate = kAudioBitrate;

    const auto thumbnail = thumbnail_path_for(output);
    TempFile temp_video(temp_name(output, ".mp4"));
    TempFile temp_thumb(temp_name(thumbnail, ".jpg"));
    std::optional<detail::OutputFile> out;
    out.emplace(temp_video.path(), output, settings);

    std::optional<AudioPipeline> audio;
    audio.emplace(sound, *out);

    for (const auto& note : notes)
        log_info("render: {}", note);
    log_info("render: {} ({}) -> {} {}x{} {} fps {:.2f} s, effects:{}", media.string(),
             kind_name(kind), output.string(), o.size.width, o.size.height, o.fps, seconds, [&] {
                 std::string s;
                 for (Effect e : effects) {
                     s += ' ';
                     s += to_string(e);
                 }
                 return s;
             }());

    FramePtr composite = detail::make_video_frame(o.size.width, o.size.height);
    bool composite_faded = false;  // composite holds a faded picture, not the plain one
    FramePtr meme;                 // prepared picture on screen
    FrameClock clock(source);
    const std::int64_t thumb_index = frames_total / 3;
    const double fade_frames = kFadeSeconds * o.fps;

    // The picture of output frame i: decode as needed, prepare, compose, caption, fade.
    const auto make_picture = [&](std::int64_t i) -> FramePtr {
        const double t = static_cast<double>(i) / o.fps;
        bool changed = false;
        if (boomerang) {
            const std::int64_t n = boomerang->frames();
            const std::int64_t period = 2 * n - 2;
            const std::int64_t p = i % period;
            const FramePtr& shown = boomerang->at(p < n ? p : period - p);
            if (!meme || shown->data[0] != meme->data[0]) {
                meme = detail::make_frame();
                if (av_frame_ref(meme.get(), shown.get()) < 0)
                    throw std::bad_alloc();
                changed = true;
            }
        } else if (kind == MediaKind::still) {
            if (!meme) {
                meme = compositor.prepare(clock.at(0, changed));
                changed = true;
            }
        } else {
            const AVFrame* f = clock.at(t * speed, changed);
            if (changed || !meme) {
                meme = compositor.prepare(f);
                changed = true;
            }
        }
        // Fades darken the composite in place (apply_fade gives the values fade_into gave) and
        // the next picture is composed afresh: no second full-size frame for the fades (3 MB
        // at 1080x1920, held for the whole render), at the price of composing the few faded
        // pictures of a still again.
        double level = 1.0;
        if (has(effects, Effect::fade)) {
            level = std::min({1.0, (static_cast<double>(i) + 1) / fade_frames,
                              static_cast<double>(frames_total - i) / fade_frames});
        }
        if (changed || composite_faded || level < 1.0) {
            // compose() overwrites every pixel: a buffer still queued or held by the encoder is
            // replaced by a fresh one instead of being copied.
            if (!av_frame_is_writable(composite.get())) {
                composite = detail::make_video_frame(o.size.width, o.size.height);
            }
            compositor.compose(meme.get(), composite.get());
            if (text)
                text->apply(composite.get());
            composite_faded = false;
        }
        if (level < 1.0) {
            detail::apply_fade(composite.get(), level);
            composite_faded = true;
        }
        const AVFrame* picture = composite.get();
        FramePtr ref = detail::make_frame();
        if (av_frame_ref(ref.get(), picture) < 0)
            throw std::bad_alloc();
        if (i == thumb_index) {
            // Written now rather than kept for the end: a kept reference would pin a full-size
            // picture, and the next compose would need another one (3 MB at 1080x1920).
            detail::write_jpeg_thumbnail(picture, kThumbnailSide, temp_thumb.path(), thumbnail);
        }
        return ref;
    };

    // Pictures serial on purpose: a producer thread composing ahead of the encoder was measured
    // (see bench/render_vs_ffmpeg) to cost 15-18 MB (a second malloc arena, queued frames) for
    // no steady gain on two cores, where x264's two sliced threads already keep both busy. The
    // sound is different: small, and done by AudioPipeline's thread (about +2 MB peak RSS).
    for (std::int64_t i = 0; i < frames_total; ++i) {
        canceller.check(output);
        FramePtr picture = make_picture(i);
        picture->pts = i;
        out->write_video(picture.get());
        picture.reset();
        audio->mux_until((i + 1) * detail::kSampleRate / o.fps, *out);
        if (o.on_progress) {
            o.on_progress(
                RenderProgress{static_cast<double>(i + 1) / frames_total, i + 1, frames_total});
        }
    }
    canceller.check(output);
    audio->finish(*out);
    audio.reset();
    out.reset();

    std::error_code ec;
    const auto size = std::filesystem::file_size(temp_video.path(), ec);
    if (ec)
        throw SystemError("cannot read the size of '" + output.string() + "'", ec.value());
    if (size > o.max_output_bytes) {
        throw MediaError("'" + output.string() + "': " + std::to_string(size) +
                         " bytes would exceed the size cap of " +
                         std::to_string(o.max_output_bytes));
    }
    canceller.check(output);
    temp_video.commit_to(output);
    try {
        temp_thumb.commit_to(thumbnail);
    } catch (...) {
        std::filesystem::remove(output, ec);
        throw;
    }

    RenderResult result;
    result.output = output;
    result.thumbnail = thumbnail;
    result.width = o.size.width;
    result.height = o.size.height;
    result.fps = o.fps;
    result.duration_seconds = seconds;
    result.size_bytes = size;
    result.has_audio = true;
    result.audio_source = std::string(sound.source());
    result.media_kind = std::string(kind_name(kind));
    result.effects = effects;
    result.frames_encoded = frames_total;
    result.frames_decoded = source.frames_decoded();
    result.video_bitrate_cap = settings.max_video_bitrate;
    if (text)
        result.captions = text->boxes();
    result.text_layout = std::move(text_layout);
    result.effect_notes = std::move(notes);
    if (boomerang)
        result.boomerang_seconds = std::min(clip, kBoomerangSeconds);
    result.render_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.peak_rss_bytes = sampler.stop();
    log_info("render: done {} ({} bytes, {:.2f} s, peak RSS {:.1f} MB, {} frames decoded)",
             output.string(), size, result.render_seconds,
             static_cast<double>(result.peak_rss_bytes) / (1024.0 * 1024.0), result.frames_decoded);
    return result;
}

}  // namespace memegen
