#include "cmd/settings_options.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "checks/catalogue.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"

namespace netdiag {

void add_settings_flags(CLI::App& command, SettingsOptions& options) {
    command.add_option("--config", options.config_file, "YAML file with thresholds, virtual_interfaces and speeds (instead of /etc/netdiag/netdiag.yaml and ~/.config/netdiag/netdiag.yaml)")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    command.add_option("--threshold", options.thresholds, "Override a threshold (see `netdiag checks`); repeatable")
        ->type_name("CHECK.LEVEL=VALUE")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    command.add_option("--speed", options.speeds, "Link speed for an interface the kernel gives none; repeatable")
        ->type_name("IF=MBPS")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    command.add_option("--virtual-interfaces", options.virtual_interfaces,
                       "Comma-separated patterns left out of NIC checks (default: lo,veth*,br-*,docker*,...)")
        ->type_name("PATTERNS");
    command.add_option("--only", options.only, "Comma-separated check ids to run")->type_name("CHECKS");
}

std::vector<std::string> default_config_files() {
    std::vector<std::string> files = {"/etc/netdiag/netdiag.yaml"};
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg != nullptr && xdg[0] == '/') {
        files.push_back(std::string(xdg) + "/netdiag/netdiag.yaml");
    } else if (home != nullptr && home[0] == '/') {
        files.push_back(std::string(home) + "/.config/netdiag/netdiag.yaml");
    }
    return files;
}

Result<Settings> build_settings(const SettingsOptions& options, int* exit_code_on_error,
                                std::vector<std::string>* files_read) {
    Settings settings = default_settings();
    std::vector<std::string> files;
    if (options.config_file) {
        files.push_back(*options.config_file);
    } else {
        for (auto& file : default_config_files()) {
            std::error_code error;
            // Absent is the usual case; anything else there (a directory, unreadable) is an error.
            if (std::filesystem::exists(file, error)) files.push_back(std::move(file));
        }
    }
    for (const auto& file : files) {
        auto text = read_text_file(file);
        auto applied = text ? apply_config(settings, *text, file) : Status(text.error());
        if (!applied) {
            *exit_code_on_error = exit_code::kDataError;
            return applied.error();
        }
    }
    if (files_read) *files_read = files;
    *exit_code_on_error = exit_code::kUsage;
    if (options.virtual_interfaces) {
        settings.virtual_interfaces.clear();
        for (const auto pattern : split(*options.virtual_interfaces, ',')) {
            if (!trim(pattern).empty()) settings.virtual_interfaces.emplace_back(trim(pattern));
        }
    }
    for (const auto& assignment : options.thresholds) {
        if (auto status = set_threshold(settings, assignment); !status) return status.error();
    }
    for (const auto& assignment : options.speeds) {
        if (auto status = set_speed(settings, assignment); !status) return status.error();
    }
    if (options.only) {
        for (const auto id : split(*options.only, ',')) {
            const auto name = trim(id);
            const auto known = catalogue();
            if (std::none_of(known.begin(), known.end(), [&](const Check& c) { return c.id == name; })) {
                return make_error(fmt::format("--only: unknown check \"{}\" (see `netdiag checks`)", printable(name)));
            }
            settings.only_checks.emplace(name);
        }
    }
    return settings;
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(fmt::format("{}: {}", printable(path), std::strerror(errno)));
    // Bounded: `--plan /dev/zero` must end in an error, not in the OOM killer.
    std::string content;
    std::array<char, 65536> buffer;
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        content.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        if (content.size() > kMaxInputFileBytes) {
            return make_error(fmt::format("{}: larger than {} MiB; not read", printable(path), kMaxInputFileBytes >> 20));
        }
    }
    if (in.bad()) return make_error(fmt::format("{}: read failed", printable(path)));
    return content;
}

CLI::Option* add_root_option(CLI::App& command, std::optional<std::string>& root, const std::string& help) {
    return command.add_option("--root", root, help)->type_name("DIR")->check(CLI::ExistingDirectory);
}

CLI::Option* add_interval_option(CLI::App& command, double& seconds, const std::string& help) {
    return command.add_option("--interval", seconds, help)
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 3600.0))
        ->capture_default_str();
}

namespace {

const char* file_kind(mode_t mode) {
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

}  // namespace

Status write_text_file_atomically(const std::string& path, const std::string& content) {
    // Only a regular file (or a new name) is replaced: renaming over a device, a FIFO or a symlink
    // would turn `-o /dev/null` into a regular file as root, and a symlink's target must not lend
    // its mode. lstat, so a symlink is seen as one. What a writer of FILE's directory swaps in after
    // this check is replaced by the rename, never written through, which they could do themselves.
    struct stat existing {};
    mode_t mode = 0644;
    if (::lstat(path.c_str(), &existing) == 0) {
        if (!S_ISREG(existing.st_mode)) {
            return make_error(fmt::format("{}: is {}; -o writes only a regular file or a new name",
                                          printable(path), file_kind(existing.st_mode)));
        }
        mode = existing.st_mode & 0666;  // read/write bits only: never set-id or exec
    } else if (errno != ENOENT) {
        return make_error(fmt::format("{}: {}", printable(path), std::strerror(errno)));
    }
    // A temporary of our own beside the file (mkstemp: no name another run or a planted symlink
    // shares; "FILE.XXXXXX" is not *.prom, so a textfile collector never reads it), synced, then
    // renamed over the file. The mode is the old file's read/write bits, or 0644 whatever the
    // umask, so that node_exporter's user can read what a root cron job wrote.
    std::string temp = path + ".XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return make_error(fmt::format("{}: {}", printable(path), std::strerror(errno)));
    std::string failure;
    if (::fchmod(fd, mode) != 0) failure = std::strerror(errno);
    for (std::size_t done = 0; failure.empty() && done < content.size();) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) failure = std::strerror(errno);
        if (n > 0) done += static_cast<std::size_t>(n);
    }
    if (failure.empty() && ::fsync(fd) != 0) failure = std::strerror(errno);
    if (::close(fd) != 0 && failure.empty()) failure = std::strerror(errno);
    if (failure.empty() && ::rename(temp.c_str(), path.c_str()) != 0) failure = std::strerror(errno);
    if (!failure.empty()) {
        ::unlink(temp.c_str());
        return make_error(fmt::format("{}: {}", printable(path), failure));
    }
    return Ok{};
}

Status write_output(const std::optional<std::string>& path, const std::string& content) {
    if (path) return write_text_file_atomically(*path, content);
    std::fwrite(content.data(), 1, content.size(), stdout);
    return Ok{};
}

}  // namespace netdiag
