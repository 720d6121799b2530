// The remote read script, run by a real /bin/sh on a temporary tree, and its parser on cut output.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "collect/parsers.hpp"
#include "remote/read_script.hpp"
#include "test_files.hpp"

using namespace netdiag;

namespace {

// As over SSH: the fixed command line, the script on its stdin (after `environment`, if any).
std::string run_sh(const std::string& script, bool buffered = false, const std::string& environment = "") {
    const auto path = std::filesystem::temp_directory_path() / "netdiag-read-script-test.sh";
    std::ofstream(path) << (buffered ? wrap_buffered_stdin_script(script) : wrap_stdin_script(script));
    std::string output;
    FILE* pipe =
        ::popen((environment + script_command(std::chrono::seconds(10), false) + " <" + path.string()).c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, got);
    ::pclose(pipe);
    std::filesystem::remove(path);
    return output;
}

const FileRead* find(const std::vector<FileRead>& reads, const std::string& path) {
    for (const auto& read : reads) {
        if (read.path == path) return &read;
    }
    return nullptr;
}

// Each read holds its one-value file as the kernel has it: the first line, whole.
void check_reads_hold_first_lines(const std::vector<FileRead>& reads) {
    for (const auto& read : reads) {
        INFO(read.path);
        std::ifstream file(read.path);
        std::string value;
        std::getline(file, value);
        REQUIRE(read.content.has_value());
        CHECK(*read.content == value + "\n");
    }
}

}  // namespace

TEST_CASE("the read script returns files, one-value files, links and missing paths in one run", "[remote]") {
    const auto root = std::filesystem::temp_directory_path() / "netdiag-read-script-tree";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "proc/net");
    std::filesystem::create_directories(root / "sys/class/net/eth0");
    std::filesystem::create_directories(root / "sys/devices/x");
    std::ofstream(root / "proc/net/dev") << "line one\nline two without newline";
    std::ofstream(root / "sys/class/net/eth0/speed") << "10000\n";
    std::ofstream(root / "sys/class/net/eth0/operstate") << "up";  // no final newline
    std::ofstream(root / "proc/net/empty") << "";
    std::filesystem::create_directory_symlink("../../../devices/x", root / "sys/class/net/eth0/device");
    const std::string r = root.string();

    ReadRequest request;
    request.files = {r + "/proc/net/dev", r + "/proc/net/empty", r + "/proc/net/missing",
                     r + "/sys/class/net/*/speed", r + "/sys/class/net/*/operstate", r + "/sys/class/net/*/nothing", "/proc/sys/net/ipv4/ip_local_port_range"};
    request.links = {r + "/sys/class/net/*/device"};
    const std::string boundary = "ND7f3a9c";
    auto reads = parse_read_script_output(run_sh(make_read_script(request, boundary)), boundary, "web1");
    REQUIRE(reads.ok());

    const auto* dev = find(*reads, r + "/proc/net/dev");
    REQUIRE(dev);
    CHECK(dev->content == "line one\nline two without newline");
    REQUIRE(find(*reads, r + "/proc/net/empty"));
    CHECK(find(*reads, r + "/proc/net/empty")->content == "");
    const auto* missing = find(*reads, r + "/proc/net/missing");
    REQUIRE(missing);
    CHECK_FALSE(missing->content.has_value());
    CHECK(missing->error == "missing");
    CHECK(find(*reads, r + "/sys/class/net/eth0/speed")->content == "10000\n");
    CHECK(find(*reads, r + "/sys/class/net/eth0/operstate")->content == "up");
    // A sysctl whose handler answers reads past offset 0 with end of file comes back whole.
    REQUIRE(find(*reads, "/proc/sys/net/ipv4/ip_local_port_range"));
    std::ifstream sysctl("/proc/sys/net/ipv4/ip_local_port_range");
    std::string range;
    std::getline(sysctl, range);
    CHECK(find(*reads, "/proc/sys/net/ipv4/ip_local_port_range")->content == range + "\n");
    CHECK_FALSE(find(*reads, r + "/sys/class/net/eth0/nothing"));  // a wildcard matching nothing gives nothing
    const auto* link = find(*reads, r + "/sys/class/net/eth0/device");
    REQUIRE(link);
    CHECK(link->is_link);
    CHECK(link->content == "../../../devices/x");
    std::filesystem::remove_all(root);
}

