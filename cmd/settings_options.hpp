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
Result<Settings> build_settings(const SettingsOptions& options, int* exit_code_on_error);

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
