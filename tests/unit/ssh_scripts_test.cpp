// What netdiag sends over SSH, run here by the real shells: each login shell parses the fixed
// command line alike, /bin/sh (dash) runs the scripts from stdin against a scratch directory.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "remote/read_script.hpp"
#include "test_files.hpp"

using namespace netdiag;
namespace fs = std::filesystem;

namespace {

struct Ran {
    int status = -1;
    std::string out, err;
};

using Scratch = test::Scratch;

// `command` as a login shell runs what sshd hands it (`SHELL -c COMMAND`), under umask 000 (the
// modes must not come from it), with `input` on stdin; `feed` may replace the stdin source.
Ran run_as_login(const Scratch& scratch, const std::string& login_shell, const std::string& command,
                 const std::string& input, const std::string& feed = "") {
    const auto in = scratch.path / "stdin", out = scratch.path / "stdout", err = scratch.path / "stderr";
    std::ofstream(in, std::ios::binary) << input;
    const std::string source = feed.empty() ? "<" + shell_quote(in.string()) : "";
    const std::string line = fmt::format("umask 000; {} {} -c {} {} >{} 2>{}", feed, login_shell, shell_quote(command),
                                         source, shell_quote(out.string()), shell_quote(err.string()));
    Ran ran;
    const int status = std::system(line.c_str());
    ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ran.out = test::slurp(out.string());
    ran.err = test::slurp(err.string());
    fs::remove(in);
    fs::remove(out);
    fs::remove(err);
    return ran;
}

Ran write_file(const Scratch& scratch, const std::string& path, const std::string& content, FileAccess access,
               const std::string& login_shell = "/bin/sh") {
    return run_as_login(scratch, login_shell, line_script_command(std::chrono::seconds(10), false),
                        make_write_script(path, access) + "\n" + content);
}

unsigned mode_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

// Names in `dir` other than `keep`: leftover temporaries.
std::vector<std::string> others(const fs::path& dir, const std::set<std::string>& keep) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!keep.count(entry.path().filename().string())) names.push_back(entry.path().filename().string());
    }
    return names;
}

}  // namespace

TEST_CASE("the commands a login shell parses are fixed and hold no value", "[remote]") {
    CHECK(script_command(std::chrono::seconds(30), false) == "timeout 30 /bin/sh -s");
    CHECK(script_command(std::chrono::seconds(30), true) == "timeout 30 sudo -n /bin/sh -s");
    CHECK(line_script_command(std::chrono::seconds(5), true) ==
          "timeout 5 sudo -n /bin/sh -c 'IFS= read -r s && eval \"$s\"'");
    CHECK(unusable_remote_path("/etc/sysctl.d/x.conf").empty());
    CHECK(unusable_remote_path("/etc/it's here.conf").empty());
    CHECK(unusable_remote_path("etc/x") == "not an absolute path");
    CHECK(unusable_remote_path("/etc/x\n/y") == "the path holds control characters");
    CHECK(unusable_remote_path("/etc/\x1b[2Kx") == "the path holds control characters");
}

TEST_CASE("every login shell hands the write to sh alike, quotes and all", "[remote]") {
    Scratch scratch;
    const std::string content = "net.core.x = 1\n# it's $(touch INJECTED) `touch INJECTED` \\' \"\n";
    for (const std::string shell : {"/bin/sh", "/bin/bash", "/usr/bin/zsh", "/usr/bin/fish", "/usr/bin/tcsh"}) {
        if (::access(shell.c_str(), X_OK) != 0) continue;  // fish and zsh come with the test packages
        INFO(shell);
        const auto path = scratch.path / ("it's a $(touch INJECTED) " + fs::path(shell).filename().string() + ".conf");
        const auto ran = write_file(scratch, path.string(), content, FileAccess::shared, shell);
        CHECK(ran.status == 0);
        CHECK(ran.err == "");
        CHECK(test::slurp(path.string()) == content);
        CHECK(mode_of(path) == 0644);
    }
    CHECK_FALSE(fs::exists(scratch.path / "INJECTED"));
    CHECK_FALSE(fs::exists("INJECTED"));
}

