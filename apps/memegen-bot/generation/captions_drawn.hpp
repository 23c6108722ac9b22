#pragma once
/// \file captions_drawn.hpp
/// Which captions a render of a meme draws, decided once: the generator draws them, and the
/// texts a post goes out with quote them ({captions} in the publish templates).

#include <optional>

#include "core/candidate_store.hpp"
#include "library/sidecar.hpp"

namespace memegen::bot {

/// The owner's edited captions when there are any (even with render.captions off), else the
/// meme's sidecar top and bottom when `sidecar_captions` (render.captions) is on, else none.
[[nodiscard]] inline EditedCaptions captions_drawn(bool sidecar_captions,
                                                   const SidecarInfo& sidecar,
                                                   const std::optional<EditedCaptions>& edited) {
    if (edited)
        return *edited;
    if (!sidecar_captions)
        return {};
    return {sidecar.top.value_or(""), sidecar.bottom.value_or("")};
}

}  // namespace memegen::bot
