// crash.log writers: a std::terminate handler and fatal-signal handlers.
//
// Compiled rather than header-only because the handlers are process-wide state,
// and because the signal path must be written with care: after SIGSEGV the heap
// may be corrupt, so it only uses async-signal-safe calls (open/read/write,
// clock_gettime) on buffers prepared at install time, then re-raises the signal
// with its default action so the supervisor still sees a crash.

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "memegen/crash_state_store.hpp"
#include "memegen/detail/clock.hpp"
#include "memegen/detail/files.hpp"
#include "memegen/detail/unique_fd.hpp"
#include "memegen/error.hpp"
#include "memegen/resource_monitor.hpp"

namespace memegen {
namespace {

constexpr std::array kFatalSignals{SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};

std::atomic<int> g_crash_fd{-1};
long g_utc_offset_seconds = 0;                   // fixed at install: localtime_r is not signal-safe
volatile sig_atomic_t g_terminate_recorded = 0;  // the abort() after terminate needs no 2nd record
std::mutex g_install_mutex;
alignas(16) char g_alt_stack[64 * 1024];  // so a stack overflow can still be reported

// A tiny fixed buffer writer for the signal path: no allocation, no locale, no stdio.
class SignalSafeLine {
  public:
    void text(std::string_view s) noexcept {
        for (char c : s)
            put(c);
    }
    void number(std::uint64_t v, int min_digits = 1) noexcept {
        char digits[24];
        int n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0 && n < 24);
        for (int i = n; i < min_digits; ++i)
            put('0');
        while (n > 0)
            put(digits[--n]);
    }
    void hex(std::uintptr_t v) noexcept {
        text("0x");
        char digits[2 * sizeof v];
        int n = 0;
        do {
            digits[n++] = "0123456789abcdef"[v & 0xf];
            v >>= 4;
        } while (v != 0);
        while (n > 0)
            put(digits[--n]);
    }
    void flush(int fd) noexcept {
        [[maybe_unused]] const bool ok = detail::write_all(fd, std::string_view(buffer_, used_));
        used_ = 0;
    }

  private:
    void put(char c) noexcept {
        if (used_ < sizeof buffer_)
            buffer_[used_++] = c;
    }
    char buffer_[1024];
    std::size_t used_ = 0;
};

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): signal-safe local time.
void write_timestamp(SignalSafeLine& line) noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const long long local = ts.tv_sec + g_utc_offset_seconds;
    long long days = local / 86400;
    long long secs = local % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    days += 719468;
    const long long era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const long long year = static_cast<long long>(yoe) + era * 400 + (month <= 2);
    line.number(static_cast<std::uint64_t>(year), 4);
    line.text("-");
    line.number(month, 2);
    line.text("-");
    line.number(day, 2);
    line.text("T");
    line.number(static_cast<std::uint64_t>(secs / 3600), 2);
    line.text(":");
    line.number(static_cast<std::uint64_t>(secs % 3600 / 60), 2);
    line.text(":");
    line.number(static_cast<std::uint64_t>(secs % 60), 2);
    long offset = g_utc_offset_seconds;
    line.text(offset < 0 ? "-" : "+");
    if (offset < 0)
        offset = -offset;
    line.number(static_cast<std::uint64_t>(offset / 3600), 2);
    line.text(":");
    line.number(static_cast<std::uint64_t>(offset % 3600 / 60), 2);
}

// The memory lines of /proc/self/status, read with open/read only.
void write_memory(int fd) noexcept {
    char buffer[4096];
    SignalSafeLine line;
    line.text("memory:");
    if (auto status = detail::read_small_file("/proc/self/status", buffer)) {
        for (const std::string_view key : {"VmRSS:", "VmHWM:", "VmSize:", "Threads:"}) {
            if (auto value = detail::field_value(*status, key)) {
                line.text(" ");
                line.text(key);
                line.text(" ");
                line.number(*value);
                if (key != "Threads:")
                    line.text(" kB");
            }
        }
    } else {
        line.text(" unavailable");
    }
    line.text("\n");
    line.flush(fd);
}

void write_backtrace(int fd) noexcept {
    void* frames[64];
    const int n = backtrace(frames, 64);
    SignalSafeLine line;
    line.text("backtrace:\n");
    line.flush(fd);
    backtrace_symbols_fd(frames, n, fd);
}

void write_record_head(int fd, std::string_view cause_a, std::string_view cause_b = {}) noexcept {
    SignalSafeLine line;
    line.text("=== ");
    write_timestamp(line);
    line.text(" pid ");
    line.number(static_cast<std::uint64_t>(getpid()));
    line.text(" ");
    line.text(cause_a);
    line.text(cause_b);
    line.text("\n");
    line.flush(fd);
}

