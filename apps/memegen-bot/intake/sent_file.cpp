#include "intake/sent_file.hpp"

#include <algorithm>

#include "library/media_picker.hpp"
#include "library/sidecar.hpp"

namespace memegen::bot {

namespace {

std::string unique(const nlohmann::json& f) {
    return f.value("file_unique_id", std::string("file"));
}

std::string named(const nlohmann::json& f, const std::string& fallback) {
    const auto name = f.value("file_name", std::string{});
    return name.empty() ? fallback : name;
}

// A document goes by its MIME type, else by its name's extension.
std::optional<SentFile> document_of(const nlohmann::json& f) {
    const auto name = named(f, "document_" + unique(f));
    const auto mime = f.value("mime_type", std::string{});
    if (mime.starts_with("image/") || mime.starts_with("video/"))
        return SentFile{f, MediaRole::meme, name};
    if (mime.starts_with("audio/"))
        return SentFile{f, MediaRole::music, name};
    if (const auto kind = media_kind_of(name); kind != MediaKind::unknown)
        return SentFile{f, kind == MediaKind::audio ? MediaRole::music : MediaRole::meme, name};
    return std::nullopt;
}

std::optional<SentFile> classify(const nlohmann::json& m) {
    if (m.contains("photo") && m["photo"].is_array() && !m["photo"].empty()) {
        const auto& best = m["photo"].back();  // sizes come smallest first
        return SentFile{best, MediaRole::meme, "photo_" + unique(best) + ".jpg"};
    }
    if (m.contains("animation")) {
        const auto& f = m["animation"];
        return SentFile{f, MediaRole::meme, named(f, "animation_" + unique(f) + ".mp4")};
    }
    if (m.contains("video")) {
        const auto& f = m["video"];
        return SentFile{f, MediaRole::meme, named(f, "video_" + unique(f) + ".mp4")};
    }
    if (m.contains("video_note")) {
        const auto& f = m["video_note"];
        return SentFile{f, MediaRole::meme, "video_note_" + unique(f) + ".mp4"};
    }
    if (m.contains("audio")) {
        const auto& f = m["audio"];
        return SentFile{f, MediaRole::music, named(f, "audio_" + unique(f) + ".mp3")};
    }
    if (m.contains("voice")) {
        const auto& f = m["voice"];
        return SentFile{f, MediaRole::music, "voice_" + unique(f) + ".ogg"};
    }
    if (m.contains("document"))
        return document_of(m["document"]);
    return std::nullopt;
}

}  // namespace

std::optional<SentFile> sent_file_of(const nlohmann::json& message) {
    auto sent = classify(message);
    if (!sent || !sent->file.contains("file_id"))
        return std::nullopt;
    return sent;
}

nlohmann::json sent_file_sidecar(const nlohmann::json& message, const std::string& who) {
    nlohmann::json sidecar = {{"source", "sent to the bot by " + who}};
    const auto caption = message.value("caption", std::string{});
    if (!caption.empty() && caption.size() <= SidecarLimits::max_text_bytes &&
        std::none_of(caption.begin(), caption.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        sidecar["title"] = caption;
    }
    return sidecar;
}

}  // namespace memegen::bot
