#include "checks/rates.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace netdiag {
namespace {

constexpr std::uint64_t kWrap32 = std::uint64_t{1} << 32;

double per_second(std::uint64_t before, std::uint64_t after, double seconds) {
    return static_cast<double>(counter_delta(before, after)) / seconds;
}

// snmp values are signed (gauges like CurrEstab sit among counters); gauges' rates are never used.
std::map<std::string, std::map<std::string, double>> proto_rates(const std::optional<ProtoCounters>& before,
                                                                 const std::optional<ProtoCounters>& after,
                                                                 double seconds) {
    std::map<std::string, std::map<std::string, double>> rates;
    if (!before || !after) return rates;
    for (const auto& [section, fields] : *after) {
        const auto old_section = before->find(section);
        if (old_section == before->end()) continue;
        for (const auto& [field, value] : fields) {
            const auto old_value = old_section->second.find(field);
            if (old_value == old_section->second.end() || value < 0 || old_value->second < 0) continue;
            rates[section][field] = per_second(static_cast<std::uint64_t>(old_value->second),
                                               static_cast<std::uint64_t>(value), seconds);
        }
    }
    return rates;
}

double lookup(const std::map<std::string, std::map<std::string, double>>& rates, const std::string& section,
              const std::string& field) {
    const auto found = rates.find(section);
    if (found == rates.end()) return 0;
    const auto value = found->second.find(field);
    return value == found->second.end() ? 0 : value->second;
}

// The entries of one sample by their key, so pairing two samples costs n log n, not n^2 (a host
// may list tens of thousands of CPUs, IRQs or interfaces).
template <class Items, class KeyOf>
auto index_by(const Items& items, KeyOf key_of) {
    std::map<std::decay_t<decltype(key_of(*items.begin()))>, const typename Items::value_type*> index;
    for (const auto& item : items) index.emplace(key_of(item), &item);
    return index;
}

std::string cpu_name(const std::string& stat_name) {
    // /proc/stat says "cpu3", /proc/softirqs and /proc/interrupts say "CPU3".
    return "CPU" + stat_name.substr(3);
}

void cpu_rates(const Snapshot& before, const Snapshot& after, double seconds, Rates& rates) {
    if (before.cpu_times && after.cpu_times) {
        const auto earlier = index_by(*before.cpu_times, [](const auto& cpu) { return cpu.cpu; });
        for (const auto& now : *after.cpu_times) {
            if (now.cpu == "cpu") continue;
            if (const auto found = earlier.find(now.cpu); found != earlier.end()) {
                const auto& then = *found->second;
                const auto total = counter_delta(then.total(), now.total());
                auto& cpu = rates.cpus[cpu_name(now.cpu)];
                cpu.cpu = cpu_name(now.cpu);
                if (total > 0) {
                    cpu.softirq_share = static_cast<double>(counter_delta(then.softirq, now.softirq)) / total;
                    cpu.idle_share = static_cast<double>(counter_delta(then.idle, now.idle) +
                                                         counter_delta(then.iowait, now.iowait)) / total;
                }
            }
        }
    }
    if (before.softirqs && after.softirqs) {
        const auto now = after.softirqs->find("NET_RX");
        const auto then = before.softirqs->find("NET_RX");
        if (now != after.softirqs->end() && then != before.softirqs->end()) {
            for (const auto& [cpu, count] : now->second) {
                const auto old = then->second.find(cpu);
                if (old == then->second.end()) continue;
                auto& entry = rates.cpus[cpu];
                entry.cpu = cpu;
                entry.net_rx_softirqs = per_second(old->second, count, seconds);
            }
        }
    }
    if (before.softnet && after.softnet) {
        const auto earlier = index_by(*before.softnet, [](const auto& cpu) { return cpu.cpu; });
        for (const auto& now : *after.softnet) {
            if (const auto found = earlier.find(now.cpu); found != earlier.end()) {
                const auto& then = *found->second;
                auto& entry = rates.cpus["CPU" + std::to_string(now.cpu)];
                entry.cpu = "CPU" + std::to_string(now.cpu);
                entry.softnet_processed = per_second(then.processed, now.processed, seconds);
                entry.softnet_dropped = per_second(then.dropped, now.dropped, seconds);
                entry.softnet_time_squeeze = per_second(then.time_squeeze, now.time_squeeze, seconds);
            }
        }
    }
}

void interface_rates(const Snapshot& before, const Snapshot& after, double seconds, Rates& rates) {
    if (!before.net_dev || !after.net_dev) return;
    const auto earlier = index_by(*before.net_dev, [](const InterfaceCounters& c) { return c.name; });
    for (const auto& now : *after.net_dev) {
        const auto found = earlier.find(now.name);
        if (found == earlier.end()) continue;  // appeared between samples: no rate yet
        const auto* then = found->second;
        InterfaceRates r;
        r.name = now.name;
        r.rx_bytes = per_second(then->rx_bytes, now.rx_bytes, seconds);
        r.tx_bytes = per_second(then->tx_bytes, now.tx_bytes, seconds);
        r.rx_packets = per_second(then->rx_packets, now.rx_packets, seconds);
        r.tx_packets = per_second(then->tx_packets, now.tx_packets, seconds);
        r.rx_drop = per_second(then->rx_drop, now.rx_drop, seconds);
        r.tx_drop = per_second(then->tx_drop, now.tx_drop, seconds);
        r.rx_errs = per_second(then->rx_errs, now.rx_errs, seconds);
        r.tx_errs = per_second(then->tx_errs, now.tx_errs, seconds);
        r.rx_fifo = per_second(then->rx_fifo, now.rx_fifo, seconds);
        const auto* info_then = find_interface(before, now.name);
        const auto* info_now = find_interface(after, now.name);
        if (info_then && info_now && info_then->rx_missed_errors && info_now->rx_missed_errors) {
            r.rx_missed = per_second(*info_then->rx_missed_errors, *info_now->rx_missed_errors, seconds);
        }
        if (info_then && info_now && info_then->carrier_changes && info_now->carrier_changes) {
            r.carrier_changes = counter_delta(*info_then->carrier_changes, *info_now->carrier_changes);
        }
        if (info_then && info_now && info_then->tx_timeouts && info_now->tx_timeouts) {
            r.tx_timeouts = counter_delta(*info_then->tx_timeouts, *info_now->tx_timeouts);
        }
        rates.interfaces.push_back(std::move(r));
    }
}

// The root qdisc of each interface: its counters include its children's (mq sums its queues'),
// so adding the children too would count each drop twice. Ingress/clsact are not on the egress path.
void qdisc_rates(const Snapshot& before, const Snapshot& after, Rates& rates) {
    if (!before.qdiscs || !after.qdiscs) return;
    auto is_root = [](const QdiscStats& q) { return q.parent == "root"; };
    std::map<std::string, const QdiscStats*> earlier;
    for (const auto& q : *before.qdiscs) {
        if (is_root(q)) earlier.emplace(q.interface, &q);
    }
    std::map<std::string, InterfaceRates*> by_name;
    for (auto& r : rates.interfaces) by_name.emplace(r.name, &r);
    for (const auto& q : *after.qdiscs) {
        if (!is_root(q)) continue;
        const auto then = earlier.find(q.interface);
        const auto rate = by_name.find(q.interface);
        if (then == earlier.end() || rate == by_name.end() || then->second->kind != q.kind) continue;
        rate->second->qdisc_drops = per_second(then->second->drops, q.drops, rates.seconds);
        rate->second->qdisc_kind = q.kind;
    }
}

}  // namespace

