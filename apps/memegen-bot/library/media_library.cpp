#include "library/media_library.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "library/library_path.hpp"
#include "library/media_picker.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;

MediaLibrary::MediaLibrary(std::string name, fs::path root, MediaRole role)
    : name_(std::move(name)), root_(std::move(root)), role_(role), sidecars_(root_) {}

bool MediaLibrary::accepts_extension(const fs::path& file) const {
    const auto kind = media_kind_of(file);
    return role_ == MediaRole::music ? kind == MediaKind::audio
                                     : kind != MediaKind::audio && kind != MediaKind::unknown;
}

LibraryListing MediaLibrary::list() const {
    LibraryListing out;
    std::error_code ec;
    fs::directory_iterator it(root_, ec);
    if (ec) {
        out.problems.push_back("cannot list the library '" + root_.string() + "': " + ec.message());
        return out;
    }
    for (const auto& entry : it) {
        const auto& path = entry.path();
        const auto name = path.filename().string();
        // Hidden files are ours (downloads in progress) or the system's; sidecars are not media.
        if (name.starts_with('.') || !accepts_extension(path))
            continue;
        std::error_code e;
        if (entry.is_symlink(e) && !stays_inside(root_, path)) {
            // fmt rather than "'" + string: GCC 12 at -O3 reports a false -Wrestrict there.
            out.problems.push_back(
                fmt::format("'{}': a symlink that leads outside the library (or nowhere); skipped",
                            path.string()));
            continue;
        }
        if (!entry.is_regular_file(e))
            continue;
        const auto stamp = FileStamp::of(path);
        if (!stamp)
            continue;
        out.files.push_back({path, name_ + "/" + name, *stamp});
    }
    std::sort(out.files.begin(), out.files.end(),
              [](const LibraryEntry& a, const LibraryEntry& b) { return a.file < b.file; });
    return out;
}

}  // namespace memegen::bot
