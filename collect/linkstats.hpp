// Egress qdisc statistics and NIC ring sizes: read from the live local kernel (rtnetlink and the
// ethtool ioctl), and put into a Snapshot from whatever transport answers.
#pragma once

#include <string>
#include <vector>

#include "collect/parsers_linkstats.hpp"
#include "collect/snapshot.hpp"
#include "remote/transport.hpp"

namespace netdiag {

// The live host of this process's network namespace: every qdisc from one RTM_GETQDISC dump, and
// ETHTOOL_GRINGPARAM for each of `interfaces` (EOPNOTSUPP, as from veth or lo, and ENODEV leave the
// interface out). Each part that fails is absent with a Problem; nothing here throws or blocks for
// more than a few seconds.
LinkStats read_local_link_stats(const std::vector<std::string>& interfaces);

// Every interface of this process's network namespace from one RTM_GETLINK dump: what a sample
// would otherwise open eight files per interface for.
Result<std::vector<LinkState>> read_local_link_states();

// One interface's ring sizes, by ETHTOOL_GRINGPARAM on the live host. nullopt: the interface does
// not exist (ENODEV); an interface without rings (EOPNOTSUPP) or any other failure is an error.
Result<std::optional<RingSizes>> read_local_ring(const std::string& interface);

// Sets one ring of an interface on the live host: ETHTOOL_GRINGPARAM, then ETHTOOL_SRINGPARAM with
// only `ring`'s size changed (the other ring and the mini/jumbo ones passed back as read). Nothing
// is sent when the ring already has that size (many drivers reset the link on any set), and a size
// above the driver's maximum is refused before the kernel sees it. Needs CAP_NET_ADMIN.
Status write_local_ring(const std::string& interface, Ring ring, std::uint32_t size);

// Fills snapshot.qdiscs and InterfaceInfo::ring of the non-virtual interfaces in
// snapshot.interfaces (rings are a NIC's; only interfaces with a /sys/class/net/IF/device are
// asked). What the host cannot tell goes to snapshot.unavailable under kQdiscsSubject,
// kRingsSubject or ring_subject(IF), and answers that did not parse also to snapshot.unparsable.
// A transport that cannot ask at all (a captured tree) leaves the snapshot as it is.
void collect_link_stats(Transport& transport, Snapshot& snapshot);

}  // namespace netdiag
