// Ctrl-C during a fleet scan: stop starting hosts, end the ones running, report what finished.
// SIGINT and SIGTERM are blocked in every thread (workers inherit the mask) and one thread waits
// for them with sigwait, so no async-signal-unsafe code runs in a handler.
#pragma once

#include <atomic>
#include <csignal>
#include <thread>

namespace netdiag {

class InterruptWatch {
public:
    InterruptWatch();   // create before starting any worker thread
    ~InterruptWatch();  // restores the signal mask
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    const std::atomic<bool>& stop() const { return stop_; }
    bool interrupted() const { return interrupted_.load(); }

private:
    std::atomic<bool> stop_{false}, interrupted_{false}, finished_{false};
    sigset_t old_mask_{};
    std::thread waiter_;
};

}  // namespace netdiag
