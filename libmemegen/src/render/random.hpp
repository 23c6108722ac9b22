#pragma once
// A tiny seeded generator (splitmix64): the same seed draws the same numbers on every
// platform and standard library, which std::uniform_*_distribution does not promise.

#include <cstdint>

namespace memegen::detail {

class SeededRandom {
  public:
    explicit SeededRandom(std::uint64_t seed, std::uint64_t stream = 0)
        : state_(seed ^ (stream * 0x9E3779B97F4A7C15ull)) {}

    std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, 1).
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform integer in [lo, hi].
    int between(int lo, int hi) noexcept {
        return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }

  private:
    std::uint64_t state_;
};

}  // namespace memegen::detail
