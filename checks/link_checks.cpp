// Links: carrier, flaps, speed and duplex, bonds, TX watchdog, MTU stacking, storms, egress qdiscs.
#include <fmt/format.h>

#include "checks/catalogue.hpp"

namespace netdiag {
namespace {

constexpr std::int64_t kIffUp = 0x1;

bool administratively_up(const InterfaceInfo& info) { return info.flags && (*info.flags & kIffUp) != 0; }

// Interfaces the link checks look at: every one the settings do not call virtual (veth, bridges,
// tunnels...). Bonds and VLANs stay in: they are where an outage shows.
bool watched(const CheckInput& in, const std::string& name) { return !in.settings.is_virtual(name); }

}  // namespace

// An interface someone brought up whose link is not there: no carrier, so nothing passes. Level
// check; Zabbix's "Link down" trigger, without needing to have seen it up before: IFF_UP says the
// operator wants it up.
void check_link_down(const CheckInput& in, std::vector<Finding>& out) {
    for (const auto& info : in.now.interfaces) {
        if (!watched(in, info.name) || !administratively_up(info)) continue;
        const bool no_carrier = info.carrier ? !*info.carrier
                                             : info.operstate && (*info.operstate == "down" ||
                                                                  *info.operstate == "lowerlayerdown");
        if (!no_carrier) continue;
        Finding f;
        f.severity = Severity::critical;
        f.subject = info.name;
        f.unit = "";
        f.message = fmt::format("{} is up (administratively) but has no link: carrier 0, operstate {}{}", info.name,
                                info.operstate.value_or("unknown"),
                                info.master ? fmt::format(", a port of {}", *info.master) : std::string());
        f.why = "Nothing is sent or received on it: the cable, the optic, the switch port or the peer is down "
                "(for a virtual device, its lower device or peer is).";
        f.action = fmt::format("`ip link show {0}` and `ethtool {0}` (Link detected), `dmesg | grep {0}`; check the "
                               "cable/optic and the switch port; bring the peer up.",
                               info.name);
        f.details["operstate"] = info.operstate.value_or("unknown");
        out.push_back(std::move(f));
    }
}

// carrier_changes counts every up and down of the link. kube-prometheus' NodeNetworkInterfaceFlapping
// fires on more than 2 changes within 2 minutes.
void check_carrier_flaps(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("carrier-flaps.warning");
    for (const auto& r : in.rates->interfaces) {
        if (!watched(in, r.name) || !r.carrier_changes) continue;
        const auto changes = static_cast<double>(*r.carrier_changes);
        if (changes <= warning) continue;
        Finding f = make_finding(Severity::warning, r.name, changes, "changes", warning);
        f.message = fmt::format("{}'s link went down or up {} times in {:.1f} s (carrier_changes)", r.name,
                                *r.carrier_changes, in.rates->seconds);
        f.why = "Each flap drops what is in flight and, on a bond or with routing protocols, moves traffic "
                "back and forth.";
        f.action = fmt::format("`dmesg | grep -i '{0}.*link'` for the pattern; check the cable or optic and the "
                               "switch port's log; pin speed/duplex (`ethtool -s {0}`) if autonegotiation flaps.",
                               r.name);
        out.push_back(std::move(f));
    }
}

// Half duplex on switched Ethernet is always a fault; a physical link below a gigabit is almost
// always autonegotiation falling back on a bad cable (Zabbix alarms on a speed drop).
void check_link_degraded(const CheckInput& in, std::vector<Finding>& out) {
    const double minimum = in.settings.threshold("link-degraded.minimum-speed");
    for (const auto& info : in.now.interfaces) {
        if (!watched(in, info.name) || info.is_virtual || !administratively_up(info)) continue;
        if (info.carrier && !*info.carrier) continue;  // link-down says it
        const bool half = info.duplex && *info.duplex == "half";
        const bool slow = info.speed_mbps && *info.speed_mbps > 0 && minimum > 0 &&
                          static_cast<double>(*info.speed_mbps) < minimum;
        if (!half && !slow) continue;
        Finding f = make_finding(Severity::warning, info.name,
                                 static_cast<double>(info.speed_mbps.value_or(0)), "Mb/s");
        if (slow) f.threshold = minimum;
        f.message = fmt::format("{} runs at {} Mb/s, {} duplex", info.name, info.speed_mbps.value_or(0),
                                info.duplex.value_or("unknown"));
        f.why = half ? "Half duplex on a switched link means collisions and late collisions under load: "
                       "a duplex mismatch with the switch, throughput collapses."
                     : "A server NIC below a gigabit has usually fallen back during autonegotiation (a damaged "
                       "cable or a bad pair), capping everything behind it.";
        f.action = fmt::format("`ethtool {0}` shows what was negotiated and advertised; replace the cable, check the "
                               "switch port's settings, then renegotiate (`ethtool -r {0}`). Set "
                               "link-degraded.minimum-speed to 0 where slow links are intended.",
                               info.name);
        f.details["duplex"] = info.duplex.value_or("unknown");
        out.push_back(std::move(f));
    }
}

// A bond whose slave's MII link is down runs without its redundancy (node-mixin NodeBondingDegraded).
void check_bond_degraded(const CheckInput& in, std::vector<Finding>& out) {
    std::map<std::string, std::vector<std::string>> down_by_bond, slaves_by_bond;
    for (const auto& info : in.now.interfaces) {
        if (!info.master || !info.bond_mii_status) continue;
        slaves_by_bond[*info.master].push_back(info.name);
        if (*info.bond_mii_status != "up") down_by_bond[*info.master].push_back(info.name);
    }
    for (const auto& [bond, down] : down_by_bond) {
        const auto& slaves = slaves_by_bond[bond];
        Finding f = make_finding(down.size() == slaves.size() ? Severity::critical : Severity::warning, bond,
                                 static_cast<double>(down.size()), "slaves down");
        std::string names;
        for (const auto& name : down) names += (names.empty() ? "" : ", ") + name;
        f.message = fmt::format("bond {} has {} of {} slaves down ({})", bond, down.size(), slaves.size(), names);
        f.why = down.size() == slaves.size() ? "Every slave is down: the bond carries nothing."
                                             : "The bond runs without redundancy (and, in a load-balancing mode, "
                                               "with a fraction of its bandwidth); one more failure is an outage.";
        f.action = fmt::format("`cat /proc/net/bonding/{}` for each slave's MII status and link failure count; "
                               "check the slaves' cables and switch ports.",
                               bond);
        f.details["down"] = names;
        out.push_back(std::move(f));
    }
}

// The TX watchdog fired: a transmit queue made no progress for dev->watchdog_timeo and the driver
// was told to reset the NIC ("NETDEV WATCHDOG ... transmit queue N timed out" in dmesg).
void check_tx_timeouts(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("tx-timeouts.warning");
    for (const auto& r : in.rates->interfaces) {
        if (!r.tx_timeouts || static_cast<double>(*r.tx_timeouts) <= warning) continue;
        Finding f = make_finding(Severity::critical, r.name, static_cast<double>(*r.tx_timeouts), "timeouts", warning);
        f.message = fmt::format("{}'s transmit watchdog fired {} times in {:.1f} s (queues/tx-*/tx_timeout)", r.name,
                                *r.tx_timeouts, in.rates->seconds);
        f.why = "The NIC stopped sending and the driver reset it: everything queued was lost and the link "
                "paused; it repeats until the cause is fixed.";
        f.action = fmt::format("`dmesg | grep -i 'watchdog\\|{0}'`; update the driver and firmware "
                               "(`ethtool -i {0}`), check for PCIe errors (`lspci -vv`, AER in dmesg).",
                               r.name);
        out.push_back(std::move(f));
    }
}

// A device stacked on a lower one (VLAN on a NIC, bond on its slaves, macvlan...) with a larger MTU
// than that lower device: frames that fit the upper one are dropped below it.
void check_mtu_mismatch(const CheckInput& in, std::vector<Finding>& out) {
    for (const auto& info : in.now.interfaces) {
        if (!info.mtu || in.settings.is_virtual(info.name)) continue;
        for (const auto& lower_name : info.lower) {
            const InterfaceInfo* lower = find_interface(in.now, lower_name);
            if (lower == nullptr || !lower->mtu || *lower->mtu >= *info.mtu) continue;
            Finding f = make_finding(Severity::warning, info.name,
                                     static_cast<double>(*info.mtu), "bytes", static_cast<double>(*lower->mtu));
            f.message = fmt::format("{} has MTU {} but sits on {} with MTU {}", info.name, *info.mtu, lower_name,
                                    *lower->mtu);
            f.why = "Packets sized for the upper device do not fit the lower one: they are dropped or fragmented, "
                    "and large transfers stall while small requests work (a PMTU black hole).";
            f.action = fmt::format("Align them: `ip link set {} mtu {}` (or raise {}'s MTU if the network carries it).",
                                   info.name, *lower->mtu, lower_name);
            f.details["lower"] = lower_name;
            out.push_back(std::move(f));
        }
    }
}

// Received packets far above the interface's own long-run rate (its counters over the host's
// uptime): Netdata's 10s_received_packets_storm compares 10 s to 1 min, 50x warns, 60x is
// critical, with a floor of 1000 packets/s.
void check_packet_storm(const CheckInput& in, std::vector<Finding>& out) {
    constexpr double kSettledUptime = 60;  // Netdata waits this long after boot too
    if (!in.now.uptime_seconds || *in.now.uptime_seconds < kSettledUptime || !in.now.net_dev) return;
    const double warning = in.settings.threshold("packet-storm.warning");
    const double critical = in.settings.threshold("packet-storm.critical");
    const double floor = in.settings.threshold("packet-storm.floor");
    std::map<std::string, std::uint64_t> received;
    for (const auto& counters : *in.now.net_dev) received[counters.name] = counters.rx_packets;
    for (const auto& r : in.rates->interfaces) {
        if (!watched(in, r.name)) continue;
        const double usual = static_cast<double>(received[r.name]) / *in.now.uptime_seconds;
        const double baseline = std::max(floor, usual);
        const double ratio = baseline > 0 ? r.rx_packets / baseline : 0;
        if (ratio <= warning) continue;
        Finding f = make_finding(ratio > critical ? Severity::critical : Severity::warning, r.name,
                                 ratio, "x", ratio > critical ? critical : warning);
        f.message = fmt::format("{} receives {:.0f} packets/s, {:.0f} times its usual {:.0f}/s since boot", r.name,
                                r.rx_packets, ratio, usual);
        f.why = "A sudden flood of packets — a broadcast storm from a switching loop, or a flood aimed at the "
                "host — starves everything else of CPU and queue space.";
        f.action = fmt::format("See what it is: `tcpdump -eni {} -c 200` (broadcast? one source?); a loop needs STP "
                               "or storm control on the switch, a flood filtering upstream.",
                               r.name);
        out.push_back(std::move(f));
    }
}

// Packets the egress queueing discipline dropped (its queue was full, or a shaper/policer threw
// them away): Netdata's 10min_qos_packet_drops alarms on any.
void check_qdisc_drops(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("qdisc-drops.warning");
    for (const auto& r : in.rates->interfaces) {
        if (!r.qdisc_drops || *r.qdisc_drops <= warning) continue;
        Finding f = make_finding(Severity::warning, r.name, *r.qdisc_drops, "/s", warning);
        f.message = fmt::format("{}'s {} qdisc drops {:.1f} packets/s before they reach the driver", r.name,
                                r.qdisc_kind, *r.qdisc_drops);
        f.why = "Egress drops are invisible in the NIC's counters: the sender's TCP backs off or its UDP is "
                "lost while the link itself looks fine.";
        f.action = fmt::format("`tc -s qdisc show dev {0}`: a full queue wants a longer txqueuelen (`ip link set {0} "
                               "txqueuelen N`) or a faster link; a shaper's drops are its configured limit working.",
                               r.name);
        out.push_back(std::move(f));
    }
}

}  // namespace netdiag