std::string_view signal_name(int sig) noexcept {
    switch (sig) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGABRT:
            return "SIGABRT";
        case SIGBUS:
            return "SIGBUS";
        case SIGFPE:
            return "SIGFPE";
        case SIGILL:
            return "SIGILL";
        default:
            return "signal";
    }
}

void on_fatal_signal(int sig, siginfo_t* info, void*) {
    const int fd = g_crash_fd.load();
    if (fd >= 0 && !(sig == SIGABRT && g_terminate_recorded)) {
        SignalSafeLine line;
        line.text("=== ");
        write_timestamp(line);
        line.text(" pid ");
        line.number(static_cast<std::uint64_t>(getpid()));
        line.text(" fatal signal ");
        line.number(static_cast<std::uint64_t>(sig));
        line.text(" (");
        line.text(signal_name(sig));
        line.text(")");
        if (sig != SIGABRT && info != nullptr) {
            line.text(" at address ");
            line.hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
        }
        line.text("\n");
        line.flush(fd);
        write_memory(fd);
        write_backtrace(fd);
        fsync(fd);
    }
    // SA_RESETHAND restored the default action; re-raise so the process dies of this signal.
    raise(sig);
}

void write_exception_record(int fd, std::string_view cause) noexcept {
    write_record_head(fd, cause);
    write_memory(fd);
    write_backtrace(fd);
    fsync(fd);
}

std::string describe_current_exception() {
    if (auto current = std::current_exception()) {
        try {
            std::rethrow_exception(current);
        } catch (const std::exception& e) {
            return std::string("uncaught exception: ") + e.what();
        } catch (...) {
            return "uncaught exception of unknown type";
        }
    }
    return "std::terminate called without an active exception";
}

[[noreturn]] void on_terminate() {
    const int fd = g_crash_fd.load();
    if (fd >= 0) {
        std::string cause;
        try {
            cause = describe_current_exception();
        } catch (...) {
            cause = "uncaught exception";
        }
        for (char& c : cause) {
            if (c == '\n')
                c = ' ';  // one record head per line, so the cause stays on it
        }
        write_exception_record(fd, redact(cause));
        g_terminate_recorded = 1;
    }
    std::abort();
}

// Opens crash.log for appending. A log past kCrashLogRotateBytes becomes "<log>.1" (replacing
// the one before), so a crash loop cannot fill the disk; something in the log's place that is
// not a file (a directory) is moved aside instead of stopping every start.
detail::UniqueFd open_crash_log(const std::filesystem::path& crash_log) noexcept {
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(crash_log, ec);
    if (!ec && status.type() != std::filesystem::file_type::not_found &&
        status.type() != std::filesystem::file_type::regular &&
        status.type() != std::filesystem::file_type::symlink) {
        static_cast<void>(detail::quarantine_file(crash_log, "it is not a regular file"));
    } else if (!ec && status.type() == std::filesystem::file_type::regular &&
               std::filesystem::file_size(crash_log, ec) >= kCrashLogRotateBytes && !ec) {
        auto old = crash_log;
        old += ".1";
        std::filesystem::rename(crash_log, old, ec);
    }
    return detail::UniqueFd(
        ::open(crash_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
}

}  // namespace

void install_crash_handlers(const std::filesystem::path& crash_log) {
    std::lock_guard lock(g_install_mutex);
    detail::UniqueFd fd = open_crash_log(crash_log);
    if (!fd)
        detail::throw_errno("cannot open crash log", crash_log);

    g_utc_offset_seconds = detail::local_tm(std::time(nullptr)).tm_gmtoff;
    // backtrace() loads libgcc lazily (and may allocate) on its first call: do that here.
    void* warm[4];
    backtrace(warm, 4);

    stack_t alt{};
    alt.ss_sp = g_alt_stack;
    alt.ss_size = sizeof g_alt_stack;
    sigaltstack(&alt, nullptr);

    struct sigaction action {};
    action.sa_sigaction = on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (int sig : kFatalSignals)
        sigaction(sig, &action, nullptr);
    std::set_terminate(on_terminate);

    const int old = g_crash_fd.exchange(fd.release());
    if (old >= 0)
        ::close(old);
}

void append_crash_record(const std::filesystem::path& crash_log, std::string_view cause) noexcept {
    detail::UniqueFd fd = open_crash_log(crash_log);
    if (!fd)
        return;
    try {
        std::string clean = redact(std::string(cause));
        for (char& c : clean) {
            if (c == '\n')
                c = ' ';
        }
        write_exception_record(fd.get(), clean);
    } catch (...) {
        write_exception_record(fd.get(), "error (cause unavailable)");
    }
}

}  // namespace memegen
