#include "generation/generator.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include <memegen/error.hpp>
#include <memegen/log.hpp>

#include "core/candidate_store.hpp"
#include "generation/captions_drawn.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

namespace {

// How a render failed, in the user's language where the sentence is ours (how the child
// ended); the renderer's own error text stays as it is.
std::string user_cause(const RenderOutcome& outcome, const Messages& text) {
    if (!text.ru())
        return outcome.error;
    switch (outcome.failure) {
        case RenderFailureKind::killed: {
            const auto& last = outcome.last_child_sample;
            return text.child_killed_ru(outcome.oom_kills_before, outcome.oom_kills_after,
                                        last ? last->percent : 0.0,
                                        last ? ResourceSnapshot::mib(last->limit_bytes) : 0.0);
        }
        case RenderFailureKind::crashed: {
            const char* name = outcome.signal ? sigabbrev_np(*outcome.signal) : nullptr;
            return text.child_crashed_ru(name != nullptr ? std::string("SIG") + name
                                                         : std::string("сигнал"));
        }
        case RenderFailureKind::exited:
            return text.child_exited_ru(outcome.exit_code.value_or(-1));
        case RenderFailureKind::error:
        case RenderFailureKind::cancelled:
            break;
    }
    return outcome.error;
}

// A kept look's effects by name, as the renderer reported them; none: the seed draws them.
// Throws MediaError for a name the renderer does not know.
std::optional<std::vector<Effect>> effects_of(const std::vector<std::string>& names) {
    if (names.empty())
        return std::nullopt;
    std::vector<Effect> effects;
    for (const auto& name : names) {
        const auto effect = parse_effect(name);
        if (!effect)
            throw MediaError("unknown effect '" + name + "'");
        effects.push_back(*effect);
    }
    return effects;
}

}  // namespace

Generator::Generator(const BotConfig& config, const Messages& text, LibraryCatalog& library,
                     MediaPicker& picker, RenderRunner& runner, CrashStateStore& state,
                     ResourceMonitor& monitor, DailyStats& stats, GenerationMetrics& metrics)
    : config_(config),
      text_(text),
      library_(library),
      picker_(picker),
      runner_(runner),
      state_(state),
      monitor_(monitor),
      stats_(stats),
      metrics_(metrics) {}

std::uint64_t Generator::fresh_seed() {
    static std::mt19937_64 random(std::random_device{}());
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    return random();
}

std::string Generator::context_name(int index, int number) {
    return fmt::format("gen_{}_{}", index, number);
}

void Generator::begin_attempt(int index, int number, std::stop_token stop) {
    monitor_.log_resource_usage(context_name(index, number) + "_start");
    // Files not probed yet are not picked; with none usable yet, probe now rather than say
    // "no memes" while the background check is still on its way.
    library_.ensure_usable(MediaRole::meme, 1, stop);
    library_.ensure_usable(MediaRole::music, 1, stop);
}

Generated Generator::make_new(const GenerationContext& context, int index, int variant_group,
                              std::set<std::filesystem::path>& used, std::stop_token stop) {
    Generated last;
    std::set<std::filesystem::path> failed_sources;
    for (int number = 0; number < config_.max_attempts; ++number) {
        if (stop.stop_requested())
            return {};
        begin_attempt(index, number, stop);
        std::set<std::filesystem::path> exclude = used;
        exclude.insert(failed_sources.begin(), failed_sources.end());
        auto media = picker_.pick_meme(exclude);
        // A batch larger than the library: repeats are unavoidable, failed sources are not.
        if (!media)
            media = picker_.pick_meme(failed_sources);
        if (!media) {
            state_.record_problem(
                stage::generation_error, "no usable meme in " + config_.media_dir.string(),
                {{"label", context.label}, {"index", index}, {"attempt", number}});
            return {std::nullopt, text_.no_media()};
        }
        auto result = render(context,
                             Attempt{index,
                                     number,
                                     *media,
                                     {},
                                     fresh_seed(),
                                     variant_group,
                                     {},
                                     std::nullopt,
                                     std::nullopt},
                             stop);
        if (result.made) {
            used.insert(*media);
            return {std::move(result.made), {}};
        }
        if (result.cancelled)
            return {};
        last.failure_html = std::move(result.failure_html);
        failed_sources.insert(*media);
    }
    return last;
}

Generated Generator::make_with_new_track(const GenerationContext& context, const SameLook& look,
                                         std::stop_token stop) {
    if (stop.stop_requested())
        return {};
    begin_attempt(0, 0, stop);
    auto result = render(context,
                         Attempt{0, 0, look.media, look.old_music, look.seed, look.variant_group,
                                 look.effects, std::nullopt, look.captions},
                         stop);
    return {std::move(result.made), std::move(result.failure_html)};
}

