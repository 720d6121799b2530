// ProxyJump hops get netdiag's SSH settings; other ProxyCommands are the user's business.
#include <catch2/catch.hpp>

#include "remote/read_script.hpp"
#include "remote/ssh_transport.hpp"

using namespace netdiag;

TEST_CASE("a ProxyJump hop uses netdiag's config, known_hosts, policy and timeout") {
    SshSettings settings;
    settings.ssh_config_file = "/tmp/lab config";
    settings.known_hosts_file = "/tmp/known_hosts";
    settings.host_key_checking = HostKeyChecking::accept_new;
    settings.connect_timeout = std::chrono::seconds(3);
    CHECK(jump_proxy_command("ssh -l ops -p 2222 -W '[%h]:%p' bastion", settings) ==
          "ssh -o BatchMode=yes -F '/tmp/lab config' -o UserKnownHostsFile='/tmp/known_hosts' "
          "-o StrictHostKeyChecking=accept-new -o ConnectTimeout=3 -l 'ops' -p '2222' -W '[%h]:%p' 'bastion'");
    settings = SshSettings{};
    CHECK(jump_proxy_command("ssh -W '[%h]:%p' bastion", settings) ==
          "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -W '[%h]:%p' 'bastion'");
}

TEST_CASE("a ProxyJump chain goes through its hops in order, each with netdiag's settings") {
    // `ProxyJump ops@a:2201,b,[fd00::7]:2203` as libssh 0.10 leaves it: a reached through b and fd00::7.
    SshSettings settings;
    settings.known_hosts_file = "/tmp/known_hosts";
    const std::string options =
        "-o BatchMode=yes -o UserKnownHostsFile='/tmp/known_hosts' -o StrictHostKeyChecking=yes -o ConnectTimeout=10";
    // OpenSSH's order: a first, then b, then fd00::7, which reaches the host. Each inner command is
    // expanded once more than the one holding it, so its % are doubled.
    const std::string first = "ssh " + options + " -l 'ops' -p '2201' -W '[%h]:%p' 'a'";
    std::string first_inside;
    for (const char c : first) first_inside += c == '%' ? std::string("%%") : std::string(1, c);
    const std::string second =
        "ssh " + options + " -o " + shell_quote("ProxyCommand=" + first_inside) + " -W '[%h]:%p' 'b'";
    CHECK(jump_proxy_command("ssh -l ops -p 2201 -W '[%h]:%p' a", settings) == first);
    CHECK(jump_proxy_command("ssh -l ops -p 2201 -J b -W '[%h]:%p' a", settings) == second);
    const auto chain = jump_proxy_command("ssh -l ops -p 2201 -J b,[fd00::7]:2203 -W '[%h]:%p' a", settings);
    std::string second_inside;
    for (const char c : second) second_inside += c == '%' ? std::string("%%") : std::string(1, c);
    CHECK(chain == "ssh " + options + " -p '2203' -o " + shell_quote("ProxyCommand=" + second_inside) +
                       " -W '[%h]:%p' 'fd00::7'");
    // A hop list libssh would not make is left alone.
    CHECK(jump_proxy_command("ssh -J [broken -W '[%h]:%p' a", settings) == "ssh -J [broken -W '[%h]:%p' a");
}

TEST_CASE("a ProxyCommand the user wrote is left alone") {
    const SshSettings settings;
    CHECK(jump_proxy_command("nc -X 5 -x proxy:1080 %h %p", settings) == "nc -X 5 -x proxy:1080 %h %p");
    CHECK(jump_proxy_command("ssh -q gw nc %h %p", settings) == "ssh -q gw nc %h %p");
}
