// Settings from an already parsed YAML mapping: the config file's top level, or the `netdiag:`
// variables of an inventory group or host. Kept apart so only YAML readers include yaml-cpp.
#pragma once

#include <string_view>

#include <yaml-cpp/yaml.h>

#include "checks/settings.hpp"

namespace netdiag {

// `node` holds thresholds, speeds and virtual_interfaces; errors are "file:line: what".
Status apply_settings_node(Settings& settings, const YAML::Node& node, std::string_view file);

}  // namespace netdiag
