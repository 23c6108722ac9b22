#include <doctest/doctest.h>

#include <memegen/generation_guard.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "temp_dir.hpp"

using memegen::AcquireStatus;
using memegen::GenerationGuard;
using memegen::GenerationGuardOptions;
using memegen::test::Child;
using memegen::test::TempDir;
using namespace std::chrono_literals;

namespace {

GenerationGuardOptions quiet() {
    GenerationGuardOptions o;
    o.log_transitions = false;
    return o;
}

// Appends one line with O_APPEND: concurrent writers from several processes never interleave
// within a line, so the journal shows the true order of entries and exits.
void journal(const std::filesystem::path& file, const std::string& line) {
    // Plain checks, not doctest's: this also runs in child processes outside any test case.
    const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot open journal " + file.string());
    const std::string text = line + "\n";
    const bool complete =
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!complete)
        throw std::runtime_error("short write to journal " + file.string());
}

// Walks the journal: every "enter X" must be followed by "exit X" before the next "enter".
int count_overlaps(const std::filesystem::path& file, int& holds) {
    std::ifstream in(file);
    std::string line;
    std::string inside;
    int overlaps = 0;
    holds = 0;
    while (std::getline(in, line)) {
        if (line.rfind("enter ", 0) == 0) {
            if (!inside.empty())
                ++overlaps;
            inside = line.substr(6);
            ++holds;
        } else if (line.rfind("exit ", 0) == 0) {
            if (inside != line.substr(5))
                ++overlaps;
            inside.clear();
        }
    }
    return overlaps;
}

void hammer(GenerationGuard& guard, const std::filesystem::path& dir, const std::string& who,
            int rounds) {
    for (int i = 0; i < rounds;) {
        auto acquired = guard.try_acquire(who);
        if (!acquired) {
            std::this_thread::yield();
            continue;
        }
        const std::string id = who + "#" + std::to_string(i);
        journal(dir / "journal.txt", "enter " + id);
        std::this_thread::sleep_for(200us);
        journal(dir / "journal.txt", "exit " + id);
        ++i;
    }
}

void hammer(const std::filesystem::path& dir, const std::string& who, int rounds) {
    GenerationGuard guard(dir, quiet());
    hammer(guard, dir, who, rounds);
}

}  // namespace

MEMEGEN_TEST_CHILD("guard-hammer") {
    // args: state dir, name, rounds; two threads per process hammer as well
    const std::filesystem::path dir = args.at(0);
    const int rounds = std::stoi(args.at(2));
    std::thread other([&] { hammer(dir, args.at(1) + "/t2", rounds); });
    hammer(dir, args.at(1) + "/t1", rounds);
    other.join();
    return 0;
}

MEMEGEN_TEST_CHILD("guard-hold") {
    // args: state dir, label; takes the guard, says so on a marker file, then sleeps forever
    GenerationGuard guard(args.at(0), quiet());
    auto acquired = guard.try_acquire(args.at(1));
    if (!acquired)
        return 3;
    std::ofstream(std::filesystem::path(args.at(0)) / "holding") << "yes";
    for (;;)
        std::this_thread::sleep_for(1s);
}

namespace {
void wait_for_file(const std::filesystem::path& file) {
    for (int i = 0; i < 1000 && !std::filesystem::exists(file); ++i) {
        std::this_thread::sleep_for(5ms);
    }
    REQUIRE(std::filesystem::exists(file));
}
}  // namespace

TEST_CASE("a second try_acquire is refused while the first ticket lives") {
    TempDir dir;
    GenerationGuard guard(dir.path(), quiet());
    auto first = guard.try_acquire("/generate 3 by @owner");
    REQUIRE(first);
    CHECK(first.status() == AcquireStatus::acquired);

    auto second = guard.try_acquire("/generate 2 by @owner");
    CHECK_FALSE(second);
    CHECK(second.status() == AcquireStatus::busy);

    SUBCASE("and says who holds it, since when, and which pid") {
        REQUIRE(second.holder());
        CHECK(second.holder()->label == "/generate 3 by @owner");
        CHECK(second.holder()->pid == ::getpid());
        CHECK(second.holder()->seconds_held() >= 0);
        CHECK(second.holder()->seconds_held() < 5);
        // Whole seconds: the message says 0 s, or 1 s when a second boundary fell between the
        // acquire and now.
        const auto message = memegen::busy_message(second.holder());
        const auto says = [](long seconds) {
            return "⚠️ A generation is already running (started " + std::to_string(seconds) +
                   " s ago). Please wait until it finishes.";
        };
        CHECK_MESSAGE((message == says(0) || message == says(1)), message);
    }
    SUBCASE("and holder() reports the same") {
        const auto holder = guard.holder();
        REQUIRE(holder);
        CHECK(holder->label == "/generate 3 by @owner");
        CHECK(guard.is_locked());
    }
    SUBCASE("until the ticket is released") {
        first.ticket().release();
        CHECK_FALSE(guard.is_locked());
        CHECK(guard.try_acquire("again"));
    }
}

