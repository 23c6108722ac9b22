#pragma once
/// \file generation_guard.hpp
/// At most one generation at a time — across threads and across processes that
/// share a state directory. Within a process a mutex-protected holder record
/// answers at once; across processes an open-file-description lock on
/// `<state_dir>/generation.lock` does, and the kernel drops that lock when its
/// holder dies, so a crash or kill -9 never leaves a stale lock behind.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

#include "memegen/detail/clock.hpp"
#include "memegen/detail/files.hpp"
#include "memegen/detail/proc_reader.hpp"
#include "memegen/detail/unique_fd.hpp"
#include "memegen/error.hpp"
#include "memegen/log.hpp"
#include "memegen/resource_monitor.hpp"

namespace memegen {

/// Who holds the guard: a label ("/generate 3 by @user", "scheduled job"), a pid, a start time;
/// and, while a generation runs in a child process that shares the lock, that child.
struct GuardHolder {
    std::string label;
    pid_t pid = 0;
    std::chrono::system_clock::time_point since{};
    std::optional<std::uint64_t> pid_start{};    ///< the holder's start time (/proc field 22)
    pid_t child_pid = 0;                         ///< a child holding the lock with it (0: none)
    std::optional<std::uint64_t> child_start{};  ///< that child's start time

    /// Whole seconds since the holder took the guard.
    [[nodiscard]] long long seconds_held(
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const {
        return std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
    }
};

/// How an acquisition ended.
enum class AcquireStatus { acquired, busy, timed_out, cancelled };

/// Settings of a GenerationGuard.
struct GenerationGuardOptions {
    std::string lock_file_name = "generation.lock";
    bool trim_heap_on_release = true;  ///< malloc_trim(0) after release: our gc.collect()
    bool log_transitions = true;       ///< 🔒/🔓 lines and the after_unlock memory line
    ResourceMonitorOptions monitor{};  ///< used for the after_unlock memory line
};

namespace detail {

// What a guard and its tickets share, so a ticket may outlive the guard object.
struct GuardState {
    std::filesystem::path lock_path;
    GenerationGuardOptions options;
    std::mutex mutex;
    std::condition_variable_any released;
    std::optional<GuardHolder> holder;  // this process's holder, if any
    std::uint64_t releases = 0;         // wakes same-process waiters without polling
};

inline nlohmann::json holder_to_json(const GuardHolder& h) {
    nlohmann::json j = {{"label", h.label},
                        {"pid", h.pid},
                        {"since", local_timestamp(h.since)},
                        {"since_unix_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                              h.since.time_since_epoch())
                                              .count()}};
    if (h.pid_start)
        j["pid_start"] = *h.pid_start;
    if (h.child_pid > 0) {
        j["child_pid"] = h.child_pid;
        if (h.child_start)
            j["child_start"] = *h.child_start;
    }
    return j;
}

inline std::optional<GuardHolder> holder_from_json(std::string_view text) {
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("label") || !j["label"].is_string() ||
        !j.contains("since_unix_ms") || !j["since_unix_ms"].is_number_integer()) {
        return std::nullopt;
    }
    const auto integer = [&j](const char* key) -> std::optional<std::int64_t> {
        if (!j.contains(key) || !j[key].is_number_integer())
            return std::nullopt;
        return j[key].get<std::int64_t>();
    };
    GuardHolder h;
    h.label = j["label"].get<std::string>();
    h.pid = static_cast<pid_t>(integer("pid").value_or(0));
    h.since = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(j["since_unix_ms"].get<long long>()));
    if (const auto start = integer("pid_start"); start && *start >= 0)
        h.pid_start = static_cast<std::uint64_t>(*start);
    h.child_pid = static_cast<pid_t>(integer("child_pid").value_or(0));
    if (const auto start = integer("child_start"); start && *start >= 0)
        h.child_start = static_cast<std::uint64_t>(*start);
    return h;
}

// OFD locks (not flock, not classic POSIX locks): owned by the open file description, so two
// opens in one process exclude each other, and F_OFD_GETLK can ask without taking the lock.
inline flock whole_file_lock(short type) {
    flock fl{};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fl;
}

}  // namespace detail

/// The one-generation-at-a-time lock. Thread-safe; share one per state directory per process.
class GenerationGuard {
  public:
    /// Proof of holding the guard. Releases on destruction (every exit path, exceptions too).
    class Ticket {
      public:
        Ticket(Ticket&&) noexcept = default;
        Ticket& operator=(Ticket&& other) noexcept {
            if (this != &other) {
                release();
                state_ = std::move(other.state_);
                fd_ = std::move(other.fd_);
                holder_ = std::move(other.holder_);
            }
            return *this;
        }
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        ~Ticket() { release(); }

        /// The holder this ticket stands for.
        [[nodiscard]] const GuardHolder& holder() const noexcept { return holder_; }
        /// True until release().
        [[nodiscard]] bool held() const noexcept { return fd_.valid(); }