Generated Generator::make_with_captions(const GenerationContext& context, const SameLook& look,
                                        const EditedCaptions& captions, std::stop_token stop) {
    if (stop.stop_requested())
        return {};
    begin_attempt(0, 0, stop);
    auto result = render(context,
                         Attempt{0,
                                 0,
                                 look.media,
                                 {},
                                 look.seed,
                                 look.variant_group,
                                 look.effects,
                                 look.old_music,
                                 captions},
                         stop);
    return {std::move(result.made), std::move(result.failure_html)};
}

RenderRequest Generator::request_for(const Attempt& attempt,
                                     const std::optional<std::filesystem::path>& music,
                                     const std::string& music_label) {
    RenderRequest request;
    request.media = attempt.media;
    request.output = config_.state_dir / "work" / (CandidateStore::new_id() + ".mp4");
    auto& options = request.options = render_options_of(config_.render);
    options.max_output_bytes =
        std::min<std::uint64_t>(options.max_output_bytes,
                                static_cast<std::uint64_t>(config_.upload_limit_mb) * 1000 * 1000);
    options.text_layout = library_.text_layout(attempt.media);
    options.music = music.value_or(std::filesystem::path{});
    options.seed = attempt.seed;
    options.variant_group = attempt.variant_group;
    options.effects = effects_of(attempt.effects);
    // Sidecars: the meme's captions (unless the owner wrote their own), and the track's
    // "artist — title" as the badge unless the meme sets its own.
    const auto meme_sidecar = library_.sidecar(attempt.media, MediaRole::meme);
    const auto drawn = captions_drawn(config_.render.captions, meme_sidecar, attempt.captions);
    options.captions.top = drawn.top;
    options.captions.bottom = drawn.bottom;
    if (config_.render.captions)
        options.captions.badge = meme_sidecar.badge.value_or(music_label);
    return request;
}

Generator::AttemptResult Generator::render(const GenerationContext& context, const Attempt& attempt,
                                           std::stop_token stop) {
    const auto name = context_name(attempt.index, attempt.number);
    std::optional<std::filesystem::path> music;
    if (!attempt.keep_music) {
        music = picker_.pick_music(attempt.avoid_music);
    } else if (!attempt.keep_music->empty()) {
        music = std::filesystem::path(*attempt.keep_music);
    }
    std::string music_label =
        music ? library_.sidecar(*music, MediaRole::music).track_label() : std::string{};
    std::optional<RenderRequest> request;
    RenderOutcome outcome;
    try {
        request = request_for(attempt, music, music_label);
    } catch (const MediaError& e) {
        outcome.error = e.what();  // fails as the renderer would, with the same words
    }
    if (music_label.empty() && music)
        music_label = music->stem().string();

    state_.record(stage::generating, {{"label", context.label},
                                      {"context", name},
                                      {"index", attempt.index},
                                      {"attempt", attempt.number},
                                      {"media", attempt.media.filename().string()}});
    if (request)
        outcome = runner_.run(*request, stop, context.heartbeat, context.ticket);
    monitor_.log_resource_usage(name + "_end");
    if (outcome.ok()) {
        stats_.set_last_render_peak(outcome.result->peak_rss_bytes);
        metrics_.observe_render(outcome.result->render_seconds);
        log_info("[{}] rendered {} in {:.1f} s, peak RSS {:.1f}MB", name,
                 attempt.media.filename().string(), outcome.result->render_seconds,
                 ResourceSnapshot::mib(outcome.result->peak_rss_bytes));
        state_.record(stage::completed, {{"label", context.label},
                                         {"context", name},
                                         {"index", attempt.index},
                                         {"attempt", attempt.number}});
        return {Made{*outcome.result, attempt.media.string(), request->options.music.string(),
                     music_label, attempt.seed, attempt.variant_group, attempt.captions},
                false,
                {}};
    }
    if (outcome.failure == RenderFailureKind::cancelled) {
        state_.record(stage::cancelled, {{"label", context.label}, {"context", name}});
        return {std::nullopt, true, {}};
    }
    record_failure(context, attempt, outcome);
    std::error_code ec;
    if (request)
        std::filesystem::remove(request->output, ec);
    // The user hears of the last attempt's cause only, and only if no attempt succeeds.
    return {std::nullopt, false, text_.generation_failed(escape_html(user_cause(outcome, text_)))};
}

void Generator::record_failure(const GenerationContext& context, const Attempt& attempt,
                               const RenderOutcome& outcome) {
    const auto name = context_name(attempt.index, attempt.number);
    nlohmann::json details = {
        {"label", context.label},          {"context", name},
        {"index", attempt.index},          {"attempt", attempt.number},
        {"media", attempt.media.string()}, {"failure", to_string(outcome.failure)}};
    if (outcome.exit_code)
        details["exit_code"] = *outcome.exit_code;
    if (outcome.signal)
        details["signal"] = *outcome.signal;
    if (outcome.last_child_sample)
        details["child_memory"] = *outcome.last_child_sample;
    log_error("[{}] render failed: {}", name, outcome.error);
    state_.record_problem(stage::generation_error, outcome.error, details);
    monitor_.log_resource_usage(name + "_error");
}

}  // namespace memegen::bot
