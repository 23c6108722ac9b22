#pragma once
/// \file listen_thread.hpp
/// Running a bound cpp-httplib server's accept loop on a thread of its own, for the metrics
/// endpoint and the tests' loopback fakes alike. Header-only, so the fakes need no library.

#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace memegen::bot {

/// Starts the accept loop of `server` (already bound with bind_to_port or bind_to_any_port)
/// on a new thread and returns that thread once the loop runs. cpp-httplib 0.11's
/// Server::stop() does nothing before the loop has set is_running(), so a server stopped
/// before its thread first ran (a busy machine, a server nobody called) kept that thread in
/// accept() and the join hung. The loop asks for its task queue right after setting
/// is_running(): that call is the event waited for — no polling, no time limit. Set the
/// server's own `new_task_queue` before calling this.
inline std::thread listen_in_background(httplib::Server& server) {
    struct Started {
        std::promise<void> promise;
        std::once_flag once;
        void signal() {
            std::call_once(once, [this] { promise.set_value(); });
        }
    };
    auto started = std::make_shared<Started>();
    auto future = started->promise.get_future();
    server.new_task_queue = [started, make_queue = std::move(server.new_task_queue)] {
        started->signal();
        return make_queue();
    };
    std::thread thread([&server, started] {
        server.listen_after_bind();
        started->signal();  // a loop that ended at once (a closed socket) must not block start
    });
    future.wait();
    return thread;
}

}  // namespace memegen::bot
