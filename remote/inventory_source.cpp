#include "remote/inventory_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/text.hpp"
#include "remote/child_process.hpp"


namespace netdiag {
namespace {

namespace fs = std::filesystem;

// How deep a directory inventory or a vars directory is followed (a symlink loop must end).
constexpr int kMaxDirectoryDepth = 16;
// A script's stderr kept for the message: its last words are what says why it failed.
constexpr std::size_t kMaxScriptStderr = 64 * 1024;

// What reading the whole source may still take.
struct Budget {
    std::size_t bytes;
    std::size_t files;
    std::size_t max_bytes;  // what `bytes` started from, for messages
};

// Python's os.path.splitext: the last '.' of the name, unless the name starts with it.
std::string extension_of(const std::string& name) {
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0 || name.find_first_not_of('.') > dot) return "";
    return name.substr(dot);
}

bool is_vars_extension(const std::string& extension) {
    return extension == ".yml" || extension == ".yaml" || extension == ".json";
}

// Entries of a directory in byte order, as Python's sorted(os.listdir()).
Result<std::vector<std::string>> sorted_entries(const std::string& directory) {
    std::error_code error;
    std::vector<std::string> names;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
        names.push_back(it->path().filename().string());
    }
    if (error) return make_error(fmt::format("{}: {}", printable(directory), error.message()));
    std::sort(names.begin(), names.end());
    return names;
}

enum class Kind { missing, file, directory, other };

Kind kind_of(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return Kind::missing;
    if (S_ISREG(status.st_mode)) return Kind::file;
    if (S_ISDIR(status.st_mode)) return Kind::directory;
    return Kind::other;
}

// A regular file, whole, within the budget. O_NONBLOCK: whatever replaced the file after the
// stat (a FIFO) cannot make open wait; the fstat then refuses it.
Result<std::string> read_regular_file(const std::string& path, Budget& budget) {
    if (budget.files == 0) return make_error(fmt::format("{}: too many inventory and vars files", printable(path)));
    --budget.files;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return make_error(fmt::format("{}: {}", printable(path), std::strerror(errno)));
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        return make_error(fmt::format("{}: not a regular file", printable(path)));
    }
    std::string text;
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            return make_error(fmt::format("{}: {}", printable(path), std::strerror(saved)));
        }
        if (n == 0) break;
        if (static_cast<std::size_t>(n) > budget.bytes) {
            ::close(fd);
            return make_error(fmt::format("{}: the inventory's files are larger than {} MiB together; not read",
                                          printable(path), budget.max_bytes >> 20));
        }
        budget.bytes -= static_cast<std::size_t>(n);
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// Runs `argv` without a shell, stdin from /dev/null: its stdout, or why not.
Result<std::string> run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                               Budget& budget) {
    const std::string what = fmt::format("{} {}", printable(argv[0]), printable(argv[1]));
    ChildLimits limits;
    limits.timeout = timeout;
    limits.max_stdout = budget.bytes;
    limits.max_stderr = kMaxScriptStderr;
    auto child = run_child(argv, limits);
    if (!child) return make_error(fmt::format("{}: {}", what, child.error().message));
    if (child->stop == ChildStop::timed_out) {
        return make_error(fmt::format("{}: did not finish in {:g} s; stopped", what, static_cast<double>(timeout.count()) / 1000));
    }
    if (child->stop == ChildStop::too_much_output) {
        return make_error(fmt::format("{}: printed more than {} MiB; stopped", what, budget.max_bytes >> 20));
    }
    if (child->killed_by_signal || child->exit_status != 0) {
        std::string last_line;
        for (const auto line : split(child->err, '\n')) {
            if (!trim(line).empty()) last_line = std::string(trim(line));
        }
        const std::string how = child->killed_by_signal ? fmt::format("killed by signal {}", child->exit_status - 128)
                                                        : fmt::format("exited with status {}", child->exit_status);
        return make_error(last_line.empty() ? fmt::format("{}: {}", what, how)
                                            : fmt::format("{}: {}: {}", what, how, printable(last_line)));
    }
    budget.bytes -= child->out.size();
    return std::move(child->out);
}

// Ansible's script protocol answers with a JSON object; anything else (a usage text, an INI that
// would parse as one) is refused rather than read as another format.
Status expect_json_object(std::string_view text, std::string_view what) {
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start != std::string_view::npos && text[start] == '{') return Ok{};
    const auto shown = trim(text.substr(0, std::min<std::size_t>(text.size(), 60)));
    return make_error(fmt::format("{}: {}{}", what,
                                  what == "-" ? "not a JSON object (what `ansible-inventory -i SOURCE --list` prints)"
                                              : "did not print a JSON object (Ansible's inventory script protocol)",
                                  shown.empty() ? "" : fmt::format(": \"{}\"", printable(shown))));
}

