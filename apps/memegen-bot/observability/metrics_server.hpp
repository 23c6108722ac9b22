#pragma once
/// \file metrics_server.hpp
/// MetricsServer: serves GET /metrics (Prometheus text format) on its own thread with
/// cpp-httplib, so a scrape never waits for Telegram or a render. Bound to loopback unless
/// configured otherwise: the page tells what the bot is doing, which is nobody else's business.

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace memegen::bot {

/// An HTTP endpoint for one page. Starts listening in the constructor; stops in the destructor.
class MetricsServer {
  public:
    /// Makes the page for each scrape; called on the server's thread.
    using PageSource = std::function<std::string()>;

    /// Binds `address`:`port` (port 0: any free port) and starts serving.
    /// Throws memegen::SystemError naming the address and port if binding fails.
    MetricsServer(const std::string& address, int port, PageSource page);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// The port listened on (the chosen one when constructed with 0).
    [[nodiscard]] int port() const noexcept { return port_; }

    /// "http://ADDRESS:PORT/metrics".
    [[nodiscard]] std::string url() const;

  private:
    std::string address_;
    int port_ = 0;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

}  // namespace memegen::bot
