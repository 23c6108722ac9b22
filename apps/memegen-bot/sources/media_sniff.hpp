#pragma once
/// \file media_sniff.hpp
/// Recognises the media formats the renderer takes by their first bytes, so a download that
/// is really an HTML error page (or anything else) is rejected before it reaches the
/// library. This is a cheap gate, not validation: whether the file decodes is checked by the
/// bot's probe in a child process (no FFmpeg in the bot process).

#include <cstddef>
#include <string_view>

namespace memegen::bot {

/// A media container recognised by its magic bytes.
enum class MediaFormat { unknown, png, jpeg, gif, webp, mp4, webm };

/// How many leading bytes sniff_media_format() needs to decide.
inline constexpr std::size_t kSniffBytes = 12;

/// The format whose signature starts `head`: PNG, JPEG, GIF87a/89a, RIFF....WEBP,
/// ISO-BMFF (mp4/mov: "ftyp", "moov", "mdat", "free", "skip", "wide" box at offset 4),
/// EBML (webm/mkv). Unknown for anything else, including a short `head`.
[[nodiscard]] MediaFormat sniff_media_format(std::string_view head) noexcept;

/// The file extension used for a format (".png", ".jpg", ".gif", ".webp", ".mp4", ".webm"),
/// or "" for unknown.
[[nodiscard]] std::string_view extension_of(MediaFormat format) noexcept;

/// Lower-case format name ("png"), "unknown" for unknown.
[[nodiscard]] std::string_view to_string(MediaFormat format) noexcept;

}  // namespace memegen::bot