TEST_CASE("modes come from the access, never the umask; missing directories are made", "[remote]") {
    Scratch scratch;
    const auto journal = scratch.path / "var/lib/netdiag/journal/x.json";
    const std::string big(300000, 'j');  // more than one pipe buffer and one argument may hold
    auto ran = write_file(scratch, journal.string(), big, FileAccess::owner_only);
    REQUIRE(ran.status == 0);
    CHECK(test::slurp(journal.string()) == big);
    CHECK(mode_of(journal) == 0600);
    CHECK(mode_of(journal.parent_path()) == 0700);
    CHECK(mode_of(scratch.path / "var/lib/netdiag") == 0755);
    CHECK(mode_of(scratch.path / "var") == 0755);

    // A shared file into an existing private directory keeps the directory as it is.
    const auto shared = scratch.path / "var/lib/netdiag/journal/shared.conf";
    REQUIRE(write_file(scratch, shared.string(), "x\n", FileAccess::shared).status == 0);
    CHECK(mode_of(shared) == 0644);
    CHECK(mode_of(journal.parent_path()) == 0700);
    // An existing file's wider mode is not kept.
    fs::permissions(shared, fs::perms::all);
    REQUIRE(write_file(scratch, shared.string(), "y\n", FileAccess::shared).status == 0);
    CHECK(mode_of(shared) == 0644);
    CHECK(others(journal.parent_path(), {"x.json", "shared.conf"}).empty());

    const auto etc = scratch.path / "etc/sysctl.d/60-netdiag.conf";
    REQUIRE(write_file(scratch, etc.string(), "", FileAccess::shared).status == 0);
    CHECK(mode_of(etc.parent_path()) == 0755);
    CHECK(test::slurp(etc.string()).empty());
}

TEST_CASE("a symlink, directory or other file at the target is refused; planted temporaries do not matter",
          "[remote]") {
    Scratch scratch;
    const auto victim = scratch.path / "victim";
    std::ofstream(victim) << "precious\n";
    const auto link = scratch.path / "60-netdiag-ports.conf";
    fs::create_symlink(victim, link);
    auto ran = write_file(scratch, link.string(), "evil\n", FileAccess::shared);
    CHECK(ran.status != 0);
    CHECK(ran.err == "is a symbolic link; netdiag does not write through one (remove it first)\n");
    CHECK(test::slurp(victim.string()) == "precious\n");
    CHECK(fs::is_symlink(link));

    // A symlink to a directory: mv would drop the file inside it.
    fs::create_directory(scratch.path / "d");
    fs::create_directory_symlink(scratch.path / "d", scratch.path / "to-dir.conf");
    CHECK(write_file(scratch, (scratch.path / "to-dir.conf").string(), "x\n", FileAccess::shared).status != 0);
    CHECK(fs::is_empty(scratch.path / "d"));
    ran = write_file(scratch, (scratch.path / "d").string(), "x\n", FileAccess::shared);
    CHECK(ran.err == "is a directory; not replaced\n");
    CHECK(fs::is_empty(scratch.path / "d"));
    REQUIRE(::mkfifo((scratch.path / "fifo.conf").c_str(), 0600) == 0);
    ran = write_file(scratch, (scratch.path / "fifo.conf").string(), "x\n", FileAccess::shared);
    CHECK(ran.err == "is not a regular file; not replaced\n");

    // The old fixed temporary name, planted as a symlink to the victim and as a FIFO: unused.
    const auto target = scratch.path / "real.conf";
    fs::create_symlink(victim, scratch.path / "real.conf.netdiag-tmp");
    REQUIRE(write_file(scratch, target.string(), "new\n", FileAccess::shared).status == 0);
    CHECK(test::slurp(target.string()) == "new\n");
    CHECK(test::slurp(victim.string()) == "precious\n");
    CHECK(others(scratch.path, {"victim", "60-netdiag-ports.conf", "d", "to-dir.conf", "fifo.conf", "real.conf",
                               "real.conf.netdiag-tmp"})
              .empty());
}

TEST_CASE("a write cut short by the host's timeout leaves no temporary and no file", "[remote]") {
    Scratch scratch;
    const auto target = scratch.path / "slow.conf";
    // The content never ends: stdin stays open until `timeout` (1 s) ends the script.
    const auto script = make_write_script(target.string(), FileAccess::shared);
    const auto ran = run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(1), false), "",
                                  "{ printf '%s\\n' " + shell_quote(script) + "; sleep 4; } |");
    CHECK(ran.status == 124);
    CHECK(fs::is_empty(scratch.path));
}

