// ProxyJump hops get netdiag's SSH settings; other ProxyCommands are the user's business.
#include <catch2/catch.hpp>

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
          "-o StrictHostKeyChecking=accept-new -o ConnectTimeout=3 -l ops -p 2222 -W '[%h]:%p' bastion");
    settings = SshSettings{};
    CHECK(jump_proxy_command("ssh -W '[%h]:%p' bastion", settings) ==
          "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -W '[%h]:%p' bastion");
}

TEST_CASE("a ProxyCommand the user wrote is left alone") {
    const SshSettings settings;
    CHECK(jump_proxy_command("nc -X 5 -x proxy:1080 %h %p", settings) == "nc -X 5 -x proxy:1080 %h %p");
    CHECK(jump_proxy_command("ssh -q gw nc %h %p", settings) == "ssh -q gw nc %h %p");
}