bool is_script(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) return false;
    if ((status.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0 || ::access(path.c_str(), X_OK) != 0) return false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return false;
    char start[2] = {};
    const bool shebang = ::read(fd, start, 2) == 2 && start[0] == '#' && start[1] == '!';
    ::close(fd);
    return shebang;
}

// A script's hosts, by the names its --list JSON lists (for --host when there is no _meta).
std::vector<std::string> listed_hosts(const YAML::Node& root) {
    std::set<std::string> names;
    const auto add = [&](const YAML::Node& list) {
        if (!list.IsSequence()) return;
        for (const auto& item : list) {
            if (item.IsScalar()) names.insert(item.Scalar());
        }
    };
    for (const auto& group : root) {
        if (group.second.IsSequence()) add(group.second);
        if (group.second.IsMap()) {
            for (const auto& field : group.second) {
                if (field.first.Scalar() == "hosts") add(field.second);
            }
        }
    }
    return {names.begin(), names.end()};
}

Result<InventoryDocument> run_inventory_script(const std::string& path, const InventoryReadLimits& limits,
                                               Budget& budget) {
    InventoryDocument document{fmt::format("{} --list", path), ""};
    auto listed = run_script({path, "--list"}, limits.script_timeout, budget);
    if (!listed) return listed.error();
    if (auto json = expect_json_object(*listed, document.file); !json) return json.error();
    YAML::Node root;
    try {
        root = YAML::Load(*listed);
    } catch (const YAML::Exception& error) {
        return make_error(fmt::format("{}:{}: {}", document.file, error.mark.line + 1, error.msg));
    }
    if (!root.IsMap() || root["_meta"]) {
        document.text = std::move(listed).value();
        return document;
    }
    // No _meta: each host's vars come from `--host NAME`, as Ansible asks for them.
    YAML::Node hostvars(YAML::NodeType::Map);
    for (const auto& host : listed_hosts(root)) {
        const std::string what = fmt::format("{} --host {}", path, host);
        auto vars = run_script({path, "--host", host}, limits.script_timeout, budget);
        if (!vars) return vars.error();
        if (auto json = expect_json_object(*vars, what); !json) return json.error();
        try {
            hostvars.force_insert(host, YAML::Load(*vars));
        } catch (const YAML::Exception& error) {
            return make_error(fmt::format("{}:{}: {}", what, error.mark.line + 1, error.msg));
        }
    }
    root["_meta"]["hostvars"] = hostvars;
    YAML::Emitter emitter;
    emitter << YAML::DoubleQuoted << YAML::Flow << root;
    document.text = emitter.c_str();
    return document;
}

