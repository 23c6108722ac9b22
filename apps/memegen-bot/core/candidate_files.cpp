#include "core/candidate_files.hpp"

#include <memegen/log.hpp>

namespace memegen::bot {

namespace fs = std::filesystem;

namespace {

// A rename, or a copy when the work dir is on another file system.
void move_file(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (!ec)
        return;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::remove(from, ec);
}

}  // namespace

fs::path CandidateFiles::video(const std::string& id) const {
    return dir_ / (id + ".mp4");
}

fs::path CandidateFiles::thumbnail(const std::string& id) const {
    return dir_ / (id + ".jpg");
}

bool CandidateFiles::keep(const std::string& id, const fs::path& video_file,
                          const fs::path& thumbnail_file) noexcept {
    try {
        fs::create_directories(dir_);
        move_file(video_file, video(id));
        if (!thumbnail_file.empty() && fs::exists(thumbnail_file))
            move_file(thumbnail_file, thumbnail(id));
        return true;
    } catch (const std::exception& e) {
        log_error("cannot keep the video of candidate {} in {}: {}", id, dir_.string(), e.what());
        std::error_code ec;
        fs::remove(video_file, ec);
        if (!thumbnail_file.empty())
            fs::remove(thumbnail_file, ec);
        release(id);
        return false;
    }
}

void CandidateFiles::release(const std::string& id) noexcept {
    std::error_code ec;
    fs::remove(video(id), ec);
    fs::remove(thumbnail(id), ec);
}

}  // namespace memegen::bot