TEST_CASE("read script output cut short or unframed is an error naming the host", "[remote]") {
    const std::string b = "ND1";
    CHECK(parse_read_script_output("sh: not found\n", b, "web1").error().message ==
          "web1: the remote shell printed no netdiag frames (is /bin/sh there?)");
    const std::string whole = "\nND1 F /proc/net/dev\nabc\nND1 S 0\n\nND1 F /proc/stat\nxyz\nND1 S 0\n\nND1 E\n";
    auto complete = parse_read_script_output(whole, b, "web1");
    REQUIRE(complete.ok());
    CHECK(complete->size() == 2);
    CHECK(complete->at(0).content == "abc");
    for (std::size_t cut = 1; cut < whole.size() - 1; ++cut) {
        auto partial = parse_read_script_output(whole.substr(0, cut), b, "web1");
        CHECK_FALSE(partial.ok());
    }
    CHECK(parse_read_script_output("\nND1 X /p\n", b, "web1").error().message ==
          "web1: unexpected frame \"X\" in the remote output");
    // A file whose content mimics a frame with another boundary cannot end the read.
    auto fake = parse_read_script_output("\nND1 F /a\n\nND9 E\n\nND1 S 0\n\nND1 E\n", b, "h");
    REQUIRE(fake.ok());
    CHECK(fake->at(0).content == "\nND9 E\n");
}

TEST_CASE("one-value files under many directories come back a short line each, per directory", "[remote]") {
    // Read-only, on this host's /sys and /proc/irq: what the script returns equals what the files hold.
    ReadRequest request;
    request.files = {"/sys/class/net/*/mtu", "/sys/class/net/*/queues/rx-*/rps_cpus", "/sys/class/net/*/none",
                     "/proc/irq/*/smp_affinity"};
    const std::string boundary = "ND4";
    const auto script = make_read_script(request, boundary);
    CHECK(script.find("/sys/class/net/*/mtu") == std::string::npos);  // grouped per directory, not a glob per file
    const auto output = run_sh(script);
    auto reads = parse_read_script_output(output, boundary, "web1");
    REQUIRE(reads.ok());
    CHECK(find(*reads, "/sys/class/net/lo/mtu"));
    CHECK_FALSE(find(*reads, "/sys/class/net/lo/none"));
    check_reads_hold_first_lines(*reads);
    // A frame per directory and a line per file: far less than a frame per file.
    CHECK(output.size() < reads->size() * 48 + 2000);

    // What a host sends that no directory frame can hold is an error naming the host.
    const auto error = [](std::string_view text) {
        auto parsed = parse_read_script_output(text, "ND4", "web1");
        return parsed.ok() ? std::string() : parsed.error().message;
    };
    auto parsed = parse_read_script_output("\nND4 D /d/\ntwo 0 first\ntwo 0 \ntwo 0 ND4 E\nempty 1\nx 0 \n\nND4 E\n", "ND4", "h");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->size() == 3);
    CHECK(parsed->at(0).path == "/d/two");
    CHECK(parsed->at(0).content == "first\n\nND4 E\n");
    CHECK(parsed->at(1).error == "unreadable");
    CHECK(parsed->at(2).content == "\n");
    CHECK(error("\nND4 D /d/\nmtu 0 1500\nmtu 1\n\nND4 E\n").empty());
    CHECK(error("\nND4 D /d/\nmtu 2 1500\n\nND4 E\n") == "web1: a bad line in the remote output for /d/");
    CHECK(error("\nND4 D /d/\n/etc/x 0 1\n\nND4 E\n") == "web1: a bad line in the remote output for /d/");
    CHECK(error("\nND4 D /d/\nmtu 1 x\n\nND4 E\n") == "web1: a bad line in the remote output for /d/");
    CHECK(error("\nND4 D /d\nmtu 0 1\n\nND4 E\n") == "web1: a directory frame in the remote output for /d");
    CHECK(error("\nND4 D /d/\nmtu 0 1\n") == "web1: the remote output was cut short after 0 file(s)");
}

