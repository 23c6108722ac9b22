#include "library/sidecar_reader.hpp"

#include <memegen/detail/files.hpp>
#include <memegen/log.hpp>

#include "library/library_path.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;

namespace {

void log_diagnostics(const SidecarDiagnostics& d) {
    for (const auto& e : d.errors)
        log_error("sidecar: {}; treated as no sidecar", e);
    for (const auto& w : d.warnings)
        log_warning("sidecar: {}", w);
}

}  // namespace

void SidecarReader::refresh_library_sidecar() {
    const auto file = library_ / "library.json";
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (!fs::exists(status)) {
        library_stamp_.reset();
        library_sidecar_ = {};
        return;
    }
    Stamp stamp{fs::file_size(file, ec), fs::last_write_time(file, ec)};
    if (library_stamp_ && *library_stamp_ == stamp)
        return;
    library_stamp_ = stamp;
    library_sidecar_ = {};
    SidecarDiagnostics d;
    try {
        if (!fs::is_regular_file(status) || !stays_inside(library_, file)) {
            d.errors.push_back(file.string() + ": not a regular file inside the library");
        } else if (stamp.size > SidecarLimits::max_library_file_bytes) {
            d.errors.push_back(file.string() + ": the file has " + std::to_string(stamp.size) +
                               " bytes, more than the " +
                               std::to_string(SidecarLimits::max_library_file_bytes) + " allowed");
        } else if (const auto text = detail::read_file(file)) {
            library_sidecar_ = parse_library_sidecar(*text, library_, file, d);
        }
    } catch (const std::exception& e) {
        d.errors.push_back(file.string() + ": cannot read: " + e.what());
    }
    log_diagnostics(d);
}

std::optional<SidecarInfo> SidecarReader::file_sidecar(const fs::path& file) {
    auto sidecar = file;
    sidecar += ".json";
    std::error_code ec;
    const auto status = fs::status(sidecar, ec);
    if (!fs::exists(status)) {
        file_sidecars_.erase(sidecar);
        return std::nullopt;
    }
    Stamp stamp{fs::file_size(sidecar, ec), fs::last_write_time(sidecar, ec)};
    if (const auto it = file_sidecars_.find(sidecar);
        it != file_sidecars_.end() && it->second.stamp == stamp) {
        return it->second.info;
    }
    SidecarDiagnostics d;
    std::optional<SidecarInfo> info;
    try {
        if (!fs::is_regular_file(status) || !stays_inside(library_, sidecar)) {
            d.errors.push_back(sidecar.string() + ": not a regular file inside the library");
        } else if (stamp.size > SidecarLimits::max_file_sidecar_bytes) {
            d.errors.push_back(sidecar.string() + ": the file has " + std::to_string(stamp.size) +
                               " bytes, more than the " +
                               std::to_string(SidecarLimits::max_file_sidecar_bytes) + " allowed");
        } else if (const auto text = detail::read_file(sidecar)) {
            info = parse_file_sidecar(*text, sidecar, d);
        }
    } catch (const std::exception& e) {
        d.errors.push_back(sidecar.string() + ": cannot read: " + e.what());
    }
    log_diagnostics(d);
    // Bounded: a library's sidecars, not more (entries of removed files go with a clear).
    if (file_sidecars_.size() > 10000)
        file_sidecars_.clear();
    file_sidecars_[sidecar] = CachedFile{stamp, info};
    return info;
}

SidecarInfo SidecarReader::lookup(const fs::path& file) {
    std::lock_guard lock(mutex_);
    SidecarInfo info;
    try {
        refresh_library_sidecar();
        info = library_sidecar_.defaults;
        std::error_code ec;
        const auto resolved = fs::weakly_canonical(file, ec);
        if (const auto it = library_sidecar_.files.find(ec ? file : resolved);
            it != library_sidecar_.files.end()) {
            info.merge(it->second);
        }
        if (const auto own = file_sidecar(file))
            info.merge(*own);
    } catch (const std::exception& e) {
        log_error("sidecar: cannot read the sidecars of {}: {}", file.string(), e.what());
    }
    return info;
}

}  // namespace memegen::bot
