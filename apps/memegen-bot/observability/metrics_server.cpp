#include "observability/metrics_server.hpp"

#include <httplib.h>

#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include <memegen/error.hpp>
#include <memegen/log.hpp>

#include "net/listen_thread.hpp"

namespace memegen::bot {

MetricsServer::MetricsServer(const std::string& address, int port, PageSource page)
    : address_(address), server_(std::make_unique<httplib::Server>()) {
    // One worker: scrapes come every few seconds from one scraper, and httplib's default pool
    // (8+ threads) would be most of the bot's threads for nothing.
    server_->new_task_queue = [] { return new httplib::ThreadPool(1); };
    // httplib's default also sets SO_REUSEPORT, which lets a second bot bind the same port
    // and silently take half the scrapes; SO_REUSEADDR alone keeps quick restarts working.
    server_->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_->Get(
        "/metrics", [page = std::move(page)](const httplib::Request&, httplib::Response& response) {
            try {
                response.set_content(page(), "text/plain; version=0.0.4; charset=utf-8");
            } catch (const std::exception& e) {
                // A broken input must not take the endpoint down; the scraper sees the 500.
                log_warning("metrics: cannot make the page: {}", e.what());
                response.status = 500;
                response.set_content(std::string("error: ") + e.what() + "\n", "text/plain");
            }
        });
    server_->Get("/", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("memegen-bot: metrics at /metrics\n", "text/plain");
    });

    port_ = port == 0 ? server_->bind_to_any_port(address_) : port;
    const bool bound = port == 0 ? port_ > 0 : server_->bind_to_port(address_, port_);
    if (!bound) {
        const int error = errno;
        throw SystemError(fmt::format("metrics: cannot listen on {}:{}", address_, port),
                          error != 0 ? error : EADDRNOTAVAIL);
    }
    thread_ = listen_in_background(*server_);
    log_info("metrics: serving {}", url());
}

MetricsServer::~MetricsServer() {
    server_->stop();
    if (thread_.joinable())
        thread_.join();
}

std::string MetricsServer::url() const {
    return fmt::format("http://{}:{}/metrics", address_, port_);
}

}  // namespace memegen::bot