TEST_CASE("a sample's output is gathered into large writes by dd, or sent plain without it", "[remote]") {
    ReadRequest request;
    request.files = {"/proc/net/dev", "/sys/class/net/*/mtu", "/proc/irq/*/smp_affinity", "/proc/nothing"};
    const std::string boundary = "ND6";
    const auto script = make_read_script(request, boundary);
    const auto plain = parse_read_script_output(run_sh(script), boundary, "h");
    const auto buffered = parse_read_script_output(run_sh(script, true), boundary, "h");
    REQUIRE(plain.ok());
    REQUIRE(buffered.ok());
    CHECK(buffered->size() == plain->size());
    CHECK(find(*buffered, "/sys/class/net/lo/mtu")->content == find(*plain, "/sys/class/net/lo/mtu")->content);
    CHECK(find(*buffered, "/proc/nothing")->error == "missing");

    // A PATH with the tools the script needs but no dd.
    test::Scratch bin;
    for (const std::string tool : {"timeout", "cat", "readlink"}) {
        const auto found = std::filesystem::exists("/usr/bin/" + tool) ? "/usr/bin/" + tool : "/bin/" + tool;
        std::filesystem::create_symlink(found, bin.path / tool);
    }
    const auto without_dd =
        parse_read_script_output(run_sh(script, true, "PATH=" + bin.path.string() + " "), boundary, "h");
    REQUIRE(without_dd.ok());
    CHECK(without_dd->size() == plain->size());
    CHECK(find(*without_dd, "/proc/net/dev")->content.has_value());
}

TEST_CASE("journals and debugfs are read through sudo by a login that is not root", "[remote]") {
    CHECK(read_needs_root("/var/lib/netdiag/journal/20261203T070000Z-1.json"));
    CHECK(read_needs_root("/sys/kernel/debug/irq/irqs/30"));  // which IRQs the kernel manages
    CHECK_FALSE(read_needs_root("/proc/irq/30/smp_affinity"));
    CHECK_FALSE(read_needs_root("/sys/kernel/debugfs-lookalike"));
}

TEST_CASE("shell quoting", "[remote]") {
    CHECK(shell_quote("plain") == "'plain'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("*") == "'*'");
}

TEST_CASE("every interface's rp_filter is read by the shell itself, whole, as the kernel has it", "[remote]") {
    // Read-only, on this host's /proc/sys: what the script returns equals what the files hold.
    ReadRequest request;
    request.files = {"/proc/sys/net/ipv4/conf/*/rp_filter"};
    const std::string boundary = "NETDIAG-rp";
    const auto script = make_read_script(request, boundary);
    CHECK(script.find("w 'rp_filter'") != std::string::npos);  // the shell's read, not a cat for each
    auto reads = parse_read_script_output(run_sh(script), boundary, "localhost");
    REQUIRE(reads.ok());
    REQUIRE_FALSE(reads->empty());
    check_reads_hold_first_lines(*reads);
}

namespace {

template <class T>
std::string error_of(const Result<T>& result) {
    return result.ok() ? std::string() : result.error().message;
}

std::string sh_output(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, got);
    ::pclose(pipe);
    return output;
}

void check_same_sockets(const TcpSockets& summary, const TcpSockets& files) {
    CHECK(summary.states == files.states);
    CHECK(summary.close_wait_by_local_port == files.close_wait_by_local_port);
    CHECK(summary.time_wait_by_remote_port == files.time_wait_by_remote_port);
    CHECK(summary.syn_recv_by_local_port == files.syn_recv_by_local_port);
    REQUIRE(summary.listeners.size() == files.listeners.size());
    for (const auto& [port, listener] : files.listeners) {
        INFO("port " << port);
        REQUIRE(summary.listeners.count(port) == 1);
        CHECK(summary.listeners.at(port).queued == listener.queued);
        CHECK(summary.listeners.at(port).backlog == listener.backlog);
    }
}

}  // namespace

