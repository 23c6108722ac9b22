#include <doctest/doctest.h>

#include <memegen/crash_state_store.hpp>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "temp_dir.hpp"

using memegen::CrashStateStore;
using memegen::CrashStateStoreOptions;
using memegen::Problem;
using memegen::test::Child;
using memegen::test::TempDir;
using nlohmann::json;
namespace stage = memegen::stage;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary) << text;
}

int count_corrupt_files(const std::filesystem::path& dir, const std::string& prefix) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().rfind(prefix + ".corrupt-", 0) == 0)
            ++n;
    }
    return n;
}

// "2025-10-03T15:30:45+07:00": digits where the pattern has 9, the rest literally.
bool looks_like_timestamp(std::string_view text) {
    constexpr std::string_view pattern = "9999-99-99T99:99:99+99:99";
    if (text.size() != pattern.size())
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (pattern[i] == '9' && (c < '0' || c > '9'))
            return false;
        if (pattern[i] == '+' && c != '+' && c != '-')
            return false;
        if (pattern[i] != '9' && pattern[i] != '+' && c != pattern[i])
            return false;
    }
    return true;
}

}  // namespace

MEMEGEN_TEST_CHILD("state-writer") {
    // Rewrites the state as fast as it can until killed; each record names its sequence.
    CrashStateStore store(args.at(0));
    for (long i = 0;; ++i) {
        store.record(stage::generating, {{"seq", i},
                                         {"label", "gen_0_0"},
                                         {"padding", std::string(2000, 'x')},
                                         {"memory", {{"rss_mb", 1.0}}}});
        if (i == 0)
            std::ofstream(std::filesystem::path(args.at(0)) / "writing") << "1";
    }
}

MEMEGEN_TEST_CHILD("die-generating") {
    CrashStateStore store(args.at(0));
    store.record(stage::generating, {{"label", "gen_1_2"}, {"index", 1}, {"attempt", 2}});
    std::ofstream(std::filesystem::path(args.at(0)) / "ready") << "1";
    for (;;)
        std::this_thread::sleep_for(1s);
}

MEMEGEN_TEST_CHILD("segfault") {
    CrashStateStore store(args.at(0));
    store.install_crash_handlers();
    store.record(stage::generating, {{"label", "gen_0_0"}});
    // A real fault on an inaccessible page (a null store would be caught by UBSan first).
    void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 3;
    *static_cast<volatile int*>(page) = 42;
    return 0;
}

MEMEGEN_TEST_CHILD("throw") {
    CrashStateStore store(args.at(0));
    store.install_crash_handlers();
    store.record(stage::generating, {{"label", "gen_0_0"}});
    throw std::runtime_error("MoviePy error: insufficient memory to allocate");
}

TEST_CASE("record writes the seed's format, privately") {
    TempDir dir;
    CrashStateStore store(dir.path());
    store.record(stage::generation_error,
                 {{"index", 0}, {"attempt", 1}, {"error", "MoviePy error: ..."}});
    const auto j = json::parse(read_text(store.state_path()));
    CHECK(j["state"] == "generation_error");
    CHECK(j["details"]["index"] == 0);
    CHECK(j["details"]["attempt"] == 1);
    CHECK(j["details"]["error"] == "MoviePy error: ...");
    CHECK(j["details"]["memory"]["rss_mb"].get<double>() > 0);
    CHECK(j["details"]["memory"].contains("vms_mb"));
    CHECK(j["details"]["memory"].contains("percent"));
    CHECK(j["details"]["memory"].contains("threads"));
    CHECK(j["details"]["pid"] == ::getpid());
    CHECK(looks_like_timestamp(j["timestamp"].get<std::string>()));
    struct stat st {};
    REQUIRE(::stat(store.state_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    SUBCASE("and current() reads it back") {
        const auto rec = store.current();
        REQUIRE(rec);
        CHECK(rec->state == "generation_error");
        CHECK(rec->details["attempt"] == 1);
    }
    SUBCASE("and a problem stage is the last problem") {
        const auto p = store.last_problem();
        REQUIRE(p);
        CHECK(p->stage == "generation_error");
        CHECK(p->error == "MoviePy error: ...");
        CHECK(p->timestamp == j["timestamp"]);
    }
}

TEST_CASE("the problem history keeps the most recent problems only") {
    TempDir dir;
    CrashStateStoreOptions options;
    options.history_limit = 3;
    CrashStateStore store(dir.path(), options);
    store.record(stage::generating, {{"label", "gen_0_0"}});
    CHECK_FALSE(store.last_problem());
    for (int i = 0; i < 5; ++i)
        store.record_problem(stage::send_error, "error " + std::to_string(i));
    store.record(stage::completed);
    const auto problems = store.recent_problems();
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].error == "error 2");
    CHECK(problems[2].error == "error 4");
    CHECK(store.last_problem()->stage == "send_error");
    CHECK(store.current()->state == "completed");
}

