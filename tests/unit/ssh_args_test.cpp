// ansible_ssh_common_args / ansible_ssh_extra_args as operators write them.
#include <catch2/catch.hpp>

#include "remote/inventory.hpp"
#include "remote/ssh_args.hpp"

using namespace netdiag;

TEST_CASE("the options netdiag takes, the first value winning as in OpenSSH", "[ssh-args]") {
    auto args = parse_ssh_args("-o ProxyJump=jump@bastion:2222 -o Port=2200 -o 'User ops' -o StrictHostKeyChecking=no "
                               "-o ControlMaster=auto -o ControlPersist=60s -C -o Port=9");
    REQUIRE(args.ok());
    CHECK(args->proxy_jump == "jump@bastion:2222");
    CHECK(args->port == 2200);
    CHECK(args->user == "ops");
    CHECK(args->strict_host_key_checking == "off");
    CHECK(args->ignored == std::vector<std::string>{"-o ControlMaster=auto", "-o ControlPersist=60s", "-C"});

    auto short_flags = parse_ssh_args("-J b1,b2 -p2222 -l sre -i /keys/fleet -oStrictHostKeyChecking=accept-new");
    REQUIRE(short_flags.ok());
    CHECK(short_flags->proxy_jump == "b1,b2");
    CHECK(short_flags->port == 2222);
    CHECK(short_flags->user == "sre");
    CHECK(short_flags->identity_file == "/keys/fleet");
    CHECK(short_flags->strict_host_key_checking == "accept-new");

    // Extra args after common args: what the common args set first stays.
    auto extra = parse_ssh_args("-o ProxyJump=other -o User=extra", *short_flags);
    REQUIRE(extra.ok());
    CHECK(extra->proxy_jump == "b1,b2");
    CHECK(extra->user == "sre");

    CHECK(parse_ssh_args("-o Port=0").error().message == "-o Port=0: the port must be 1-65535");
    CHECK(parse_ssh_args("-J").error().message == "-J needs a value");
    CHECK(parse_ssh_args("-o StrictHostKeyChecking=maybe").error().message ==
          "-o StrictHostKeyChecking=maybe: StrictHostKeyChecking is yes, accept-new, no, off or ask");
    CHECK(parse_ssh_args("-o Compression").error().message == "-o Compression: expected -o Key=Value");
}

TEST_CASE("inventory ssh args and become, with Ansible's precedence", "[ssh-args][inventory]") {
    auto parsed = parse_inventory(R"([web]
web1 ansible_port=22
web2 ansible_ssh_extra_args="-o User=extra -J other"
[web:vars]
ansible_ssh_common_args='-o ProxyJump=ops@bastion -o Port=2200 -o User=common -o ControlMaster=auto'
ansible_become=yes
ansible_become_user=root
[db]
db1 ansible_become=false ansible_become_method=su
)",
                                  "hosts", default_settings());
    INFO((parsed.ok() ? "" : parsed.error().message));
    REQUIRE(parsed.ok());
    const auto& web1 = parsed->hosts[0];
    CHECK(web1.proxy_jump == "ops@bastion");
    CHECK(web1.port == 22);  // the inventory's own port comes first on ssh's command line, and wins
    CHECK(web1.user == "common");
    CHECK(web1.ignored_ssh_args == std::vector<std::string>{"-o ControlMaster=auto"});
    CHECK(web1.become == true);
    CHECK(web1.become_user == "root");
    const auto& web2 = parsed->hosts[1];
    CHECK(web2.proxy_jump == "ops@bastion");  // common before extra
    CHECK(web2.port == 2200);
    CHECK(web2.user == "common");
    const auto& db1 = parsed->hosts[2];
    CHECK(db1.become == false);
    CHECK(db1.become_method == "su");
    CHECK_FALSE(db1.proxy_jump.has_value());

    auto bad = parse_inventory("[web]\nweb1 ansible_ssh_common_args=\"-o 'open\"\n", "hosts", default_settings());
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message == "hosts:2: ansible_ssh_common_args: unbalanced ' quote");
    auto bad_become = parse_inventory("[web]\nweb1 ansible_become=maybe\n", "hosts", default_settings());
    REQUIRE_FALSE(bad_become.ok());
    CHECK(bad_become.error().message == "hosts:2: ansible_become must be a boolean (yes, no, true, false)");
}
