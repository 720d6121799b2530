#include "checks/catalogue.hpp"

#include <algorithm>
#include <array>

namespace netdiag {

std::string_view severity_name(Severity severity) {
    switch (severity) {
        case Severity::info: return "info";
        case Severity::unknown: return "unknown";
        case Severity::warning: return "warning";
        case Severity::critical: return "critical";
    }
    return "unknown";
}

namespace {

constexpr std::array kCatalogue = {
    Check{"close-wait", "sockets left in CLOSE_WAIT on a local port (the application never closes them)", false,
          "close-wait", check_close_wait},
    Check{"conntrack-drops", "connections the conntrack table refused or evicted (insert_failed, drop, early_drop)",
          true, "conntrack-drops", check_conntrack_drops},
    Check{"conntrack-fill", "conntrack table entries against nf_conntrack_max", false, "conntrack-fill",
          check_conntrack_fill},
    Check{"listen-overflows", "connections dropped because a listen queue was full (ListenOverflows, ListenDrops)",
          true, "listen-overflows", check_listen_overflows},
    Check{"nic-errors", "receive and transmit errors on physical interfaces", true, "nic-errors", check_nic_errors},
    Check{"nic-saturation", "throughput against link speed on physical interfaces", true, "nic-saturation",
          check_nic_saturation},
    Check{"rx-drops", "packets dropped on receive, with the cause diagnosed from softnet and softirq load", true,
          "rx-drops", check_rx_drops},
    Check{"softnet-backlog", "packets dropped because a CPU's input backlog was full (netdev_max_backlog)", true,
          "softnet-backlog", check_softnet_backlog},
    Check{"tcp-retransmits", "TCP segments retransmitted, per second and as a share of segments sent", true,
          "tcp-retransmits", check_tcp_retransmits},
    Check{"time-wait", "TIME_WAIT sockets against the ephemeral port range", false, "time-wait", check_time_wait},
    Check{"udp-buffer-errors", "UDP datagrams lost to full socket buffers (RcvbufErrors, SndbufErrors)", true,
          "udp-buffer-errors", check_udp_buffer_errors},
};

}  // namespace

std::span<const Check> catalogue() { return kCatalogue; }

void sort_worst_first(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.severity != b.severity) return a.severity > b.severity;
        if (a.host != b.host) return a.host < b.host;
        if (a.check != b.check) return a.check < b.check;
        return a.subject < b.subject;
    });
}

std::string sysctl_text(const Snapshot& snapshot, const std::string& name) {
    const auto found = snapshot.sysctls.find(name);
    return found == snapshot.sysctls.end() ? "not readable" : std::to_string(found->second);
}

std::vector<Finding> run_checks(const Snapshot& now, const Rates* rates, const Settings& settings) {
    std::vector<Finding> findings;
    const CheckInput input{now, rates, settings};
    for (const auto& check : kCatalogue) {
        if (!settings.only_checks.empty() && !settings.only_checks.count(std::string(check.id))) continue;
        if (check.needs_rates && rates == nullptr) continue;
        const auto first_new = findings.size();
        check.run(input, findings);
        for (auto i = first_new; i < findings.size(); ++i) {
            findings[i].check = std::string(check.id);
            findings[i].host = now.host;
        }
    }
    sort_worst_first(findings);
    return findings;
}

}  // namespace netdiag
