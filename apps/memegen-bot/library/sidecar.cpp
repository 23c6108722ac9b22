#include "library/sidecar.hpp"

#include <fmt/format.h>

#include "library/library_path.hpp"
#include "state/json_kind.hpp"

namespace memegen::bot {

using nlohmann::json;

void SidecarInfo::merge(const SidecarInfo& over) {
    if (!over.source.empty())
        source = over.source;
    if (!over.title.empty())
        title = over.title;
    if (!over.artist.empty())
        artist = over.artist;
    if (!over.tags.empty())
        tags = over.tags;
    if (over.top)
        top = over.top;
    if (over.bottom)
        bottom = over.bottom;
    if (over.badge)
        badge = over.badge;
}

std::string SidecarInfo::track_label() const {
    if (!artist.empty() && !title.empty())
        return artist + " — " + title;
    return !title.empty() ? title : artist;
}

namespace {

// Parses `text` as JSON; nullopt with an error naming the file otherwise.
std::optional<json> parse_json(std::string_view text, const std::filesystem::path& file,
                               std::size_t max_bytes, SidecarDiagnostics& d) {
    if (text.size() > max_bytes) {
        d.errors.push_back(fmt::format("{}: the file has {} bytes, more than the {} allowed",
                                       file.string(), text.size(), max_bytes));
        return std::nullopt;
    }
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        d.errors.push_back(
            fmt::format("{}: not valid JSON: {}", file.string(), json_parse_error_text(e)));
        return std::nullopt;
    }
}

// A text field: a string within `max_bytes`, without control characters (`newlines` allows
// line breaks, which captions may use). The error names where and the key.
bool read_text(const json& value, const std::string& where, const std::string& key,
               std::size_t max_bytes, bool newlines, std::string& out, SidecarDiagnostics& d) {
    if (!value.is_string()) {
        d.errors.push_back(
            fmt::format("{}: \"{}\" must be a string, got {}", where, key, json_kind(value)));
        return false;
    }
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() > max_bytes) {
        d.errors.push_back(fmt::format("{}: \"{}\" is {} bytes long, more than the {} allowed",
                                       where, key, text.size(), max_bytes));
        return false;
    }
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && !(newlines && c == '\n')) || c == 0x7F) {
            d.errors.push_back(fmt::format("{}: \"{}\" contains a control character (code {})",
                                           where, key, int{c}));
            return false;
        }
    }
    out = text;
    return true;
}

}  // namespace

std::optional<SidecarInfo> parse_sidecar_entry(const json& entry, const std::string& where,
                                               SidecarDiagnostics& d) {
    if (!entry.is_object()) {
        d.errors.push_back(fmt::format("{}: must be an object, got {}", where, json_kind(entry)));
        return std::nullopt;
    }
    SidecarInfo info;
    bool ok = true;
    for (const auto& [key, value] : entry.items()) {
        if (key.starts_with('_'))
            continue;  // comments
        if (key == "source") {
            ok &= read_text(value, where, key, SidecarLimits::max_source_bytes, false, info.source,
                            d);
        } else if (key == "title") {
            ok &= read_text(value, where, key, SidecarLimits::max_text_bytes, false, info.title, d);
        } else if (key == "artist") {
            ok &=
                read_text(value, where, key, SidecarLimits::max_text_bytes, false, info.artist, d);
        } else if (key == "tags") {
            if (!value.is_array()) {
                d.errors.push_back(fmt::format("{}: \"tags\" must be an array of strings, got {}",
                                               where, json_kind(value)));
                ok = false;
                continue;
            }
            if (value.size() > SidecarLimits::max_tags) {
                d.errors.push_back(
                    fmt::format("{}: \"tags\" has {} items, more than the {} allowed", where,
                                value.size(), SidecarLimits::max_tags));
                ok = false;
                continue;
            }
            for (std::size_t i = 0; i < value.size(); ++i) {
                std::string tag;
                if (read_text(value[i], where, fmt::format("tags[{}]", i),
                              SidecarLimits::max_tag_bytes, false, tag, d)) {
                    info.tags.push_back(std::move(tag));
                } else {
                    ok = false;
                }
            }
        } else if (key == "captions") {
            if (!value.is_object()) {
                d.errors.push_back(fmt::format(
                    "{}: \"captions\" must be an object {{\"top\", \"bottom\", \"badge\"}}, got {}",
                    where, json_kind(value)));
                ok = false;
                continue;
            }
            for (const auto& [line, text] : value.items()) {
                if (line.starts_with('_'))
                    continue;
                std::optional<std::string>* target = line == "top"      ? &info.top
                                                     : line == "bottom" ? &info.bottom
                                                     : line == "badge"  ? &info.badge
                                                                        : nullptr;
                if (target == nullptr) {
                    d.warnings.push_back(fmt::format(
                        "{}: unknown key \"captions.{}\" ignored (known: top, bottom, badge)",
                        where, line));
                    continue;
                }
                std::string out;
                if (read_text(text, where, "captions." + line, SidecarLimits::max_text_bytes, true,
                              out, d)) {
                    *target = std::move(out);
                } else {
                    ok = false;
                }
            }
        } else {
            d.warnings.push_back(fmt::format(
                "{}: unknown key \"{}\" ignored (known: source, title, artist, tags, captions)",
                where, key));
        }
    }
    if (!ok)
        return std::nullopt;
    return info;
}

LibrarySidecar parse_library_sidecar(std::string_view text, const std::filesystem::path& library,
                                     const std::filesystem::path& sidecar, SidecarDiagnostics& d) {
    LibrarySidecar out;
    const auto parsed = parse_json(text, sidecar, SidecarLimits::max_library_file_bytes, d);
    if (!parsed)
        return out;
    const std::string name = sidecar.string();
    if (!parsed->is_object()) {
        d.errors.push_back(fmt::format("{}: must contain a JSON object {{...}}, got {}", name,
                                       json_kind(*parsed)));
        return out;
    }
    for (const auto& [key, value] : parsed->items()) {
        if (key.starts_with('_'))
            continue;
        if (key == "defaults") {
            if (auto info = parse_sidecar_entry(value, name + ": defaults", d))
                out.defaults = std::move(*info);
        } else if (key == "files") {
            if (!value.is_object()) {
                d.errors.push_back(
                    fmt::format("{}: \"files\" must be an object of \"path\": {{...}}, got {}",
                                name, json_kind(value)));
                continue;
            }
            for (const auto& [path, entry] : value.items()) {
                const auto where = fmt::format("{}: files.\"{}\"", name, path);
                std::filesystem::path resolved;
                try {
                    resolved = resolve_in_library(library, path);
                } catch (const std::exception& e) {
                    d.errors.push_back(fmt::format("{}: {}", where, e.what()));
                    continue;
                }
                if (auto info = parse_sidecar_entry(entry, where, d))
                    out.files[resolved] = std::move(*info);
            }
        } else {
            d.warnings.push_back(
                fmt::format("{}: unknown key \"{}\" ignored (known: defaults, files)", name, key));
        }
    }
    return out;
}

std::optional<SidecarInfo> parse_file_sidecar(std::string_view text,
                                              const std::filesystem::path& sidecar,
                                              SidecarDiagnostics& d) {
    const auto parsed = parse_json(text, sidecar, SidecarLimits::max_file_sidecar_bytes, d);
    if (!parsed)
        return std::nullopt;
    return parse_sidecar_entry(*parsed, sidecar.string(), d);
}

}  // namespace memegen::bot
