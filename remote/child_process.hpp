// Running a program and reading what it prints, bounded: the one place netdiag starts a child
// (LocalTransport's commands, inventory scripts). No shell unless argv names one; stdin is
// /dev/null; the child leads a process group of its own, so that stopping it stops what it started.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace netdiag {

struct ChildLimits {
    std::chrono::milliseconds timeout{30000};
    std::size_t max_stdout = std::size_t{64} << 20;  // more stops the child: too_much_output
    std::size_t max_stderr = std::size_t{64} << 10;  // more is dropped; the start is kept
};

enum class ChildStop { finished, timed_out, too_much_output };

struct ChildOutput {
    std::string out, err;
    ChildStop stop = ChildStop::finished;
    int exit_status = 0;  // as a shell reports it: the status, or 128 + the signal that killed it
    bool killed_by_signal = false;
};

// An error only when the child could not be started (pipe, spawn: "ENOENT"'s words); a child that
// ran too long or printed too much is killed and said so in `stop`.
Result<ChildOutput> run_child(const std::vector<std::string>& argv, const ChildLimits& limits);

}  // namespace netdiag
