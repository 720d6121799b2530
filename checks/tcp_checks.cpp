// Transport-layer checks: retransmits, TIME_WAIT against the port range, CLOSE_WAIT, listen queues, UDP.
#include <algorithm>

#include <fmt/format.h>

#include "checks/catalogue.hpp"

namespace netdiag {
namespace {

// The ports holding most sockets, most first, at most `limit`: (port, sockets).
std::vector<std::pair<int, std::uint64_t>> busiest_ports(const std::map<int, std::uint64_t>& by_port,
                                                         std::size_t limit) {
    std::vector<std::pair<int, std::uint64_t>> ports(by_port.begin(), by_port.end());
    std::stable_sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (ports.size() > limit) ports.resize(limit);
    return ports;
}

// "8080 (1200), 443 (30)": the ports holding most sockets, at most `limit`.
std::string top_ports(const std::map<int, std::uint64_t>& by_port, std::size_t limit) {
    std::string text;
    for (const auto& [port, count] : busiest_ports(by_port, limit)) {
        if (!text.empty()) text += ", ";
        text += fmt::format("{} ({})", port, count);
    }
    return text;
}

// The listener whose accept queue is full (queued past its backlog, as the kernel's
// sk_acceptq_is_full has it), else the one with the longest queue; none when every queue is empty.
std::optional<std::pair<int, Listener>> fullest_listener(const Snapshot& snapshot) {
    if (!snapshot.tcp) return std::nullopt;
    std::optional<std::pair<int, Listener>> fullest;
    auto is_full = [](const Listener& l) { return l.backlog && l.queued > *l.backlog; };
    for (const auto& [port, listener] : snapshot.tcp->listeners) {
        if (listener.queued == 0) continue;
        const bool better = !fullest || (is_full(listener) && !is_full(fullest->second)) ||
                            (is_full(listener) == is_full(fullest->second) && listener.queued > fullest->second.queued);
        if (better) fullest = std::pair(port, listener);
    }
    return fullest;
}

}  // namespace

void check_tcp_retransmits(const CheckInput& in, std::vector<Finding>& out) {
    const double retransmits = in.rates->snmp_value("Tcp", "RetransSegs");
    const double sent = in.rates->snmp_value("Tcp", "OutSegs");
    const double floor = in.settings.threshold("tcp-retransmits.warning-rate");
    if (retransmits <= floor || sent <= 0) return;
    const double percent = 100.0 * retransmits / sent;
    const double warning = in.settings.threshold("tcp-retransmits.warning");
    const double critical = in.settings.threshold("tcp-retransmits.critical");
    if (percent <= warning) return;
    Finding f;
    f.severity = percent > critical ? Severity::critical : Severity::warning;
    f.subject = "tcp";
    f.value = percent;
    f.unit = "% of segments";
    f.threshold = f.severity == Severity::critical ? critical : warning;
    f.message = fmt::format("{:.0f} TCP segments/s retransmitted, {:.2f}% of {:.0f} sent/s", retransmits, percent, sent);
    f.why = "Retransmits mean packets are lost on the path or in a queue; each one stalls a connection for at "
            "least a round trip.";
    f.action = "Find where packets are lost: rx-drops and nic-errors here and on the peers, `ss -ti` for the "
               "connections with retransmits, then the switches in between.";
    f.details["retransmits_per_second"] = fmt::format("{:.1f}", retransmits);
    out.push_back(std::move(f));
}

void check_time_wait(const CheckInput& in, std::vector<Finding>& out) {
    std::optional<std::uint64_t> time_wait;
    if (in.now.sockstat) {
        const auto tcp = in.now.sockstat->find("TCP");
        if (tcp != in.now.sockstat->end()) {
            if (const auto tw = tcp->second.find("tw"); tw != tcp->second.end() && tw->second >= 0) {
                time_wait = static_cast<std::uint64_t>(tw->second);
            }
        }
    }
    if (!time_wait && in.now.tcp) {
        const auto found = in.now.tcp->states.find("TIME_WAIT");
        time_wait = found == in.now.tcp->states.end() ? 0 : found->second;
    }
    if (!time_wait) return;
    const double count = static_cast<double>(*time_wait);
    const int range = in.now.port_range ? in.now.port_range->size() : 0;
    const double percent = range > 0 ? 100.0 * count / range : 0;
    const double warning_count = in.settings.threshold("time-wait.warning-count");
    const double warning = in.settings.threshold("time-wait.warning");
    const double critical = in.settings.threshold("time-wait.critical");
    const bool over_range = range > 0 && percent > warning;
    if (!over_range && count <= warning_count) return;
    Finding f;
    f.severity = range > 0 && percent > critical ? Severity::critical : Severity::warning;
    f.subject = "ip_local_port_range";
    if (range > 0) {
        f.value = percent;
        f.unit = "% of port range";
        f.threshold = f.severity == Severity::critical ? critical : warning;
        f.message = fmt::format("{} sockets in TIME_WAIT, {:.0f}% of the {} ephemeral ports ({}-{})", *time_wait,
                                percent, range, in.now.port_range->low, in.now.port_range->high);
    } else {
        f.value = count;
        f.unit = "sockets";
        f.threshold = warning_count;
        f.message = fmt::format("{} sockets in TIME_WAIT", *time_wait);
    }
    if (in.now.tcp && !in.now.tcp->time_wait_by_remote_port.empty()) {
        f.details["remote_ports"] = top_ports(in.now.tcp->time_wait_by_remote_port, 3);
        f.message += fmt::format("; most toward remote port {}", f.details["remote_ports"]);
    }
    f.why = "Each TIME_WAIT socket holds an ephemeral port for 60 s; when a destination's ports run out, new "
            "outgoing connections fail with EADDRNOTAVAIL.";
    f.action = fmt::format("Reuse connections (keep-alive, pooling); widen net.ipv4.ip_local_port_range; enable "
                           "net.ipv4.tcp_tw_reuse (now {}). `netdiag fix --only port-range` plans the range.",
                           sysctl_text(in.now, "net.ipv4.tcp_tw_reuse"));
    f.fix = "port-range";
    out.push_back(std::move(f));
}

void check_close_wait(const CheckInput& in, std::vector<Finding>& out) {
    if (!in.now.tcp) return;
    const double warning = in.settings.threshold("close-wait.warning");
    const double critical = in.settings.threshold("close-wait.critical");
    for (const auto& [port, count] : in.now.tcp->close_wait_by_local_port) {
        const double value = static_cast<double>(count);
        if (value < warning) continue;
        Finding f;
        f.severity = value >= critical ? Severity::critical : Severity::warning;
        f.subject = fmt::format("port {}", port);
        f.value = value;
        f.unit = "sockets";
        f.threshold = f.severity == Severity::critical ? critical : warning;
        f.message = fmt::format("{} sockets in CLOSE_WAIT on local port {}", count, port);
        f.why = "The peer closed these connections but the application never called close(): it leaks file "
                "descriptors and memory until it stops accepting.";
        f.action = fmt::format("Find the process with `ss -tanp state close-wait '( sport = :{} )'` and fix its "
                               "connection handling (missing close, stuck worker pool); restarting only buys time.",
                               port);
        f.details["port"] = std::to_string(port);
        out.push_back(std::move(f));
    }
}

void check_listen_overflows(const CheckInput& in, std::vector<Finding>& out) {
    const double overflows = in.rates->netstat_value("TcpExt", "ListenOverflows");
    const double drops = in.rates->netstat_value("TcpExt", "ListenDrops");
    const double value = std::max(overflows, drops);  // every overflow is also counted as a drop
    const double warning = in.settings.threshold("listen-overflows.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "tcp listen queues";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.fix = "listen-backlog";
    f.message = fmt::format("{:.1f} connections/s dropped at full listen queues (ListenOverflows {:.1f}/s, "
                            "ListenDrops {:.1f}/s)",
                            value, overflows, drops);
    // The socket table names the listener when its queue is full (or, where the limit is not
    // known, the fullest one) at the moment of the sample.
    if (const auto listener = fullest_listener(in.now)) {
        f.subject = fmt::format("port {}", listener->first);
        f.details["port"] = std::to_string(listener->first);
        f.message += fmt::format("; port {} has {} connections waiting for accept(){}", listener->first,
                                 listener->second.queued,
                                 listener->second.backlog ? fmt::format(" of a backlog of {}", *listener->second.backlog)
                                                          : std::string());
    }
    f.why = "Clients' SYNs or final ACKs are dropped: they retry after a second or more, so connects look slow.";
    f.action = fmt::format("Find the listener with `ss -ltn` (Recv-Q at Send-Q); make the application accept "
                           "faster or raise its backlog together with net.core.somaxconn (now {}); "
                           "`netdiag fix --only listen-backlog` plans the sysctls.",
                           sysctl_text(in.now, "net.core.somaxconn"));
    out.push_back(std::move(f));
}

// SYNs that met a full SYN queue: answered with a cookie (TCPReqQFullDoCookies) or, with cookies
// off, dropped (TCPReqQFullDrop). Thresholds are Netdata's (1m_tcp_syn_queue_*: 1/s and 5/s).
void check_syn_queue(const CheckInput& in, std::vector<Finding>& out) {
    const double cookies = in.rates->netstat_value("TcpExt", "TCPReqQFullDoCookies");
    const double dropped = in.rates->netstat_value("TcpExt", "TCPReqQFullDrop");
    const double value = cookies + dropped;
    const double warning = in.settings.threshold("syn-queue.warning");
    const double critical = in.settings.threshold("syn-queue.critical");
    if (value <= warning) return;
    Finding f;
    f.severity = value > critical ? Severity::critical : Severity::warning;
    f.subject = "tcp syn queues";
    f.value = value;
    f.unit = "/s";
    f.threshold = value > critical ? critical : warning;
    f.fix = "listen-backlog";
    f.message = fmt::format("{:.1f} SYNs/s found a listener's SYN queue full: {:.1f}/s answered with SYN cookies, "
                            "{:.1f}/s dropped",
                            value, cookies, dropped);
    // The port under attack is the one holding the half-open (SYN_RECV) connections.
    if (!in.rates->syn_recv_by_local_port.empty()) {
        const auto ports = busiest_ports(in.rates->syn_recv_by_local_port, 5);
        const int port = ports.front().first;
        f.subject = fmt::format("port {}", port);
        f.details["port"] = std::to_string(port);
        std::string listed;
        for (const auto& [p, count] : ports) listed += fmt::format("{}port {} ({})", listed.empty() ? "" : ", ", p, count);
        f.message += fmt::format("; half-open connections by port: {}", listed);
        const auto listener = in.now.tcp ? in.now.tcp->listeners.find(port) : std::map<int, Listener>::const_iterator();
        if (in.now.tcp && listener != in.now.tcp->listeners.end() && listener->second.backlog) {
            f.message += fmt::format("; port {} listens with a backlog of {}", port, *listener->second.backlog);
            f.details["backlog"] = std::to_string(*listener->second.backlog);
        }
    }
    f.why = "A SYN flood, or a listener whose backlog is too small for its connection rate. With cookies the "
            "connection survives without its TCP options (window scaling, SACK); without them the SYN is lost and "
            "the client retries after a second or more.";
    f.action = fmt::format("Keep net.ipv4.tcp_syncookies=1 (now {}); raise net.ipv4.tcp_max_syn_backlog (now {}) and "
                           "the listener's backlog with net.core.somaxconn (now {}) — `netdiag fix --only "
                           "listen-backlog` plans them; filter a flood upstream (`ss -tn state syn-recv` shows the "
                           "sources).",
                           sysctl_text(in.now, "net.ipv4.tcp_syncookies"),
                           sysctl_text(in.now, "net.ipv4.tcp_max_syn_backlog"),
                           sysctl_text(in.now, "net.core.somaxconn"));
    out.push_back(std::move(f));
}

// Datagrams whose fragments never all arrived (or did not fit reassembly memory): IPv4 ReasmFails,
// IPv6 Ip6ReasmFails. No anchor alarms on it; a few a second means fragments are routinely lost.
void check_ip_reassembly(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double failed4 = r.snmp_value("Ip", "ReasmFails");
    const double timed_out4 = r.snmp_value("Ip", "ReasmTimeout");
    double failed6 = 0;
    if (const auto ip6 = r.snmp6.find("Ip6"); ip6 != r.snmp6.end()) {
        if (const auto v = ip6->second.find("Ip6ReasmFails"); v != ip6->second.end()) failed6 = v->second;
    }
    const double value = failed4 + failed6;
    const double warning = in.settings.threshold("ip-reassembly.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "ip reassembly";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} datagrams/s could not be reassembled from their fragments (IPv4 {:.1f}/s, of "
                            "which {:.1f}/s timed out; IPv6 {:.1f}/s)",
                            value, failed4, timed_out4, failed6);
    f.why = "One lost fragment loses the whole datagram: large UDP (DNS with EDNS, NFS, tunnels without MTU "
            "headroom) fails or retries silently; a fragment flood fills reassembly memory for everyone.";
    f.action = fmt::format("Avoid fragmenting (path MTU, tunnel MTU, EDNS buffer size); if fragments time out "
                           "(net.ipv4.ipfrag_time is {} s) or reassembly memory is full (FRAG in /proc/net/sockstat), "
                           "raise net.ipv4.ipfrag_high_thresh (now {}).",
                           sysctl_text(in.now, "net.ipv4.ipfrag_time"),
                           sysctl_text(in.now, "net.ipv4.ipfrag_high_thresh"));
    out.push_back(std::move(f));
}

// Resets sent (OutRsts), connection attempts refused (AttemptFails) and established connections
// reset (EstabResets). Netdata alarms when the 10 s rate passes 10x max(5/s, the 1 min rate): with
// two samples and no history, its floor of 50/s is the threshold.
void check_tcp_resets(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double sent = r.snmp_value("Tcp", "OutRsts");
    const double refused = r.snmp_value("Tcp", "AttemptFails");
    const double reset = r.snmp_value("Tcp", "EstabResets");
    const double value = std::max({sent, refused, reset});
    const double warning = in.settings.threshold("tcp-resets.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "tcp";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} resets/s: {:.1f}/s sent (OutRsts), {:.1f}/s connection attempts failed "
                            "(AttemptFails), {:.1f}/s established connections reset (EstabResets)",
                            value, sent, refused, reset);
    f.why = "RSTs sent to SYNs mean a service is down or not listening; attempts failing mean this host's "
            "clients are refused; established resets mean peers, middleboxes or applications abort connections.";
    f.action = "Find the port: `ss -s`, `tcpdump -ni any 'tcp[tcpflags] & tcp-rst != 0'`; start or fix the "
               "service, or the clients' target; for aborts check idle timeouts of load balancers and firewalls.";
    out.push_back(std::move(f));
}

// TCP memory: the stack entering pressure (TCPMemoryPressures) or killing connections for lack of
// memory (TCPAbortOnMemory), and orphaned sockets against tcp_max_orphans (Netdata: 25 % and 50 %).
namespace {

// Pages in use (sockstat "TCP: ... mem N") against tcp_mem: Netdata's tcp_memory warns past the
// pressure mark and is critical past 90 % of the high mark.
void check_tcp_memory_level(const CheckInput& in, std::vector<Finding>& out) {
    const auto limits = in.now.sysctl_lists.find("net.ipv4.tcp_mem");
    const auto used = sockstat_value(in.now.sockstat, "TCP", "mem");
    if (limits == in.now.sysctl_lists.end() || limits->second.size() != 3 || !used) return;
    const auto pressure = static_cast<double>(limits->second[1]);
    const auto high = static_cast<double>(limits->second[2]);
    const double critical_share = in.settings.threshold("tcp-memory.level-critical");
    const double pages = static_cast<double>(*used);
    if (high <= 0 || pages <= pressure) return;
    Finding f;
    f.severity = 100 * pages / high >= critical_share ? Severity::critical : Severity::warning;
    f.subject = "tcp_mem";
    f.value = 100 * pages / high;
    f.unit = "%";
    f.threshold = f.severity == Severity::critical ? critical_share : 100 * pressure / high;
    f.fix = "tcp-mem";
    f.message = fmt::format("TCP sockets hold {} pages, past net.ipv4.tcp_mem's pressure mark ({}) and at {:.0f}% of "
                            "its high mark ({})",
                            *used, limits->second[1], f.value, limits->second[2]);
    f.why = "Past the pressure mark every socket's buffers are trimmed (slow transfers); at the high mark new "
            "data is dropped and connections reset (\"TCP: out of memory\" in dmesg).";
    f.action = fmt::format("Find the sockets holding buffers (`ss -tm`, large Recv-Q/Send-Q); raise net.ipv4.tcp_mem "
                           "(now {} {} {}) in proportion to RAM — `netdiag fix --only tcp-mem` plans it.",
                           limits->second[0], limits->second[1], limits->second[2]);
    out.push_back(std::move(f));
}

}  // namespace

void check_tcp_memory(const CheckInput& in, std::vector<Finding>& out) {
    if (in.rates != nullptr) {
        const double pressures = in.rates->netstat_value("TcpExt", "TCPMemoryPressures");
        const double aborts = in.rates->netstat_value("TcpExt", "TCPAbortOnMemory");
        if (pressures > in.settings.threshold("tcp-memory.warning") || aborts > in.settings.threshold("tcp-memory.critical")) {
            Finding f;
            f.severity = aborts > in.settings.threshold("tcp-memory.critical") ? Severity::critical : Severity::warning;
            f.subject = "tcp_mem";
            f.value = std::max(pressures, aborts);
            f.unit = "/s";
            f.threshold = f.severity == Severity::critical ? in.settings.threshold("tcp-memory.critical")
                                                           : in.settings.threshold("tcp-memory.warning");
            f.message = fmt::format("TCP memory under pressure: {:.2f} entries into pressure/s (TCPMemoryPressures), "
                                    "{:.2f} connections/s killed for lack of memory (TCPAbortOnMemory)",
                                    pressures, aborts);
            f.why = "Past tcp_mem's pressure mark the kernel shrinks every socket's buffers (slow transfers); past "
                    "its high mark it drops data and resets connections (\"TCP: out of memory\" in dmesg).";
            f.action = "Compare `TCP: mem` in /proc/net/sockstat (pages) with net.ipv4.tcp_mem; raise tcp_mem in "
                       "proportion to RAM (`netdiag fix --only tcp-mem`), or find the sockets holding buffers "
                       "(`ss -tm`).";
            f.fix = "tcp-mem";
            out.push_back(std::move(f));
        }
    }
    check_tcp_memory_level(in, out);
    if (!in.now.sockstat) return;
    const auto tcp = in.now.sockstat->find("TCP");
    const auto max = in.now.sysctls.find("net.ipv4.tcp_max_orphans");
    if (tcp == in.now.sockstat->end() || max == in.now.sysctls.end() || max->second <= 0) return;
    const auto orphan = tcp->second.find("orphan");
    if (orphan == tcp->second.end()) return;
    const double share = 100.0 * static_cast<double>(orphan->second) / static_cast<double>(max->second);
    const double warning = in.settings.threshold("tcp-memory.orphans-warning");
    const double critical = in.settings.threshold("tcp-memory.orphans-critical");
    if (share < warning) return;
    Finding f;
    f.severity = share >= critical ? Severity::critical : Severity::warning;
    f.subject = "tcp_max_orphans";
    f.value = share;
    f.unit = "%";
    f.threshold = share >= critical ? critical : warning;
    f.message = fmt::format("{} orphaned TCP sockets, {:.1f}% of net.ipv4.tcp_max_orphans ({})", orphan->second, share,
                            max->second);
    f.why = "Orphans are sockets closed by their application with data still unsent or unacknowledged; past the "
            "limit the kernel resets them (\"too many orphaned sockets\" in dmesg) and each still holds memory.";
    f.action = fmt::format("Find them with `ss -tn state fin-wait-1 state last-ack`: peers that stopped reading; "
                           "raise net.ipv4.tcp_max_orphans (now {}) only with the memory for them (up to 64 KB each).",
                           max->second);
    out.push_back(std::move(f));
}

// Data the receive path threw away: queues pruned or collapsed for memory (RcvPruned, OfoPruned),
// dropped at a full receive queue or zero window (TCPRcvQDrop, TCPZeroWindowDrop) or while the
// application held the socket (TCPBacklogDrop). No anchor alarms on these; any is a loss.
void check_tcp_receive_drops(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double pruned = r.netstat_value("TcpExt", "RcvPruned") + r.netstat_value("TcpExt", "OfoPruned");
    const double queue = r.netstat_value("TcpExt", "TCPRcvQDrop") + r.netstat_value("TcpExt", "TCPZeroWindowDrop");
    const double backlog = r.netstat_value("TcpExt", "TCPBacklogDrop");
    const double value = pruned + queue + backlog;
    const double warning = in.settings.threshold("tcp-receive-drops.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "tcp receive queues";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} segments/s thrown away on receive: {:.1f}/s pruned for memory (RcvPruned, "
                            "OfoPruned), {:.1f}/s at a full queue or zero window (TCPRcvQDrop, TCPZeroWindowDrop), "
                            "{:.1f}/s while the application held the socket (TCPBacklogDrop); PruneCalled {:.1f}/s",
                            value, pruned, queue, backlog, r.netstat_value("TcpExt", "PruneCalled"));
    f.why = "The sender must retransmit what was thrown away: throughput drops and latency spikes, although "
            "the network lost nothing.";
    f.action = fmt::format("Make the application read faster, or give sockets more room: net.ipv4.tcp_rmem and "
                           "net.core.rmem_max (now {}); for TCPBacklogDrop, shorter writes or more reader threads.",
                           sysctl_text(in.now, "net.core.rmem_max"));
    out.push_back(std::move(f));
}

// TIME_WAIT sockets the kernel could not create because tcp_max_tw_buckets was reached.
void check_time_wait_overflow(const CheckInput& in, std::vector<Finding>& out) {
    const double value = in.rates->netstat_value("TcpExt", "TCPTimeWaitOverflow");
    const double warning = in.settings.threshold("time-wait-overflow.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "tcp_max_tw_buckets";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} connections/s closed without TIME_WAIT: the table is at "
                            "net.ipv4.tcp_max_tw_buckets ({})",
                            value, sysctl_text(in.now, "net.ipv4.tcp_max_tw_buckets"));
    f.why = "Without TIME_WAIT a late segment of an old connection can corrupt a new one on the same ports "
            "(\"TCP: time wait bucket table overflow\" in dmesg).";
    f.action = "Reuse connections (keep-alive, pooling) so fewer close; raise net.ipv4.tcp_max_tw_buckets if "
               "memory allows (about 300 bytes a socket).";
    out.push_back(std::move(f));
}

void check_udp_buffer_errors(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double receive = r.snmp_value("Udp", "RcvbufErrors") + r.snmp_value("UdpLite", "RcvbufErrors");
    const double send = r.snmp_value("Udp", "SndbufErrors") + r.snmp_value("UdpLite", "SndbufErrors");
    double receive6 = 0, send6 = 0;
    if (const auto udp6 = r.snmp6.find("Udp6"); udp6 != r.snmp6.end()) {
        if (const auto v = udp6->second.find("Udp6RcvbufErrors"); v != udp6->second.end()) receive6 = v->second;
        if (const auto v = udp6->second.find("Udp6SndbufErrors"); v != udp6->second.end()) send6 = v->second;
    }
    const double value = receive + send + receive6 + send6;
    const double warning = in.settings.threshold("udp-buffer-errors.warning");
    if (value <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "udp";
    f.value = value;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} UDP datagrams/s lost to full socket buffers (receive {:.1f}/s, send {:.1f}/s)",
                            value, receive + receive6, send + send6);
    f.why = "A UDP socket whose buffer is full drops datagrams silently: DNS, syslog, metrics and video lose data.";
    f.action = fmt::format("Find the socket with `ss -uamp` (large Recv-Q); raise its SO_RCVBUF and "
                           "net.core.rmem_max (now {}), or make the reader faster.",
                           sysctl_text(in.now, "net.core.rmem_max"));
    out.push_back(std::move(f));
}

// Connections the kernel gave up on because a timer ran out: retransmissions, keepalives or
// zero-window probes unanswered (TCPAbortOnTimeout). No anchor alarms on it; Netdata charts it.
void check_tcp_aborts(const CheckInput& in, std::vector<Finding>& out) {
    const Rates& r = *in.rates;
    const double timeouts = r.netstat_value("TcpExt", "TCPAbortOnTimeout");
    const double warning = in.settings.threshold("tcp-aborts.warning");
    if (timeouts <= warning) return;
    Finding f;
    f.severity = Severity::warning;
    f.subject = "tcp";
    f.value = timeouts;
    f.unit = "/s";
    f.threshold = warning;
    f.message = fmt::format("{:.1f} connections/s aborted when a retransmission, keepalive or zero-window probe timer "
                            "ran out (TCPAbortOnTimeout); also {:.1f}/s closed with unread data (TCPAbortOnClose), "
                            "{:.1f}/s reset on data after close (TCPAbortOnData)",
                            timeouts, r.netstat_value("TcpExt", "TCPAbortOnClose"),
                            r.netstat_value("TcpExt", "TCPAbortOnData"));
    f.why = "Each is a connection that died without a goodbye: peers that vanished, or a path that black-holes "
            "packets (often large ones: an MTU problem).";
    f.action = "Find the peers with `ss -tno state established '( timer:on )'` or retransmitting sockets "
               "(`ss -ti | grep -B1 retrans`); check the path MTU (tracepath) and the peers' health.";
    out.push_back(std::move(f));
}

}  // namespace netdiag
