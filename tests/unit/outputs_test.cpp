// What netdiag writes and prints when the file system, a plan or a snapshot is hostile: -o refuses
// anything but a regular file, diffs never carry raw control characters, and --from documents with
// counters out of range are refused rather than wrapped.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cmd/settings_options.hpp"
#include "collect/snapshot_json.hpp"
#include "remediation/diff.hpp"
#include "tests/unit/test_files.hpp"

using namespace netdiag;
namespace fs = std::filesystem;

namespace {

using ScratchDir = test::Scratch;

void write_file(const fs::path& path, const std::string& content, mode_t mode) {
    std::ofstream(path) << content;
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode;
}

// Nothing but `name` (and what the test put there) in the directory: no temporary left behind.
std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("-o replaces a regular file keeping its mode, and creates a missing one 0644") {
    ScratchDir scratch;
    const auto existing = scratch.path / "report.prom";
    write_file(existing, "old\n", 0640);
    REQUIRE(write_text_file_atomically(existing.string(), "new\n"));
    CHECK(test::slurp(existing.string()) == "new\n");
    CHECK((mode_of(existing) & 07777) == 0640);
    const auto fresh = scratch.path / "fresh.json";
    REQUIRE(write_text_file_atomically(fresh.string(), "{}\n"));
    CHECK((mode_of(fresh) & 07777) == 0644);
    CHECK(entries(scratch.path) == 2);
}

TEST_CASE("-o refuses a symlink, FIFO, socket, directory or device and leaves it as it was") {
    ScratchDir scratch;
    const auto target = scratch.path / "attacker";
    write_file(target, "planted\n", 0666);
    const auto link = scratch.path / "netdiag.prom";
    fs::create_symlink(target, link);
    auto written = write_text_file_atomically(link.string(), "report\n");
    REQUIRE_FALSE(written);
    CHECK(written.error().message ==
          link.string() + ": is a symbolic link; -o writes only a regular file or a new name");
    CHECK(S_ISLNK(mode_of(link)));
    CHECK(test::slurp(target.string()) == "planted\n");

    const auto fifo = scratch.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    written = write_text_file_atomically(fifo.string(), "report\n");
    REQUIRE_FALSE(written);
    CHECK(written.error().message.find("is a FIFO") != std::string::npos);
    CHECK(S_ISFIFO(mode_of(fifo)));

    const auto dir = scratch.path / "dir";
    fs::create_directory(dir);
    written = write_text_file_atomically(dir.string(), "report\n");
    REQUIRE_FALSE(written);
    CHECK(written.error().message.find("is a directory") != std::string::npos);

    const auto socket_path = scratch.path / "sock";
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    written = write_text_file_atomically(socket_path.string(), "report\n");
    ::close(fd);
    REQUIRE_FALSE(written);
    CHECK(written.error().message.find("is a socket") != std::string::npos);

    // A device node made here when root can (never the machine's own /dev).
    const auto device = scratch.path / "null";
    if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        written = write_text_file_atomically(device.string(), "report\n");
        REQUIRE_FALSE(written);
        CHECK(written.error().message.find("is a character device") != std::string::npos);
        CHECK(S_ISCHR(mode_of(device)));
    }
    // Only what the test made: no temporary files left behind.
    CHECK(entries(scratch.path) == (fs::exists(device) ? 6U : 5U));
}

TEST_CASE("diffs print control characters in paths and content as \\xNN") {
    const std::string path = "/sys/class/net/x\n# (no changes for this host)\n\x1b[8m/queues/rx-0/rps_cpus";
    const auto diff = unified_diff(path, std::string("0\n"), "f\x1b[2K\r\n");
    CHECK(diff.find('\x1b') == std::string::npos);
    CHECK(diff.find('\r') == std::string::npos);
    CHECK(diff ==
          "--- a/sys/class/net/x\\x0a# (no changes for this host)\\x0a\\x1b[8m/queues/rx-0/rps_cpus\n"
          "+++ b/sys/class/net/x\\x0a# (no changes for this host)\\x0a\\x1b[8m/queues/rx-0/rps_cpus\n"
          "@@ -1 +1 @@\n-0\n+f\\x1b[2K\\x0d\n");
    // Tabs stay tabs: the kernel separates values with them.
    CHECK(unified_diff("/proc/sys/net/ipv4/ip_local_port_range", std::string("32768\t60999\n"), "1024\t65535\n") ==
          "--- a/proc/sys/net/ipv4/ip_local_port_range\n+++ b/proc/sys/net/ipv4/ip_local_port_range\n"
          "@@ -1 +1 @@\n-32768\t60999\n+1024\t65535\n");
    // A backslash in content prints doubled, so it cannot pass for diff's own "\ No newline" marker.
    CHECK(unified_diff("/f", std::string("a\n"), "\\ No newline at end of file\n") ==
          "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+\\\\ No newline at end of file\n");

    HostPlan plan;
    plan.host = "web1\x1b]0;pwned\x07";
    PlannedChange change;
    change.path = path;
    change.before = "0\n";
    change.after = "f\n";
    change.fix = "rps";
    change.reason = "spread\nrx";
    plan.changes.push_back(change);
    plan.notes.push_back("note\x1b[1A");
    const auto rendered = render_plan_diff(plan);
    CHECK(rendered.find('\x1b') == std::string::npos);
    CHECK(rendered.find('\x07') == std::string::npos);
    CHECK(rendered.find("# host: web1\\x1b]0;pwned\\x07\n") == 0);
    CHECK(rendered.find("# rps: spread\\x0arx\n") != std::string::npos);
    CHECK(rendered.find("# note: note\\x1b[1A\n") != std::string::npos);
    // Every line is one netdiag made: a header, a hunk or a diff line.
    for (std::size_t start = 0; start < rendered.size();) {
        const auto end = rendered.find('\n', start);
        const char first = rendered[start];
        CHECK((first == '#' || first == '-' || first == '+' || first == '@' || first == ' '));
        CHECK((first != '#' || rendered.compare(start, 2, "# ") == 0));
        start = end + 1;
    }
    CHECK(rendered.find("\n# (no changes") == std::string::npos);
}