        /// The lock's descriptor (O_CLOEXEC), or -1 after release(). A child process that keeps
        /// a copy of it across exec holds the lock with this ticket: the guard stays held until
        /// both have let go, so the generation outlives neither this process nor the child.
        [[nodiscard]] int native_handle() const noexcept { return fd_.get(); }

        /// Records `child` (pid and start time) as holding the lock with this ticket, so that a
        /// process started after this one died can see the child and end it. Best effort.
        /// The record (and GenerationGuard::holder()) then names the child; holder() here
        /// stays the holder as acquired.
        void note_child(pid_t child) const noexcept {
            if (!fd_.valid() || !state_)
                return;
            GuardHolder with_child = holder_;
            with_child.child_pid = child;
            with_child.child_start = child > 0 ? detail::living_process_start(child) : std::nullopt;
            try {
                const std::string record = detail::holder_to_json(with_child).dump();
                if (::ftruncate(fd_.get(), 0) == 0) {
                    [[maybe_unused]] const ssize_t n =
                        ::pwrite(fd_.get(), record.data(), record.size(), 0);
                }
                std::lock_guard lock(state_->mutex);
                if (state_->holder)
                    *state_->holder = with_child;
            } catch (const std::exception&) {
            }
        }

        /// Releases the guard now (idempotent): frees the lock, trims the heap, logs memory.
        void release() noexcept {
            if (!fd_.valid() || !state_)
                return;
            const auto held_for = std::chrono::system_clock::now() - holder_.since;
            // Empty the holder record before unlocking so nobody reads a stale one as current.
            [[maybe_unused]] const int ignored = ::ftruncate(fd_.get(), 0);
            fd_.reset();  // closing the only descriptor of the description drops the OFD lock
            {
                std::lock_guard lock(state_->mutex);
                state_->holder.reset();
                ++state_->releases;
            }
            state_->released.notify_all();
#if defined(__GLIBC__)
            if (state_->options.trim_heap_on_release)
                ::malloc_trim(0);
#endif
            if (state_->options.log_transitions) {
                log_info("🔓 Generation unlocked after {:.1f} s ({})",
                         std::chrono::duration<double>(held_for).count(), holder_.label);
                ResourceMonitor(state_->options.monitor).log_resource_usage("after_unlock");
            }
        }

      private:
        friend class GenerationGuard;
        Ticket(std::shared_ptr<detail::GuardState> state, detail::UniqueFd fd, GuardHolder holder)
            : state_(std::move(state)), fd_(std::move(fd)), holder_(std::move(holder)) {}

        std::shared_ptr<detail::GuardState> state_;
        detail::UniqueFd fd_;
        GuardHolder holder_;
    };

    /// The answer to an acquisition: a ticket, or who holds the guard.
    class Acquisition {
      public:
        /// True when the guard was acquired.
        explicit operator bool() const noexcept { return ticket_.has_value(); }
        [[nodiscard]] AcquireStatus status() const noexcept { return status_; }
        /// The ticket; only valid when acquired.
        [[nodiscard]] Ticket& ticket() { return ticket_.value(); }
        Ticket* operator->() { return &ticket_.value(); }
        /// Moves the ticket out (to hold it in a longer-lived place).
        [[nodiscard]] Ticket take() { return std::move(ticket_.value()); }
        /// When refused: who holds it (nullopt if the holder could not say, e.g. mid-write).
        [[nodiscard]] const std::optional<GuardHolder>& holder() const noexcept { return holder_; }

      private:
        friend class GenerationGuard;
        AcquireStatus status_ = AcquireStatus::busy;
        std::optional<Ticket> ticket_;
        std::optional<GuardHolder> holder_;
    };

    /// Uses `<state_dir>/generation.lock`, creating the directory (0700) and file (0600) if needed.
    /// Throws SystemError naming the path if it cannot.
    explicit GenerationGuard(const std::filesystem::path& state_dir,
                             GenerationGuardOptions options = {})
        : state_(std::make_shared<detail::GuardState>()) {
        detail::ensure_private_directory(state_dir);
        state_->lock_path = state_dir / options.lock_file_name;
        state_->options = std::move(options);
        static_cast<void>(open_lock_file());  // fail early on an unusable directory
    }

    /// Takes the guard if it is free, without waiting.
    [[nodiscard]] Acquisition try_acquire(std::string label) {
        Acquisition result;
        std::unique_lock lock(state_->mutex);
        if (state_->holder) {
            result.holder_ = state_->holder;
            return result;
        }
        auto fd = open_lock_file();
        auto fl = detail::whole_file_lock(F_WRLCK);
        if (::fcntl(fd.get(), F_OFD_SETLK, &fl) != 0) {
            if (errno != EAGAIN && errno != EACCES)
                detail::throw_errno("cannot lock", state_->lock_path);
            lock.unlock();
            result.holder_ = read_holder();
            return result;
        }
        GuardHolder holder{std::move(label), ::getpid(), std::chrono::system_clock::now()};
        holder.pid_start = detail::living_process_start(::getpid());
        const std::string record = detail::holder_to_json(holder).dump();
        // Best effort: a failed write only makes other processes' busy answers less precise.
        if (::ftruncate(fd.get(), 0) == 0) {
            [[maybe_unused]] const ssize_t n = ::pwrite(fd.get(), record.data(), record.size(), 0);
        }
        state_->holder = holder;
        lock.unlock();
        if (state_->options.log_transitions)
            log_info("🔒 Generation locked ({})", holder.label);
        result.status_ = AcquireStatus::acquired;
        result.holder_ = holder;
        result.ticket_.emplace(Ticket(state_, std::move(fd), std::move(holder)));
        return result;
    }

