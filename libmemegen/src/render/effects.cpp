// The seeded selection of effects, the thumbnail's name and the result's JSON (names and
// parsing are header-only: render_options.hpp).

#include <algorithm>
#include <string>

#include "memegen/error.hpp"
#include "memegen/meme_renderer.hpp"
#include "random.hpp"

namespace memegen {

// Each group always shows its own "signature" effect, one that changes even a still, and may
// add the next group's signature; every other pick comes from the effects no signature uses.
// So any two groups differ by at least one visible effect, whatever the seed.
std::vector<Effect> select_effects(std::uint64_t seed, int variant_group, bool meme_has_text) {
    if (variant_group < 0 || variant_group > 4) {
        throw MediaError("variant group " + std::to_string(variant_group) + " is outside 0-4");
    }
    static constexpr Effect kSignature[5] = {Effect::mirror, Effect::black_and_white,
                                             Effect::margins, Effect::color_gain, Effect::crop};
    std::vector<Effect> pool = {Effect::fade, Effect::speed, Effect::transparency,
                                Effect::boomerang, kSignature[(variant_group + 1) % 5]};
    detail::SeededRandom random(seed, 0xE1 + static_cast<std::uint64_t>(variant_group));
    const int count = random.between(2, 4);
    std::vector<Effect> chosen{kSignature[variant_group]};
    while (static_cast<int>(chosen.size()) < count) {
        const auto pick =
            static_cast<std::size_t>(random.between(0, static_cast<int>(pool.size()) - 1));
        chosen.push_back(pool[pick]);
        pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    // Drawn as before and swapped afterwards, so a meme without text keeps the exact selection
    // it always had. Sepia is in no group's pool: with text, group 0 (and group 4 when it drew
    // group 0's signature) still shows an effect no other group's draw can give it.
    if (meme_has_text)
        std::replace(chosen.begin(), chosen.end(), Effect::mirror, Effect::sepia);
    std::sort(chosen.begin(), chosen.end());
    return chosen;
}

// "NAME.thumb.jpg", never "NAME.jpg": `render cat.jpg -o cat.mp4` must not replace its own
// input (or any picture beside the output) with the thumbnail.
void to_json(nlohmann::json& j, const RenderResult& r) {
    std::vector<std::string> effects;
    for (Effect e : r.effects)
        effects.emplace_back(to_string(e));
    j = nlohmann::json{
        {"output", r.output.string()},
        {"thumbnail", r.thumbnail.string()},
        {"width", r.width},
        {"height", r.height},
        {"fps", r.fps},
        {"duration_seconds", r.duration_seconds},
        {"size_bytes", r.size_bytes},
        {"has_audio", r.has_audio},
        {"audio_source", r.audio_source},
        {"media_kind", r.media_kind},
        {"render_seconds", r.render_seconds},
        {"peak_rss_bytes", r.peak_rss_bytes},
        {"effects", effects},
        {"frames_encoded", r.frames_encoded},
        {"frames_decoded", r.frames_decoded},
        {"video_bitrate_cap", r.video_bitrate_cap},
        {"text_layout", r.text_layout},
        {"boomerang_seconds", r.boomerang_seconds},
        {"effect_notes", r.effect_notes},
    };
}

}  // namespace memegen
