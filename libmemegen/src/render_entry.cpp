// The JSON C entry point of the renderer (see render_entry.h): reads a request as
// RenderOptions (render_options.hpp), renders, and answers with the result or the error. No
// exception crosses the C boundary.

#include "memegen/render_entry.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "memegen/error.hpp"
#include "memegen/media_probe.hpp"
#include "memegen/meme_renderer.hpp"
#include "memegen/perceptual_hash.hpp"
#include "memegen/text_detect.hpp"

namespace {

char* copy_out(const std::string& text) {
    char* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out != nullptr)
        std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

// One probe verdict as the answer lists it; a failure is a result, not an error of the call.
nlohmann::json probe_one(const nlohmann::json& entry, const memegen::ProbeLimits& defaults) {
    memegen::ProbeLimits limits = defaults;
    std::string path;
    if (entry.is_string()) {
        path = entry.get<std::string>();
    } else if (entry.is_object() && entry.contains("path") && entry["path"].is_string()) {
        path = entry["path"].get<std::string>();
        if (entry.contains("role")) {
            const auto role = memegen::parse_media_role(entry["role"].get<std::string>());
            if (!role)
                return {{"path", path}, {"ok", false}, {"error", "unknown role in the request"}};
            limits.role = *role;
        }
    } else {
        return {{"path", ""}, {"ok", false}, {"error", "a file entry must be a path or {path}"}};
    }
    try {
        const auto info = memegen::probe_media(path, limits);
        nlohmann::json verdict = {{"path", path}, {"ok", true}, {"info", info}};
        // Where the meme's text is, found once here and cached beside the verdict, so no
        // render of it pays for the detection again.
        if (info.has_video) {
            verdict["text_layout"] = memegen::detect_text(path, {.max_pixels = limits.max_pixels});
            // Its look, for refusing near-duplicates at intake (issue 13).
            verdict["perceptual_hash"] =
                memegen::perceptual_hash(path, {.max_pixels = limits.max_pixels});
        }
        return verdict;
    } catch (const std::exception& e) {
        return {{"path", path}, {"ok", false}, {"error", e.what()}};
    } catch (...) {
        return {{"path", path}, {"ok", false}, {"error", "unknown error"}};
    }
}

}  // namespace

extern "C" char* memegen_probe_json(const char* request_json, memegen_probe_result on_result,
                                    void* user) {
    nlohmann::json answer;
    try {
        const auto request = nlohmann::json::parse(request_json != nullptr ? request_json : "");
        memegen::ProbeLimits limits;
        limits.max_bytes = request.value("max_bytes", limits.max_bytes);
        limits.max_pixels = request.value("max_pixels", limits.max_pixels);
        if (request.contains("role")) {
            const auto role = memegen::parse_media_role(request["role"].get<std::string>());
            if (!role)
                throw memegen::MediaError("unknown role '" + request["role"].dump() + "'");
            limits.role = *role;
        }
        const auto& files = request.at("files");
        if (!files.is_array())
            throw memegen::MediaError("\"files\" must be an array");
        nlohmann::json results = nlohmann::json::array();
        for (const auto& entry : files) {
            auto result = probe_one(entry, limits);
            if (on_result != nullptr)
                on_result(user, result.dump().c_str());
            results.push_back(std::move(result));
        }
        answer = {{"ok", true}, {"results", std::move(results)}};
    } catch (const std::exception& e) {
        answer = {{"ok", false}, {"error", e.what()}};
    } catch (...) {
        answer = {{"ok", false}, {"error", "unknown error"}};
    }
    try {
        return copy_out(answer.dump());
    } catch (...) {
        return nullptr;
    }
}

extern "C" char* memegen_render_json(const char* request_json, memegen_render_poll poll,
                                     void* user) {
    nlohmann::json answer;
    try {
        const auto request = nlohmann::json::parse(request_json != nullptr ? request_json : "");
        auto options = request.get<memegen::RenderOptions>();
        std::stop_source stop;
        if (poll != nullptr) {
            options.stop = stop.get_token();
            options.on_progress = [&](const memegen::RenderProgress& p) {
                if (poll(user, p.fraction) != 0)
                    stop.request_stop();
            };
        }
        memegen::MemeRenderer renderer;
        const auto result = renderer.render(request.at("media").get<std::string>(),
                                            request.at("output").get<std::string>(), options);
        answer = {{"ok", true}, {"result", result}};
    } catch (const memegen::CancelledError& e) {
        answer = {{"ok", false}, {"error", e.what()}, {"cancelled", true}};
    } catch (const std::exception& e) {
        answer = {{"ok", false}, {"error", e.what()}, {"cancelled", false}};
    } catch (...) {
        answer = {{"ok", false}, {"error", "unknown error"}, {"cancelled", false}};
    }
    try {
        return copy_out(answer.dump());
    } catch (...) {
        return nullptr;
    }
}

extern "C" void memegen_free_string(char* text) {
    std::free(text);
}
