#pragma once
/// \file render_files.hpp
/// The files a render writes beside its output: the thumbnail, and the temporary files it
/// renames into place at the end. Header-only and without FFmpeg, so that a program which
/// renders in a child process (memegen-bot) can clean up after a child that was killed: a
/// render removes its temporary files on every path it survives, but a SIGKILL or a crash
/// leaves them behind.
///
/// Errors: nothing here throws; a file that cannot be removed stays, for a later cleanup.

#include <cstddef>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

namespace memegen {

/// The thumbnail path a render writes beside `output` ("out.mp4" → "out.thumb.jpg").
[[nodiscard]] inline std::filesystem::path thumbnail_path_for(const std::filesystem::path& output) {
    auto thumb = output;
    thumb.replace_extension(".thumb.jpg");
    return thumb;
}

/// How the temporary files of `target` written by process `pid` begin (".out.mp4.part-<pid>-");
/// a counter and the extension follow. Dot files, so a folder listing of memes skips them.
[[nodiscard]] inline std::string partial_output_prefix(const std::filesystem::path& target,
                                                       long pid) {
    return "." + target.filename().string() + ".part-" + std::to_string(pid) + '-';
}

/// Removes what a render of `output` in process `pid` left in the output's folder (the
/// temporary video and thumbnail), once that process is gone. Returns how many files it removed.
inline std::size_t remove_partial_outputs(const std::filesystem::path& output, long pid) noexcept {
    std::size_t removed = 0;
    try {
        const std::string prefixes[] = {partial_output_prefix(output, pid),
                                        partial_output_prefix(thumbnail_path_for(output), pid)};
        auto folder = output.parent_path();
        if (folder.empty())
            folder = ".";
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
            const auto name = entry.path().filename().string();
            for (const auto& prefix : prefixes) {
                if (name.starts_with(prefix) && std::filesystem::remove(entry.path(), ec))
                    ++removed;
            }
        }
    } catch (const std::exception&) {
        // No memory for a name, or the folder changed under the iterator: the rest is left for
        // the next cleanup.
    }
    return removed;
}

}  // namespace memegen