TEST_CASE("a second guard object on the same directory is refused too") {
    TempDir dir;
    GenerationGuard a(dir.path(), quiet());
    GenerationGuard b(dir.path(), quiet());
    auto held = a.try_acquire("scheduled job");
    REQUIRE(held);
    auto refused = b.try_acquire("/generate");
    CHECK_FALSE(refused);
    REQUIRE(refused.holder());
    CHECK(refused.holder()->label == "scheduled job");
}

TEST_CASE("an exception thrown inside the guarded block releases the guard") {
    TempDir dir;
    GenerationGuard guard(dir.path(), quiet());
    CHECK_THROWS_AS(
        [&] {
            auto ticket = guard.try_acquire("doomed");
            REQUIRE(ticket);
            throw std::runtime_error("render failed");
        }(),
        std::runtime_error);
    CHECK_FALSE(guard.is_locked());
    CHECK(guard.try_acquire("next"));
}

TEST_CASE("release logs the unlock and the after_unlock memory line") {
    TempDir dir;
    std::vector<std::string> lines;
    memegen::set_log_sink([&](memegen::LogLevel, std::string_view m) { lines.emplace_back(m); });
    {
        GenerationGuard guard(dir.path());
        auto ticket = guard.try_acquire("/generate by @owner");
        REQUIRE(ticket);
    }
    memegen::set_log_sink({});
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "🔒 Generation locked (/generate by @owner)");
    CHECK(lines[1].rfind("🔓 Generation unlocked after ", 0) == 0);
    CHECK(lines[2].rfind("[after_unlock] Memory: ", 0) == 0);
}

