#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "state/state_file.hpp"
#include "temp_dir.hpp"

using memegen::bot::JsonStateFile;
using memegen::test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// A record of {"n": <whole number>}.
std::optional<int> parse_count(const json& j) {
    if (!j.is_object() || !j.contains("n") || !j["n"].is_number_integer())
        return std::nullopt;
    return j["n"].get<int>();
}

void write(const fs::path& file, const std::string& text) {
    std::ofstream(file) << text;
}

int moved_aside(const fs::path& dir) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir))
        n += entry.path().filename().string().starts_with("count.json.corrupt-") ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("a state file that does not exist loads as nothing, without a problem") {
    TempDir dir;
    const JsonStateFile file(dir / "count.json", "a count");
    const auto loaded = file.load(parse_count);
    CHECK_FALSE(loaded.value);
    CHECK_FALSE(loaded.problem);
}

TEST_CASE("a saved state file loads back, with mode 0600 unless told otherwise") {
    TempDir dir;
    const JsonStateFile file(dir / "count.json", "a count");
    file.save({{"n", 7}});
    CHECK(file.load(parse_count).value == 7);
    struct stat st {};
    REQUIRE(::stat(file.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    SUBCASE("another mode is kept") {
        const JsonStateFile shared(dir / "shared.json", "a count", 0644);
        shared.save({{"n", 1}});
        REQUIRE(::stat(shared.path().c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0644);
    }
    SUBCASE("nothing but the file is left in the directory") {
        int entries = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
            ++entries;
        CHECK(entries == 1);
    }
}

TEST_CASE("an unusable state file is moved aside with the reason, and saving works again") {
    TempDir dir;
    const JsonStateFile file(dir / "count.json", "a count");
    std::string reason;
    SUBCASE("empty") {
        write(file.path(), "  \n");
        reason = "it is empty";
    }
    SUBCASE("not JSON") {
        write(file.path(), "{\"n\": ");
        reason = "it is not valid JSON";
    }
    SUBCASE("the wrong shape") {
        write(file.path(), R"({"n": "seven"})");
        reason = "it is not a count";
    }
    SUBCASE("a parser that throws names its reason too") {
        write(file.path(), R"({"n": 1})");
        const auto loaded = file.load(
            [](const json&) -> std::optional<int> { throw std::runtime_error("bad entry 3"); });
        CHECK_FALSE(loaded.value);
        REQUIRE(loaded.problem);
        CHECK(loaded.problem->find("it is not a count (bad entry 3)") != std::string::npos);
        CHECK(moved_aside(dir.path()) == 1);
        return;
    }
    SUBCASE("a directory in its place") {
        fs::create_directory(file.path());
        reason = "it is a directory";
    }
    const auto loaded = file.load(parse_count);
    CHECK_FALSE(loaded.value);
    REQUIRE(loaded.problem);
    CHECK(loaded.problem->find("count.json was unreadable (" + reason) != std::string::npos);
    CHECK(loaded.problem->find("moved aside to count.json.corrupt-") != std::string::npos);
    CHECK(moved_aside(dir.path()) == 1);
    CHECK_FALSE(fs::exists(file.path()));
    file.save({{"n", 2}});
    CHECK(file.load(parse_count).value == 2);
}

TEST_CASE("peek reads without moving anything aside") {
    TempDir dir;
    const JsonStateFile file(dir / "count.json", "a count");
    write(file.path(), "not json");
    CHECK_FALSE(file.peek(parse_count));
    CHECK(fs::exists(file.path()));
    CHECK(moved_aside(dir.path()) == 0);
    file.save({{"n", 3}});
    CHECK(file.peek(parse_count) == 3);
}
