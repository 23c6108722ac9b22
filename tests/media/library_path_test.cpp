// Paths from sidecars and downloads stay inside their library; downloaded names are safe.

#include <doctest/doctest.h>

#include <fstream>

#include "library/library_path.hpp"
#include "temp_dir.hpp"

using memegen::bot::LibraryPathError;
using memegen::bot::move_into_library;
using memegen::bot::resolve_in_library;
using memegen::bot::sanitize_file_name;
using memegen::bot::stays_inside;
using memegen::test::TempDir;

namespace {

std::string refusal(const std::filesystem::path& lib, const std::string& rel) {
    try {
        (void)resolve_in_library(lib, rel);
    } catch (const LibraryPathError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sidecar paths resolve inside the library or are refused with a clear error") {
    TempDir dir{"memegen-paths"};
    const auto lib = dir.path() / "lib";
    std::filesystem::create_directories(lib / "sub");
    std::filesystem::create_directories(dir.path() / "outside");
    std::ofstream(dir.path() / "outside" / "x.png") << "x";
    std::ofstream(lib / "sub" / "ok.png") << "x";
    std::filesystem::create_symlink(dir.path() / "outside", lib / "dirlink");
    std::filesystem::create_symlink(dir.path() / "outside" / "x.png", lib / "filelink.png");
    std::filesystem::create_symlink(lib / "sub" / "ok.png", lib / "inner.png");

    const auto root = std::filesystem::canonical(lib);
    CHECK(resolve_in_library(lib, "sub/ok.png") == root / "sub" / "ok.png");
    CHECK(resolve_in_library(lib, "not-yet.png") == root / "not-yet.png");
    CHECK(resolve_in_library(lib, "./sub/ok.png") == root / "sub" / "ok.png");
    CHECK(resolve_in_library(lib, "inner.png") == root / "sub" / "ok.png");

    CHECK(refusal(lib, "/etc/passwd").find("is absolute") != std::string::npos);
    CHECK(refusal(lib, "/etc/passwd").find("[memegen.library]") == 0);
    CHECK(refusal(lib, "../outside/x.png").find("contains '..'") != std::string::npos);
    CHECK(refusal(lib, "sub/../../outside/x.png").find("contains '..'") != std::string::npos);
    CHECK(refusal(lib, "sub/..").find("contains '..'") != std::string::npos);
    CHECK(refusal(lib, "dirlink/x.png").find("leads outside the library") != std::string::npos);
    CHECK(refusal(lib, "filelink.png").find("leads outside the library") != std::string::npos);
    CHECK(refusal(lib, "").find("empty path") != std::string::npos);
    CHECK(refusal(lib, std::string("a\0b", 3)).find("NUL") != std::string::npos);

    CHECK(stays_inside(lib, lib / "inner.png"));
    CHECK_FALSE(stays_inside(lib, lib / "filelink.png"));
    CHECK_FALSE(stays_inside(lib, lib / "dirlink" / "x.png"));
    CHECK_FALSE(stays_inside(lib, lib / "missing.png"));
}

TEST_CASE("downloaded file names are sanitised") {
    CHECK(sanitize_file_name("cat.gif") == "cat.gif");
    CHECK(sanitize_file_name("../../etc/passwd") == "passwd");
    CHECK(sanitize_file_name("C:\\Users\\me\\meme.png") == "meme.png");
    CHECK(sanitize_file_name(".bashrc") == "bashrc");
    CHECK(sanitize_file_name("...") == "file");
    CHECK(sanitize_file_name("") == "file");
    CHECK(sanitize_file_name("/") == "file");
    CHECK(sanitize_file_name("-rf.png") == "rf.png");
    CHECK(sanitize_file_name("a\nb\tc\x7f.png") == "a_b_c_.png");
    CHECK(sanitize_file_name("мем котика.jpg") == "мем котика.jpg");
    const auto long_name = sanitize_file_name(std::string(300, 'a') + ".mp4");
    CHECK(long_name.size() == 96);
    CHECK(long_name.ends_with(".mp4"));
    // A cut never splits a UTF-8 sequence ("ж" is two bytes).
    std::string cyrillic;
    for (int i = 0; i < 100; ++i)
        cyrillic += "ж";
    const auto cut = sanitize_file_name(cyrillic + ".png", 51);
    CHECK(cut.ends_with(".png"));
    CHECK((cut.size() - 4) % 2 == 0);
}

TEST_CASE("moving into a library never replaces a file: collisions get a number") {
    TempDir dir{"memegen-paths"};
    for (int i = 0; i < 3; ++i)
        std::ofstream(dir / ("in" + std::to_string(i))) << i;
    const auto a = move_into_library(dir / "in0", dir.path(), "meme.png");
    const auto b = move_into_library(dir / "in1", dir.path(), "meme.png");
    const auto c = move_into_library(dir / "in2", dir.path(), "meme.png");
    CHECK(a.filename() == "meme.png");
    CHECK(b.filename() == "meme-2.png");
    CHECK(c.filename() == "meme-3.png");
    std::ifstream in(a);
    char first = 0;
    in >> first;
    CHECK(first == '0');
    CHECK_THROWS_AS(move_into_library(dir / "missing", dir.path(), "x.png"), LibraryPathError);
}
