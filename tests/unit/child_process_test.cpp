#include <catch2/catch.hpp>

#include "remote/child_process.hpp"

using namespace netdiag;
using namespace std::chrono_literals;

TEST_CASE("a child's output, errors and status", "[child]") {
    auto child = run_child({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, ChildLimits{});
    REQUIRE(child.ok());
    CHECK(child->out == "out\n");
    CHECK(child->err == "err\n");
    CHECK(child->exit_status == 3);
    CHECK_FALSE(child->killed_by_signal);
    CHECK(child->stop == ChildStop::finished);

    auto killed = run_child({"/bin/sh", "-c", "kill -9 $$"}, ChildLimits{});
    REQUIRE(killed.ok());
    CHECK(killed->killed_by_signal);
    CHECK(killed->exit_status == 137);

    auto missing = run_child({"/nonexistent/netdiag-test-program"}, ChildLimits{});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "No such file or directory");
}

TEST_CASE("a child is stopped, with what it started, at its limits", "[child]") {
    ChildLimits limits;
    limits.timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    // The grandchild holds the pipes open: only killing the group ends the wait.
    auto late = run_child({"/bin/sh", "-c", "sleep 30 & sleep 30"}, limits);
    REQUIRE(late.ok());
    CHECK(late->stop == ChildStop::timed_out);
    CHECK(std::chrono::steady_clock::now() - started < 10s);

    limits.timeout = 30s;
    limits.max_stdout = 1 << 20;
    auto flood = run_child({"/usr/bin/yes"}, limits);
    REQUIRE(flood.ok());
    CHECK(flood->stop == ChildStop::too_much_output);
    CHECK(flood->out.size() <= limits.max_stdout);

    limits.max_stderr = 1000;
    auto noisy = run_child({"/bin/sh", "-c", "head -c 200000 /dev/zero >&2; echo done"}, limits);
    REQUIRE(noisy.ok());
    CHECK(noisy->stop == ChildStop::finished);
    CHECK(noisy->err.size() == 1000);
    CHECK(noisy->out == "done\n");
}
