// Inventories beyond one file: several sources merged, group_vars/host_vars with Ansible's
// precedence, Ansible's --list JSON, and reading them from disk (directories, scripts) as Ansible
// does. The comparison with ansible-core itself is tests/e2e/inventory_ansible.sh.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>

#include "remote/inventory.hpp"
#include "remote/inventory_source.hpp"
#include "test_files.hpp"

using namespace netdiag;
using netdiag::test::Scratch;

namespace {

const InventoryHost& host(const Inventory& inventory, const std::string& name) {
    for (const auto& h : inventory.hosts) {
        if (h.name == name) return h;
    }
    FAIL("no host " << name);
    throw std::logic_error("unreachable");
}

void write(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

}  // namespace

TEST_CASE("vars files: group_vars/all over the inventory's groups, host_vars over the host's own", "[inventory]") {
    const std::vector<InventoryDocument> documents{{"hosts", R"([all:vars]
ansible_user=inventory-all
[web]
web1 ansible_port=2001
web2
[prod:children]
web
[prod:vars]
ansible_user=inventory-prod
ansible_port=2100
)"}};
    InventoryVarsFiles vars;
    vars.groups["all"] = {{"group_vars/all.yml", "ansible_user: files-all\nansible_port: 2000\n"}};
    vars.groups["web"] = {{"group_vars/web/a.yml", "ansible_port: 2080\n"}, {"group_vars/web/b.yml", "# only a comment\n"}};
    vars.groups["unused"] = {{"group_vars/unused.yml", "[not read"}};  // no such group: never parsed
    vars.hosts["web1"] = {{"host_vars/web1", "ansible_host: 192.0.2.1\n"}};
    auto parsed = parse_inventories(documents, vars, default_settings());
    INFO((parsed.ok() ? "" : parsed.error().message));
    REQUIRE(parsed.ok());
    // The inventory's group vars lose to every group_vars file, even group_vars/all.
    CHECK(host(*parsed, "web2").user == "files-all");
    CHECK(host(*parsed, "web2").port == 2080);
    // The host's own inline vars beat group_vars; host_vars beat those.
    CHECK(host(*parsed, "web1").port == 2001);
    CHECK(host(*parsed, "web1").address == "192.0.2.1");
}

TEST_CASE("Ansible's older ansible_ssh_* names win where both are set, at any level", "[inventory]") {
    auto parsed = parse_inventories({{"hosts", "[web]\nweb1 ansible_user=new\n[web:vars]\nansible_ssh_user=old\n"}}, {},
                                    default_settings());
    REQUIRE(parsed.ok());
    CHECK(host(*parsed, "web1").user == "old");
    // The ssh plugin lists ansible_private_key_file, then ansible_ssh_private_key_file: the later wins.
    auto keys = parse_inventories(
        {{"hosts", "[web]\nweb1 ansible_private_key_file=/k/new\n[web:vars]\nansible_ssh_private_key_file=/k/old\n"}},
        {}, default_settings());
    REQUIRE(keys.ok());
    CHECK(host(*keys, "web1").identity_file == "/k/old");
}

TEST_CASE("several sources make one inventory", "[inventory]") {
    auto parsed = parse_inventories({{"a.yml", "web:\n  hosts:\n    web1:\n"},
                                     {"b.ini", "[web]\nweb2\n[db]\nweb1 ansible_port=2222\n"}},
                                    {}, default_settings());
    REQUIRE(parsed.ok());
    REQUIRE(parsed->hosts.size() == 2);
    CHECK(host(*parsed, "web1").groups == std::vector<std::string>{"all", "db", "web"});
    CHECK(host(*parsed, "web1").port == 2222);
}

TEST_CASE("ansible-inventory --list JSON", "[inventory]") {
    const std::string listed = R"({
  "_meta": {"hostvars": {"web1": {"ansible_host": "192.0.2.1", "ansible_port": 2022}, "db1": {"ansible_user": "pg"}}},
  "all": {"children": ["ungrouped", "web", "db"]},
  "ungrouped": {"hosts": ["lonely"]},
  "web": {"hosts": ["web1", "web2"], "vars": {"ansible_user": "www"}},
  "db": ["db1"],
  "prod": {"children": ["web"]}
})";
    auto parsed = parse_inventories({{"-", listed}}, {}, default_settings());
    INFO((parsed.ok() ? "" : parsed.error().message));
    REQUIRE(parsed.ok());
    CHECK(parsed->hosts.size() == 4);
    CHECK(host(*parsed, "web1").address == "192.0.2.1");
    CHECK(host(*parsed, "web1").port == 2022);
    CHECK(host(*parsed, "web1").user == "www");
    CHECK(host(*parsed, "web2").groups == std::vector<std::string>{"all", "prod", "web"});
    CHECK(host(*parsed, "db1").user == "pg");
    CHECK(host(*parsed, "lonely").groups == std::vector<std::string>{"all", "ungrouped"});

