// MediaPicker: no source repeats until its library is exhausted — over thousands of draws, in
// batches, while a library is still being validated, and across a process killed with SIGKILL
// mid-sequence (the history is written atomically before a pick is returned).

#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "library/media_picker.hpp"
#include "temp_dir.hpp"

using memegen::bot::MediaPicker;
using memegen::test::Child;
using memegen::test::TempDir;

namespace {

std::vector<std::filesystem::path> fake_files(int n, const std::string& ext = ".png") {
    std::vector<std::filesystem::path> out;
    for (int i = 0; i < n; ++i)
        out.push_back("/lib/meme" + std::to_string(1000 + i) + ext);
    return out;
}

// Draw-heavy tests keep their history in memory-backed /dev/shm when there is one: every pick
// fsyncs the history (as it must), which costs milliseconds on a disk and nothing there.
struct FastDir {
    std::filesystem::path path;
    FastDir() {
        std::error_code ec;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                               ? "/dev/shm"
                                               : std::filesystem::temp_directory_path();
        std::string pattern = (base / "memegen-picker-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        path = pattern;
    }
    FastDir(const FastDir&) = delete;
    FastDir& operator=(const FastDir&) = delete;
    ~FastDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
        return path / name;
    }
};

memegen::bot::PickableFiles fixed(int memes, int tracks) {
    return [=](bool audio) { return audio ? fake_files(tracks, ".m4a") : fake_files(memes); };
}

std::vector<std::string> lines_of(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

}  // namespace

// Picks forever, appending each pick to a journal: killed by the parent mid-sequence.
MEMEGEN_TEST_CHILD("picker-journal") {
    MediaPicker picker(fixed(150, 2), args.at(0), 7);
    const int fd = ::open(args.at(1).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    // Short of the 150 that end a round, then it waits for its SIGKILL: a parent that is slow
    // to notice the 40th line still kills it mid-sequence.
    for (int i = 0; i < 120; ++i) {
        const auto pick = picker.pick_meme();
        const std::string line = pick->string() + "\n";
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            return 3;
    }
    for (;;)
        ::pause();
}

TEST_CASE("no meme repeats until the library is exhausted, over thousands of draws") {
    FastDir dir;
    constexpr int kFiles = 40;
    MediaPicker picker(fixed(kFiles, 3), dir / "history.json", 12345);
    std::vector<std::filesystem::path> picks;
    for (int i = 0; i < 2000; ++i)
        picks.push_back(*picker.pick_meme());
    // Any kFiles consecutive draws are all different: each round uses every file once.
    for (std::size_t i = 0; i + kFiles <= picks.size(); ++i) {
        const std::set<std::filesystem::path> window(picks.begin() + static_cast<long>(i),
                                                     picks.begin() + static_cast<long>(i) + kFiles);
        REQUIRE_MESSAGE(window.size() == kFiles, "repeat within draws " << i << ".." << i + kFiles);
    }
    // Tracks rotate too, and never the one to avoid when there is another.
    std::filesystem::path last;
    for (int i = 0; i < 300; ++i) {
        const auto track = *picker.pick_music(last);
        CHECK(track != last);
        last = track;
    }
}

TEST_CASE("the same seed draws the same sequence") {
    FastDir a;
    FastDir b;
    MediaPicker first(fixed(30, 2), a / "history.json", 99);
    MediaPicker second(fixed(30, 2), b / "history.json", 99);
    for (int i = 0; i < 100; ++i)
        CHECK(first.pick_meme() == second.pick_meme());
}

TEST_CASE("a batch's candidates never share a source, and exclusions are honoured") {
    FastDir dir;
    MediaPicker picker(fixed(10, 2), dir / "history.json", 5);
    for (int batch = 0; batch < 200; ++batch) {
        std::set<std::filesystem::path> used;
        for (int i = 0; i < 3; ++i) {
            const auto pick = picker.pick_meme(used);
            REQUIRE(pick);
            CHECK(used.insert(*pick).second);
        }
    }
    // Everything excluded: nothing to pick rather than a repeat inside the batch.
    const auto all = fake_files(10);
    CHECK_FALSE(picker.pick_meme({all.begin(), all.end()}));
}

TEST_CASE("a library still being validated grows without its history being forgotten") {
    TempDir dir{"memegen-picker"};
    int visible = 5;
    MediaPicker picker([&](bool) { return fake_files(visible); }, dir / "history.json", 3);
    std::set<std::filesystem::path> seen;
    for (int i = 0; i < 5; ++i)
        CHECK(seen.insert(*picker.pick_meme()).second);
    visible = 40;  // the background check has passed the rest
    for (int i = 0; i < 35; ++i)
        CHECK_MESSAGE(seen.insert(*picker.pick_meme()).second, "repeat at draw " << 5 + i);
    CHECK(seen.size() == 40);
}

TEST_CASE("the history survives a process killed with SIGKILL mid-sequence") {
    TempDir dir{"memegen-picker"};
    const auto history = dir / "history.json";
    const auto journal = dir / "journal.txt";
    {
        Child child("picker-journal", {history.string(), journal.string()});
        // Kill it somewhere in the middle of the sequence: after 40 picks, before 150 (it
        // stops at 120).
        while (lines_of(journal).size() < 40)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        child.kill(SIGKILL);
        const auto end = child.wait();
        REQUIRE(end.signalled);
    }
    const auto before = lines_of(journal);
    REQUIRE(before.size() >= 40);
    REQUIRE(before.size() < 150);
    const std::set<std::string> used(before.begin(), before.end());
    CHECK(used.size() == before.size());  // no repeat before the kill
    // A new process goes on: none of the journalled picks comes back until the rest is used.
    MediaPicker picker(fixed(150, 2), history, 8);
    const std::size_t rest = 150 - before.size() - 1;  // one pick may have missed the journal
    std::set<std::string> after;
    for (std::size_t i = 0; i < rest; ++i) {
        const auto pick = picker.pick_meme()->string();
        CHECK_MESSAGE(used.count(pick) == 0, pick << " repeated after the restart");
        CHECK(after.insert(pick).second);
    }
}

TEST_CASE("a broken history is moved aside, named once, and the picks go on") {
    TempDir dir{"memegen-picker"};
    const auto history = dir / "history.json";
    std::ofstream(history) << R"({"memes": "meme0.png", "music": 7})";
    MediaPicker picker(fixed(3, 1), history, 4);
    const auto problems = picker.problems();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].starts_with("history.json was unreadable (it is not a source history)"));
    CHECK(problems[0].find("; moved aside to history.json.corrupt-") != std::string::npos);
    CHECK(picker.pick_meme());
    CHECK(picker.problems() == problems);  // loaded once, reported once
    std::ifstream saved(history);
    std::stringstream text;
    text << saved.rdbuf();
    CHECK(text.str().find("meme") != std::string::npos);
}
