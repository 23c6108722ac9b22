#include "library/library_path.hpp"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>

namespace memegen::bot {

namespace fs = std::filesystem;

namespace {

// The canonical form of the library root; the root itself may be a symlink (a deployment
// choice), what matters is where its content leads.
fs::path canonical_root(const fs::path& library) {
    std::error_code ec;
    auto root = fs::canonical(library, ec);
    if (ec) {
        throw LibraryPathError("the library '" + library.string() +
                               "' cannot be resolved: " + ec.message());
    }
    return root;
}

bool has_prefix(const fs::path& path, const fs::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (p == path.end() || *p != *r)
            return false;
    }
    return true;
}

}  // namespace

fs::path resolve_in_library(const fs::path& library, std::string_view relative) {
    const std::string shown(relative);
    if (relative.empty())
        throw LibraryPathError("an empty path names no file of '" + library.string() + "'");
    if (relative.find('\0') != std::string_view::npos)
        // Not quoted: the message would end at the NUL.
        throw LibraryPathError("a path for '" + library.string() + "' contains a NUL character");
    const fs::path rel(shown);
    if (rel.is_absolute() || shown.front() == '/') {
        throw LibraryPathError("the path '" + shown +
                               "' is absolute: sidecar paths are relative to the library '" +
                               library.string() + "'");
    }
    for (const auto& part : rel) {
        if (part == "..") {
            throw LibraryPathError("the path '" + shown + "' contains '..': it may not leave '" +
                                   library.string() + "'");
        }
    }
    const auto root = canonical_root(library);
    // weakly_canonical follows every symlink of the part that exists.
    std::error_code ec;
    const auto resolved = fs::weakly_canonical(root / rel, ec);
    if (ec)
        throw LibraryPathError("the path '" + shown + "' cannot be resolved: " + ec.message());
    if (!has_prefix(resolved, root) || resolved == root) {
        throw LibraryPathError("the path '" + shown + "' leads outside the library '" +
                               library.string() + "' (to '" + resolved.string() +
                               "') through a symlink");
    }
    return resolved;
}

bool stays_inside(const fs::path& library, const fs::path& path) {
    std::error_code ec;
    const auto root = fs::canonical(library, ec);
    if (ec)
        return false;
    const auto resolved = fs::canonical(path, ec);
    return !ec && resolved != root && has_prefix(resolved, root);
}

std::string sanitize_file_name(std::string_view name, std::size_t max_bytes) {
    // Only the last component: "a/b\\c.png" names c.png.
    if (const auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    std::string out;
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        out += (c < 0x20 || c == 0x7F) ? '_' : ch;
    }
    while (!out.empty() && (out.front() == '.' || out.front() == ' ' || out.front() == '-'))
        out.erase(0, 1);
    while (!out.empty() && (out.back() == ' ' || out.back() == '.'))
        out.pop_back();
    if (out.empty())
        out = "file";
    if (out.size() > max_bytes) {
        std::string ext;
        if (const auto dot = out.rfind('.'); dot != std::string::npos && out.size() - dot <= 10)
            ext = out.substr(dot);
        std::size_t keep = max_bytes > ext.size() ? max_bytes - ext.size() : 0;
        // Never cut inside a UTF-8 sequence: back up over continuation bytes.
        while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80)
            --keep;
        out = out.substr(0, keep) + ext;
        if (keep == 0)
            out = "file" + ext;
    }
    return out;
}

fs::path move_into_library(const fs::path& from, const fs::path& dir, const std::string& name) {
    const fs::path base(name);
    const auto stem = base.stem().string();
    const auto ext = base.extension().string();
    for (int n = 1; n <= 1000; ++n) {
        const auto target = dir / (n == 1 ? name : stem + "-" + std::to_string(n) + ext);
        // RENAME_NOREPLACE: two uploads of "meme.jpg" at once can never overwrite each other.
        if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
            return target;
        if (errno != EEXIST) {
            throw LibraryPathError("cannot move '" + from.string() + "' to '" + target.string() +
                                   "': " + std::strerror(errno));
        }
    }
    throw LibraryPathError("no free name for '" + name + "' in '" + dir.string() + "'");
}

}  // namespace memegen::bot
