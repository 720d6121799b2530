// Ansible INI inventories, read as ansible-core's ini plugin reads them.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "remote/inventory.hpp"
#include "remote/inventory_ini.hpp"

using namespace netdiag;

namespace {

Inventory load(const std::string& text) {
    auto inventory = parse_inventory(text, "hosts", default_settings());
    INFO((inventory.ok() ? std::string() : inventory.error().message));
    REQUIRE(inventory.ok());
    return *inventory;
}

std::string error_of(const std::string& text) {
    auto inventory = parse_inventory(text, "hosts", default_settings());
    REQUIRE_FALSE(inventory.ok());
    return inventory.error().message;
}

const InventoryHost& host(const Inventory& inventory, const std::string& name) {
    for (const auto& h : inventory.hosts) {
        if (h.name == name) return h;
    }
    FAIL("no host " << name);
    throw;
}

std::vector<std::string> names(const Inventory& inventory) {
    std::vector<std::string> out;
    for (const auto& h : inventory.hosts) out.push_back(h.name);
    return out;
}

bool in_group(const InventoryHost& h, const std::string& group) {
    return std::find(h.groups.begin(), h.groups.end(), group) != h.groups.end();
}

}  // namespace

TEST_CASE("INI or YAML is decided by content", "[inventory][ini]") {
    CHECK(looks_like_ini("[web]\nweb1\n"));
    CHECK(looks_like_ini("# fleet\n; more\n\nweb1 ansible_host=10.0.0.5\n"));
    CHECK(looks_like_ini("web1\n"));
    CHECK(looks_like_ini("web1:2222\n"));
    CHECK(looks_like_ini("web1 note=\"a: b\"\n"));
    CHECK(looks_like_ini("[bad section]\n"));
    CHECK_FALSE(looks_like_ini("all:\n  hosts:\n    web1:\n"));
    CHECK_FALSE(looks_like_ini("# c\nweb:\n  hosts: {a: }\n"));
    CHECK_FALSE(looks_like_ini("---\nall:\n"));
    CHECK_FALSE(looks_like_ini("web: {hosts: {a: null}}\n"));
    CHECK_FALSE(looks_like_ini(""));
    // YAML inventories keep loading through the same entry point.
    CHECK(names(load("all:\n  hosts:\n    a:\n    b:\n")) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("INI hosts, groups, children and vars", "[inventory][ini]") {
    const auto inventory = load(R"(# hosts before any section are ungrouped
lone ansible_host=192.0.2.1

[web]
web1 ansible_host=10.0.0.5 ansible_port=2222
web2:2200 ansible_user=deploy   # trailing comment
web3

[db]
db1 ansible_ssh_host=10.0.1.1 ansible_ssh_port=2022 ansible_ssh_user=pg
web3

[prod:children]
web
db   # a comment

[prod:vars]
ansible_user=ops
ansible_port=22

[web:vars]
ansible_user = webops

[all:vars]
ansible_ssh_private_key_file=~/.ssh/fleet
)");
    CHECK(names(inventory) == std::vector<std::string>{"lone", "web1", "web2", "web3", "db1"});
    const auto& lone = host(inventory, "lone");
    CHECK(lone.address == "192.0.2.1");
    CHECK(lone.groups == std::vector<std::string>{"all", "ungrouped"});
    CHECK(lone.identity_file == "~/.ssh/fleet");
    CHECK_FALSE(lone.port.has_value());

    const auto& web1 = host(inventory, "web1");
    CHECK(web1.address == "10.0.0.5");
    CHECK(web1.port == 2222);                   // host var beats [prod:vars]
    CHECK(web1.user == "webops");               // [web:vars] (deeper) beats [prod:vars]
    CHECK(web1.groups == std::vector<std::string>{"all", "prod", "web"});

    const auto& web2 = host(inventory, "web2");
    CHECK(web2.address == "web2");
    CHECK(web2.port == 2200);                   // host:port beats group vars
    CHECK(web2.user == "deploy");

    const auto& web3 = host(inventory, "web3");  // in two groups: one host
    CHECK(web3.groups == std::vector<std::string>{"all", "db", "prod", "web"});
    CHECK(web3.port == 22);

    const auto& db1 = host(inventory, "db1");   // Ansible's older ansible_ssh_* names
    CHECK(db1.address == "10.0.1.1");
    CHECK(db1.port == 2022);
    CHECK(db1.user == "pg");
    CHECK(db1.identity_file == "~/.ssh/fleet");

    // --limit sees INI groups as it sees YAML ones.
    CHECK(names(*limit_inventory(inventory, "prod:!db")) == std::vector<std::string>{"web1", "web2"});
}

TEST_CASE("INI ranges, quoting and addresses", "[inventory][ini]") {
    const auto inventory = load(R"([web]
web[01:03] ansible_user="deploy user"
db-[a:c]
x[1:10:4]
quoted ansible_host='10.0.0.9' ansible_user=a\ b
[v6]
[2001:db8::1]:2222
2001:db8::2
host.example.com:22
[v6:vars]
ansible_user="ops"
)");
    CHECK(names(inventory) == std::vector<std::string>{"web01", "web02", "web03", "db-a", "db-b", "db-c", "x1", "x5",
                                                       "x9", "quoted", "2001:db8::1", "2001:db8::2",
                                                       "host.example.com"});
    CHECK(host(inventory, "web02").user == "deploy user");
    CHECK(host(inventory, "quoted").address == "10.0.0.9");
    CHECK(host(inventory, "quoted").user == "a b");
    CHECK(host(inventory, "2001:db8::1").port == 2222);
    CHECK(host(inventory, "2001:db8::1").user == "ops");  // quotes come off vars values too
    CHECK_FALSE(host(inventory, "2001:db8::2").port.has_value());
    CHECK(host(inventory, "host.example.com").port == 22);
}

TEST_CASE("INI variable precedence follows group depth, then the host", "[inventory][ini]") {
    // Sections in an order that goes against depth: the deepest group's vars still win.
    const auto inventory = load(R"([leaf:vars]
ansible_user=leaf
[all:vars]
ansible_user=all
ansible_port=1000
[top:vars]
ansible_user=top
ansible_port=2000
[top:children]
mid
[mid:children]
leaf
[leaf]
h1
h2 ansible_user=own
[ungrouped]
u1
)");
    CHECK(host(inventory, "h1").user == "leaf");
    CHECK(host(inventory, "h1").port == 2000);
    CHECK(host(inventory, "h2").user == "own");
    CHECK(host(inventory, "u1").user == "all");
    CHECK(host(inventory, "h1").groups == std::vector<std::string>{"all", "leaf", "mid", "top"});
}

TEST_CASE("INI host vars merge over lines; ungrouped keeps only hosts in no other group", "[inventory][ini]") {
    const auto inventory = load(R"(a ansible_user=first
[g]
a ansible_port=2200
[h]
a ansible_user=last
)");
    const auto& a = host(inventory, "a");
    CHECK(a.user == "last");
    CHECK(a.port == 2200);
    CHECK(a.groups == std::vector<std::string>{"all", "g", "h"});
    CHECK_FALSE(in_group(a, "ungrouped"));
}

TEST_CASE("INI [all] hosts, child declared later, netdiag vars ignored", "[inventory][ini]") {
    const auto inventory = load(R"([parent:children]
child
[child]
c1 netdiag=whatever
[all]
direct
)");
    CHECK(host(inventory, "c1").groups == std::vector<std::string>{"all", "child", "parent"});
    CHECK(host(inventory, "direct").groups == std::vector<std::string>{"all"});
}

TEST_CASE("malformed INI lines name the file and line", "[inventory][ini]") {
    CHECK(error_of("[web]\nweb1 ansible_user\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1 ansible_user\n").find("key=value") != std::string::npos);
    CHECK(error_of("[web]\nweb1 a=\"open\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\n[web:hostz]\nweb1\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1\n[web:vars]\nnot an assignment\n").rfind("hosts:4: ", 0) == 0);
    CHECK(error_of("[web]\nweb1\n[web:children]\nbad group\n").rfind("hosts:4: ", 0) == 0);
    CHECK(error_of("[web]\nweb1\n[web two]\n").rfind("hosts:3: ", 0) == 0);
    CHECK(error_of("[web]\nweb1\n[fe80::3]\n").rfind("hosts:3: ", 0) == 0);  // as Ansible: a bad section
    CHECK(error_of("[web]\nweb[01:x]\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb[1:99999999]\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1:99999\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1:\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1 ansible_port=http\n").rfind("hosts:2: ", 0) == 0);
    CHECK(error_of("[web]\nweb1 ansible_host={{ inventory_hostname }}.x\n").find("Jinja") != std::string::npos);
    CHECK(error_of("[web]\nweb1\n[web:vars]\nansible_port=0\n").rfind("hosts:4: ", 0) == 0);
    // [g:vars] for a group never declared; a child never declared.
    CHECK(error_of("[web]\nweb1\n[nope:vars]\nx=1\n").rfind("hosts:3: ", 0) == 0);
    CHECK(error_of("[web]\nweb1\n[p:children]\nghost\n").rfind("hosts:4: ", 0) == 0);
    CHECK(error_of("[web]\n# nothing\n").find("no hosts") != std::string::npos);
    CHECK(error_of("[a:children]\nb\n[b:children]\na\n[a]\nh\n").find("cycle") != std::string::npos);
}

TEST_CASE("an INI range of the whole host cap loads in linear time", "[inventory][ini]") {
    // One line of 19 bytes names 100,000 hosts; each must not be looked up among the others.
    const auto inventory = parse_inventory("[web]\nh[0:99999]\n", "hosts", default_settings());
    REQUIRE(inventory.ok());
    CHECK(inventory->hosts.size() == 100000);
    CHECK(inventory->hosts.back().name == "h99999");
    CHECK(inventory->hosts.front().settings == inventory->hosts.back().settings);
    CHECK(error_of("[web]\nh[0:99999]\n[db]\ndb1\n") == "hosts:4: the inventory holds more than 100000 hosts");
}

TEST_CASE("INI groups chained past the nesting cap are refused, not recursed into", "[inventory][ini]") {
    // Groups each the child of the one before (200,000 overflowed the stack once): the 64-level cap.
    const auto chain = [](int length) {
        std::string text;
        for (int i = 0; i < length; ++i) text += fmt::format("[g{}:children]\ng{}\n", i, i + 1);
        return text + fmt::format("[g{}]\nh1\n", length);
    };
    // The line named is a link of the chain that is too deep: g65 under g64 when the groups are
    // reached from the top; from g100 down, the link 65 below it (g35 under g34).
    CHECK(error_of(chain(5000)) == "hosts:70: groups nest deeper than 64 levels");
    CHECK(error_of(chain(70)) == "hosts:130: groups nest deeper than 64 levels");
    const auto deepest = parse_inventory(chain(64), "hosts", default_settings());
    REQUIRE(deepest.ok());
    CHECK(deepest->hosts.front().groups.size() == 66);  // all, g0 .. g64
    // As in YAML, the link of the cycle written last is blamed, on its line.
    CHECK(error_of("[a:children]\nb\n[b:children]\na\n[a]\nh1\n") == "hosts:4: group \"a\" under \"b\" makes a cycle of groups");
    CHECK(error_of("[a]\nh1\n[b:children]\nc\n[c:children]\na\n[a:children]\nb\n") ==
          "hosts:8: group \"b\" under \"a\" makes a cycle of groups");
}

TEST_CASE("INI lines may use tabs and CRLF", "[inventory][ini]") {
    const auto inventory = load("[web]\r\nweb1\tansible_port=2222\r\n[web:vars]\r\nansible_user=ops\r\n");
    CHECK(host(inventory, "web1").port == 2222);
    CHECK(host(inventory, "web1").user == "ops");
}
