// Which daemons run on a host is read from what cannot be faked by an unprivileged user: the
// executable a process runs and its uid, never its self-chosen name (/proc/PID/comm).
#include <catch2/catch.hpp>

#include "collect/plan_context.hpp"
#include "remote/memory_transport.hpp"

using namespace netdiag;

namespace {

std::string status_with_uid(const std::string& uid) {
    return "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid +
           "\nGid:\t0\t0\t0\t0\n";
}

Snapshot empty_snapshot() {
    Snapshot snapshot;
    snapshot.host = "h";
    return snapshot;
}

}  // namespace

TEST_CASE("a process that only calls itself irqbalance or kube-proxy is not the daemon") {
    MemoryTransport host;
    // A user's shell renamed with prctl(PR_SET_NAME): comm says irqbalance, the exe is bash.
    host.files["/proc/4242/comm"] = "irqbalance\n";
    host.links["/proc/4242/exe"] = "/usr/bin/bash";
    host.files["/proc/4242/status"] = status_with_uid("1000");
    // Even naming its own copy of a binary irqbalance does not make a user's process root's.
    host.files["/proc/4243/comm"] = "kube-proxy\n";
    host.links["/proc/4243/exe"] = "/home/mallory/kube-proxy";
    host.files["/proc/4243/status"] = status_with_uid("1000");
    // comm alone, no exe link nor status (the old way of telling): ignored.
    host.files["/proc/4244/comm"] = "irqbalance\n";
    const auto context = gather_plan_context(host, empty_snapshot());
    REQUIRE(context);
    CHECK_FALSE(context->irqbalance_running);
    CHECK_FALSE(context->kube_proxy_running);
    CHECK(context->files.count("/proc/4242/status") == 0);
}

TEST_CASE("irqbalance and kube-proxy run by root are found by their executables") {
    MemoryTransport host;
    host.files["/proc/812/comm"] = "irqbalance\n";
    host.links["/proc/812/exe"] = "/usr/sbin/irqbalance";
    host.files["/proc/812/status"] = status_with_uid("0");
    // kube-proxy in a container: the exe as its mount namespace names it, comm truncated or renamed.
    host.files["/proc/900/comm"] = "main\n";
    host.links["/proc/900/exe"] = "/usr/local/bin/kube-proxy";
    host.files["/proc/900/status"] = status_with_uid("0");
    host.files["/proc/1/comm"] = "systemd\n";
    host.links["/proc/1/exe"] = "/usr/lib/systemd/systemd";
    host.files["/proc/1/status"] = status_with_uid("0");
    const auto context = gather_plan_context(host, empty_snapshot());
    REQUIRE(context);
    CHECK(context->irqbalance_running);
    CHECK(context->kube_proxy_running);
    CHECK(host.read_round_trips == 2);  // statuses of the two candidates only
    CHECK(host.requested.back() != "/proc/1/status");
    CHECK(context->files.count("/proc/812/comm") == 0);
}

TEST_CASE("a daemon whose binary was upgraded under it still counts") {
    MemoryTransport host;
    host.files["/proc/812/comm"] = "irqbalance\n";
    host.links["/proc/812/exe"] = "/usr/sbin/irqbalance (deleted)";
    host.files["/proc/812/status"] = status_with_uid("0");
    const auto context = gather_plan_context(host, empty_snapshot());
    REQUIRE(context);
    CHECK(context->irqbalance_running);
}

TEST_CASE("with no daemon candidate, one round trip") {
    MemoryTransport host;
    host.files["/proc/1/comm"] = "systemd\n";
    host.links["/proc/1/exe"] = "/usr/lib/systemd/systemd";
    const auto context = gather_plan_context(host, empty_snapshot());
    REQUIRE(context);
    CHECK_FALSE(context->irqbalance_running);
    CHECK(host.read_round_trips == 1);
}

TEST_CASE("where the exe link is unreadable, a root process's name stands in; a user's does not") {
    // As an unprivileged SSH login: root's exe links cannot be read, statuses can.
    const std::vector<FileRead> root_daemon{
        {"/proc/812/comm", "irqbalance\n", "", false},
        {"/proc/812/exe", std::nullopt, "permission denied", true},
        {"/proc/812/status", status_with_uid("0"), "", false},
    };
    CHECK(daemon_status_paths(root_daemon) == std::vector<std::string>{"/proc/812/status"});
    CHECK(plan_context_from_reads(root_daemon).irqbalance_running);
    const std::vector<FileRead> user_fake{
        {"/proc/4242/comm", "irqbalance\n", "", false},
        {"/proc/4242/exe", std::nullopt, "permission denied", true},
        {"/proc/4242/status", status_with_uid("1000"), "", false},
    };
    CHECK_FALSE(plan_context_from_reads(user_fake).irqbalance_running);
    // Real uid root, effective not (or the reverse): not a root daemon.
    const std::vector<FileRead> half{
        {"/proc/7/exe", "/usr/sbin/irqbalance", "", true},
        {"/proc/7/status", "Uid:\t0\t1000\t0\t0\n", "", false},
    };
    CHECK_FALSE(plan_context_from_reads(half).irqbalance_running);
}