TEST_CASE("a kernel file is written in place in one piece, errno's words kept", "[remote]") {
    Scratch scratch;
    const auto file = scratch.path / "smp_affinity";
    std::ofstream(file) << "ff\n";
    const std::string content = "0f 'x' %s \\n\t\n";
    auto ran = run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(5), false),
                       make_kernel_write_script(file.string(), content) + "\n");
    CHECK(ran.status == 0);
    CHECK(test::slurp(file.string()) == content);
    CHECK(make_kernel_write_script(file.string(), content).find('\n') == std::string::npos);
    ran = run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(5), false),
                       make_kernel_write_script((scratch.path / "missing/x").string(), "1\n") + "\n");
    CHECK(ran.status != 0);
    CHECK(ran.err.find("No such file or directory") != std::string::npos);
    fs::create_symlink(file, scratch.path / "link");
    ran = run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(5), false),
                       make_kernel_write_script((scratch.path / "link").string(), "1\n") + "\n");
    CHECK(ran.err == "is a symbolic link; not written through\n");
    CHECK(test::slurp(file.string()) == content);
}

TEST_CASE("remove refuses symlinks and directories; a missing file is fine", "[remote]") {
    Scratch scratch;
    const auto remove = [&](const fs::path& path) {
        return run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(5), false),
                            make_remove_script(path.string()) + "\n");
    };
    std::ofstream(scratch.path / "victim") << "precious\n";
    fs::create_symlink(scratch.path / "victim", scratch.path / "link.conf");
    CHECK(remove(scratch.path / "link.conf").status != 0);
    CHECK(fs::is_symlink(scratch.path / "link.conf"));
    fs::create_directory(scratch.path / "dir.conf");
    CHECK(remove(scratch.path / "dir.conf").err == "is a directory; not replaced\n");
    std::ofstream(scratch.path / "it's.conf") << "x\n";
    CHECK(remove(scratch.path / "it's.conf").status == 0);
    CHECK_FALSE(fs::exists(scratch.path / "it's.conf"));
    CHECK(remove(scratch.path / "it's.conf").status == 0);
    CHECK(test::slurp((scratch.path / "victim").string()) == "precious\n");
}

TEST_CASE("the remote rmdir removes an empty directory only, never through a symlink", "[remote]") {
    Scratch scratch;
    const auto remove = [&](const fs::path& path) {
        return run_as_login(scratch, "/bin/sh", line_script_command(std::chrono::seconds(5), false),
                            make_remove_directory_script(path.string()) + "\n");
    };
    fs::create_directory(scratch.path / "empty");
    CHECK(remove(scratch.path / "empty").status == 0);
    CHECK_FALSE(fs::exists(scratch.path / "empty"));
    CHECK(remove(scratch.path / "empty").status == 0);  // already gone
    fs::create_directory(scratch.path / "used");
    std::ofstream(scratch.path / "used/99-local.conf") << "x\n";
    CHECK(remove(scratch.path / "used").status == 0);  // kept, not an error
    CHECK(fs::exists(scratch.path / "used/99-local.conf"));
    fs::create_directory(scratch.path / "target");
    fs::create_directory_symlink(scratch.path / "target", scratch.path / "link");
    CHECK(remove(scratch.path / "link").err == "is a symbolic link; not removed\n");
    CHECK(fs::is_directory(scratch.path / "target"));
    std::ofstream(scratch.path / "file") << "x\n";
    CHECK(remove(scratch.path / "file").err == "is not a directory; not removed\n");
}

TEST_CASE("a script on stdin cannot be eaten by a command it runs", "[remote]") {
    Scratch scratch;
    const std::string shell = ::access("/usr/bin/fish", X_OK) == 0 ? "/usr/bin/fish" : "/bin/sh";
    const auto ran = run_as_login(scratch, shell, script_command(std::chrono::seconds(5), false),
                                  wrap_stdin_script("cat; read x; echo \"after [$x]\"\necho 'it'\\''s'"));
    CHECK(ran.out == "after []\nit's\n");
}

