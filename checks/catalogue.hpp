// The catalogue of checks: pure functions from snapshots and rates to findings.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "checks/finding.hpp"
#include "checks/rates.hpp"
#include "checks/settings.hpp"
#include "collect/snapshot.hpp"

namespace netdiag {

struct CheckInput {
    const Snapshot& now;
    const Rates* rates;  // null with --interval 0: checks that need rates stay silent
    const Settings& settings;
};

using CheckFunction = void (*)(const CheckInput&, std::vector<Finding>&);

struct Check {
    std::string_view id;
    std::string_view summary;
    bool needs_rates;
    std::string_view threshold_prefix;  // its thresholds are the keys "<prefix>.*"; "" when it has none
    CheckFunction run;
    // The files whose data it reads ('*' for an interface): one that exists but does not parse
    // leaves the check unable to decide.
    std::span<const std::string_view> needs;
    std::string_view counters;      // what it reads, as the README's table says it
    std::string_view default_from;  // where its default thresholds come from (an anchor, DESIGN, netdiag)
    // Why a finding matters and what to do, as static text for places without a sample (alerting
    // rules): the findings' own why/action say the same with the host's values filled in. "IF"
    // stands for the interface, "BOND" for the bond.
    std::string_view why;
    std::string_view action;
};

// Sorted by id.
std::span<const Check> catalogue();

// Runs every check (or those in settings.only_checks); findings come back worst first.
std::vector<Finding> run_checks(const Snapshot& now, const Rates* rates, const Settings& settings);

void sort_worst_first(std::vector<Finding>& findings);

// Pure: what a file that exists but does not parse (Snapshot::unparsable) costs. One `unknown`
// finding per check that would run and file it needs, naming the file and line, so that data
// netdiag could not read is never taken for all clear. Rate checks compare two samples: `before`
// is the first when rates were computed, null with one sample (rate checks do not run then).
// details: "file", "error" and, where the error gives one, "line".
std::vector<Finding> unparsable_findings(const Snapshot& now, const Snapshot* before, const Settings& settings);

// A sysctl's value for a message: "1000", or "not readable".
std::string sysctl_text(const Snapshot& snapshot, const std::string& name);

// The head every finding shares: how bad, about what, the value seen (in `unit`) and the limit it
// crossed. The check fills in what it saw, why it matters and what to do.
Finding make_finding(Severity severity, std::string subject, double value, std::string unit,
                     std::optional<double> threshold = std::nullopt);

// A field of /proc/net/sockstat or sockstat6 ("TCP", "mem"), where the host has it.
std::optional<std::int64_t> sockstat_value(const std::optional<SockStat>& sockstat, const std::string& section,
                                           const std::string& field);

// The checks themselves, one function each (see catalogue.cpp for the table).
void check_close_wait(const CheckInput&, std::vector<Finding>&);
void check_conntrack_drops(const CheckInput&, std::vector<Finding>&);
void check_conntrack_fill(const CheckInput&, std::vector<Finding>&);
void check_listen_overflows(const CheckInput&, std::vector<Finding>&);
void check_nic_errors(const CheckInput&, std::vector<Finding>&);
void check_nic_saturation(const CheckInput&, std::vector<Finding>&);
void check_rx_drops(const CheckInput&, std::vector<Finding>&);
void check_softnet_backlog(const CheckInput&, std::vector<Finding>&);
void check_tcp_retransmits(const CheckInput&, std::vector<Finding>&);
void check_time_wait(const CheckInput&, std::vector<Finding>&);
void check_udp_buffer_errors(const CheckInput&, std::vector<Finding>&);
void check_syn_queue(const CheckInput&, std::vector<Finding>&);
void check_ip_reassembly(const CheckInput&, std::vector<Finding>&);
void check_tcp_resets(const CheckInput&, std::vector<Finding>&);
void check_tcp_memory(const CheckInput&, std::vector<Finding>&);
void check_tcp_receive_drops(const CheckInput&, std::vector<Finding>&);
void check_time_wait_overflow(const CheckInput&, std::vector<Finding>&);
void check_tx_drops(const CheckInput&, std::vector<Finding>&);
void check_tcp_aborts(const CheckInput&, std::vector<Finding>&);
// Links (checks/link_checks.cpp).
void check_link_down(const CheckInput&, std::vector<Finding>&);
void check_carrier_flaps(const CheckInput&, std::vector<Finding>&);
void check_link_degraded(const CheckInput&, std::vector<Finding>&);
void check_bond_degraded(const CheckInput&, std::vector<Finding>&);
void check_tx_timeouts(const CheckInput&, std::vector<Finding>&);
void check_mtu_mismatch(const CheckInput&, std::vector<Finding>&);
void check_packet_storm(const CheckInput&, std::vector<Finding>&);
void check_qdisc_drops(const CheckInput&, std::vector<Finding>&);
// The IP layer and its tables (checks/ip_checks.cpp).
void check_neigh_table(const CheckInput&, std::vector<Finding>&);
void check_rp_filter(const CheckInput&, std::vector<Finding>&);
void check_checksum_errors(const CheckInput&, std::vector<Finding>&);
void check_icmp_errors(const CheckInput&, std::vector<Finding>&);
void check_no_route(const CheckInput&, std::vector<Finding>&);
void check_udp_memory(const CheckInput&, std::vector<Finding>&);
void check_frag_memory(const CheckInput&, std::vector<Finding>&);

}  // namespace netdiag
