// The sweep of old work files (issue 13) over real files whose modification times the test
// sets: what is removed, what is counted, what is never touched.

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "housekeeping/work_cleanup.hpp"
#include "temp_dir.hpp"

using memegen::bot::sweep_work_files;
using memegen::bot::SweepOptions;
using memegen::test::TempDir;
using std::chrono::hours;
using std::chrono::system_clock;
namespace fs = std::filesystem;

namespace {

// A file of `bytes` bytes last written `age` before `now`.
fs::path file(const fs::path& path, std::size_t bytes, system_clock::time_point now,
              system_clock::duration age) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << std::string(bytes, 'x');
    fs::last_write_time(path, std::chrono::file_clock::from_sys(now - age));
    return path;
}

}  // namespace

TEST_CASE("the sweep removes work files older than the limit and counts them") {
    TempDir dir;
    const auto now = system_clock::now();
    const auto work = dir / "state" / "work";
    const auto media = dir / "media";
    const auto old_mp4 = file(work / "a.mp4", 1'500'000, now, hours(30));
    const auto old_thumb = file(work / "a.mp4.jpg", 20'000, now, hours(25));
    const auto old_nested = file(work / "sub" / "probe-1-2.result.json", 100, now, hours(48));
    const auto fresh = file(work / "b.mp4", 2'000, now, hours(23));
    const auto incoming = file(media / ".incoming-abc", 3'000, now, hours(26));
    const auto part = file(media / ".cat.part-123-4", 4'000, now, hours(26));
    const auto meme = file(media / "old_meme.png", 5'000, now, hours(500));
    const auto hidden = file(media / ".sidecar-notes", 10, now, hours(500));
    const auto quarantined =
        file(dir / "state" / "schedule.json.corrupt-2026", 10, now, hours(500));

    SweepOptions o;
    o.work_dirs = {work};
    o.library_dirs = {media};
    o.max_age = hours(24);
    o.now = now;

    SUBCASE("with the lock free") {
        const auto result = sweep_work_files(o);
        CHECK(result.files == 5);
        CHECK(result.bytes == 1'500'000 + 20'000 + 100 + 3'000 + 4'000);
        CHECK(result.failed == 0);
        for (const auto& gone : {old_mp4, old_thumb, old_nested, incoming, part}) {
            CAPTURE(gone);
            CHECK_FALSE(fs::exists(gone));
        }
        // Young work files, library files, other dot files and quarantined state stay.
        for (const auto& kept : {fresh, meme, hidden, quarantined}) {
            CAPTURE(kept);
            CHECK(fs::exists(kept));
        }
        CHECK(fs::is_directory(work));
        CHECK(sweep_work_files(o).files == 0);  // a second sweep finds nothing
    }
    SUBCASE("with the lock held: nothing written since its holder took it is removed") {
        o.keep_since = now - hours(27);
        const auto result = sweep_work_files(o);
        CHECK(result.files == 2);  // a.mp4 (30 h) and the nested file (48 h)
        CHECK_FALSE(fs::exists(old_mp4));
        CHECK_FALSE(fs::exists(old_nested));
        for (const auto& kept : {old_thumb, incoming, part, fresh}) {
            CAPTURE(kept);
            CHECK(fs::exists(kept));
        }
    }
}

TEST_CASE("missing directories and symbolic links are no problem and never followed") {
    TempDir dir;
    const auto now = system_clock::now();
    const auto outside = file(dir / "outside" / "precious.mp4", 10, now, hours(100));
    fs::create_directories(dir / "work");
    fs::create_directory_symlink(dir / "outside", dir / "work" / "link");
    fs::create_symlink(outside, dir / "work" / "file-link.mp4");
    SweepOptions o;
    o.work_dirs = {dir / "work", dir / "absent"};
    o.library_dirs = {dir / "absent-too"};
    o.max_age = hours(1);
    o.now = now;
    const auto result = sweep_work_files(o);
    CHECK(result.files == 0);
    CHECK(result.failed == 0);
    CHECK(fs::exists(outside));
}