TEST_CASE("a corrupt state file is moved aside and reported, never thrown") {
    TempDir dir;
    CrashStateStore store(dir.path());
    std::string content;
    SUBCASE("empty") {
        content = "";
    }
    SUBCASE("binary") {
        content = std::string("\x00\xff\xfe\x01garbage\x00", 12);
    }
    SUBCASE("truncated JSON") {
        content = R"({"state": "generating", "details": {"ind)";
    }
    SUBCASE("wrong type of state") {
        content = R"({"state": 7, "timestamp": "x"})";
    }
    SUBCASE("details not an object") {
        content = R"({"state": "idle", "details": [1], "timestamp": "2025-10-03T15:30:45+07:00"})";
    }
    SUBCASE("a JSON array") {
        content = "[1, 2, 3]";
    }
    write_text(store.state_path(), content);

    CHECK_FALSE(store.current());
    CHECK_FALSE(std::filesystem::exists(store.state_path()));
    CHECK(count_corrupt_files(dir.path(), "generation_state.json") == 1);
    const auto p = store.last_problem();
    REQUIRE(p);
    CHECK(p->stage == "state_corrupt");
    CHECK(p->error.find("generation_state.json was unreadable") != std::string::npos);
    SUBCASE("and the next record starts afresh") {
        store.record(stage::idle);
        CHECK(store.current()->state == "idle");
    }
}

TEST_CASE("a corrupt problem history is moved aside and restarted") {
    TempDir dir;
    CrashStateStore store(dir.path());
    write_text(store.history_path(), "{not json");
    const auto problems = store.recent_problems();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].stage == "state_corrupt");
    CHECK(count_corrupt_files(dir.path(), "problem_history.json") == 1);
    store.record_problem(stage::batch_error, "boom");
    CHECK(store.recent_problems().size() == 2);
}

TEST_CASE("SIGKILL at random moments never leaves a torn state file") {
    TempDir dir;
    std::mt19937 rng(20251003);
    std::uniform_int_distribution<int> delay_us(0, 4000);
    int parsed = 0;
    for (int round = 0; round < 200; ++round) {
        std::filesystem::remove(dir / "writing");
        Child writer("state-writer", {dir.path().string()});
        // Kill at a random moment of the write loop, not during the child's start-up (which a
        // loaded machine or a sanitizer build may stretch to seconds).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!std::filesystem::exists(dir / "writing") &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(500us);
        }
        REQUIRE_MESSAGE(std::filesystem::exists(dir / "writing"),
                        "the writer never began, round " << round);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
        writer.kill(SIGKILL);
        const auto end = writer.wait();
        REQUIRE(end.signalled);
        const auto text = read_text(dir / "generation_state.json");
        const auto j = json::parse(text, nullptr, false);
        REQUIRE_MESSAGE(!j.is_discarded(), "torn file after round " << round);
        CHECK(j["state"] == "generating");
        CHECK(j["details"]["padding"].get<std::string>().size() == 2000);
        CHECK(j["details"]["seq"].get<long>() >= 0);
        ++parsed;
    }
    CHECK(parsed == 200);
    SUBCASE("and a new store sweeps the temp files the killed writers left") {
        CrashStateStore store(dir.path());
        int leftovers = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
            if (e.path().filename().string().find(".tmp.") != std::string::npos)
                ++leftovers;
        }
        CHECK(leftovers == 0);
    }
}

TEST_CASE("a process killed mid-generation is reported as an unclean end after restart") {
    TempDir dir;
    {
        Child victim("die-generating", {dir.path().string()});
        for (int i = 0; i < 1000 && !std::filesystem::exists(dir / "ready"); ++i) {
            std::this_thread::sleep_for(5ms);
        }
        REQUIRE(std::filesystem::exists(dir / "ready"));

        SUBCASE("not while that process still runs") {
            CrashStateStore store(dir.path());
            CHECK_FALSE(store.detect_unclean_end());
            CHECK(store.current()->state == "generating");
        }
        victim.kill(SIGKILL);
        victim.wait();
    }
    CrashStateStore store(dir.path());
    const auto problem = store.detect_unclean_end();
    REQUIRE(problem);
    CHECK(problem->stage == "unclean_shutdown");
    CHECK(problem->error.find("gen_1_2") != std::string::npos);
    CHECK(problem->error.find("probably killed") != std::string::npos);
    CHECK(problem->details["memory"]["rss_mb"].get<double>() > 0);
    CHECK(problem->details["previous_state"]["details"]["attempt"] == 2);

    SUBCASE("the problem is kept and shown once") {
        CHECK(store.last_problem()->stage == "unclean_shutdown");
        CHECK(store.current()->state == "unclean_shutdown");
        CHECK_FALSE(store.detect_unclean_end());
    }
}

