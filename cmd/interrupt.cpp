#include "cmd/interrupt.hpp"

#include <pthread.h>

#include <mutex>

namespace netdiag {
namespace {

sigset_t watched_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);  // sent by the destructor to end the waiter
    return set;
}

// A child forked while the signals are blocked would keep them blocked through exec: libssh's
// ProxyJump hop (`ssh -W`) would then ignore the SIGTERM libssh ends it with, and hang the scan.
void unblock_in_child() {
    const sigset_t set = watched_signals();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

InterruptWatch::InterruptWatch() {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, unblock_in_child); });
    const sigset_t set = watched_signals();
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    waiter_ = std::thread([this, set] {
        while (true) {
            int signal = 0;
            if (sigwait(&set, &signal) != 0) return;
            if (finished_.load()) return;
            if (signal == SIGINT || signal == SIGTERM) {
                interrupted_ = true;
                stop_ = true;
            }
        }
    });
}

InterruptWatch::~InterruptWatch() {
    finished_ = true;
    pthread_kill(waiter_.native_handle(), SIGUSR1);
    waiter_.join();
    // A Ctrl-C that arrives now is still pending: it takes effect after the report is printed.
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace netdiag
