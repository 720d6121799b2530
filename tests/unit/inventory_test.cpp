// Inventories as users write them: netdiag's example, Ansible's YAML, pdsh host lists, --limit.
#include <catch2/catch.hpp>

#include <algorithm>


#include "remote/inventory.hpp"
#include "test_files.hpp"

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
    const auto text = test::slurp(std::string(NETDIAG_SOURCE_DIR) + "/inventory.example.yaml");
    auto inventory = parse_inventory(text, "inventory.example.yaml", default_settings());
    REQUIRE(inventory.ok());
    CHECK(names(*inventory) ==
          std::vector<std::string>{"web01", "web02", "web03", "web04", "web-canary", "db1", "db2", "lba", "lbb"});
    const auto& canary = host(*inventory, "web-canary");
    CHECK(canary.address == "10.0.0.9");
    CHECK(canary.port == 2222);
    CHECK(canary.user == "sre");
    CHECK(canary.settings->speeds_mbps.at("eth0") == 10000);
    CHECK(canary.settings->threshold("rx-drops.warning") == 50);
    CHECK(canary.settings->is_virtual("cali123"));
    const auto& db1 = host(*inventory, "db1");
    CHECK(db1.identity_file == "~/.ssh/db_ed25519");
    CHECK(db1.settings->threshold("conntrack-fill.warning") == 70);
    CHECK(db1.settings->threshold("rx-drops.warning") == 50);       // from all
    CHECK(host(*inventory, "db2").settings->threshold("conntrack-fill.warning") == 80);  // the default
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
    CHECK(host(inventory, "a").settings->threshold("close-wait.warning") == 10);
    CHECK(host(inventory, "b").settings->threshold("close-wait.warning") == 5);
}