TEST_CASE("an OOM kill seen in the cgroup's counter is named in the unclean end") {
    TempDir dir;
    const auto proc = dir / "proc";
    const auto sys = dir / "sys";
    std::filesystem::create_directories(proc / "self");
    std::filesystem::create_directories(sys / "fs/cgroup/bot");
    write_text(proc / "meminfo", "MemTotal: 1000000 kB\nMemAvailable: 500000 kB\n");
    write_text(proc / "self/cgroup", "0::/bot\n");
    write_text(sys / "fs/cgroup/bot/memory.max", "536870912\n");
    write_text(sys / "fs/cgroup/bot/memory.events", "oom 4\noom_kill 4\n");
    CrashStateStoreOptions options;
    options.monitor.proc_root = proc;
    options.monitor.sys_root = sys;
    const auto state_dir = dir / "state";
    std::filesystem::create_directories(state_dir);
    write_text(state_dir / "generation_state.json", json{{"state", "generating"},
                                                         {"details",
                                                          {{"label", "scheduled job"},
                                                           {"pid", 31337},
                                                           {"pid_start", 1},
                                                           {"oom_kill_count", 3},
                                                           {"memory", {{"rss_mb", 480.5}}}}},
                                                         {"timestamp", "2025-10-03T15:30:45+07:00"}}
                                                        .dump());
    CrashStateStore store(state_dir, options);
    const auto problem = store.detect_unclean_end();
    REQUIRE(problem);
    CHECK(problem->details["oom_kill_grew"] == true);
    CHECK(problem->error.find("OOM killer killed a process since (oom_kill 3 -> 4)") !=
          std::string::npos);
    CHECK(problem->details["memory"]["rss_mb"] == 480.5);
}

TEST_CASE("a segfault leaves a readable crash.log record and is named after restart") {
    TempDir dir;
    Child crasher("segfault", {dir.path().string()});
    const auto end = crasher.wait();
    CHECK(end.signalled);
    CHECK(end.signal == SIGSEGV);
    const auto log = read_text(dir / "crash.log");
    CHECK(log.find("fatal signal 11 (SIGSEGV) at address 0x") != std::string::npos);
    CHECK(log.find("memory: VmRSS: ") != std::string::npos);
    CHECK(log.find("backtrace:") != std::string::npos);
    REQUIRE(log.rfind("=== ", 0) == 0);
    CHECK(looks_like_timestamp(log.substr(4, 25)));
    CHECK(log.substr(29, 5) == " pid ");

    CrashStateStore store(dir.path());
    const auto problem = store.detect_unclean_end();
    REQUIRE(problem);
    CHECK(problem->error.find("it crashed (fatal signal 11 (SIGSEGV)") != std::string::npos);
}

