// memegen-render, the CLI, as a user runs it (issue 10): Ctrl-C and SIGTERM leave no part
// file (after a kill -9, remove_partial_outputs() removes the killed render's), an output that is
// the input or a folder is refused with the input untouched, and bad numbers are named with their
// flag and value.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <memegen/render_files.hpp>

#include "../support/temp_dir.hpp"
#include "../support/test_files.hpp"

extern char** environ;

namespace {

using memegen::test::TempDir;

// memegen-render with stdout and stderr in files of `dir`; waited for by wait() or killed.
class Cli {
  public:
    Cli(const TempDir& dir, std::vector<std::string> args) : err_(dir / "stderr.txt") {
        const char* binary = std::getenv("MEMEGEN_RENDER_BINARY");
        REQUIRE_MESSAGE(binary != nullptr, "MEMEGEN_RENDER_BINARY is not set");
        args.insert(args.begin(), binary);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout.txt").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        const int rc = posix_spawn(&pid_, binary, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
    }
    Cli(const Cli&) = delete;
    Cli& operator=(const Cli&) = delete;
    ~Cli() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            (void)wait();
        }
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    /// Whether it has not ended yet (it is not reaped: wait() still gives its code).
    [[nodiscard]] bool running() const {
        siginfo_t info{};
        return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == 0;
    }
    /// The exit code (128 + signal if killed).
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    [[nodiscard]] std::string err() const { return memegen::test::read_all(err_); }

  private:
    pid_t pid_ = -1;
    std::filesystem::path err_;
};

int run_cli(const TempDir& dir, std::vector<std::string> args, std::string* err = nullptr) {
    Cli cli(dir, std::move(args));
    const int code = cli.wait();
    if (err != nullptr)
        *err = cli.err();
    return code;
}

std::vector<std::string> part_files(const std::filesystem::path& dir) {
    std::vector<std::string> parts;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().find(".part-") != std::string::npos)
            parts.push_back(e.path().filename().string());
    }
    return parts;
}

// A 30 s clip to render, long enough to be interrupted, and where its video goes.
struct LongRender {
    std::filesystem::path clip, out_dir, out;
};
LongRender long_render(const TempDir& dir) {
    LongRender r{dir / "clip.mp4", dir / "out", dir / "out" / "meme.mp4"};
    memegen::test::ffmpeg(
        "-f lavfi -i testsrc=s=640x360:r=24:d=30 -c:v libx264 -preset ultrafast " +
        r.clip.string());
    std::filesystem::create_directory(r.out_dir);
    return r;
}

}  // namespace

