#pragma once
// Where a stored picture's pixel lands once the picture is turned upright for display: one
// definition for the compositor (which turns every frame) and text detection (which turns the
// picture it analyses), so both agree on what "upright" is.

#include <utility>

namespace memegen::detail {

/// The position of stored pixel (x, y) of a w×h picture after a clockwise turn by `rotation`
/// (0, 90, 180 or 270) degrees.
[[nodiscard]] constexpr std::pair<int, int> turned(int x, int y, int w, int h,
                                                   int rotation) noexcept {
    switch (rotation) {
        case 90:
            return {h - 1 - y, x};
        case 180:
            return {w - 1 - x, h - 1 - y};
        case 270:
            return {y, w - 1 - x};
        default:
            return {x, y};
    }
}

}  // namespace memegen::detail
