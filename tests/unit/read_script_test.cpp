// The remote read script, run by a real /bin/sh on a temporary tree, and its parser on cut output.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "remote/read_script.hpp"

using namespace netdiag;

namespace {

// As over SSH: the fixed command line, the script on its stdin.
std::string run_sh(const std::string& script) {
    const auto path = std::filesystem::temp_directory_path() / "netdiag-read-script-test.sh";
    std::ofstream(path) << wrap_stdin_script(script);
    std::string output;
    FILE* pipe = ::popen((script_command(std::chrono::seconds(10), false) + " <" + path.string()).c_str(), "r");
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
    CHECK(script.find("v \"$p\"") != std::string::npos);  // the shell's read, not a cat for each
    auto reads = parse_read_script_output(run_sh(script), boundary, "localhost");
    REQUIRE(reads.ok());
    REQUIRE_FALSE(reads->empty());
    for (const auto& read : *reads) {
        INFO(read.path);
        std::ifstream file(read.path);
        std::string value;
        std::getline(file, value);
        REQUIRE(read.content.has_value());
        CHECK(*read.content == value + "\n");
    }
}
