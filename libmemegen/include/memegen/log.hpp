#pragma once
/// \file log.hpp
/// The library's logger: one line per message on stderr (with "<N>" priority prefixes when
/// systemd connects stderr to the journal), replaceable by a sink of the application's.
/// Registered secrets are redacted from every line before it reaches any sink, so a token
/// that slips into a message (a URL, an error text) never reaches a log.

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memegen/detail/clock.hpp"

namespace memegen {

/// Severity of a log line.
enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

/// Short upper-case name of a level ("INFO").
[[nodiscard]] constexpr std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "DEBUG";
        case LogLevel::info:
            return "INFO";
        case LogLevel::warning:
            return "WARN";
        case LogLevel::error:
            return "ERROR";
        case LogLevel::off:
            return "OFF";
    }
    return "?";
}

/// Parses "debug", "info", "warning"/"warn", "error", "off"; nullopt otherwise.
[[nodiscard]] inline std::optional<LogLevel> parse_log_level(std::string_view name) noexcept {
    if (name == "debug")
        return LogLevel::debug;
    if (name == "info")
        return LogLevel::info;
    if (name == "warning" || name == "warn")
        return LogLevel::warning;
    if (name == "error")
        return LogLevel::error;
    if (name == "off")
        return LogLevel::off;
    return std::nullopt;
}

/// Receives every line that passes the level filter, already redacted.
using LogSink = std::function<void(LogLevel, std::string_view message)>;

namespace detail {

struct LogState {
    std::mutex mutex;
    LogSink sink;  // empty: the default stderr sink
    std::vector<std::string> secrets;
    std::atomic<LogLevel> level{LogLevel::info};
};

inline LogState& log_state() {
    static LogState state;
    return state;
}

/// Replaces each registered secret in `text` by "<redacted>".
inline std::string redact_with(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.empty())
            continue;
        for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
            text.replace(pos, secret.size(), "<redacted>");
            pos += 10;
        }
    }
    return text;
}

/// True if `fd` is the stream systemd connected to the journal: `journal_stream` is the
/// JOURNAL_STREAM variable ("DEVICE:INODE") that systemd sets for a service, and it names `fd`.
inline bool is_journal_stream(int fd, const char* journal_stream) noexcept {
    if (journal_stream == nullptr)
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return false;
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (std::sscanf(journal_stream, "%llu:%llu", &device, &inode) != 2)
        return false;
    return device == static_cast<unsigned long long>(st.st_dev) &&
           inode == static_cast<unsigned long long>(st.st_ino);
}

/// The syslog priority journald reads from a "<N>" line prefix.
[[nodiscard]] constexpr int syslog_priority(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return 7;
        case LogLevel::info:
            return 6;
        case LogLevel::warning:
            return 4;
        case LogLevel::error:
        case LogLevel::off:
            return 3;
    }
    return 6;
}

/// One stderr line. To a terminal or file: "<local time with ms> LEVEL message". To the
/// journal: "<N>LEVEL message" — journald takes the priority from the prefix (so
/// `journalctl -p warning` works) and stamps the time itself.
[[nodiscard]] inline std::string format_stderr_line(LogLevel level, std::string_view message,
                                                    bool to_journal) {
    if (to_journal)
        return fmt::format("<{}>{:<5} {}\n", syslog_priority(level), to_string(level), message);
    return fmt::format("{} {:<5} {}\n", detail::local_timestamp_ms(), to_string(level), message);
}

inline void write_stderr_line(LogLevel level, std::string_view message) {
    // Decided once: whether stderr is the journal does not change while the process runs.
    static const bool to_journal = is_journal_stream(STDERR_FILENO, std::getenv("JOURNAL_STREAM"));
    const std::string line = format_stderr_line(level, message, to_journal);
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line: no interleaving
}

}  // namespace detail

/// Sets the minimum level that is emitted (default info).
inline void set_log_level(LogLevel level) noexcept {
    detail::log_state().level = level;
}

/// The current minimum level.
[[nodiscard]] inline LogLevel log_level() noexcept {
    return detail::log_state().level;
}

/// Routes log lines to `sink`; an empty sink restores the default (stderr, with timestamps).
inline void set_log_sink(LogSink sink) {
    auto& state = detail::log_state();
    std::lock_guard lock(state.mutex);
    state.sink = std::move(sink);
}

/// Registers a secret (a bot token) that must never appear in any log line.
inline void register_secret(std::string secret) {
    if (secret.empty())
        return;
    auto& state = detail::log_state();
    std::lock_guard lock(state.mutex);
    state.secrets.push_back(std::move(secret));
}

/// `text` with every registered secret replaced by "<redacted>".
[[nodiscard]] inline std::string redact(std::string text) {
    auto& state = detail::log_state();
    std::lock_guard lock(state.mutex);
    return detail::redact_with(std::move(text), state.secrets);
}

/// Emits one already formatted line at `level`.
inline void log_line(LogLevel level, std::string_view message) {
    auto& state = detail::log_state();
    if (level < state.level.load(std::memory_order_relaxed))
        return;
    std::lock_guard lock(state.mutex);
    const std::string clean = detail::redact_with(std::string(message), state.secrets);
    if (state.sink) {
        state.sink(level, clean);
    } else {
        detail::write_stderr_line(level, clean);
    }
}

/// Formats with fmt and emits at `level`.
template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    if (level < detail::log_state().level.load(std::memory_order_relaxed))
        return;
    log_line(level, fmt::format(format, std::forward<Args>(args)...));
}

/// Logs at debug level.
template <typename... Args>
void log_debug(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::debug, format, std::forward<Args>(args)...);
}
/// Logs at info level.
template <typename... Args>
void log_info(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::info, format, std::forward<Args>(args)...);
}
/// Logs at warning level.
template <typename... Args>
void log_warning(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::warning, format, std::forward<Args>(args)...);
}
/// Logs at error level.
template <typename... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::error, format, std::forward<Args>(args)...);
}

}  // namespace memegen