TEST_CASE("the privilege probe answers from exit statuses", "[remote]") {
    Scratch scratch;
    const auto ran = run_as_login(scratch, "/bin/sh", script_command(std::chrono::seconds(5), false),
                                  wrap_stdin_script(make_privilege_script()));
    CHECK(ran.status == 0);
    CHECK(ran.out == (::getuid() == 0 ? "0 root\n" : std::to_string(::getuid()) + " sudo\n"));
}

TEST_CASE("inspect: lstat of each path in one script, parsed strictly", "[remote]") {
    Scratch scratch;
    const auto d = scratch.path;
    std::ofstream(d / "file with space's") << "x";
    fs::permissions(d / "file with space's", static_cast<fs::perms>(0640));
    fs::create_directory(d / "private");
    fs::permissions(d / "private", static_cast<fs::perms>(01700));
    fs::create_symlink("nowhere", d / "dangling");
    REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
    REQUIRE(::chown((d / "fifo").c_str(), 4321, 4321) == 0);
    const std::vector<std::string> paths = {(d / "file with space's").string(), (d / "private").string(),
                                            (d / "dangling").string(), (d / "fifo").string(),
                                            (d / "missing").string(), (d / "missing/deeper/x").string(),
                                            (d / "file with space's/below").string()};
    const auto ran = run_as_login(scratch, "/bin/sh", script_command(std::chrono::seconds(5), false),
                                  wrap_stdin_script(make_inspect_script(paths)));
    REQUIRE(ran.status == 0);
    auto statuses = parse_inspect_output(ran.out, paths, 999999, "web1");
    REQUIRE(statuses.ok());
    REQUIRE(statuses->size() == paths.size());
    const auto& s = *statuses;
    CHECK((s[0].exists && s[0].type == 'f' && s[0].mode == 0640 && s[0].trusted_owner));
    CHECK(s[0].path == paths[0]);
    CHECK((s[1].exists && s[1].type == 'd' && s[1].mode == 01700));
    CHECK((s[2].exists && s[2].type == 'l'));
    CHECK((s[3].exists && s[3].type == 'o' && s[3].mode == 0600 && !s[3].trusted_owner));
    CHECK_FALSE(s[4].exists);
    CHECK_FALSE(s[5].exists);
    CHECK_FALSE(s[6].exists);  // ENOTDIR: no such path
    CHECK(parse_inspect_output(ran.out, paths, 4321, "web1")->at(3).trusted_owner);
}

TEST_CASE("inspect output that is cut, padded or malformed is an error", "[remote]") {
    const std::vector<std::string> paths = {"/a", "/b"};
    CHECK(parse_inspect_output("E f 644 0\nN\nEND\n", paths, 1000, "h").ok());
    CHECK(parse_inspect_output("E f 644 0\nN\n", paths, 1000, "h").error().message ==
          "h: unexpected file status output after 2 path(s)");
    CHECK(parse_inspect_output("E f 644 0\n", paths, 1000, "h").error().message ==
          "h: the file status output was cut short at /b");
    CHECK_FALSE(parse_inspect_output("E f 644 0\nN\nEND\nmore\n", paths, 1000, "h").ok());
    CHECK(parse_inspect_output("E f 644 0\nU\nEND\n", paths, 1000, "h").error().message ==
          "h: /b: cannot be examined (permission denied)");
    for (const std::string bad : {"E x 644 0", "E f 648 0", "E f 644 -1", "E f 644", "E f 77777 0", "E f  0", "E"}) {
        INFO(bad);
        CHECK_FALSE(parse_inspect_output(bad + "\nN\nEND\n", paths, 1000, "h").ok());
    }
}

TEST_CASE("no file goes into a directory others may write to", "[remote]") {
    Scratch scratch;
    const auto loose = scratch.path / "loose";
    fs::create_directory(loose);
    fs::permissions(loose, fs::perms(0777));
    auto ran = write_file(scratch, (loose / "irq-affinity.sh").string(), "#!/bin/sh\n", FileAccess::shared);
    CHECK(ran.status != 0);
    CHECK(ran.err.find("lets others write there; not written") != std::string::npos);
    CHECK(fs::is_empty(loose));
    fs::permissions(loose, fs::perms(0755));
    CHECK(write_file(scratch, (loose / "irq-affinity.sh").string(), "#!/bin/sh\n", FileAccess::shared).status == 0);
}