    const auto error_of = [](const std::string& text) {
        auto failed = parse_inventories({{"-", text}}, {}, default_settings());
        REQUIRE_FALSE(failed.ok());
        return failed.error().message;
    };
    CHECK(error_of("{\"_meta\": [], \"web\": [\"a\"]}") == "-:1: _meta must be a mapping");
    CHECK(error_of("{\"_meta\": {},\n \"web\": {\"hosts\": \"a\"}}") == "-:2: the hosts of group \"web\" must be a list");
    CHECK(error_of("{\"_meta\": {},\n \"web\": {\"hosts\": [\"a\"], \"host\": 1}}") ==
          "-:2: unknown key \"host\" in group \"web\" (expected hosts, children, vars)");
    CHECK(error_of("{\"_meta\": {\"hostvars\": {\"a\": 3}}, \"web\": [\"a\"]}") ==
          "-:1: the vars of host \"a\" must be a mapping");
}

TEST_CASE("ansible_connection: local, SSH by any of its names, or kept as said", "[inventory]") {
    auto parsed = parse_inventories(
        {{"hosts", "here ansible_connection=local\nthere ansible_connection=smart\nwin ansible_connection=winrm\nplain\n"}},
        {}, default_settings());
    REQUIRE(parsed.ok());
    CHECK(host(*parsed, "here").connection == "local");
    CHECK(host(*parsed, "there").connection == "ssh");
    CHECK(host(*parsed, "win").connection == "winrm");
    CHECK(host(*parsed, "plain").connection == "ssh");
}

TEST_CASE("a directory: its inventories in order, Ansible's ignored names left out, vars beside it", "[inventory]") {
    Scratch scratch;
    const auto& dir = scratch.path;
    write(dir / "20-more", "[web]\nweb2\n");
    write(dir / "10-first.yml", "web:\n  hosts:\n    web1:\n");
    write(dir / "notes.md", "not an inventory");
    write(dir / "old.ini", "[web]\nignored\n");
    write(dir / ".hidden", "[web]\nignored\n");
    write(dir / "sub" / "30-deeper", "[db]\ndb1\n");
    ::mkfifo((dir / "40-fifo").c_str(), 0644);  // never opened: it would block a read
    write(dir / "group_vars" / "web", "ansible_port: 2080\n");
    write(dir / "group_vars" / "web.yml", "ansible_port: 9999\n");  // NAME itself exists: not read
    write(dir / "group_vars" / "db" / "a.yml", "ansible_user: first\n");
    write(dir / "group_vars" / "db" / "b.json", "{\"ansible_user\": \"second\"}\n");
    write(dir / "group_vars" / "db" / "c.txt", "ansible_user: not-read\n");
    write(dir / "host_vars" / "web2.yaml", "ansible_host: 192.0.2.2\n");

    auto source = read_inventory_source(dir.string());
    INFO((source.ok() ? "" : source.error().message));
    REQUIRE(source.ok());
    REQUIRE(source->documents.size() == 3);
    CHECK(source->documents[0].file == (dir / "10-first.yml").string());
    CHECK(source->documents[1].file == (dir / "20-more").string());
    CHECK(source->documents[2].file == (dir / "sub" / "30-deeper").string());
    auto parsed = parse_inventories(source->documents, source->vars, default_settings());
    REQUIRE(parsed.ok());
    CHECK(parsed->hosts.size() == 3);
    CHECK(host(*parsed, "web1").port == 2080);
    CHECK(host(*parsed, "db1").user == "second");
    CHECK(host(*parsed, "web2").address == "192.0.2.2");
}

TEST_CASE("inventory scripts: --list, --host without _meta, failures, hangs, floods", "[inventory]") {
    Scratch scratch;
    const auto script = scratch.path / "inventory";
    write(script, R"(#!/bin/sh
case "$1" in
--list) echo '{"web": ["web1", "web2"]}' ;;
--host) echo "{\"ansible_port\": 22$(echo "$2" | tr -dc 0-9)}" ;;
esac
)", 0755);
    auto source = read_inventory_source(script.string());
    INFO((source.ok() ? "" : source.error().message));
    REQUIRE(source.ok());
    auto parsed = parse_inventories(source->documents, source->vars, default_settings());
    INFO((parsed.ok() ? "" : parsed.error().message));
    REQUIRE(parsed.ok());
    CHECK(host(*parsed, "web2").port == 222);

    // Not executable, or no "#!": read as a file, never run.
    write(scratch.path / "yaml", "web:\n  hosts:\n    a:\n", 0755);
    REQUIRE(read_inventory_source((scratch.path / "yaml").string()).ok());

    InventoryReadLimits limits;
    limits.script_timeout = std::chrono::milliseconds(300);
    limits.max_bytes = 1 << 20;
    const auto error_of = [&](const std::string& body) {
        write(script, "#!/bin/sh\n" + body, 0755);
        auto failed = read_inventory_source(script.string(), limits);
        REQUIRE_FALSE(failed.ok());
        return failed.error().message;
    };
    const std::string list = script.string() + " --list: ";
    CHECK(error_of("echo oops >&2; exit 2\n") == list + "exited with status 2: oops");
    CHECK(error_of("exec sleep 5\n") == list + "did not finish in 0.3 s; stopped");
    CHECK(error_of("exec cat /dev/zero\n") == list + "printed more than 1 MiB; stopped");
    CHECK(error_of("echo '[web]'\n") ==
          list + "did not print a JSON object (Ansible's inventory script protocol): \"[web]\"");
    CHECK(error_of("[ \"$1\" = --list ] && echo '{\"web\": [\"a\"]}' || echo nope\n") ==
          script.string() + " --host a: did not print a JSON object (Ansible's inventory script protocol): \"nope\"");
}
