// ssh_config resolved as OpenSSH reads it for one host, on inline files.
#include <catch2/catch.hpp>

#include <map>

#include "remote/ssh_config.hpp"

using namespace netdiag;

namespace {

struct Files {
    std::map<std::string, std::string> text;
    SshConfigReader reader() const {
        return [this](const std::string& path) -> Result<std::optional<std::string>> {
            const auto found = text.find(path);
            if (found == text.end()) return std::optional<std::string>();
            return std::optional<std::string>(found->second);
        };
    }
    SshConfigGlob glob() const {
        return [this](const std::string& pattern) {
            std::vector<std::string> paths;
            const auto star = pattern.find('*');
            for (const auto& [path, content] : text) {
                if (star == std::string::npos ? path == pattern
                                              : path.rfind(pattern.substr(0, star), 0) == 0 &&
                                                    path.ends_with(pattern.substr(star + 1))) {
                    paths.push_back(path);
                }
            }
            return paths;
        };
    }
    ResolvedSshConfig resolve(std::string_view host) const {
        auto resolved = resolve_ssh_config(host, {{"/home/ops/.ssh/config", "/home/ops/.ssh"}}, reader(), glob());
        REQUIRE(resolved.ok());
        return *resolved;
    }
};

}  // namespace

TEST_CASE("a pattern block after a host's own HostName still applies, as in OpenSSH") {
    Files files;
    files.text["/home/ops/.ssh/config"] =
        "# fleet\n"
        "Host web1\n"
        "    HostName 10.0.0.1\n"
        "    Port 2222\n"
        "Host web*\n"
        "    User deploy\n"
        "    IdentityFile ~/.ssh/web\n"
        "Host 10.*\n"
        "    User wrong\n"
        "Host *\n"
        "    ServerAliveInterval 30\n";
    const auto web1 = files.resolve("web1");
    CHECK(web1.hostname == "10.0.0.1");
    CHECK(web1.text ==
          "Host *\nHost *\n    Port 2222\nHost *\n    User deploy\n    IdentityFile ~/.ssh/web\n"
          "Host *\n    ServerAliveInterval 30\n");
    const auto db = files.resolve("db1");
    CHECK_FALSE(db.hostname);
    CHECK(db.text == "Host *\nHost *\n    ServerAliveInterval 30\n");
}

TEST_CASE("Host patterns: wildcards, negation, case, several patterns on a line") {
    CHECK(ssh_host_matches("web1", {"web?"}));
    CHECK(ssh_host_matches("WEB1.example.com", {"db*", "web*.EXAMPLE.com"}));
    CHECK_FALSE(ssh_host_matches("web1", {"web*", "!web1"}));
    CHECK_FALSE(ssh_host_matches("web1", {"!db*"}));  // a negation alone matches nothing
    CHECK(ssh_host_matches("a.b.c", {"*.*.*"}));
    CHECK_FALSE(ssh_host_matches("ab", {"a?b"}));
}

TEST_CASE("HostName takes %h and %%; the first that applies wins; Keyword=value is read") {
    Files files;
    files.text["/home/ops/.ssh/config"] =
        "Host *.lab\n  HostName=%h.example.com\nHost *\n  HostName other\n  User \"two words\"\n";
    const auto lab = files.resolve("n1.lab");
    CHECK(lab.hostname == "n1.lab.example.com");
    CHECK(lab.text.find("other") == std::string::npos);
    CHECK(lab.text.find("User \"two words\"") != std::string::npos);
}

TEST_CASE("HostKeyAlias is taken for netdiag's key check, not given to libssh") {
    Files files;
    files.text["/home/ops/.ssh/config"] = "Host vip\n  HostName 10.0.0.9\n  HostKeyAlias vip-key\nHost *\n  HostKeyAlias other\n";
    const auto vip = files.resolve("vip");
    CHECK(vip.host_key_alias == "vip-key");
    CHECK(vip.text.find("HostKeyAlias") == std::string::npos);
    CHECK(files.resolve("db").host_key_alias == "other");
}

TEST_CASE("Include is read in place, in the block's state, and limited") {
    Files files;
    files.text["/home/ops/.ssh/config"] =
        "Include conf.d/*.conf\n"
        "Host web*\n  Include web.inc\n"
        "Host db*\n  Include db.inc\n"
        "  User dbadmin\n";
    files.text["/home/ops/.ssh/conf.d/10-a.conf"] = "Host web1\n  HostName 10.1.1.1\n";
    files.text["/home/ops/.ssh/web.inc"] = "  ForwardAgent no\n";
    files.text["/home/ops/.ssh/db.inc"] = "Host *\n  LogLevel ERROR\n";
    const auto web1 = files.resolve("web1");
    CHECK(web1.hostname == "10.1.1.1");
    CHECK(web1.text.find("ForwardAgent no") != std::string::npos);
    // db.inc is included from a block that does not apply: even its "Host *" is not taken, and
    // the lines after the Include belong to db* again.
    CHECK(web1.text.find("LogLevel") == std::string::npos);
    CHECK(web1.text.find("dbadmin") == std::string::npos);
    CHECK(files.resolve("db1").text.find("LogLevel ERROR\nHost *\n  User dbadmin") != std::string::npos);

    Files loop;
    loop.text["/home/ops/.ssh/config"] = "Include config\n";
    auto endless = resolve_ssh_config("h", {{"/home/ops/.ssh/config", "/home/ops/.ssh"}}, loop.reader(), loop.glob());
    REQUIRE_FALSE(endless.ok());
    CHECK(endless.error().message.find("Include nested more than 16 deep") != std::string::npos);
}

TEST_CASE("Match: all and host are decided here, others are passed to libssh as they stand") {
    Files files;
    files.text["/home/ops/.ssh/config"] =
        "Match host web*,!web9\n  User deploy\n"
        "Match originalhost db*\n  User dba\n"
        "Match exec \"test -e /x\"\n  HostName not-taken\n  Compression yes\n"
        "Match all\n  Port 2200\n";
    const auto web1 = files.resolve("web1");
    CHECK_FALSE(web1.hostname);
    CHECK(web1.text ==
          "Host *\nHost *\n  User deploy\nMatch exec \"test -e /x\"\n  Compression yes\nHost *\n  Port 2200\n");
    CHECK(files.resolve("web9").text.find("deploy") == std::string::npos);
}

TEST_CASE("each file starts outside any block, as OpenSSH reads the user's then the system's") {
    Files files;
    files.text["/home/ops/.ssh/config"] = "Host other\n  User x\n";
    files.text["/etc/ssh/ssh_config"] = "  SendEnv LANG\nHost *\n  HashKnownHosts yes\n";
    auto resolved = resolve_ssh_config("web1",
                                       {{"/home/ops/.ssh/config", "/home/ops/.ssh"}, {"/etc/ssh/ssh_config", "/etc/ssh"}},
                                       files.reader(), files.glob());
    REQUIRE(resolved.ok());
    CHECK(resolved->text == "Host *\nHost *\n  SendEnv LANG\nHost *\n  HashKnownHosts yes\n");
}
