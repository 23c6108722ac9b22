// Sidecar JSON (library.json and <file>.json): the documented format is read and merged; every
// malformed case is an error naming the sidecar file and the key, and the file concerned is
// treated as having no sidecar — never an exception.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <memegen/log.hpp>

#include "library/sidecar.hpp"
#include "library/sidecar_reader.hpp"
#include "temp_dir.hpp"

using memegen::bot::LibrarySidecar;
using memegen::bot::parse_file_sidecar;
using memegen::bot::parse_library_sidecar;
using memegen::bot::SidecarDiagnostics;
using memegen::bot::SidecarInfo;
using memegen::bot::SidecarReader;
using memegen::test::TempDir;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

bool mentions(const std::vector<std::string>& lines, const std::string& a,
              const std::string& b = {}) {
    for (const auto& l : lines) {
        if (l.find(a) != std::string::npos && l.find(b) != std::string::npos)
            return true;
    }
    return false;
}

// Everything logged while it lives.
struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    LogCapture() {
        memegen::set_log_sink([this](memegen::LogLevel, std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        });
    }
    ~LogCapture() { memegen::set_log_sink({}); }
};

}  // namespace

TEST_CASE("a per-file sidecar with every key is read") {
    SidecarDiagnostics d;
    const auto info = parse_file_sidecar(R"({
        "_comment": "ignored",
        "source": "https://example.org/cat",
        "title": "Cat", "artist": "Nobody",
        "tags": ["cat", "кот"],
        "captions": {"top": "WHEN IT WORKS", "bottom": "КОГДА РАБОТАЕТ\nсразу", "badge": "b"}
    })",
                                         "cat.gif.json", d);
    REQUIRE(info);
    CHECK(d.errors.empty());
    CHECK(d.warnings.empty());
    CHECK(info->source == "https://example.org/cat");
    CHECK(info->tags.size() == 2);
    CHECK(info->top == "WHEN IT WORKS");
    CHECK(info->bottom == "КОГДА РАБОТАЕТ\nсразу");
    CHECK(info->badge == "b");
    CHECK(info->track_label() == "Nobody — Cat");
}

TEST_CASE("every malformed per-file sidecar is an error naming the file and the key") {
    // Each text with what its error must say (besides the sidecar's name).
    const std::string huge(5000, 'a');
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json at all", "not valid JSON"},
        {"{\"title\": \"a\",}", "not valid JSON"},
        {"[1, 2]", "must be an object"},
        {"\"text\"", "must be an object"},
        {R"({"title": 5})", "\"title\" must be a string"},
        {R"({"artist": null})", "\"artist\" must be a string"},
        {R"({"source": ["x"]})", "\"source\" must be a string"},
        {R"({"tags": "cat"})", "\"tags\" must be an array"},
        {R"({"tags": ["cat", 7]})", "\"tags[1]\" must be a string"},
        {R"({"captions": "top text"})", "\"captions\" must be an object"},
        {R"({"captions": {"top": 1}})", "\"captions.top\" must be a string"},
        {R"({"title": ")" + huge + R"("})", "\"title\" is 5000 bytes long"},
        {R"({"captions": {"bottom": ")" + huge + R"("}})", "\"captions.bottom\" is 5000 bytes"},
        {R"({"title": "bell\u0007"})", "\"title\" contains a control character"},
        {"{\"title\": \"\xC3\x28\"}", "not valid JSON"},  // invalid UTF-8
        {"{\"title\": \"\xFF\xFE\"}", "not valid JSON"},
    };
    for (const auto& [text, key] : cases) {
        CAPTURE(text.substr(0, 60));
        SidecarDiagnostics d;
        const auto info = parse_file_sidecar(text, "lib/meme.png.json", d);
        CHECK_FALSE(info);
        REQUIRE(d.errors.size() >= 1);
        CHECK(mentions(d.errors, "lib/meme.png.json", key));
    }
    SUBCASE("too many tags") {
        nlohmann::json tags = nlohmann::json::array();
        for (int i = 0; i < 40; ++i)
            tags.push_back("t" + std::to_string(i));
        SidecarDiagnostics d;
        CHECK_FALSE(parse_file_sidecar(nlohmann::json{{"tags", tags}}.dump(), "x.json", d));
        CHECK(mentions(d.errors, "x.json", "\"tags\" has 40 items"));
    }
    SUBCASE("a file larger than the limit") {
        SidecarDiagnostics d;
        const std::string big = "{\"title\": \"" + std::string(70 * 1024, 'x') + "\"}";
        CHECK_FALSE(parse_file_sidecar(big, "big.json", d));
        CHECK(mentions(d.errors, "big.json", "more than the"));
    }
}

TEST_CASE("unknown keys are warnings and the entry is still used") {
    SidecarDiagnostics d;
    const auto info = parse_file_sidecar(
        R"({"title": "ok", "colour": "red", "captions": {"top": "T", "middle": "M"}})", "m.json",
        d);
    REQUIRE(info);
    CHECK(d.errors.empty());
    CHECK(info->title == "ok");
    CHECK(info->top == "T");
    CHECK(mentions(d.warnings, "m.json", "unknown key \"colour\""));
    CHECK(mentions(d.warnings, "m.json", "unknown key \"captions.middle\""));
}

