// Inventories as users write them: netdiag's example, Ansible's YAML, pdsh host lists, --limit.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "remote/inventory.hpp"

using namespace netdiag;

namespace {

Inventory load(const std::string& yaml) {
    auto inventory = parse_inventory(yaml, "inv.yaml", default_settings());
    INFO((inventory.ok() ? std::string() : inventory.error().message));
    REQUIRE(inventory.ok());
    return *inventory;
}

std::string error_of(const std::string& yaml) {
    auto inventory = parse_inventory(yaml, "inv.yaml", default_settings());
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

}  // namespace

TEST_CASE("the example inventory loads with its variables layered", "[inventory]") {
    std::ifstream in(std::string(NETDIAG_SOURCE_DIR) + "/inventory.example.yaml");
    std::stringstream text;
    text << in.rdbuf();
    auto inventory = parse_inventory(text.str(), "inventory.example.yaml", default_settings());
    REQUIRE(inventory.ok());
    CHECK(names(*inventory) ==
          std::vector<std::string>{"web01", "web02", "web03", "web04", "web-canary", "db1", "db2", "lba", "lbb"});
    const auto& canary = host(*inventory, "web-canary");
    CHECK(canary.address == "10.0.0.9");
    CHECK(canary.port == 2222);
    CHECK(canary.user == "sre");
    CHECK(canary.settings.speeds_mbps.at("eth0") == 10000);
    CHECK(canary.settings.threshold("rx-drops.warning") == 50);
    CHECK(canary.settings.is_virtual("cali123"));
    const auto& db1 = host(*inventory, "db1");
    CHECK(db1.identity_file == "~/.ssh/db_ed25519");
    CHECK(db1.settings.threshold("conntrack-fill.warning") == 70);
    CHECK(db1.settings.threshold("rx-drops.warning") == 50);       // from all
    CHECK(host(*inventory, "db2").settings.threshold("conntrack-fill.warning") == 80);  // the default
    CHECK(host(*inventory, "lba").user == "ops");
    CHECK(host(*inventory, "lba").groups == std::vector<std::string>{"all", "edge", "lb"});
    CHECK(host(*inventory, "web01").address == "web01");
}

TEST_CASE("an Ansible YAML inventory loads as it is", "[inventory]") {
    const auto inventory = load(R"(all:
  hosts:
    mail.example.com:
  children:
    webservers:
      hosts:
        foo.example.com:
        www[01:50:2].example.com:
      vars:
        ansible_user: deploy
        http_port: 80
    dbservers:
      hosts:
        one.example.com:
          ansible_host: 192.0.2.50
          ansible_port: 5555
        foo.example.com:
    prod:
      children:
        webservers:
        dbservers:
      vars:
        ansible_user: produser
)");
    CHECK(inventory.hosts.size() == 1 + 1 + 25 + 1);
    CHECK(host(inventory, "www49.example.com").address == "www49.example.com");
    const auto& one = host(inventory, "one.example.com");
    CHECK(one.address == "192.0.2.50");
    CHECK(one.port == 5555);
    CHECK(one.user == "produser");
    // A child group's vars beat its parent's: webservers (depth 2 under prod) over prod.
    CHECK(host(inventory, "foo.example.com").user == "deploy");
    CHECK(host(inventory, "foo.example.com").groups ==
          std::vector<std::string>{"all", "dbservers", "prod", "webservers"});
}

TEST_CASE("host variables beat group variables", "[inventory]") {
    const auto inventory = load(R"(web:
  vars: {port: 2200, netdiag: {thresholds: {close-wait.warning: 10}}}
  hosts:
    a:
    b: {port: 22, netdiag: {thresholds: {close-wait.warning: 5}}}
)");
    CHECK(host(inventory, "a").port == 2200);
    CHECK(host(inventory, "b").port == 22);
    CHECK(host(inventory, "a").settings.threshold("close-wait.warning") == 10);
    CHECK(host(inventory, "b").settings.threshold("close-wait.warning") == 5);
}

TEST_CASE("inventory errors name the file and line", "[inventory]") {
    CHECK(error_of("all:\n  hosts:\n    a:\n    b:\n    a:\n") == "inv.yaml:5: host \"a\" appears twice in group \"all\"");
    CHECK(error_of("all:\n  hosts:\n    web[01:03]:\n    web02:\n") ==
          "inv.yaml:4: host \"web02\" appears twice in group \"all\"");
    CHECK(error_of("all:\n  hosts:\n    \"\":\n") == "inv.yaml:3: empty host name");
    CHECK(error_of("all:\n  hosts:\n    web[05:01]:\n") == "inv.yaml:3: host \"web[05:01]\": bad range \"[05:01]\"");
    CHECK(error_of("all:\n  hosts:\n    web[01:\n") == "inv.yaml:3: host \"web[01\": unbalanced '['");
    CHECK(error_of("all:\n  hosts:\n    a: {port: 70000}\n") == "inv.yaml:3: port must be a port number 1-65535");
    CHECK(error_of("all:\n  hosts:\n    a:\n      netdiag:\n        thresholds: {nope.warning: 1}\n") ==
          "inv.yaml:5: unknown threshold \"nope.warning\" (see `netdiag checks` for the names)");
    CHECK(error_of("all:\n  hosts: [a, b]\n") == "inv.yaml:2: hosts must be a mapping of host names");
    CHECK(error_of("all:\n  host:\n    a:\n") ==
          "inv.yaml:2: unknown key \"host\" in group \"all\" (expected hosts, children, vars)");
    CHECK(error_of("all:\n  children:\n    web:\n") == "inv.yaml: the inventory has no hosts");
    CHECK(error_of("") == "inv.yaml: the inventory has no hosts");
    CHECK(error_of("- a\n- b\n") == "inv.yaml:1: the inventory must be a mapping of groups (e.g. all:)");
    CHECK(error_of("all:\n  hosts:\n    a: [\n") .rfind("inv.yaml:", 0) == 0);
}

TEST_CASE("pdsh host lists", "[inventory]") {
    // Each range keeps its own padding, as pdsh does.
    CHECK(*expand_host_list("web1,node[01-03,7],db") ==
          std::vector<std::string>{"web1", "node01", "node02", "node03", "node7", "db"});
    CHECK(*expand_host_list("r[1-2]n[8-9]") == std::vector<std::string>{"r1n8", "r1n9", "r2n8", "r2n9"});
    CHECK(*expand_host_list("a,a,b") == std::vector<std::string>{"a", "b"});
    CHECK(expand_host_list("a,,b").error().message == "empty host name in \"a,,b\"");
    CHECK(expand_host_list("node[3-1]").error().message == "\"node[3-1]\": bad range \"[3-1]\"");
    CHECK(expand_host_list("node[1-2").error().message == "\"node[1-2\": unbalanced '['");
    CHECK_FALSE(expand_host_list("n[1-99999999]").ok());
    CHECK(*expand_host_pattern("db-[a:c]") == std::vector<std::string>{"db-a", "db-b", "db-c"});
}

TEST_CASE("--limit by group, host, wildcard, exclusion and intersection", "[inventory]") {
    const auto inventory = load(R"(all:
  children:
    web: {hosts: {web1:, web2:, web3:}}
    db: {hosts: {db1:, db2:}}
    prod: {hosts: {web1:, db1:}}
)");
    CHECK(names(*limit_inventory(inventory, "web")) == std::vector<std::string>{"web1", "web2", "web3"});
    CHECK(names(*limit_inventory(inventory, "db2,web3")) == std::vector<std::string>{"web3", "db2"});
    CHECK(names(*limit_inventory(inventory, "web*:!web2")) == std::vector<std::string>{"web1", "web3"});
    CHECK(names(*limit_inventory(inventory, "web:&prod")) == std::vector<std::string>{"web1"});
    CHECK(names(*limit_inventory(inventory, "!db")) == std::vector<std::string>{"web1", "web2", "web3"});
    CHECK(limit_inventory(inventory, "nosuch").error().message == "no host or group matches \"nosuch\"");
}