TEST_CASE("a sticky directory others may write to is written into, as locally", "[remote]") {
    Scratch scratch;
    const auto sticky = scratch.path / "sticky";
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms(01777));
    CHECK(write_file(scratch, (sticky / "60-netdiag-ports.conf").string(), "x\n", FileAccess::shared).status == 0);
}

namespace {

// Stand-ins for `ethtool` and `sudo` first on PATH, logging their arguments to `log`, so no test
// reaches a real NIC. Only made-up interface names ("nd-...") are ever used, as a second guard.
fs::path ring_stand_ins(const Scratch& scratch) {
    const auto bin = scratch.path / "bin";
    fs::create_directories(bin);
    const auto log = (scratch.path / "log").string();
    std::ofstream(bin / "ethtool") << "#!/bin/sh\n"
                                      "printf 'ethtool %s\\n' \"$*\" >>" << shell_quote(log) << "\n"
                                      "case \"$1 $2\" in\n"
                                      "'-g nd-eth0') printf 'Ring parameters for nd-eth0:\\nPre-set maximums:\\nRX:\\t\\t4096\\n"
                                      "RX Mini:\\tn/a\\nRX Jumbo:\\tn/a\\nTX:\\t\\t4096\\nCurrent hardware settings:\\nRX:\\t\\t256\\n"
                                      "RX Mini:\\tn/a\\nRX Jumbo:\\tn/a\\nTX:\\t\\t512\\nRX Buf Len:\\t\\tn/a\\n'; exit 0;;\n"
                                      "'-g nd-virt0') echo 'netlink error: Operation not supported' >&2; exit 75;;\n"
                                      "'-g nd-odd0') echo 'something else entirely'; exit 0;;\n"
                                      "'-g nd-broken0') echo 'Cannot get device ring settings: Permission denied' >&2; exit 1;;\n"
                                      "-g*) echo 'netlink error: No such device' >&2; exit 71;;\n"
                                      "'-G nd-same0') echo 'rx unmodified, ignoring' >&2; echo 'no ring parameters changed, aborting' >&2; exit 80;;\n"
                                      "'-G nd-fail0') echo 'Cannot set device ring parameters: Invalid argument' >&2; exit 81;;\n"
                                      "esac\n"
                                      "exit 0\n";
    std::ofstream(bin / "sudo") << "#!/bin/sh\n"
                                   "printf 'sudo %s\\n' \"$*\" >>" << shell_quote(log) << "\n"
                                   "[ \"$1\" = -n ] && shift\n"
                                   "exec \"$@\"\n";
    for (const char* name : {"ethtool", "sudo"}) {
        fs::permissions(bin / name, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    }
    return bin;
}

Ran run_with_stand_ins(const Scratch& scratch, const std::string& command, const std::string& input) {
    const auto bin = ring_stand_ins(scratch);
    const auto in = scratch.path / "stdin", out = scratch.path / "stdout", err = scratch.path / "stderr";
    std::ofstream(in, std::ios::binary) << input;
    const std::string line = fmt::format("PATH={}:\"$PATH\" /bin/sh -c {} <{} >{} 2>{}", shell_quote(bin.string()),
                                         shell_quote(command), shell_quote(in.string()), shell_quote(out.string()),
                                         shell_quote(err.string()));
    Ran ran;
    const int status = std::system(line.c_str());
    ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    ran.out = test::slurp(out.string());
    ran.err = test::slurp(err.string());
    return ran;
}

std::string stand_in_log(const Scratch& scratch) {
    return fs::exists(scratch.path / "log") ? test::slurp((scratch.path / "log").string()) : std::string();
}

}  // namespace

TEST_CASE("ring paths are read by `ethtool -g` in the same read script", "[remote][ring]") {
    Scratch scratch;
    std::ofstream(scratch.path / "plain") << "x\n";
    ReadRequest request;
    request.files = {(scratch.path / "plain").string(), "ethtool-ring:nd-eth0:rx", "ethtool-ring:nd-eth0:tx",
                     "ethtool-ring:nd-gone0:rx", "ethtool-ring:nd-virt0:rx", "ethtool-ring:nd-odd0:rx",
                     "ethtool-ring:nd-broken0:rx", "ethtool-ring:$(touch INJECTED):rx"};
    const std::string boundary = "ND5e1f";
    const auto script = make_read_script(request, boundary);
    CHECK(script.find("INJECTED") == std::string::npos);  // a malformed ring path never reaches the host
    const auto ran = run_with_stand_ins(scratch, script_command(std::chrono::seconds(10), false), wrap_stdin_script(script));
    CHECK(ran.status == 0);
    auto reads = parse_read_script_output(ran.out, boundary, "web1");
    REQUIRE(reads.ok());
    REQUIRE(reads->size() == 7);
    CHECK(reads->at(0).content == "x\n");
    CHECK(reads->at(1).path == "ethtool-ring:nd-eth0:rx");
    CHECK(reads->at(1).content == "256\n");
    CHECK(reads->at(2).content == "512\n");
    CHECK(reads->at(3).error == "missing");
    CHECK_FALSE(reads->at(4).content);
    CHECK(reads->at(4).error == "nd-virt0: the driver reports no ring sizes");
    CHECK_FALSE(reads->at(5).content);
    CHECK(reads->at(5).error.find("ethtool -g nd-odd0") != std::string::npos);
    CHECK(reads->at(6).error == "ethtool -g nd-broken0: Cannot get device ring settings: Permission denied");
    CHECK(stand_in_log(scratch) ==
          "ethtool -g nd-eth0\nethtool -g nd-eth0\nethtool -g nd-gone0\nethtool -g nd-virt0\nethtool -g nd-odd0\n"
          "ethtool -g nd-broken0\n");
    CHECK_FALSE(fs::exists(scratch.path / "INJECTED"));

    // No ethtool on the host (what the script's `else` branch prints): an error, not "missing".
    auto missing = parse_read_script_output(
        "\nND5e1f R ethtool-ring:nd-eth0:rx\nethtool is not installed\n\nND5e1f S 1\n\nND5e1f E\n", boundary, "web1");
    REQUIRE(missing.ok());
    REQUIRE(missing->size() == 1);
    CHECK(missing->at(0).error == "ethtool -g nd-eth0: ethtool is not installed");
}

TEST_CASE("a ring is set by `ethtool -G` through sudo, the name checked again on the host", "[remote][ring]") {
    Scratch scratch;
    const auto set = [&](const std::string& interface, Ring ring, std::uint32_t size) {
        return run_with_stand_ins(scratch, line_script_command(std::chrono::seconds(10), true),
                                  make_ring_write_script(RingPath{interface, ring}, size) + "\n");
    };
    auto ran = set("nd-eth0", Ring::rx, 4096);
    CHECK(ran.status == 0);
    CHECK(ran.err == "");
    CHECK(stand_in_log(scratch) == "sudo -n /bin/sh -c IFS= read -r s && eval \"$s\"\nethtool -G nd-eth0 rx 4096\n");
    CHECK(make_ring_write_script(RingPath{"nd-eth0", Ring::rx}, 4096).find('\n') == std::string::npos);

    fs::remove(scratch.path / "log");
    CHECK(set("nd-eth0", Ring::tx, 512).status == 0);
    CHECK(stand_in_log(scratch).ends_with("ethtool -G nd-eth0 tx 512\n"));

    // The ioctl ethtool's "no ring parameters changed" (exit 80) is done: the read back decides.
    CHECK(set("nd-same0", Ring::rx, 256).status == 0);
    ran = set("nd-fail0", Ring::rx, 99999);
    CHECK(ran.status == 81);
    CHECK(ran.err == "Cannot set device ring parameters: Invalid argument\n");

    // Names that slipped past the C++ checks are refused by the script before ethtool runs.
    for (const std::string bad : {"-s", "a b", "$(touch INJECTED)", "x;touch INJECTED", "0123456789abcdef", ""}) {
        INFO(bad);
        fs::remove(scratch.path / "log");
        ran = set(bad, Ring::rx, 4096);
        CHECK(ran.status == 1);
        CHECK(ran.err == "not an interface name netdiag passes to ethtool\n");
        CHECK(stand_in_log(scratch).find("ethtool") == std::string::npos);
    }
    CHECK_FALSE(fs::exists(scratch.path / "INJECTED"));
}
