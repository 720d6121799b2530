// Receive-path checks: interface drops diagnosed against softnet and softirq load.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "checks/catalogue.hpp"
#include "collect/parsers.hpp"

namespace netdiag {
namespace {

// CPUs that dropped or squeezed, by name, worst first: "CPU1 (120/s), CPU3 (4/s)".
std::string cpus_with(const Rates& rates, double CpuRates::*field) {
    std::vector<std::pair<double, std::string>> cpus;
    for (const auto& [name, cpu] : rates.cpus) {
        if (cpu.*field > 0) cpus.emplace_back(cpu.*field, name);
    }
    std::sort(cpus.rbegin(), cpus.rend());
    std::string text;
    for (const auto& [value, name] : cpus) {
        if (!text.empty()) text += ", ";
        text += fmt::format("{} ({:.0f}/s)", name, value);
    }
    return text;
}

double total(const Rates& rates, double CpuRates::*field) {
    return std::accumulate(rates.cpus.begin(), rates.cpus.end(), 0.0,
                           [&](double sum, const auto& entry) { return sum + entry.second.*field; });
}

// Where each of the interface's IRQs runs: "27→CPU1, 28→CPU2".
std::string irq_placement(const Snapshot& s, const Rates& rates, const InterfaceInfo& info) {
    std::string text;
    for (const int irq : info.irqs) {
        std::string where;
        // The CPU that took most of its interrupts during the interval says more than a mask.
        if (const auto counts = rates.irq_per_cpu.find(irq); counts != rates.irq_per_cpu.end()) {
            const auto busiest = std::max_element(counts->second.begin(), counts->second.end(),
                                                  [](const auto& a, const auto& b) { return a.second < b.second; });
            if (busiest != counts->second.end() && busiest->second > 0) where = busiest->first;
        }
        if (where.empty()) {
            if (const auto affinity = s.irq_affinity.find(irq); affinity != s.irq_affinity.end()) {
                const auto& mask = affinity->second.effective_affinity ? affinity->second.effective_affinity
                                                                         : affinity->second.smp_affinity;
                if (mask) where = "mask " + *mask;
            }
        }
        if (!text.empty()) text += ", ";
        text += fmt::format("{}→{}", irq, where.empty() ? "?" : where);
    }
    return text;
}

struct Concentration {
    std::string busiest_cpu;
    double share = 0;  // of all NET_RX softirqs
    int idle_cpus = 0;
};

// NET_RX piled on one CPU while others idle: the signature of IRQs (or RSS) on too few CPUs.
std::optional<Concentration> net_rx_concentration(const Rates& rates) {
    const double all = total(rates, &CpuRates::net_rx_softirqs);
    if (all <= 0 || rates.cpus.size() < 2) return std::nullopt;
    Concentration result;
    for (const auto& [name, cpu] : rates.cpus) {
        if (cpu.net_rx_softirqs / all > result.share) {
            result.share = cpu.net_rx_softirqs / all;
            result.busiest_cpu = name;
        }
    }
    for (const auto& [name, cpu] : rates.cpus) {
        if (name != result.busiest_cpu && cpu.idle_share && *cpu.idle_share >= 0.5) ++result.idle_cpus;
    }
    if (result.share < 0.8 || result.idle_cpus == 0) return std::nullopt;
    return result;
}

void diagnose(const CheckInput& in, const InterfaceRates& r, Finding& f) {
    const Rates& rates = *in.rates;
    const InterfaceInfo* info = find_interface(in.now, r.name);
    const double missed = r.rx_missed.value_or(0) + r.rx_fifo;
    const double backlog_drops = total(rates, &CpuRates::softnet_dropped);
    const double squeezes = total(rates, &CpuRates::softnet_time_squeeze);
    if (missed > 0) {
        f.cause = "ring";
        f.message += fmt::format("; the NIC itself missed {:.0f}/s (ring full or FIFO overrun)", missed);
        if (info && info->ring && info->ring->rx < info->ring->rx_max) {
            // The ring is the cause we can name: smaller than the NIC allows.
            f.message += fmt::format("; its RX ring holds {} descriptors of a possible {}", info->ring->rx,
                                     info->ring->rx_max);
            f.details["ring_rx"] = std::to_string(info->ring->rx);
            f.details["ring_rx_max"] = std::to_string(info->ring->rx_max);
            f.action = fmt::format("Raise the receive ring to its maximum (`ethtool -G {0} rx {1}`; "
                                   "`netdiag fix --only nic-ring` plans it); spread the IRQs if one CPU is saturated.",
                                   r.name, info->ring->rx_max);
            f.fix = "nic-ring";
        } else if (info && info->ring) {
            f.message += fmt::format("; its RX ring is already at its maximum ({})", info->ring->rx_max);
            f.action = fmt::format("The ring cannot grow: spread the load over more queues (`ethtool -L {0}`) and "
                                   "CPUs (IRQ affinity), or lighten the per-packet work.",
                                   r.name);
        } else {
            f.action = fmt::format("Raise the receive ring: `ethtool -g {0}` shows the maximum, `ethtool -G {0} rx N` "
                                   "sets it; spread the IRQs if one CPU is saturated.",
                                   r.name);
        }
    } else if (backlog_drops > 0) {
        f.cause = "backlog";
        f.message += fmt::format("; softnet backlog full on {}", cpus_with(rates, &CpuRates::softnet_dropped));
        f.action = fmt::format("Raise net.core.netdev_max_backlog (now {}), e.g. doubled; "
                               "`netdiag fix --only softnet-backlog` plans it.",
                               sysctl_text(in.now, "net.core.netdev_max_backlog"));
        f.fix = "softnet-backlog";
    } else if (squeezes > 0) {
        f.cause = "budget";
        f.message += fmt::format("; softirq budget ran out (time_squeeze) on {}",
                                 cpus_with(rates, &CpuRates::softnet_time_squeeze));
        f.action = fmt::format("Raise net.core.netdev_budget (now {}) and netdev_budget_usecs (now {}); "
                               "`netdiag fix --only softnet-budget` plans it.",
                               sysctl_text(in.now, "net.core.netdev_budget"),
                               sysctl_text(in.now, "net.core.netdev_budget_usecs"));
        f.fix = "softnet-budget";
    } else if (const auto piled = info && !info->is_virtual ? net_rx_concentration(rates) : std::nullopt) {
        // Only a device with hardware queues can be helped by moving IRQs; a veth's softirq runs
        // wherever its sender runs.
        f.cause = "irq-affinity";
        f.message += fmt::format("; {:.0f}% of NET_RX softirqs ran on {} while {} other CPU(s) were mostly idle",
                                 piled->share * 100, piled->busiest_cpu, piled->idle_cpus);
        if (!info->irqs.empty()) {
            f.details["irqs"] = irq_placement(in.now, rates, *info);
            f.message += fmt::format(" (IRQ→CPU: {})", f.details["irqs"]);
        }
        f.action = "Spread the interface's queue IRQs over the CPUs of its NUMA node (or enable RPS on a "
                   "single-queue NIC); `netdiag fix --only irq-affinity` plans it.";
        f.fix = "irq-affinity";
    } else {
        f.cause = "protocol";
        f.message += "; no backlog, budget, ring or CPU pressure was seen";
        f.action = fmt::format("The stack discarded these packets itself: frames of an unknown protocol or "
                               "ethertype, an unconfigured VLAN, or filtering. See `ip -s -s link show {0}` and "
                               "`tcpdump -eni {0}`.",
                               r.name);
    }
    f.details["cause"] = *f.cause;
    // The distribution behind the cause, as data for the table's per-CPU picture.
    if (const double all = total(rates, &CpuRates::net_rx_softirqs); all > 0 && rates.cpus.size() >= 2) {
        std::string shares;
        for (const auto& [name, cpu] : rates.cpus) {
            shares += fmt::format("{}{}={:.3f}", shares.empty() ? "" : " ", name, cpu.net_rx_softirqs / all);
        }
        f.details["net_rx_share"] = shares;
    }
    if (info && !info->irqs.empty() && !f.details.count("irqs")) f.details["irqs"] = irq_placement(in.now, rates, *info);
}

}  // namespace

void check_rx_drops(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("rx-drops.warning");
    const double critical = in.settings.threshold("rx-drops.critical");
    for (const auto& r : in.rates->interfaces) {
        if (r.rx_drop <= warning) continue;
        Finding f;
        f.severity = r.rx_drop > critical ? Severity::critical : Severity::warning;
        f.subject = r.name;
        f.value = r.rx_drop;
        f.unit = "/s";
        f.threshold = f.severity == Severity::critical ? critical : warning;
        f.message = fmt::format("{} drops {:.0f} received packets/s", r.name, r.rx_drop);
        f.why = "Dropped packets are lost before any application sees them: TCP slows down and retransmits, "
                "UDP loses data.";
        diagnose(in, r, f);
        out.push_back(std::move(f));
    }
}

void check_softnet_backlog(const CheckInput& in, std::vector<Finding>& out) {
    const double dropped = total(*in.rates, &CpuRates::softnet_dropped);
    const double warning = in.settings.threshold("softnet-backlog.warning");
    if (dropped <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "softnet";
    f.value = dropped;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.0f} packets/s dropped from full per-CPU input backlogs: {}", dropped,
                            cpus_with(*in.rates, &CpuRates::softnet_dropped));
    f.why = "A CPU's backlog (net.core.netdev_max_backlog) filled faster than its softirq drained it; "
            "those packets are lost.";
    f.action = fmt::format("Raise net.core.netdev_max_backlog (now {}) and check the CPU's softirq load; "
                           "`netdiag fix --only softnet-backlog` plans it.",
                           sysctl_text(in.now, "net.core.netdev_max_backlog"));
    f.fix = "softnet-backlog";
    out.push_back(std::move(f));
}

}  // namespace netdiag