namespace {

std::string document_with(const std::string& first_sample, const std::string& second_sample) {
    return "{\"schema\":\"netdiag.collect/v1\",\"samples\":[" + first_sample + "," + second_sample + "]}";
}

std::string error_of(const std::string& text) {
    const auto parsed = parse_collect_document(text, "s.json");
    return parsed ? std::string() : parsed.error().message;
}

}  // namespace

TEST_CASE("--from documents: counters below 0 or past u64 are refused, never wrapped") {
    const std::string good = R"({"taken_at_unix_ms":1000,"net_dev":[{"name":"lo","rx_drop":0}]})";
    REQUIRE(error_of(document_with(good, good)).empty());
    CHECK(error_of(document_with(good, R"({"taken_at_unix_ms":6000,"net_dev":[{"name":"lo","rx_drop":-1}]})")) ==
          "s.json: samples[1]: net_dev[0].rx_drop: -1 is not a counter (an integer from 0 to 18446744073709551615)");
    CHECK(error_of(document_with(good, R"({"net_dev":[{"name":"lo","rx_bytes":18446744073709551616}]})")) ==
          "s.json: samples[1]: net_dev[0].rx_bytes: 1.8446744073709552e+19 is not a counter (an integer from 0 to "
          "18446744073709551615)");
    CHECK(error_of(document_with(good, R"({"net_dev":[{"name":"lo","rx_bytes":1.5}]})")).find("net_dev[0].rx_bytes") !=
          std::string::npos);
    // The largest counter is fine.
    CHECK(error_of(document_with(good, R"({"net_dev":[{"name":"lo","rx_bytes":18446744073709551615}]})")).empty());
    CHECK(error_of(document_with(good, R"({"softirqs":{"NET_RX":{"CPU0":-5}}})")) ==
          "s.json: samples[1]: softirqs.NET_RX.CPU0: -5 is not a counter (an integer from 0 to 18446744073709551615)");
    CHECK(error_of(document_with(good, R"({"conntrack":{"count":-1}})")).find("conntrack.count: -1") !=
          std::string::npos);
    CHECK(error_of(document_with(good, R"({"tcp":{"states":{"TIME_WAIT":-2}}})")).find("tcp.states.TIME_WAIT: -2") !=
          std::string::npos);
    CHECK(error_of(document_with(good, R"({"interrupts":[{"irq":27,"per_cpu":{"CPU0":-1}}]})"))
              .find("interrupts[0].per_cpu.CPU0: -1") != std::string::npos);
    // Signed fields keep their negatives (Tcp MaxConn is -1; speed -1 on VMs).
    const std::string signed_fields = R"({"snmp":{"Tcp":{"MaxConn":-1}},"interfaces":[{"name":"e","speed_mbps":-1}]})";
    CHECK(error_of(document_with(good, signed_fields)).empty());
    CHECK(error_of(document_with(good, R"({"online_cpus":4294967297})"))
              .find("online_cpus: 4294967297 is not an integer") != std::string::npos);
    CHECK(error_of(document_with(good, R"({"net_dev":[{"name":"lo","rx_bytes":1e400}]})")).find("not valid JSON") !=
          std::string::npos);
}

TEST_CASE("--from documents: times that overflow the interval and IRQ keys past int are refused") {
    const std::string good = R"({"taken_at_unix_ms":1000})";
    CHECK(error_of(document_with(R"({"taken_at_unix_ms":-9223372036854775808})", good)) ==
          "s.json: samples[0]: taken_at_unix_ms: -9223372036854775808 is not a time from 0 to 253402300799999");
    CHECK(error_of(document_with(good, R"({"taken_at_unix_ms":9223372036854775807})")).find("taken_at_unix_ms") !=
          std::string::npos);
    CHECK(error_of(document_with(good, R"({"taken_at_unix_ms":9223372036854775808})")).find("taken_at_unix_ms") !=
          std::string::npos);
    CHECK(error_of(document_with(good, R"({"uptime_seconds":-1})")).find("uptime_seconds") != std::string::npos);
    CHECK(error_of(document_with(good, R"({"irq_affinity":{"4294967297":{"smp_affinity":"1"}}})")) ==
          "s.json: samples[1]: irq_affinity: key \"4294967297\" is not a number from 0 to 2147483647");
    CHECK(error_of(document_with(good, R"({"tcp":{"close_wait_by_local_port":{"65536":1}}})"))
              .find("key \"65536\" is not a number from 0 to 65535") != std::string::npos);
    CHECK(error_of(document_with(good, R"({"tcp":{"close_wait_by_local_port":{"80":-1}}})"))
              .find("tcp.close_wait_by_local_port.80: -1") != std::string::npos);
    CHECK(error_of(document_with(good, R"({"irq_affinity":{"27":{"smp_affinity":"f"}}})")).empty());
    CHECK(error_of(R"({"schema":7,"samples":[]})").find("not a netdiag.collect/v1 document") != std::string::npos);
}