TEST_CASE("the host's awk summary of the TCP tables counts what the files hold", "[remote]") {
    const auto dir = std::filesystem::temp_directory_path() / "netdiag-tcp-summary";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    // A captured table, and a busy host's: 30,000 sockets in every state, IPv4 and IPv6, listeners
    // on one port in both families with different queues, queues past 16 bits.
    const std::string captured = std::string(NETDIAG_FIXTURES) + "/linux-6.18-firecracker-virtio-2cpu/proc/net/tcp";
    std::string tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    std::string tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    for (int i = 0; i < 30'000; ++i) {
        const unsigned state = 1 + static_cast<unsigned>(i % 12);
        const int local = state == 10 ? 8000 + i % 7 : 1024 + (i * 7919) % 60000;
        const int remote = state == 10 ? 0 : 443 + i % 50;
        const unsigned queue = state == 10 ? static_cast<unsigned>((i * 37) % 200000) : 0;
        const auto line = [&](std::string_view local_address, std::string_view remote_address) {
            return fmt::format("{:4}: {}:{:04X} {}:{:04X} {:02X} 00000000:{:08X} 00:00000000 00000000     0        0 {} 1 0\n",
                               i, local_address, local, remote_address, remote, state, queue, 100000 + i);
        };
        if (i % 3 == 0) {
            tcp6 += line("00000000000000000000000001000000", "0000000000000000FFFF00000100007F");
        } else {
            tcp += line("0100007F", "0200007F");
        }
    }
    std::ofstream(dir / "tcp") << tcp;
    std::ofstream(dir / "tcp6") << tcp6;
    const std::vector<std::string> tables = {captured, (dir / "tcp").string(), (dir / "tcp6").string()};

    const auto summary_text = sh_output(make_tcp_summary_script(tables));
    CHECK(summary_text.size() < tcp.size() / 10);
    auto summary = parse_tcp_summary(summary_text, "tcp-summary");
    INFO(error_of(summary));
    REQUIRE(summary.ok());
    TcpSockets files;
    for (const auto& table : tables) {
        std::ifstream in(table);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto parsed = parse_proc_net_tcp(text, table);
        REQUIRE(parsed.ok());
        merge_tcp(files, *parsed);
    }
    REQUIRE(files.states.size() == 12);
    check_same_sockets(*summary, files);

    // A line that is not a socket: the host says where, and the summary is an error there.
    std::ofstream(dir / "tcp", std::ios::app) << "   9: garbage\n";
    const auto broken = parse_tcp_summary(sh_output(make_tcp_summary_script({(dir / "tcp").string()})), "tcp-summary");
    CHECK_THAT(error_of(broken), Catch::Contains("the host could not read") && Catch::Contains("/tcp:" + std::to_string(1 + 20'000 + 1) + ": truncated socket line"));
    std::filesystem::remove_all(dir);

    // Garbage from a hostile host is refused line by line.
    CHECK(error_of(parse_tcp_summary("S 0D 1\n", "s")) == "s:1: bad state \"0D\"");
    CHECK(error_of(parse_tcp_summary("C 10000 1\n", "s")) == "s:1: port \"10000\" is out of range");
    CHECK(error_of(parse_tcp_summary("Q 1 1\n", "s")) == "s:1: unknown line kind \"Q\"");
    CHECK(error_of(parse_tcp_summary("S 0A\n", "s")) == "s:1: expected \"KIND KEY VALUE\", found \"S 0A\"");
}

TEST_CASE("over SSH the TCP tables come back as the host's summary, never whole", "[remote]") {
    ReadRequest request;
    request.files = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/sockstat"};
    request.tcp_summary = true;
    const std::string boundary = "ND5e1b0d";
    auto reads = parse_read_script_output(run_sh(make_read_script(request, boundary)), boundary, "web1");
    REQUIRE(reads.ok());
    CHECK_FALSE(find(*reads, "/proc/net/tcp"));
    CHECK_FALSE(find(*reads, "/proc/net/tcp6"));
    const auto* summary = find(*reads, std::string(kTcpSummaryPath));
    REQUIRE(summary);
    REQUIRE(summary->content);
    auto parsed = parse_tcp_summary(*summary->content, "tcp-summary");
    INFO(error_of(parsed));
    CHECK(parsed.ok());
    CHECK(find(*reads, "/proc/net/sockstat"));
}