    /// Waits up to `timeout` for the guard, giving up early when `stop` is requested.
    /// Same-process releases wake the waiter at once; other processes are polled every 50 ms.
    [[nodiscard]] Acquisition acquire(std::string label, std::chrono::milliseconds timeout,
                                      std::stop_token stop = {}) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto result = try_acquire(label);
            if (result)
                return result;
            if (stop.stop_requested()) {
                result.status_ = AcquireStatus::cancelled;
                return result;
            }
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                result.status_ = AcquireStatus::timed_out;
                return result;
            }
            const auto wait = std::min<std::chrono::steady_clock::duration>(
                deadline - now, std::chrono::milliseconds(50));
            std::unique_lock lock(state_->mutex);
            const auto seen = state_->releases;
            state_->released.wait_for(lock, stop, wait,
                                      [this, seen] { return state_->releases != seen; });
        }
    }

    /// Who holds the guard now, in this or any other process; nullopt when it is free.
    [[nodiscard]] std::optional<GuardHolder> holder() const {
        {
            std::lock_guard lock(state_->mutex);
            if (state_->holder)
                return state_->holder;
        }
        auto fd = open_lock_file();
        auto fl = detail::whole_file_lock(F_WRLCK);
        if (::fcntl(fd.get(), F_OFD_GETLK, &fl) != 0)
            detail::throw_errno("cannot query lock", state_->lock_path);
        if (fl.l_type == F_UNLCK)
            return std::nullopt;
        auto holder = read_holder();
        return holder ? holder : GuardHolder{"unknown", 0, std::chrono::system_clock::now()};
    }

    /// A process that died while a child of its held the guard with it (see
    /// Ticket::note_child) leaves the child holding it. When the recorded holder is dead by
    /// evidence (gone, a zombie, or its pid reused), ends the recorded child with SIGKILL (only
    /// if it is still the same process) and waits up to `wait` for the lock to be free.
    /// Returns the orphaned holder it found, or nullopt when the guard is free or its holder
    /// lives. Never touches this process's own holder.
    std::optional<GuardHolder> end_orphaned_holder(
        std::chrono::milliseconds wait = std::chrono::seconds(10)) {
        {
            std::lock_guard lock(state_->mutex);
            if (state_->holder)
                return std::nullopt;
        }
        auto held = holder();
        // An unreadable record (pid 0) is a holder mid-write, not evidence of a death.
        if (!held || held->pid <= 0 || detail::process_alive(held->pid, held->pid_start))
            return std::nullopt;
        if (held->child_pid > 0 && detail::process_alive(held->child_pid, held->child_start)) {
            log_warning(
                "the generation lock is held by pid {} ({}), a child of the dead pid {}: "
                "ending it",
                held->child_pid, held->label, held->pid);
            ::kill(held->child_pid, SIGKILL);
        }
        const auto deadline = std::chrono::steady_clock::now() + wait;
        while (is_locked() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return held;
    }

    /// True while any process holds the guard.
    [[nodiscard]] bool is_locked() const {
        return holder().has_value();
    }

    /// The lock file's path.
    [[nodiscard]] const std::filesystem::path& lock_path() const noexcept {
        return state_->lock_path;
    }

  private:
    [[nodiscard]] detail::UniqueFd open_lock_file() const {
        detail::UniqueFd fd(::open(state_->lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!fd)
            detail::throw_errno("cannot open lock file", state_->lock_path);
        return fd;
    }

    // The holder writes its record right after locking: a reader may catch it empty or
    // half-written, so try a few times before answering "unknown".
    [[nodiscard]] std::optional<GuardHolder> read_holder() const {
        for (int attempt = 0; attempt < 5; ++attempt) {
            try {
                if (auto text = detail::read_file(state_->lock_path)) {
                    if (auto holder = detail::holder_from_json(*text))
                        return holder;
                }
            } catch (const Error&) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return std::nullopt;
    }

    std::shared_ptr<detail::GuardState> state_;
};

/// The seed's refusal: "⚠️ A generation is already running (started 15 s ago). Please wait
/// until it finishes."
[[nodiscard]] inline std::string busy_message(const std::optional<GuardHolder>& holder) {
    if (!holder)
        return "⚠️ A generation is already running. Please wait until it finishes.";
    return fmt::format(
        "⚠️ A generation is already running (started {} s ago). Please wait until it finishes.",
        holder->seconds_held());
}

}  // namespace memegen
