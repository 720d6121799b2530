// Reading an inventory source as Ansible does: a file, an executable script (run with --list), a
// directory of them, or "-" (JSON on standard input), with the group_vars/ and host_vars/ beside
// it. The only inventory code that touches the disk or runs a program; parse_inventories
// (remote/inventory.hpp) makes the hosts of what it reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "remote/inventory.hpp"

namespace netdiag {

struct InventorySource {
    std::vector<InventoryDocument> documents;
    InventoryVarsFiles vars;
};

struct InventoryReadLimits {
    std::chrono::milliseconds script_timeout{60000};  // each run of a script (--list, --host NAME)
    std::size_t max_bytes = std::size_t{256} << 20;   // every file read and all scripts print, together
    std::size_t max_files = 100000;                   // inventories and vars files
};

// A directory is read as Ansible reads one: its entries in byte order, subdirectories too, leaving
// out hidden names, group_vars, host_vars and Ansible's INVENTORY_IGNORE_EXTS (.ini, .cfg, .md,
// .txt, .retry, backups ...). A file that is executable and starts with "#!" is a dynamic inventory:
// run without a shell as `FILE --list`, and `FILE --host NAME` for each host when its JSON has no
// _meta; it must print a JSON object and exit 0 in time. Vars files are NAME, NAME.yml, NAME.yaml
// or NAME.json (the first that exists), or a directory NAME of such files, under group_vars/ and
// host_vars/ of the directory the source is in (or is). Only regular files are read (a FIFO or a
// device is left out), within `limits`. Errors name the file or the script.
Result<InventorySource> read_inventory_source(const std::string& source, const InventoryReadLimits& limits = {});

}  // namespace netdiag
