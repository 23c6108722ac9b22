#pragma once
/// \file perceptual_hash.hpp
/// What a meme looks like, in 64 bits per sampled picture and its shape, so near-duplicates
/// are found: the same meme re-encoded, resized, slightly cropped or converted to another
/// format has hashes a few bits apart, different memes tens of bits apart.
///
/// The hash is a DCT hash (the "pHash" of Zauner's thesis, 2010): the upright picture reduced
/// to 32x32 grey by area averaging, its 2-D DCT-II, and one bit per coefficient of the 8x8
/// lowest frequencies: set when above their median. Low frequencies are the picture's layout,
/// which survives scaling, JPEG and H.264 quantisation and a little crop; the median makes it
/// independent of brightness and contrast. A flat picture (a black fade-in frame, a blank
/// slide) carries no layout and gets no hash, so it never matches anything.
///
/// The 32x32 square forgets the picture's shape, and memes made on one template differ mostly
/// in their captions, which 32x32 blurs away: two demo memes on the same colour bars, one
/// square and one 16:9, are 4 bits apart. So the aspect ratio is kept beside the bits, and
/// memes whose shapes differ by more than kAspectTolerance are never near-duplicates.
///
/// The types are plain data with inline JSON and inline comparison, so a program that loads
/// libmemegen with dlopen (the bot) keeps and compares hashes without linking FFmpeg.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "memegen/error.hpp"

namespace memegen {

/// Hashes at most this many bits apart are the same meme. Measured on the demo pack
/// (tests/media/perceptual_hash_test.cpp prints the figures): copies re-encoded, halved or
/// cropped 2 % per edge are at most 10 bits from their meme; distinct memes of the same shape
/// at least 20 apart. A crop of 4 % per edge moved a prototype's first-frame hashes up to 18
/// bits: more than "slightly cropped", and refused as a duplicate only by luck.
inline constexpr int kNearDuplicateDistance = 12;

/// Pictures whose width/height ratios differ by more than this factor are different memes.
inline constexpr double kAspectTolerance = 1.08;

/// One meme's look: a 64-bit DCT hash of each sampled picture that is not flat (a still has
/// one sample; a GIF or video up to PerceptualHashOptions::max_frames from its first seconds).
struct PerceptualHash {
    double aspect = 0;                  ///< width / height of the upright picture
    std::vector<std::uint64_t> frames;  ///< empty: nothing to compare (every sample was flat)

    /// True when no sampled picture had any layout to hash.
    [[nodiscard]] bool empty() const noexcept { return frames.empty(); }
    friend bool operator==(const PerceptualHash&, const PerceptualHash&) = default;
};

/// Bits that differ between two 64-bit hashes (0-64).
[[nodiscard]] constexpr int hamming_distance(std::uint64_t a, std::uint64_t b) noexcept {
    return std::popcount(a ^ b);
}

/// The distance between two memes: the fewest differing bits between any sampled picture of
/// one and any of the other (a clip and a still cut from it match). Nullopt when there is
/// nothing to compare: either has no hash, or their shapes differ (kAspectTolerance).
[[nodiscard]] inline std::optional<int> distance(const PerceptualHash& a,
                                                 const PerceptualHash& b) noexcept {
    if (!(a.aspect > 0 && b.aspect > 0) ||
        std::max(a.aspect, b.aspect) > kAspectTolerance * std::min(a.aspect, b.aspect)) {
        return std::nullopt;
    }
    std::optional<int> best;
    for (const std::uint64_t x : a.frames) {
        for (const std::uint64_t y : b.frames) {
            const int d = hamming_distance(x, y);
            if (!best || d < *best)
                best = d;
        }
    }
    return best;
}

/// True when `a` and `b` are at most `max_distance` bits apart.
[[nodiscard]] inline bool near_duplicates(const PerceptualHash& a, const PerceptualHash& b,
                                          int max_distance = kNearDuplicateDistance) noexcept {
    const auto d = distance(a, b);
    return d && *d <= max_distance;
}

/// What perceptual_hash() may do.
struct PerceptualHashOptions {
    std::int64_t max_pixels = 50'000'000;  ///< larger pictures are refused unread
    int max_frames = 3;  ///< pictures sampled from a GIF or video (1-16), over its first 6 s
};

/// Hashes a still, GIF or video. Throws MediaError naming the file when it cannot be read, as
/// MemeRenderer would.
[[nodiscard]] PerceptualHash perceptual_hash(const std::filesystem::path& media,
                                             const PerceptualHashOptions& options = {});

// ---- JSON: {"aspect": 1.778, "frames": ["c3a1...", ...]}, each hash as 16 lower-case hex
// digits (a JSON number cannot carry 64 bits through every reader).

inline void to_json(nlohmann::json& j, const PerceptualHash& h) {
    nlohmann::json frames = nlohmann::json::array();
    for (const std::uint64_t f : h.frames) {
        char text[17];
        static constexpr char kHex[] = "0123456789abcdef";
        for (int i = 0; i < 16; ++i)
            text[i] = kHex[(f >> (60 - 4 * i)) & 0xF];
        text[16] = '\0';
        frames.push_back(text);
    }
    j = nlohmann::json{{"aspect", h.aspect}, {"frames", frames}};
}

/// Throws MediaError for a hash that is not 16 hex digits.
inline void from_json(const nlohmann::json& j, PerceptualHash& h) {
    h.aspect = j.at("aspect").get<double>();
    h.frames.clear();
    for (const auto& item : j.at("frames")) {
        const auto text = item.get<std::string>();
        std::uint64_t value = 0;
        bool ok = text.size() == 16;
        for (const char c : text) {
            const int digit = c >= '0' && c <= '9'   ? c - '0'
                              : c >= 'a' && c <= 'f' ? c - 'a' + 10
                              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
            ok = ok && digit >= 0;
            value = value << 4 | static_cast<std::uint64_t>(std::max(digit, 0));
        }
        if (!ok)
            throw MediaError("perceptual hash '" + text + "': expected 16 hex digits");
        h.frames.push_back(value);
    }
}

}  // namespace memegen
