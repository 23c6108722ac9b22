#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/update_offset_store.hpp"
#include "temp_dir.hpp"

using memegen::bot::UpdateDecision;
using memegen::bot::UpdateOffsetStore;
using memegen::test::TempDir;
namespace fs = std::filesystem;

namespace {

int corrupt_files(const fs::path& dir) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().starts_with("offset.json.corrupt-"))
            ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("a fresh store asks for every pending update") {
    TempDir dir;
    UpdateOffsetStore store(dir / "state");
    CHECK_FALSE(store.last_handled());
    CHECK(store.next_offset() == 0);
    CHECK(store.problems().empty());
}

TEST_CASE("the last handled update survives a restart, so nothing is replayed or lost") {
    TempDir dir;
    {
        UpdateOffsetStore store(dir.path());
        REQUIRE(store.begin(100) == UpdateDecision::handle);
        CHECK(store.attempts(100) == 1);
        store.finish(100);
        REQUIRE(store.begin(101) == UpdateDecision::handle);
        store.finish(101);
        CHECK(store.next_offset() == 102);
    }
    UpdateOffsetStore reloaded(dir.path());
    CHECK(reloaded.last_handled() == 101);
    CHECK(reloaded.next_offset() == 102);
    CHECK(reloaded.begin(101) == UpdateDecision::already_handled);
    CHECK(reloaded.begin(50) == UpdateDecision::already_handled);
    CHECK(reloaded.attempts(100) == 0);

    struct stat st {};
    REQUIRE(::stat(reloaded.file().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("an update that crashed the bot max_attempts times is skipped") {
    TempDir dir;
    // Each "run" begins the update and dies before finish(), as a crashing handler would.
    for (int run = 1; run <= 3; ++run) {
        UpdateOffsetStore store(dir.path(), 3);
        REQUIRE(store.begin(7) == UpdateDecision::handle);
        CHECK(store.attempts(7) == run);
    }
    UpdateOffsetStore store(dir.path(), 3);
    CHECK(store.begin(7) == UpdateDecision::poisoned);
    CHECK(store.last_handled() == 7);
    CHECK(store.next_offset() == 8);
    CHECK(store.attempts(7) == 0);
    UpdateOffsetStore after(dir.path(), 3);
    CHECK(after.begin(7) == UpdateDecision::already_handled);
    CHECK(after.begin(8) == UpdateDecision::handle);
}

TEST_CASE("retries within one run count toward the limit too") {
    TempDir dir;
    UpdateOffsetStore store(dir.path(), 2);
    REQUIRE(store.begin(5) == UpdateDecision::handle);
    store.finish(5);
    REQUIRE(store.begin(6) == UpdateDecision::handle);
    REQUIRE(store.begin(6) == UpdateDecision::handle);  // retried in-process once
    CHECK(store.begin(6) == UpdateDecision::poisoned);
}

TEST_CASE("a corrupt offset.json is moved aside and the store starts empty") {
    TempDir dir;
    SUBCASE("not JSON") {
        std::ofstream(dir / "offset.json") << "\x01\x02garbage";
    }
    SUBCASE("wrong types") {
        std::ofstream(dir / "offset.json") << R"({"last_update_id": "x"})";
    }
    SUBCASE("bad counters") {
        std::ofstream(dir / "offset.json") << R"({"last_update_id": 3, "attempts": {"a": 1}})";
    }
    SUBCASE("empty") {
        std::ofstream(dir / "offset.json") << "";
    }
    SUBCASE("a directory in its place (stands for unreadable: tests run as root)") {
        std::filesystem::create_directories(dir / "offset.json" / "x");
    }
    SUBCASE("not an object") {
        std::ofstream(dir / "offset.json") << "[1, 2]";
    }
    UpdateOffsetStore store(dir.path());
    REQUIRE(store.problems().size() == 1);
    CHECK(store.problems()[0].find("offset.json was unreadable") != std::string::npos);
    CHECK(corrupt_files(dir.path()) == 1);
    CHECK(store.next_offset() == 0);
    REQUIRE(store.begin(1) == UpdateDecision::handle);
    store.finish(1);
    CHECK(UpdateOffsetStore(dir.path()).next_offset() == 2);
}

TEST_CASE("offsets belong to one bot: another bot's id starts fresh, the same id keeps them") {
    TempDir dir;
    {
        UpdateOffsetStore store(dir.path());
        CHECK(store.bind_bot(111));
        REQUIRE(store.begin(500) == UpdateDecision::handle);
        store.finish(500);
    }
    SUBCASE("the same bot again") {
        UpdateOffsetStore store(dir.path());
        CHECK(store.bot_id() == 111);
        CHECK(store.bind_bot(111));
        CHECK(store.next_offset() == 501);
        CHECK(store.begin(500) == UpdateDecision::already_handled);
    }
    SUBCASE("a state directory reused with another token") {
        UpdateOffsetStore store(dir.path());
        CHECK_FALSE(store.bind_bot(222));
        CHECK(store.next_offset() == 0);
        CHECK(store.begin(7) == UpdateDecision::handle);
        store.finish(7);
        UpdateOffsetStore reloaded(dir.path());
        CHECK(reloaded.bot_id() == 222);
        CHECK(reloaded.last_handled() == 7);
    }
}

TEST_CASE("a file without a bot id (an older version) is adopted, not dropped") {
    TempDir dir;
    std::ofstream(dir / "offset.json") << R"({"last_update_id": 41, "attempts": {}})";
    UpdateOffsetStore store(dir.path());
    CHECK(store.problems().empty());
    CHECK(store.bind_bot(333));
    CHECK(store.next_offset() == 42);
}

TEST_CASE("ids far below the saved offset (a reset server) re-sync; a recent one is stale") {
    TempDir dir;
    UpdateOffsetStore store(dir.path());
    REQUIRE(store.begin(900000) == UpdateDecision::handle);
    store.finish(900000);
    CHECK(store.begin(899990) == UpdateDecision::already_handled);
    CHECK(store.begin(900000 - UpdateOffsetStore::resync_gap()) == UpdateDecision::already_handled);
    REQUIRE(store.begin(3) == UpdateDecision::handle);
    store.finish(3);
    CHECK(store.next_offset() == 4);
    UpdateOffsetStore reloaded(dir.path());
    CHECK(reloaded.next_offset() == 4);
}