TEST_CASE("hosts with the same settings share one copy", "[inventory]") {
    const auto inventory = load(R"(web:
  vars: {netdiag: &common {thresholds: {close-wait.warning: 10}}}
  hosts:
    a:
    b:
    c: {netdiag: {thresholds: {close-wait.warning: 5}}}
db:
  vars: {netdiag: *common}
  hosts:
    d:
    e:
other:
  hosts:
    f:
    g:
)");
    CHECK(host(inventory, "a").settings == host(inventory, "b").settings);
    CHECK(host(inventory, "c").settings != host(inventory, "a").settings);
    CHECK(host(inventory, "c").settings->threshold("close-wait.warning") == 5);
    // The alias names the same node: the same settings, one copy.
    CHECK(host(inventory, "d").settings == host(inventory, "a").settings);
    CHECK(host(inventory, "e").settings->threshold("close-wait.warning") == 10);
    CHECK(host(inventory, "f").settings == host(inventory, "g").settings);
    CHECK(host(inventory, "f").settings->threshold("close-wait.warning") != 10);
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
    // Names and addresses steer messages, journals and SSH: no control characters in them.
    CHECK(error_of("all:\n  hosts:\n    \"web\\e[2K1\":\n") ==
          "inv.yaml:3: host \"web\\x1b[2K1\": control characters in a host name");
    CHECK(error_of("all:\n  hosts:\n    a: {address: \"10.0.0.1\\nb\"}\n") ==
          "inv.yaml:3: address holds control characters (\"10.0.0.1\\x0ab\")");
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

TEST_CASE("a group's depth is its longest path from all, wherever the file names it", "[inventory]") {
    // web is walked at depth 1 with its child first; prod names it again deeper, so web_a ends up
    // at depth 3 and must still beat web even though "a_east" sorts before "web".
    const auto inventory = load(R"(all:
  vars: {user: everyone}
  children:
    web:
      vars: {user: web}
      children:
        a_east:
          vars: {user: east}
          hosts: {h1:}
    prod:
      vars: {user: prod, port: 2201}
      children:
        web:
)");
    const auto& h1 = host(inventory, "h1");
    CHECK(h1.user == "east");
    CHECK(h1.port == 2201);
    CHECK(h1.groups == std::vector<std::string>{"a_east", "all", "prod", "web"});
}

TEST_CASE("ansible_group_priority orders groups of the same depth", "[inventory]") {
    const auto by_name = load("alpha: {hosts: {h:}, vars: {user: alpha}}\nbeta: {hosts: {h:}, vars: {user: beta}}\n");
    CHECK(host(by_name, "h").user == "beta");  // same depth and priority: the name decides
    const auto by_priority = load(
        "alpha: {hosts: {h:}, vars: {user: alpha, ansible_group_priority: 10}}\n"
        "beta: {hosts: {h:}, vars: {user: beta}}\n");
    CHECK(host(by_priority, "h").user == "alpha");
    // Host vars beat every group, whatever the group's priority.
    const auto host_wins = load("alpha: {hosts: {h: {user: me}}, vars: {user: alpha, ansible_group_priority: 10}}\n");
    CHECK(host(host_wins, "h").user == "me");
}

TEST_CASE("a host named in several groups is one host with merged vars", "[inventory]") {
    const auto inventory = load(R"(all:
  children:
    web:
      hosts:
        h1: {port: 2222}
        h2:
    monitored:
      hosts:
        h1: {user: mon, netdiag: {speeds: {eth0: 25000}}}
)");
    CHECK(names(inventory) == std::vector<std::string>{"h1", "h2"});
    const auto& h1 = host(inventory, "h1");
    CHECK(h1.port == 2222);
    CHECK(h1.user == "mon");
    CHECK(h1.settings->speeds_mbps.at("eth0") == 25000);
    CHECK(h1.groups == std::vector<std::string>{"all", "monitored", "web"});
    CHECK(host(inventory, "h2").groups == std::vector<std::string>{"all", "web"});
}

TEST_CASE("Ansible's host:port keys and older variable names", "[inventory]") {
    const auto inventory = load(R"(all:
  hosts:
    badwolf.example.com:5309:
    jump:2200: {ansible_port: 22}
    rack[1:2]-n[01:02]:2222:
    "2001:db8::1":
    old:
      ansible_ssh_host: 192.0.2.7
      ansible_ssh_port: "2022"
      ansible_ssh_user: root
      ansible_private_key_file: /keys/old
      ansible_become: true
      http_port: 80
)");
    CHECK(names(inventory) == std::vector<std::string>{"badwolf.example.com", "jump", "rack1-n01", "rack1-n02",
                                                        "rack2-n01", "rack2-n02", "2001:db8::1", "old"});
    CHECK(host(inventory, "badwolf.example.com").port == 5309);
    CHECK(host(inventory, "badwolf.example.com").address == "badwolf.example.com");
    CHECK(host(inventory, "jump").port == 22);  // the host's vars beat the port in its key
    CHECK(host(inventory, "rack2-n02").port == 2222);
    CHECK_FALSE(host(inventory, "2001:db8::1").port.has_value());  // bare IPv6: the colons are the address
    const auto& old = host(inventory, "old");
    CHECK(old.address == "192.0.2.7");
    CHECK(old.port == 2022);
    CHECK(old.user == "root");
    CHECK(old.identity_file == "/keys/old");
}

TEST_CASE("more inventory errors, each with its line", "[inventory]") {
    CHECK(error_of("all:\n  hosts:\n    a: [\n") == "inv.yaml:4: end of sequence flow not found");
    CHECK(error_of("all:\n  hosts:\n    a:\n    ~:\n") == "inv.yaml:4: empty host name");
    CHECK(error_of("all:\n  hosts:\n    a:\n    null: {port: 22}\n") == "inv.yaml:4: empty host name");
    CHECK(error_of("all:\n  hosts:\n    a:0:\n") == "inv.yaml:3: host \"a:0\": port must be 1-65535");
    CHECK(error_of("all:\n  hosts:\n    web[a:03]:\n") == "inv.yaml:3: host \"web[a:03]\": bad range \"[a:03]\"");
    CHECK(error_of("all:\n  hosts:\n    web]1:\n") == "inv.yaml:3: host \"web]1\": unbalanced ']'");
    CHECK(error_of("all:\n  hosts:\n    a: {ansible_port: 0}\n") ==
          "inv.yaml:3: ansible_port must be a port number 1-65535");
    CHECK(error_of("all:\n  hosts:\n    a:\n      port: ssh\n") == "inv.yaml:4: port must be a port number 1-65535");
    CHECK(error_of("all:\n  vars:\n    port: -1\n  hosts:\n    a:\n") ==
          "inv.yaml:3: port must be a port number 1-65535");
    CHECK(error_of("all:\n  hosts:\n    a: {address: \"\"}\n") == "inv.yaml:3: address must be a non-empty string");
    CHECK(error_of("all:\n  hosts:\n    a: {user: [x]}\n") == "inv.yaml:3: user must be a non-empty string");
    CHECK(error_of("all:\n  hosts:\n    a:\n      ansible_host: \"{{ inventory_hostname }}.example.com\"\n") ==
          "inv.yaml:4: ansible_host is a Jinja template (\"{{ inventory_hostname }}.example.com\"), "
          "which netdiag does not evaluate");
    CHECK(error_of("all:\n  vars:\n    netdiag:\n      thresholds:\n        rx-drops.warning: -1\n  hosts: {a:}\n") ==
          "inv.yaml:5: threshold \"rx-drops.warning\" needs a number ≥ 0, not \"-1\"");
    CHECK(error_of("all:\n  hosts:\n    a: {netdiag: {speeds: {eth0: fast}}}\n") ==
          "inv.yaml:3: speed needs INTERFACE=MBPS with MBPS > 0, not \"eth0=fast\"");
    CHECK(error_of("all:\n  hosts:\n    a: {netdiag: {colour: red}}\n") ==
          "inv.yaml:3: unknown key \"colour\" (expected thresholds, virtual_interfaces, speeds)");
    CHECK(error_of("all:\n  hosts:\n    a: 22\n") == "inv.yaml:3: host \"a\" takes a mapping of vars");
    CHECK(error_of("all:\n  children: [web]\n") == "inv.yaml:2: children must be a mapping of groups");
    CHECK(error_of("all:\n  children:\n    web: {hosts: {a:}}\n    web:\n") == "inv.yaml:4: group \"web\" appears twice");
    CHECK(error_of("all:\n  children:\n    all:\n") == "inv.yaml:3: \"all\" cannot be a child group");
    CHECK(error_of("all:\n  vars: [a]\n  hosts: {a:}\n") == "inv.yaml:2: vars must be a mapping");
    CHECK(error_of("web:\n  hosts: {a:}\n  vars: {ansible_group_priority: high}\n") ==
          "inv.yaml:3: ansible_group_priority must be an integer");
    CHECK(error_of("a:\n  hosts: {h:}\n  children:\n    b:\n      children:\n        a:\n") ==
          "inv.yaml:6: group \"a\" under \"b\" makes a cycle of groups");
    // A longer cycle blames its link written last, not the one the search happened to reach first.
    CHECK(error_of("c:\n  children:\n    a:\na:\n  hosts: {h:}\n  children:\n    b:\n      children:\n        c:\n") ==
          "inv.yaml:9: group \"c\" under \"b\" makes a cycle of groups");
    CHECK(error_of("all:\n  hosts:\n") == "inv.yaml: the inventory has no hosts");
    CHECK(error_of("- just\n- a list\n") == "inv.yaml:1: the inventory must be a mapping of groups (e.g. all:)");
    // Not YAML's "group:": read as an INI inventory, as ansible-core's ini plugin would.
    CHECK(error_of("just text\n") == "inv.yaml:1: expected key=value host variable, got \"text\"");
}

TEST_CASE("more pdsh host lists and Ansible patterns", "[inventory]") {
    CHECK(*expand_host_list("n[8-10]") == std::vector<std::string>{"n8", "n9", "n10"});
    CHECK(*expand_host_list("n[08-10]") == std::vector<std::string>{"n08", "n09", "n10"});
    CHECK(*expand_host_list(" a , n[1,3-4] ,b") == std::vector<std::string>{"a", "n1", "n3", "n4", "b"});
    CHECK(*expand_host_list("solo") == std::vector<std::string>{"solo"});
    CHECK(expand_host_list("").error().message == "empty host name in \"\"");
    CHECK(expand_host_list("a]b").error().message == "\"a]b\": unbalanced ']'");
    CHECK(expand_host_list("n[1-x]").error().message == "\"n[1-x]\": bad range \"[1-x]\"");
    CHECK(expand_host_list("n[]").error().message == "\"n[]\": bad range \"[]\"");
    CHECK(*expand_host_pattern("web[01:05:2]") == std::vector<std::string>{"web01", "web03", "web05"});
    CHECK(*expand_host_pattern("plain") == std::vector<std::string>{"plain"});
    CHECK(expand_host_pattern("web[01:]").error().message == "host \"web[01:]\": bad range \"[01:]\"");
    CHECK(expand_host_pattern("web[1:3:0]").error().message == "host \"web[1:3:0]\": bad range \"[1:3:0]\"");
}

TEST_CASE("--limit with all, wildcards over groups, and empty patterns", "[inventory]") {
    const auto inventory = load("web: {hosts: {w1:, w2:}}\ndb: {hosts: {d1:}}\n");
    CHECK(names(*limit_inventory(inventory, "all")) == std::vector<std::string>{"w1", "w2", "d1"});
    CHECK(names(*limit_inventory(inventory, "*")) == std::vector<std::string>{"w1", "w2", "d1"});
    CHECK(names(*limit_inventory(inventory, "d?")) == std::vector<std::string>{"d1"});  // group db and host d1
    CHECK(names(*limit_inventory(inventory, "w*,!w1")) == std::vector<std::string>{"w2"});
    CHECK(names(*limit_inventory(inventory, "web,!w1")) == std::vector<std::string>{"w2"});
    CHECK(limit_inventory(inventory, " , ").error().message == "empty pattern");
    CHECK(limit_inventory(inventory, "web:&db").error().message == "no host or group matches \"web:&db\"");
}

TEST_CASE("--limit takes IPv6 addresses whole, not split at their colons") {
    const std::string yaml = "all:\n  hosts:\n    2001:db8::1: {}\n    2001:db8::2: {}\n    web1: {}\n";
    const auto inventory = parse_inventory(yaml, "inv.yaml", default_settings());
    REQUIRE(inventory);
    const auto one = limit_inventory(*inventory, "2001:db8::1");
    REQUIRE(one);
    REQUIRE(one->hosts.size() == 1);
    CHECK(one->hosts[0].name == "2001:db8::1");
    const auto others = limit_inventory(*inventory, "all,!2001:db8::2");
    REQUIRE(others);
    CHECK(others->hosts.size() == 2);
    const auto groups = limit_inventory(*inventory, "all:!web1");  // still Ansible's separator elsewhere
    REQUIRE(groups);
    CHECK(groups->hosts.size() == 2);
}

TEST_CASE("a key repeated in one group is an error, not a merge") {
    const std::string yaml = "all:\n  children:\n    web:\n      hosts:\n        web1: {}\n      hosts:\n        web2: {}\n";
    const auto inventory = parse_inventory(yaml, "inv.yaml", default_settings());
    REQUIRE_FALSE(inventory);
    CHECK(inventory.error().message == "inv.yaml:6: \"hosts\" appears twice in group \"web\"");
}

TEST_CASE("inventories that grow the work are bounded", "[inventory]") {
    // 2^40 group visits if each alias were walked anew: once per group name instead.
    std::string laughs = "g0: &g0 {hosts: {h1: }}\n";
    for (int k = 1; k <= 40; ++k) {
        laughs += "g" + std::to_string(k) + ": &g" + std::to_string(k) + " {children: {a" + std::to_string(k) + ": *g" +
                  std::to_string(k - 1) + ", b" + std::to_string(k) + ": *g" + std::to_string(k - 1) + "}}\n";
    }
    const auto inventory = load(laughs);
    CHECK(names(inventory) == std::vector<std::string>{"h1"});
    const auto& groups = inventory.hosts.front().groups;
    CHECK(std::count(groups.begin(), groups.end(), "a1") == 1);
    CHECK(std::count(groups.begin(), groups.end(), "b40") == 1);

    // Top-level groups naming each other as children chain without nesting in the file: the
    // 64-level cap holds there too (a chain of 100,000 overflowed the stack).
    std::string chained;
    for (int k = 0; k < 5000; ++k) chained += "g" + std::to_string(k) + ": {children: {g" + std::to_string(k + 1) + ": }}\n";
    chained += "g5000: {hosts: {h1: }}\n";
    CHECK(error_of(chained).ends_with(": groups nest deeper than 64 levels"));

    // Ten ranges of 99,999: each within the per-pattern cap, together over the inventory's.
    std::string ranges = "all:\n  hosts:\n";
    for (int k = 0; k < 10; ++k) ranges += "    g" + std::to_string(k) + "n[00001:99999]:\n";
    CHECK(error_of(ranges) == "inv.yaml:4: the inventory holds more than 100000 hosts");
}