TEST_CASE("an uncaught exception leaves one crash.log record with its message") {
    TempDir dir;
    Child thrower("throw", {dir.path().string()});
    const auto end = thrower.wait();
    CHECK(end.signalled);
    CHECK(end.signal == SIGABRT);
    const auto log = read_text(dir / "crash.log");
    CHECK(log.find("uncaught exception: MoviePy error: insufficient memory to allocate") !=
          std::string::npos);
    CHECK(log.find("backtrace:") != std::string::npos);
    // std::abort() after the terminate handler must not add a second, SIGABRT record.
    CHECK(log.find("SIGABRT") == std::string::npos);
    struct stat st {};
    REQUIRE(::stat((dir / "crash.log").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("append_crash_record redacts registered secrets") {
    TempDir dir;
    memegen::register_secret("999:SECRET-TOKEN");
    memegen::append_crash_record(dir / "crash.log", "request to /bot999:SECRET-TOKEN/getMe failed");
    const auto log = read_text(dir / "crash.log");
    CHECK(log.find("SECRET-TOKEN") == std::string::npos);
    CHECK(log.find("/bot<redacted>/getMe failed") != std::string::npos);
}

TEST_CASE("a state file that cannot be read as a file is moved aside and reported") {
    TempDir dir;
    CrashStateStore store(dir.path());
    // Tests run as root, so chmod 000 does not stop a read: a directory stands for every
    // "cannot be read" case (open succeeds, read fails with EISDIR).
    std::filesystem::create_directories(store.state_path() / "inside");

    CHECK_FALSE(store.current());
    CHECK_FALSE(std::filesystem::exists(store.state_path()));
    CHECK(count_corrupt_files(dir.path(), "generation_state.json") == 1);
    const auto p = store.last_problem();
    REQUIRE(p);
    CHECK(p->stage == "state_corrupt");
    CHECK(p->error.find("directory") != std::string::npos);
    CHECK(p->details["file"] == store.state_path().string());
    SUBCASE("and the next record is written in its place") {
        store.record(stage::idle);
        CHECK(store.current()->state == "idle");
    }
    SUBCASE("and a directory in place of the history is moved aside too") {
        std::filesystem::remove(store.history_path());
        std::filesystem::create_directories(store.history_path());
        const auto problems = store.recent_problems();
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].stage == "state_corrupt");
        CHECK(problems[0].error.find("problem_history.json") != std::string::npos);
        CHECK(count_corrupt_files(dir.path(), "problem_history.json") == 1);
    }
}

TEST_CASE("mistyped details of a generating state are moved aside and reported, not thrown") {
    TempDir dir;
    CrashStateStore store(dir.path());
    std::string details;
    SUBCASE("pid is a string") {
        details = R"({"pid": "abc", "label": "/generate by @owner"})";
    }
    SUBCASE("label is a number") {
        details = R"({"pid": 1, "label": 42})";
    }
    SUBCASE("pid_start and oom_kill_count are strings") {
        details = R"({"pid": 1, "pid_start": "x", "oom_kill_count": "y"})";
    }
    write_text(store.state_path(), R"({"state": "generating", "details": )" + details +
                                       R"(, "timestamp": "2025-10-03T15:30:45+07:00"})");
    std::optional<Problem> problem;
    CHECK_NOTHROW(problem = store.detect_unclean_end());
    CHECK_FALSE(problem);  // the evidence is unusable; what was wrong with it is reported
    CHECK(count_corrupt_files(dir.path(), "generation_state.json") == 1);
    const auto last = store.last_problem();
    REQUIRE(last);
    CHECK(last->stage == "state_corrupt");
    CHECK(last->error.find("wrong type") != std::string::npos);
    CHECK_NOTHROW(store.record(stage::idle));
}

TEST_CASE("a zombie or a reused pid is not the previous process still running") {
    TempDir dir;
    // A child that has exited but is not reaped yet: /proc/PID exists (state Z), kill(pid, 0)
    // succeeds on it, yet it runs no more.
    const pid_t zombie = ::fork();
    REQUIRE(zombie >= 0);
    if (zombie == 0)
        ::_exit(0);
    for (int i = 0; i < 500; ++i) {
        const auto stat = memegen::detail::read_process_stat(zombie);
        if (stat && stat->state == 'Z')
            break;
        std::this_thread::sleep_for(5ms);
    }
    const auto stat = memegen::detail::read_process_stat(zombie);
    REQUIRE(stat);
    REQUIRE(stat->state == 'Z');
    CHECK(::kill(zombie, 0) == 0);
    CHECK_FALSE(memegen::detail::process_alive(zombie));

    CrashStateStore store(dir.path());
    json details;
    SUBCASE("a zombie with its own start time") {
        details = {{"pid", zombie}, {"pid_start", stat->start_ticks}, {"label", "zombie run"}};
    }
    SUBCASE("this running process, but with another start time (a reused pid)") {
        const auto mine = memegen::detail::living_process_start(::getpid());
        REQUIRE(mine);
        details = {{"pid", ::getpid()}, {"pid_start", *mine + 1}, {"label", "zombie run"}};
    }
    write_text(store.state_path(), json{{"state", "generating"},
                                        {"details", details},
                                        {"timestamp", "2025-10-03T15:30:45+07:00"}}
                                       .dump());
    const auto problem = store.detect_unclean_end();
    REQUIRE(problem);
    CHECK(problem->stage == "unclean_shutdown");
    CHECK(problem->error.find("zombie run") != std::string::npos);
    int status = 0;
    CHECK(::waitpid(zombie, &status, 0) == zombie);
}

TEST_CASE("crash.log is rotated at 1 MB, one old file kept") {
    TempDir dir;
    CrashStateStore store(dir.path());
    const std::string old_record = "=== 2025-10-03T15:30:45+07:00 pid 4242 SIGSEGV\n";
    std::string big = old_record;
    big.resize(memegen::kCrashLogRotateBytes + 10, '.');
    write_text(store.crash_log_path(), big);
    memegen::append_crash_record(store.crash_log_path(), "the new cause");

    auto rotated = store.crash_log_path();
    rotated += ".1";
    REQUIRE(std::filesystem::exists(rotated));
    CHECK(read_text(rotated).rfind(old_record, 0) == 0);
    const auto current = read_text(store.crash_log_path());
    CHECK(current.find("the new cause") != std::string::npos);
    CHECK(current.size() < memegen::kCrashLogRotateBytes);

    SUBCASE("and a second rotation drops the oldest file") {
        write_text(store.crash_log_path(), std::string(memegen::kCrashLogRotateBytes, '-'));
        memegen::append_crash_record(store.crash_log_path(), "third");
        CHECK(read_text(rotated).find(old_record) == std::string::npos);
        CHECK(read_text(store.crash_log_path()).find("third") != std::string::npos);
    }
}