std::uint64_t counter_delta(std::uint64_t before, std::uint64_t after) {
    if (after >= before) return after - before;
    if (before >= kWrap32 / 2 && before < kWrap32 && after < kWrap32) return kWrap32 - before + after;
    return after;
}

double Rates::snmp_value(const std::string& section, const std::string& field) const {
    return lookup(snmp, section, field);
}

double Rates::netstat_value(const std::string& section, const std::string& field) const {
    return lookup(netstat, section, field);
}

Result<Rates> compute_rates(const Snapshot& before, const Snapshot& after) {
    Rates rates;
    if (before.uptime_seconds && after.uptime_seconds && *after.uptime_seconds > *before.uptime_seconds) {
        rates.seconds = *after.uptime_seconds - *before.uptime_seconds;
    } else {
        rates.seconds = static_cast<double>(after.taken_at_unix_ms - before.taken_at_unix_ms) / 1000.0;
    }
    if (rates.seconds <= 0) {
        return make_error(fmt::format("{}: the two samples are not in time order (interval {:.3f} s)", after.host,
                                      rates.seconds));
    }
    interface_rates(before, after, rates.seconds, rates);
    cpu_rates(before, after, rates.seconds, rates);
    rates.snmp = proto_rates(before.snmp, after.snmp, rates.seconds);
    rates.netstat = proto_rates(before.netstat, after.netstat, rates.seconds);
    rates.snmp6 = proto_rates(before.snmp6, after.snmp6, rates.seconds);
    if (before.conntrack && after.conntrack && before.conntrack->stat && after.conntrack->stat) {
        std::map<std::string, double> stat;
        for (const auto& [field, value] : *after.conntrack->stat) {
            const auto old = before.conntrack->stat->find(field);
            if (old != before.conntrack->stat->end()) stat[field] = per_second(old->second, value, rates.seconds);
        }
        rates.conntrack_stat = std::move(stat);
    }
    qdisc_rates(before, after, rates);
    for (const auto* sample : {&before, &after}) {
        if (!sample->tcp) continue;
        for (const auto& [port, count] : sample->tcp->syn_recv_by_local_port) {
            auto& most = rates.syn_recv_by_local_port[port];
            most = std::max(most, count);
        }
    }
    if (before.arp_cache && after.arp_cache && before.arp_cache->table_fulls && after.arp_cache->table_fulls) {
        rates.arp_table_fulls = per_second(*before.arp_cache->table_fulls, *after.arp_cache->table_fulls, rates.seconds);
    }
    if (before.ndisc_cache && after.ndisc_cache && before.ndisc_cache->table_fulls && after.ndisc_cache->table_fulls) {
        rates.ndisc_table_fulls =
            per_second(*before.ndisc_cache->table_fulls, *after.ndisc_cache->table_fulls, rates.seconds);
    }
    if (before.interrupts && after.interrupts) {
        const auto earlier = index_by(*before.interrupts, [](const auto& line) { return line.irq; });
        for (const auto& now : *after.interrupts) {
            if (const auto found = earlier.find(now.irq); found != earlier.end()) {
                const auto& then = *found->second;
                // Counts are kept only where non-zero: a CPU the first sample lacks had taken none.
                for (const auto& [cpu, count] : now.per_cpu) {
                    const auto old = then.per_cpu.find(cpu);
                    rates.irq_per_cpu[now.irq][cpu] =
                        per_second(old == then.per_cpu.end() ? 0 : old->second, count, rates.seconds);
                }
            }
        }
    }
    return rates;
}

}  // namespace netdiag
