// Flags shared by the commands that evaluate checks, and turning them into Settings.
#pragma once

#include "checks/settings.hpp"
#include "cmd/commands.hpp"

namespace netdiag {

void add_settings_flags(CLI::App& command, SettingsOptions& options);

// --root DIR and --interval SECONDS, which several commands take; `help` says what they do there.
CLI::Option* add_root_option(CLI::App& command, std::optional<std::string>& root, const std::string& help);
CLI::Option* add_interval_option(CLI::App& command, double& seconds, const std::string& help);

// Defaults, then the config file, then flags. Bad flags exit 64, a bad config file 65.
// Defaults, then the config files (--config, or else those of default_config_files() that exist,
// later overriding earlier), then the flags. *files_read, when given, lists the files applied.
Result<Settings> build_settings(const SettingsOptions& options, int* exit_code_on_error,
                                std::vector<std::string>* files_read = nullptr);

// Where a config is looked for without --config: /etc/netdiag/netdiag.yaml, then
// ${XDG_CONFIG_HOME:-$HOME/.config}/netdiag/netdiag.yaml (the user's own overrides the system's).
std::vector<std::string> default_config_files();

// Reads a whole file for the commands: errors name the file.
// Files named on the command line (--config, --plan, --from, inventories) are read whole, up to this.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{256} << 20;
Result<std::string> read_text_file(const std::string& path);
// Writes a file whole or not at all (temp file, then rename). Only a regular file or a missing
// name: a symlink, device, FIFO, socket or directory at `path` is an error, left as it is.
Status write_text_file_atomically(const std::string& path, const std::string& content);
// A command's output: to `path` whole or not at all (-o), or to stdout.
Status write_output(const std::optional<std::string>& path, const std::string& content);

}  // namespace netdiag