TEST_CASE("a signal during a render stops it, removes the part file and sets the exit code") {
    TempDir dir("memegen-cli-signal");
    const auto [clip, out_dir, out] = long_render(dir);

    int sig = SIGINT;
    int expected = 130;
    std::string name = "SIGINT";
    SUBCASE("SIGINT (Ctrl-C)") {}
    SUBCASE("SIGTERM") {
        sig = SIGTERM;
        expected = 143;
        name = "SIGTERM";
    }
    Cli cli(dir, {clip.string(), "-o", out.string(), "--effects", "none"});
    // The render has begun writing once its part file exists; a render that ends first fails
    // the REQUIRE below rather than passing unseen.
    while (part_files(out_dir).empty() && cli.running())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE_FALSE(part_files(out_dir).empty());
    cli.signal(sig);
    const int code = cli.wait();
    const std::string err = cli.err();
    INFO("stderr: ", err);
    CHECK(code == expected);
    CHECK(err.find("stopped by " + name) != std::string::npos);
    CHECK(part_files(out_dir).empty());
    CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("after a kill -9 mid-render, remove_partial_outputs removes that render's files only") {
    TempDir dir("memegen-cli-kill9");
    const auto [clip, out_dir, out] = long_render(dir);
    // What must stay: another process's render of the same output, and another output's.
    const std::vector<std::filesystem::path> others = {out_dir / ".meme.mp4.part-1-0.mp4",
                                                       out_dir / ".other.mp4.part-7-0.mp4"};
    for (const auto& other : others)
        memegen::test::write_all(other, "another render's");

    Cli cli(dir, {clip.string(), "-o", out.string(), "--effects", "none"});
    while (part_files(out_dir).size() == others.size() && cli.running())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const pid_t pid = cli.pid();
    cli.signal(SIGKILL);
    REQUIRE(cli.wait() == 128 + SIGKILL);
    // A killed render cannot clean up: its temporary video is there.
    const auto left = part_files(out_dir);
    std::string names;
    for (const auto& name : left)
        names += name + ' ';
    INFO("left: ", names);
    REQUIRE(left.size() > others.size());

    CHECK(memegen::remove_partial_outputs(out, pid) == left.size() - others.size());
    CHECK(part_files(out_dir).size() == others.size());
    for (const auto& other : others)
        CHECK(std::filesystem::exists(other));
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(memegen::remove_partial_outputs(out, pid) == 0);
}

TEST_CASE("an output that is the input is refused and the input stays as it was") {
    TempDir dir("memegen-cli-same");
    const auto clip = dir / "clip.mp4";
    memegen::test::ffmpeg("-f lavfi -i testsrc=s=320x240:r=24:d=1 -c:v libx264 -preset ultrafast " +
                          clip.string());
    const std::string before = memegen::test::read_all(clip);
    std::filesystem::path output = clip;
    SUBCASE("same path") {}
    SUBCASE("a hard link to it") {
        output = dir / "link.mp4";
        std::filesystem::create_hard_link(clip, output);
    }
    std::string err;
    const int code = run_cli(dir, {clip.string(), "-o", output.string()}, &err);
    INFO("stderr: ", err);
    CHECK(code != 0);
    CHECK(err.find("is the input") != std::string::npos);
    CHECK(memegen::test::read_all(clip) == before);
    CHECK(part_files(dir.path()).empty());
}

TEST_CASE("a folder as the output is refused with an example of a file path") {
    TempDir dir("memegen-cli-dir");
    const auto clip = dir / "clip.mp4";
    memegen::test::ffmpeg("-f lavfi -i testsrc=s=320x240:r=24:d=1 -c:v libx264 -preset ultrafast " +
                          clip.string());
    const auto folder = dir / "renders";
    std::filesystem::create_directory(folder);
    std::string spelled;
    SUBCASE("with a trailing slash") {
        spelled = folder.string() + "/";
    }
    SUBCASE("an existing folder") {
        spelled = folder.string();
    }
    std::string err;
    const int code = run_cli(dir, {clip.string(), "-o", spelled}, &err);
    INFO("stderr: ", err);
    CHECK(code != 0);
    CHECK(err.find("'" + spelled + "': the output must be a file path like " + folder.string() +
                   "/meme.mp4") != std::string::npos);
    CHECK(std::filesystem::is_empty(folder));
}

TEST_CASE("a bad number is named with its flag and value") {
    TempDir dir("memegen-cli-numbers");
    struct Case {
        std::string flag, value;
    };
    for (const Case& c :
         {Case{"--seed", "-1"}, Case{"--seed", "99999999999999999999999"}, Case{"--fps", "nan"},
          Case{"--duration", "1e300"}, Case{"--duration", "nan"}, Case{"--music-start", "inf"},
          Case{"--crf", "99"}, Case{"--fps", "0"}, Case{"--fps", "0x10"}, Case{"--threads", "1.5"},
          Case{"--max-bytes", "0"}, Case{"--time-limit", "-5"}}) {
        CAPTURE(c.flag);
        CAPTURE(c.value);
        std::string err;
        const int code = run_cli(dir, {"in.png", "-o", "out.mp4", c.flag, c.value}, &err);
        CHECK(code == 2);
        CHECK(err.find(c.flag + ": '" + c.value + "'") != std::string::npos);
        CHECK(err.find("from") != std::string::npos);  // the allowed range
    }
}
