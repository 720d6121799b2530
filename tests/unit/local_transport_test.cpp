// Writes into a captured tree stay inside it, whatever symlinks the copy holds.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "remote/local_transport.hpp"

using namespace netdiag;

namespace {

std::filesystem::path fresh_directory(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / ("netdiag-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("a write through a symlink out of the tree is refused") {
    const auto base = fresh_directory("escape");
    const auto outside = base / "outside";
    const auto tree = base / "tree";
    std::filesystem::create_directories(outside);
    std::filesystem::create_directories(tree / "proc/sys/net/core");
    std::filesystem::create_directory_symlink(outside, tree / "etc");
    std::ofstream(outside / "victim") << "precious\n";
    std::filesystem::create_symlink(outside / "victim", tree / "proc/sys/net/core/netdev_max_backlog");

    LocalTransport host(tree.string());
    const auto through_directory = host.write_file("/etc/sysctl.d/60-netdiag-softnet-backlog.conf", "x\n");
    REQUIRE_FALSE(through_directory);
    CHECK(through_directory.error().message.find("leads out of") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(outside / "sysctl.d"));

    const auto through_file = host.write_file("/proc/sys/net/core/netdev_max_backlog", "2000\n");
    CHECK_FALSE(through_file);
    CHECK_FALSE(host.remove_file("/etc/victim"));
    std::ifstream victim(outside / "victim");
    std::string text;
    std::getline(victim, text);
    CHECK(text == "precious");

    std::filesystem::create_directories(tree / "var/lib");
    CHECK(host.write_file("/var/lib/netdiag/journal/j.json", "{}\n"));
    CHECK(std::filesystem::exists(tree / "var/lib/netdiag/journal/j.json"));
    std::filesystem::remove_all(base);
}
