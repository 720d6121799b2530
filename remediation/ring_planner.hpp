// The nic-ring fix: raise a NIC's RX ring to the driver's maximum. A ring size is not a file, so
// it travels as the virtual path "ethtool-ring:IF:rx" (remote/transport.hpp) through the same plan,
// drift check, write, read back, journal and undo as a sysctl; the transports turn it into
// ETHTOOL_SRINGPARAM locally and `ethtool -G` over SSH. Ring sizes survive neither a reboot nor a
// driver reload, so the fix also offers /etc/netdiag/nic-ring.sh, a script of `ethtool -G` lines to
// review and wire into boot, as irq-affinity offers irq-affinity.sh.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/finding.hpp"
#include "collect/snapshot.hpp"
#include "remediation/plan.hpp"
#include "remediation/planners.hpp"

namespace netdiag {

inline constexpr std::string_view kNicRingFix = "nic-ring";
inline constexpr std::string_view kNicRingScript = "/etc/netdiag/nic-ring.sh";

// Plans, for each physical interface whose finding names the nic-ring fix (rx-drops with cause
// "ring"), or for every physical interface when the fix is asked for by name: its RX ring from the
// size the snapshot holds to the driver's maximum, never lower; interfaces already at the maximum,
// with unknown rings or a name netdiag will not pass to ethtool get a note instead. With any ring
// planned, kNicRingScript is (re)written with one `ethtool -G IF rx N` line per interface, keeping
// the lines an earlier run wrote for other interfaces. `context.files` holds the script's current
// content (ring_context_files), and may hold a ring path's current size, which is then believed
// over the snapshot's.
void plan_nic_ring(const Snapshot& snapshot, const std::vector<Finding>& findings, const PlanContext& context,
                   bool asked_by_name, HostPlan& plan);

// What plan_nic_ring needs in PlanContext::files: the script (ring sizes come with the snapshot).
std::vector<std::string> ring_context_files();

// The script's text for `lines` (interface -> RX size), in netdiag's form.
std::string nic_ring_script(const std::vector<std::pair<std::string, std::uint64_t>>& lines);

// Why `content` is not what netdiag writes at `path` (nullopt when it is): a ring path holds one
// size, 1..kMaxRingSize; the script "#!/bin/sh", comments, netdiag's PATH line and `ethtool -G IF
// rx N` lines only, each interface a valid name and at most once. Any other path is refused.
// Messages start with the path, as content_problem's do.
std::optional<std::string> ring_content_problem(const std::string& path, std::string_view content);

// The paths nic-ring plans: RX ring paths of well-formed interface names, and the script.
bool ring_plannable_path(const std::string& path);

// The one nic-ring path undo may remove: the script (a ring is never removed).
bool ring_removable_path(const std::string& path);

}  // namespace netdiag