// Ansible's INVENTORY_IGNORE_EXTS and always-ignored names, for entries of an inventory directory.
bool ignored_in_inventory_directory(const std::string& name) {
    if (name.empty() || name[0] == '.' || name == "group_vars" || name == "host_vars" || name == "vars_plugins") {
        return true;
    }
    static constexpr std::array<std::string_view, 13> kIgnoredEndings = {
        ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg", ".retry"};
    return std::any_of(kIgnoredEndings.begin(), kIgnoredEndings.end(),
                       [&](std::string_view ending) { return std::string_view(name).ends_with(ending); });
}

Status read_inventory_path(const std::string& path, int depth, const InventoryReadLimits& limits, Budget& budget,
                           std::vector<InventoryDocument>& out) {
    const auto kind = kind_of(path);
    if (kind == Kind::directory) {
        if (depth > kMaxDirectoryDepth) {
            return make_error(fmt::format("{}: directories nest deeper than {} levels", printable(path), kMaxDirectoryDepth));
        }
        auto names = sorted_entries(path);
        if (!names) return names.error();
        for (const auto& name : *names) {
            if (ignored_in_inventory_directory(name)) continue;
            const std::string child = path + "/" + name;
            const auto child_kind = kind_of(child);
            if (child_kind != Kind::file && child_kind != Kind::directory) continue;  // FIFOs, devices, dangling links
            if (auto read = read_inventory_path(child, depth + 1, limits, budget, out); !read) return read;
        }
        return Ok{};
    }
    if (kind == Kind::missing) return make_error(fmt::format("{}: {}", printable(path), std::strerror(ENOENT)));
    if (kind == Kind::other) return make_error(fmt::format("{}: not a regular file or a directory", printable(path)));
    if (is_script(path)) {
        auto document = run_inventory_script(path, limits, budget);
        if (!document) return document.error();
        out.push_back(std::move(document).value());
        return Ok{};
    }
    auto text = read_regular_file(path, budget);
    if (!text) return text.error();
    out.push_back(InventoryDocument{path, std::move(text).value()});
    return Ok{};
}

// The files of one vars directory entry (NAME, NAME.yml, ... or a directory of them), in the order
// Ansible's loader finds them.
Status read_vars_entry(const std::string& path, int depth, Budget& budget, std::vector<InventoryDocument>& out) {
    if (kind_of(path) == Kind::file) {
        auto text = read_regular_file(path, budget);
        if (!text) return text.error();
        out.push_back(InventoryDocument{path, std::move(text).value()});
        return Ok{};
    }
    if (depth > kMaxDirectoryDepth) {
        return make_error(fmt::format("{}: directories nest deeper than {} levels", printable(path), kMaxDirectoryDepth));
    }
    auto names = sorted_entries(path);
    if (!names) return names.error();
    for (const auto& name : *names) {
        if (name[0] == '.' || name.back() == '~') continue;
        const std::string child = path + "/" + name;
        const auto extension = extension_of(name);
        const auto kind = kind_of(child);
        if (kind == Kind::directory && extension.empty()) {
            if (auto read = read_vars_entry(child, depth + 1, budget, out); !read) return read;
        } else if (kind == Kind::file && (extension.empty() || is_vars_extension(extension))) {
            if (auto read = read_vars_entry(child, depth + 1, budget, out); !read) return read;
        }
    }
    return Ok{};
}

// group_vars/ or host_vars/: for each group or host named there, the first of NAME, NAME.yml,
// NAME.yaml, NAME.json that exists (a directory counts), as Ansible's host_group_vars plugin.
Status read_vars_directory(const std::string& directory, Budget& budget,
                           std::map<std::string, std::vector<InventoryDocument>>& out) {
    if (kind_of(directory) != Kind::directory) return Ok{};
    auto names = sorted_entries(directory);
    if (!names) return names.error();
    const std::set<std::string> present(names->begin(), names->end());
    std::set<std::string> entities;
    for (const auto& name : *names) {
        if (name[0] == '.') continue;
        const auto extension = extension_of(name);
        entities.insert(is_vars_extension(extension) ? name.substr(0, name.size() - extension.size()) : name);
    }
    for (const auto& entity : entities) {
        for (const char* extension : {"", ".yml", ".yaml", ".json"}) {
            const std::string name = entity + extension;
            if (!present.count(name)) continue;
            const auto kind = kind_of(directory + "/" + name);
            if (kind != Kind::file && kind != Kind::directory) continue;
            std::vector<InventoryDocument> files;
            if (auto read = read_vars_entry(directory + "/" + name, 0, budget, files); !read) return read;
            if (!files.empty()) out[entity] = std::move(files);
            break;
        }
    }
    return Ok{};
}

Result<std::string> read_standard_input(Budget& budget) {
    if (::isatty(STDIN_FILENO) == 1) {
        return make_error("-: reads the JSON of `ansible-inventory -i SOURCE --list` from standard input, which is a terminal");
    }
    std::string text;
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(fmt::format("-: {}", std::strerror(errno)));
        if (n == 0) break;
        if (static_cast<std::size_t>(n) > budget.bytes) {
            return make_error(fmt::format("-: more than {} MiB on standard input; not read", budget.max_bytes >> 20));
        }
        budget.bytes -= static_cast<std::size_t>(n);
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return text;
}

}  // namespace

Result<InventorySource> read_inventory_source(const std::string& source, const InventoryReadLimits& limits) {
    Budget budget{limits.max_bytes, limits.max_files, limits.max_bytes};
    InventorySource read;
    if (source == "-") {
        auto text = read_standard_input(budget);
        if (!text) return text.error();
        if (auto json = expect_json_object(*text, "-"); !json) return json.error();
        read.documents.push_back(InventoryDocument{"-", std::move(text).value()});
        return read;
    }
    if (auto documents = read_inventory_path(source, 0, limits, budget, read.documents); !documents) {
        return documents.error();
    }
    if (read.documents.empty()) return make_error(fmt::format("{}: holds no inventory", printable(source)));
    // Vars beside the source: in the directory it is, or in the one it is in.
    const std::string base = kind_of(source) == Kind::directory ? source : fs::path(source).parent_path().string();
    const std::string directory = base.empty() ? "." : base;
    if (auto groups = read_vars_directory(directory + "/group_vars", budget, read.vars.groups); !groups) {
        return groups.error();
    }
    if (auto hosts = read_vars_directory(directory + "/host_vars", budget, read.vars.hosts); !hosts) {
        return hosts.error();
    }
    return read;
}

}  // namespace netdiag