TEST_CASE("library.json: defaults, per-file entries, and paths that must stay inside") {
    TempDir dir{"memegen-sidecar"};
    const auto lib = dir.path() / "memes";
    std::filesystem::create_directories(lib / "sub");
    std::filesystem::create_directories(dir.path() / "outside");
    write(dir.path() / "outside" / "secret.png", "x");
    std::filesystem::create_symlink(dir.path() / "outside", lib / "escape");
    const auto text = R"({
        "defaults": {"source": "my collection", "tags": ["all"]},
        "files": {
            "cat.gif": {"title": "Cat", "captions": {"top": "TOP"}},
            "sub/dog.png": {"title": "Dog"},
            "/etc/passwd": {"title": "abs"},
            "../outside/secret.png": {"title": "dots"},
            "escape/secret.png": {"title": "link"},
            "bad.png": {"title": 3}
        },
        "extra": 1
    })";
    SidecarDiagnostics d;
    const LibrarySidecar parsed = parse_library_sidecar(text, lib, lib / "library.json", d);
    CHECK(parsed.defaults.source == "my collection");
    CHECK(parsed.files.size() == 2);
    const auto root = std::filesystem::canonical(lib);
    CHECK(parsed.files.count(root / "cat.gif") == 1);
    CHECK(parsed.files.count(root / "sub" / "dog.png") == 1);
    const auto name = (lib / "library.json").string();
    CHECK(mentions(d.errors, name, "files.\"/etc/passwd\""));
    CHECK(mentions(d.errors, "/etc/passwd", "is absolute"));
    CHECK(mentions(d.errors, "../outside/secret.png", "contains '..'"));
    CHECK(mentions(d.errors, "escape/secret.png", "leads outside the library"));
    CHECK(mentions(d.errors, "files.\"bad.png\"", "\"title\" must be a string"));
    CHECK(mentions(d.warnings, name, "unknown key \"extra\""));

    SUBCASE("a broken library.json is no sidecar") {
        for (const std::string bad : {"{", "[]", R"({"files": []})", R"({"defaults": 1})"}) {
            SidecarDiagnostics e;
            const auto p = parse_library_sidecar(bad, lib, lib / "library.json", e);
            CHECK(p.files.empty());
            CHECK(p.defaults.source.empty());
            CHECK(mentions(e.errors, name));
        }
    }
}

TEST_CASE("SidecarReader merges defaults, the library entry and the file's own sidecar") {
    TempDir dir{"memegen-sidecar"};
    const auto lib = dir.path();
    write(lib / "cat.gif", "x");
    write(lib / "dog.png", "x");
    write(lib / "library.json", R"({"defaults": {"source": "pack", "captions": {"badge": "B"}},
                                    "files": {"cat.gif": {"title": "Cat", "captions": {"top": "T"}}}})");
    write(lib / "cat.gif.json", R"({"captions": {"bottom": "BOTTOM"}})");
    LogCapture logs;
    SidecarReader reader(lib);
    const auto cat = reader.lookup(lib / "cat.gif");
    CHECK(cat.source == "pack");
    CHECK(cat.title == "Cat");
    CHECK(cat.top == "T");
    CHECK(cat.bottom == "BOTTOM");
    CHECK(cat.badge == "B");
    const auto dog = reader.lookup(lib / "dog.png");
    CHECK(dog.title.empty());
    CHECK(dog.source == "pack");

    SUBCASE("a broken own sidecar is logged once, naming file and key, and ignored") {
        write(lib / "dog.png.json", R"({"captions": {"top": 42}})");
        const auto again = reader.lookup(lib / "dog.png");
        CHECK_FALSE(again.top);
        CHECK(again.source == "pack");  // the library's part still applies
        (void)reader.lookup(lib / "dog.png");
        int logged = 0;
        for (const auto& l : logs.lines)
            logged += l.find("dog.png.json") != std::string::npos &&
                      l.find("captions.top") != std::string::npos;
        CHECK(logged == 1);
    }
    SUBCASE("a library.json that is not JSON means no library sidecar, never a throw") {
        write(lib / "library.json", "\xFF\xFE garbage");
        const auto now = reader.lookup(lib / "cat.gif");
        CHECK(now.title.empty());
        CHECK(now.bottom == "BOTTOM");  // the file's own sidecar is separate
        CHECK(mentions(logs.lines, "library.json", "not valid JSON"));
    }
    SUBCASE("a sidecar that is a symlink out of the library is refused") {
        write(dir.path() / "cat.gif.real", "{}");
        TempDir other{"memegen-sidecar-out"};
        write(other / "evil.json", R"({"title": "evil"})");
        std::filesystem::remove(lib / "cat.gif.json");
        std::filesystem::create_symlink(other / "evil.json", lib / "cat.gif.json");
        const auto now = reader.lookup(lib / "cat.gif");
        CHECK(now.title == "Cat");
        CHECK(mentions(logs.lines, "cat.gif.json", "not a regular file inside the library"));
    }
}

TEST_CASE("the documented example library.json parses without a problem") {
    const char* example = std::getenv("MEMEGEN_SIDECAR_EXAMPLE");
    REQUIRE(example != nullptr);
    std::ifstream in(example);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    TempDir dir{"memegen-sidecar"};
    SidecarDiagnostics d;
    const auto parsed = parse_library_sidecar(text, dir.path(), example, d);
    CHECK(d.errors.empty());
    CHECK(d.warnings.empty());
    CHECK(parsed.files.size() == 3);
    CHECK(parsed.defaults.source == "our team's meme folder");
}