TEST_CASE("many threads never hold the guard at once") {
    TempDir dir;
    // Half share one guard object (in-process state), half bring their own (the file lock).
    GenerationGuard shared(dir.path(), quiet());
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            const std::string who = "thread" + std::to_string(t);
            if (t % 2 == 0) {
                hammer(shared, dir.path(), who, 25);
            } else {
                hammer(dir.path(), who, 25);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    int holds = 0;
    CHECK(count_overlaps(dir / "journal.txt", holds) == 0);
    CHECK(holds == 8 * 25);
}

TEST_CASE("threads in three processes never hold the guard at once") {
    TempDir dir;
    {
        std::vector<std::unique_ptr<Child>> children;
        for (int p = 0; p < 3; ++p) {
            children.push_back(std::make_unique<Child>(
                "guard-hammer",
                std::vector<std::string>{dir.path().string(), "proc" + std::to_string(p), "40"}));
        }
        hammer(dir.path(), "parent", 40);
        for (auto& child : children) {
            const auto end = child->wait();
            CHECK(end.exited);
            CHECK(end.exit_code == 0);
        }
    }
    int holds = 0;
    CHECK(count_overlaps(dir / "journal.txt", holds) == 0);
    CHECK(holds == 3 * 2 * 40 + 40);
}

TEST_CASE("another process's hold is reported with its label and pid") {
    TempDir dir;
    Child holder("guard-hold", {dir.path().string(), "/generate 3 by @user"});
    wait_for_file(dir / "holding");
    GenerationGuard guard(dir.path(), quiet());
    auto refused = guard.try_acquire("/generate 2 by @user");
    CHECK_FALSE(refused);
    REQUIRE(refused.holder());
    CHECK(refused.holder()->label == "/generate 3 by @user");
    CHECK(refused.holder()->pid == holder.pid());

    SUBCASE("and a holder killed with SIGKILL leaves no stale lock") {
        holder.kill(SIGKILL);
        const auto end = holder.wait();
        CHECK(end.signalled);
        auto next = guard.try_acquire("after the crash");
        CHECK(next);
    }
    SUBCASE("and a blocking acquire gets it as soon as the holder dies") {
        std::thread killer([&] {
            std::this_thread::sleep_for(150ms);
            holder.kill(SIGKILL);
        });
        auto waited = guard.acquire("scheduled job", 10s);
        killer.join();
        CHECK(waited);
        CHECK(waited.status() == AcquireStatus::acquired);
    }
}

TEST_CASE("a blocking acquire waits, times out, or is cancelled") {
    TempDir dir;
    GenerationGuard guard(dir.path(), quiet());
    auto held = guard.try_acquire("/generate 5");
    REQUIRE(held);

    SUBCASE("it gets the guard when the holder releases") {
        std::thread releaser([&] {
            std::this_thread::sleep_for(50ms);
            held.ticket().release();
        });
        auto waited = guard.acquire("scheduled job", 5s);
        releaser.join();
        CHECK(waited);
        CHECK(waited->holder().label == "scheduled job");
    }
    SUBCASE("it gives up at the timeout, saying who held it") {
        auto waited = guard.acquire("scheduled job", 120ms);
        CHECK_FALSE(waited);
        CHECK(waited.status() == AcquireStatus::timed_out);
        REQUIRE(waited.holder());
        CHECK(waited.holder()->label == "/generate 5");
    }
    SUBCASE("a stop request ends the wait early") {
        std::stop_source stop;
        std::thread canceller([&] {
            std::this_thread::sleep_for(50ms);
            stop.request_stop();
        });
        const auto started = std::chrono::steady_clock::now();
        auto waited = guard.acquire("scheduled job", 60s, stop.get_token());
        canceller.join();
        CHECK(waited.status() == AcquireStatus::cancelled);
        CHECK(std::chrono::steady_clock::now() - started < 30s);
    }
}

TEST_CASE("a ticket moved elsewhere keeps the guard until it is destroyed") {
    TempDir dir;
    GenerationGuard guard(dir.path(), quiet());
    std::optional<GenerationGuard::Ticket> kept;
    {
        auto acquired = guard.try_acquire("batch");
        REQUIRE(acquired);
        kept.emplace(acquired.take());
    }
    CHECK(guard.is_locked());
    kept.reset();
    CHECK_FALSE(guard.is_locked());
}

TEST_CASE("the lock file is private to its owner") {
    TempDir dir;
    GenerationGuard guard(dir.path() / "state", quiet());
    struct stat st {};
    REQUIRE(::stat(guard.lock_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    SUBCASE("and an unusable directory is a clear error") {
        std::ofstream(dir / "not-a-dir") << "x";
        CHECK_THROWS_WITH_AS(GenerationGuard(dir / "not-a-dir" / "sub", quiet()),
                             doctest::Contains("not-a-dir"), memegen::SystemError);
    }
}

namespace {

// A process that only waits to be killed: forked without exec, so it keeps every descriptor
// of this one, as a render child keeps the generation lock.
pid_t fork_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        for (;;)
            ::pause();
    }
    return pid;
}

// A process that has exited but is not reaped: dead by evidence, though /proc/PID exists.
pid_t fork_zombie() {
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(0);
    for (int i = 0; i < 500; ++i) {
        const auto stat = memegen::detail::read_process_stat(pid);
        if (stat && stat->state == 'Z')
            break;
        std::this_thread::sleep_for(5ms);
    }
    return pid;
}

int reap(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

}  // namespace

TEST_CASE("a child keeping the ticket's descriptor keeps the guard held after the ticket ends") {
    TempDir dir;
    GenerationGuard guard(dir.path(), quiet());
    auto acquired = guard.try_acquire("/generate by @owner");
    REQUIRE(acquired);
    auto ticket = acquired.take();
    REQUIRE(ticket.native_handle() >= 0);
    const pid_t child = fork_sleeper();
    REQUIRE(child > 0);
    ticket.note_child(child);
    const auto holder = guard.holder();
    REQUIRE(holder);
    CHECK(holder->child_pid == child);
    CHECK(holder->child_start == memegen::detail::living_process_start(child));

    ticket.release();
    GenerationGuard other(dir.path(), quiet());
    CHECK_FALSE(other.try_acquire("/generate again"));

    SUBCASE("until the child dies") {
        ::kill(child, SIGKILL);
        reap(child);
        CHECK(other.try_acquire("/generate again"));
    }
    SUBCASE("and a dead holder's child is ended by the next process") {
        // What a bot killed with -9 mid-render leaves: the record names it and its child.
        const pid_t dead = fork_zombie();
        memegen::GuardHolder record{"/generate by @owner", dead, std::chrono::system_clock::now()};
        record.pid_start = memegen::detail::read_process_stat(dead)->start_ticks;
        record.child_pid = child;
        record.child_start = memegen::detail::living_process_start(child);
        std::ofstream(other.lock_path(), std::ios::trunc)
            << memegen::detail::holder_to_json(record).dump();

        const auto orphan = other.end_orphaned_holder(10s);
        REQUIRE(orphan);
        CHECK(orphan->child_pid == child);
        const int status = reap(child);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        CHECK(other.try_acquire("/generate after restart"));
        reap(dead);
    }
    SUBCASE("but not while the holder lives") {
        memegen::GuardHolder record{"/generate by @owner", ::getpid(),
                                    std::chrono::system_clock::now()};
        record.pid_start = memegen::detail::living_process_start(::getpid());
        record.child_pid = child;
        record.child_start = memegen::detail::living_process_start(child);
        std::ofstream(other.lock_path(), std::ios::trunc)
            << memegen::detail::holder_to_json(record).dump();
        CHECK_FALSE(other.end_orphaned_holder(100ms));
        CHECK(memegen::detail::process_alive(child));
        ::kill(child, SIGKILL);
        reap(child);
    }
}

TEST_CASE("a holder record with fields of the wrong type is read, not thrown") {
    const auto h = memegen::detail::holder_from_json(
        R"({"label": "x", "pid": "abc", "since_unix_ms": 1, "child_pid": [1]})");
    REQUIRE(h);
    CHECK(h->pid == 0);
    CHECK(h->child_pid == 0);
    CHECK(h->label == "x");
}
