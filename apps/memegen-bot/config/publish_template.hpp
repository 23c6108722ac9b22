#pragma once
/// \file publish_template.hpp
/// The texts a target posts with a video (publish.youtube.title_template, description_template,
/// publish.x.text_template): plain text with the placeholders {source} (the meme's file name
/// without its extension), {track} (the track's "artist — title", or its file name) and
/// {captions} (the captions drawn on the video, top then bottom; empty when it has none). The
/// configuration check and the publish flow use the same two functions, so a template that
/// passes --check-config always fills. Each platform's length rules are its publisher's
/// (publish/text_limits.hpp).

#include <optional>
#include <string>
#include <string_view>

namespace memegen::bot {

/// What a template is filled with.
struct TemplateValues {
    std::string source;
    std::string track;
    std::string captions;
};

/// What is wrong with `text` (an unknown placeholder, an unmatched brace), or nullopt.
[[nodiscard]] std::optional<std::string> template_problem(std::string_view text);
/// `text` with its placeholders replaced; assumes template_problem(text) is nullopt ("{{" and
/// "}}" stand for a brace).
[[nodiscard]] std::string fill_template(std::string_view text, const TemplateValues& values);

}  // namespace memegen::bot
