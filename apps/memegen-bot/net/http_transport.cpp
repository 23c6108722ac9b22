#include "net/http_transport.hpp"

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <random>

namespace memegen::bot::net {

void ignore_sigpipe() noexcept {
    static std::once_flag once;
    std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

std::unique_ptr<httplib::Client> make_client(const std::string& scheme_host_port,
                                             const ClientOptions& options) {
    ignore_sigpipe();
    auto client = std::make_unique<httplib::Client>(scheme_host_port);
    client->set_connection_timeout(options.connect_timeout);
    set_io_timeout(*client, options.io_timeout);
    client->set_keep_alive(false);
    client->set_follow_location(false);
    if (scheme_host_port.rfind("https://", 0) == 0) {
        if (!options.ca_file.empty())
            client->set_ca_cert_path(options.ca_file);
        client->enable_server_certificate_verification(true);
    }
    return client;
}

void set_io_timeout(httplib::Client& client, std::chrono::milliseconds timeout) {
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
}

bool sleep_until(Clock::time_point deadline, const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    cv.wait_until(lock, stop, deadline, [] { return false; });
    return !stop.stop_requested();
}

bool sleep_for(std::chrono::milliseconds delay, const std::stop_token& stop) {
    return sleep_until(Clock::now() + delay, stop);
}

bool read_timed_out(Clock::duration elapsed, std::chrono::milliseconds io_timeout) noexcept {
    return elapsed >= io_timeout * 9 / 10;
}

bool is_tls_trust_failure(httplib::Error error) noexcept {
    return error == httplib::Error::SSLServerVerification ||
           error == httplib::Error::SSLLoadingCerts;
}

std::chrono::milliseconds Backoff::delay(int retry) const noexcept {
    double ms = static_cast<double>(initial.count());
    for (int i = 0; i < retry && ms < static_cast<double>(max.count()); ++i)
        ms *= multiplier;
    ms = std::min(ms, static_cast<double>(max.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::chrono::milliseconds Backoff::jittered(int retry) const {
    const auto base = delay(retry);
    if (!jitter)
        return base;
    thread_local std::mt19937 rng{std::random_device{}()};
    const double factor = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
    const auto spread = std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(base.count()) * factor));
    return std::min(spread, max);
}

bool Retries::wait(std::chrono::milliseconds delay) {
    if (!sleep_for(delay, stop_))
        return false;
    ++attempt_;
    return true;
}

}  // namespace memegen::bot::net
