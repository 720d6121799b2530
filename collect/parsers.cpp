#include "collect/parsers.hpp"
#include "collect/parsers_netlink.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

// A value in the snmp/netstat/sockstat tables: most are unsigned long counters that may pass 2^63
// on a long-lived host, a few are signed (Tcp MaxConn is -1). Counters are kept bit for bit: the
// rate code reads them back as unsigned.
std::optional<std::int64_t> parse_table_value(std::string_view text) {
    if (auto value = parse_i64(text)) return value;
    if (auto counter = parse_u64(text)) return static_cast<std::int64_t>(*counter);
    return std::nullopt;
}


// "file:line: what" — the one error shape every parser returns.
Error at(std::string_view file, std::size_t line, std::string_view what) {
    return make_error(fmt::format("{}:{}: {}", file, line, what));
}

Error empty_file(std::string_view file) { return make_error(fmt::format("{}: empty file", file)); }

bool is_blank(std::string_view line) { return trim(line).empty(); }

// Visits each non-blank line with its 1-based number; stops at the first error.
template <class Visit>
std::optional<Error> for_each_line(std::string_view text, Visit&& visit) {
    std::size_t number = 0;
    for (const auto line : lines_of(text)) {
        ++number;
        if (is_blank(line)) continue;
        if (auto error = visit(line, number)) return error;
    }
    return std::nullopt;
}

// Parses every field as an unsigned number of `base`; nullopt names the bad field.
std::optional<std::string_view> parse_all_u64(const std::vector<std::string_view>& fields, std::size_t from,
                                              std::vector<std::uint64_t>& out, int base = 10) {
    out.clear();
    for (std::size_t i = from; i < fields.size(); ++i) {
        auto value = parse_u64(fields[i], base);
        if (!value) return fields[i];
        out.push_back(*value);
    }
    return std::nullopt;
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kShown = 40;
    std::string shown(text.substr(0, kShown));
    for (auto& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    }
    return fmt::format("\"{}{}\"", shown, text.size() > kShown ? "..." : "");
}

// Why `field` is no counter: a run of digits past 2^64-1 is named as such, so an overflowing
// counter is an error with its line like any other garbage, never a wrapped or clipped number.
std::string not_a_counter(std::string_view field, int base = 10) {
    const bool all_digits = !field.empty() && std::all_of(field.begin(), field.end(), [&](char c) {
        return base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : c >= '0' && c <= '9';
    });
    const char* kind = base == 16 ? "hex counter" : "counter";
    if (all_digits) return fmt::format("{} {} does not fit in 64 bits", kind, quoted(field));
    return fmt::format("{} {} is not a number", kind, quoted(field));
}

// Column headers of /proc/softirqs and /proc/interrupts: "CPU0 CPU1 ...".
Result<std::vector<std::string>> cpu_header(std::string_view line, std::string_view file) {
    std::vector<std::string> cpus;
    for (const auto field : split_ws(line)) {
        if (!starts_with(field, "CPU") || !parse_u64(field.substr(3))) {
            return at(file, 1, fmt::format("expected a header of CPU columns, found {}", quoted(field)));
        }
        cpus.emplace_back(field);
    }
    if (cpus.empty()) return at(file, 1, "expected a header of CPU columns");
    return cpus;
}

std::string_view first_non_blank_line(std::string_view text) {
    for (const auto line : lines_of(text)) {
        if (!is_blank(line)) return line;
    }
    return {};
}

}  // namespace

Result<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text, std::string_view file) {
    constexpr std::size_t kNetDevCounters = 16;
    if (is_blank(text)) return empty_file(file);
    std::vector<InterfaceCounters> interfaces;
    std::vector<std::uint64_t> values;
    std::size_t number = 0;
    bool seen_header = false;
    for (const auto line : lines_of(text)) {
        ++number;
        if (is_blank(line)) continue;
        const auto colon = line.find(':');
        if (line.find('|') != std::string_view::npos && colon == std::string_view::npos) {
            seen_header = true;  // "Inter-|   Receive ..." and " face |bytes ..."
            continue;
        }
        if (!seen_header) return at(file, number, "missing the two header lines");
        if (colon == std::string_view::npos) return at(file, number, "expected \"IFACE: counters\"");
        const auto name = trim(line.substr(0, colon));
        if (name.empty()) return at(file, number, "interface name is empty");
        // 16 counters since 2.6; columns a newer kernel appends are read (they must be counters
        // too) but not kept, so an added column never costs the whole file.
        const auto fields = split_ws(line.substr(colon + 1));
        if (fields.size() < kNetDevCounters) {
            return at(file, number,
                      fmt::format("{} has {} counters, expected at least {}", name, fields.size(), kNetDevCounters));
        }
        if (auto bad = parse_all_u64(fields, 0, values)) {
            return at(file, number, fmt::format("{}: {}", name, not_a_counter(*bad)));
        }
        InterfaceCounters c;
        c.name = std::string(name);
        std::uint64_t* targets[] = {&c.rx_bytes, &c.rx_packets, &c.rx_errs, &c.rx_drop, &c.rx_fifo, &c.rx_frame,
                                    &c.rx_compressed, &c.rx_multicast, &c.tx_bytes, &c.tx_packets, &c.tx_errs,
                                    &c.tx_drop, &c.tx_fifo, &c.tx_colls, &c.tx_carrier, &c.tx_compressed};
        for (std::size_t i = 0; i < kNetDevCounters; ++i) *targets[i] = values[i];
        interfaces.push_back(std::move(c));
    }
    if (!seen_header) return at(file, 1, "missing the two header lines");
    return interfaces;
}

Result<ProtoCounters> parse_snmp(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    ProtoCounters sections;
    std::string_view pending_section;
    std::vector<std::string_view> pending_names;
    std::size_t pending_line = 0;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return at(file, number, fmt::format("expected \"Section: fields\", found {}", quoted(line)));
        }
        const auto section = line.substr(0, colon);
        auto fields = split_ws(line.substr(colon + 1));
        if (pending_names.empty()) {
            if (fields.empty()) return at(file, number, fmt::format("{} has no field names", section));
            if (parse_i64(fields.front())) {
                return at(file, number, fmt::format("{} values without a line of names", section));
            }
            pending_section = section;
            pending_names = std::move(fields);
            pending_line = number;
            return std::nullopt;
        }
        if (section != pending_section) {
            return at(file, number,
                      fmt::format("expected the values of {} (names on line {}), found {}", pending_section,
                                  pending_line, section));
        }
        if (fields.size() != pending_names.size()) {
            return at(file, number,
                      fmt::format("{} has {} values for {} names", section, fields.size(), pending_names.size()));
        }
        auto& out = sections[std::string(section)];
        for (std::size_t i = 0; i < fields.size(); ++i) {
            auto value = parse_table_value(fields[i]);
            if (!value) {
                return at(file, number,
                          fmt::format("{} {} is not a number: {}", section, pending_names[i], quoted(fields[i])));
            }
            out[std::string(pending_names[i])] = *value;
        }
        pending_names.clear();
        return std::nullopt;
    });
    if (error) return *error;
    if (!pending_names.empty()) {
        return at(file, pending_line, fmt::format("{} names without a line of values (truncated?)", pending_section));
    }
    return sections;
}

Result<ProtoCounters> parse_snmp6(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    // Longest prefixes first: "UdpLite6" before "Udp6", "Icmp6" before "Ip6".
    static constexpr std::string_view kSections[] = {"UdpLite6", "Udp6", "Icmp6", "Ip6"};
    ProtoCounters sections;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto fields = split_ws(line);
        if (fields.size() != 2) return at(file, number, fmt::format("expected \"Name value\", found {}", quoted(line)));
        auto value = parse_table_value(fields[1]);
        if (!value) return at(file, number, fmt::format("{} is not a number: {}", fields[0], quoted(fields[1])));
        std::string_view section = "Other";
        for (const auto prefix : kSections) {
            if (starts_with(fields[0], prefix)) {
                section = prefix;
                break;
            }
        }
        sections[std::string(section)][std::string(fields[0])] = *value;
        return std::nullopt;
    });
    if (error) return *error;
    return sections;
}

Result<SockStat> parse_sockstat(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    SockStat sections;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return at(file, number, fmt::format("expected \"SECTION: name value ...\", found {}", quoted(line)));
        }
        const auto fields = split_ws(line.substr(colon + 1));
        if (fields.empty() || fields.size() % 2 != 0) {
            return at(file, number, fmt::format("{} has unpaired fields", line.substr(0, colon)));
        }
        auto& out = sections[std::string(line.substr(0, colon))];
        for (std::size_t i = 0; i < fields.size(); i += 2) {
            auto value = parse_table_value(fields[i + 1]);
            if (!value) return at(file, number, fmt::format("{} is not a number: {}", fields[i], quoted(fields[i + 1])));
            out[std::string(fields[i])] = *value;
        }
        return std::nullopt;
    });
    if (error) return *error;
    return sections;
}

Result<std::vector<SoftnetCpu>> parse_softnet_stat(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    // Columns: processed dropped time_squeeze 0 0 0 0 0 cpu_collision received_rps flow_limit_count
    // (4.x), then backlog length and the CPU index (5.10+), then queue lengths (6.x). Offline CPUs
    // have no line, so only the index column says which CPU a line is.
    constexpr std::size_t kCpuColumn = 12;
    std::vector<SoftnetCpu> cpus;
    std::vector<std::uint64_t> values;
    std::size_t width = 0;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto fields = split_ws(line);
        if (fields.size() < 3) return at(file, number, fmt::format("{} columns, expected at least 3", fields.size()));
        if (width != 0 && fields.size() != width) {
            return at(file, number, fmt::format("{} columns where line 1 has {} (truncated?)", fields.size(), width));
        }
        width = fields.size();
        if (auto bad = parse_all_u64(fields, 0, values, 16)) {
            return at(file, number, not_a_counter(*bad, 16));
        }
        SoftnetCpu cpu;
        cpu.cpu = fields.size() > kCpuColumn ? static_cast<int>(values[kCpuColumn]) : static_cast<int>(cpus.size());
        cpu.processed = values[0];
        cpu.dropped = values[1];
        cpu.time_squeeze = values[2];
        cpus.push_back(cpu);
        return std::nullopt;
    });
    if (error) return *error;
    return cpus;
}

Result<std::vector<CpuTimes>> parse_proc_stat(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    std::vector<CpuTimes> cpus;
    std::vector<std::uint64_t> values;
    std::vector<bool> seen(kMaxStatCpus + 1);  // [kMaxStatCpus]: the "cpu" total line
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        if (!starts_with(line, "cpu")) return std::nullopt;
        const auto fields = split_ws(line);
        // "cpu" or "cpuN" with N below the kernel's NR_CPUS ceiling, once each: so a file of
        // millions of lines is refused instead of costing gigabytes in the rates.
        const auto id = fields[0] == "cpu" ? std::optional<std::uint64_t>(kMaxStatCpus)
                                           : parse_u64(fields[0].substr(3), 10);
        if (!id || *id > kMaxStatCpus || (fields[0] != "cpu" && *id == kMaxStatCpus) ||
            (fields[0].size() > 4 && fields[0][3] == '0')) {
            return at(file, number, fmt::format("\"{}\" is not a CPU (ids run from 0 to {})", printable(fields[0].substr(0, 40)),
                                                kMaxStatCpus - 1));
        }
        if (seen[*id]) return at(file, number, fmt::format("{} appears twice", fields[0]));
        seen[*id] = true;
        // user nice system idle since 2.4; iowait irq softirq 2.6; steal 2.6.11; guest... later.
        if (fields.size() < 5) {
            return at(file, number, fmt::format("{} has {} times, expected at least 4", fields[0], fields.size() - 1));
        }
        if (auto bad = parse_all_u64(fields, 1, values)) {
            return at(file, number, fmt::format("{}: {}", fields[0], not_a_counter(*bad)));
        }
        values.resize(std::max<std::size_t>(values.size(), 8), 0);
        CpuTimes t;
        t.cpu = std::string(fields[0]);
        t.user = values[0];
        t.nice = values[1];
        t.system = values[2];
        t.idle = values[3];
        t.iowait = values[4];
        t.irq = values[5];
        t.softirq = values[6];
        t.steal = values[7];
        cpus.push_back(std::move(t));
        return std::nullopt;
    });
    if (error) return *error;
    if (cpus.empty()) return at(file, 1, "no cpu lines");
    return cpus;
}

Result<Softirqs> parse_softirqs(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    auto cpus = cpu_header(first_non_blank_line(text), file);
    if (!cpus) return cpus.error();
    Softirqs table;
    std::vector<std::uint64_t> values;
    bool header = true;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        if (std::exchange(header, false)) return std::nullopt;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return at(file, number, fmt::format("expected \"NAME: counts\", found {}", quoted(line)));
        const auto name = trim(line.substr(0, colon));
        const auto fields = split_ws(line.substr(colon + 1));
        if (fields.size() != cpus->size()) {
            return at(file, number, fmt::format("{} has {} counts for {} CPUs", name, fields.size(), cpus->size()));
        }
        if (auto bad = parse_all_u64(fields, 0, values)) {
            return at(file, number, fmt::format("{}: {}", name, not_a_counter(*bad)));
        }
        auto& row = table[std::string(name)];
        for (std::size_t i = 0; i < values.size(); ++i) row[(*cpus)[i]] = values[i];
        return std::nullopt;
    });
    if (error) return *error;
    return table;
}

Result<std::vector<InterruptLine>> parse_interrupts(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    auto cpus = cpu_header(first_non_blank_line(text), file);
    if (!cpus) return cpus.error();
    std::vector<InterruptLine> interrupts;
    std::size_t counts_kept = 0;
    bool header = true;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        if (std::exchange(header, false)) return std::nullopt;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) return at(file, number, fmt::format("expected \"IRQ: counts\", found {}", quoted(line)));
        const auto label = trim(line.substr(0, colon));
        auto irq = parse_u64(label);
        if (!irq) return std::nullopt;  // NMI, LOC, ERR, MIS...: not device interrupts
        if (*irq > 1'000'000) return at(file, number, fmt::format("IRQ number {} is out of range", label));
        const auto fields = split_ws(line.substr(colon + 1));
        if (fields.size() < cpus->size()) {
            return at(file, number, fmt::format("IRQ {} has {} counts for {} CPUs", label, fields.size(), cpus->size()));
        }
        InterruptLine entry;
        entry.irq = static_cast<int>(*irq);
        for (std::size_t i = 0; i < cpus->size(); ++i) {
            auto count = parse_u64(fields[i]);
            if (!count) return at(file, number, fmt::format("IRQ {}: {}", label, not_a_counter(fields[i])));
            if (*count == 0) continue;  // most of a big host's table: an IRQ runs on one CPU or a few
            if (++counts_kept > kMaxInterruptCounts) {
                return at(file, number, fmt::format("more than {} non-zero per-CPU interrupt counts", kMaxInterruptCounts));
            }
            entry.per_cpu[(*cpus)[i]] = *count;
        }
        // "PCI-MSI 32768-edge eth1-rxtx-0": chip, hardware IRQ, then the action (device) name.
        std::string description;
        for (std::size_t i = cpus->size(); i < fields.size(); ++i) {
            if (!description.empty()) description += ' ';
            description += fields[i];
        }
        if (fields.size() >= cpus->size() + 3) entry.action = std::string(fields.back());
        entry.description = std::move(description);
        interrupts.push_back(std::move(entry));
        return std::nullopt;
    });
    if (error) return *error;
    return interrupts;
}

Result<std::map<std::string, std::uint64_t>> parse_nf_conntrack_stat(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    std::vector<std::string_view> names;
    std::map<std::string, std::uint64_t> totals;
    std::vector<std::uint64_t> values;
    std::size_t rows = 0;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto fields = split_ws(line);
        if (names.empty()) {
            if (fields.empty() || parse_u64(fields[0], 16)) return at(file, number, "missing the header of column names");
            names = fields;
            return std::nullopt;
        }
        if (fields.size() != names.size()) {
            return at(file, number, fmt::format("{} columns for {} names", fields.size(), names.size()));
        }
        if (auto bad = parse_all_u64(fields, 0, values, 16)) {
            return at(file, number, not_a_counter(*bad, 16));
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            // "entries" is the global table size repeated on every CPU's line: not a per-CPU count.
            if (names[i] == "entries") {
                totals[std::string(names[i])] = values[i];
            } else {
                totals[std::string(names[i])] += values[i];
            }
        }
        ++rows;
        return std::nullopt;
    });
    if (error) return *error;
    if (rows == 0) return at(file, 2, "no per-CPU lines after the header");
    return totals;
}

Result<PortRange> parse_port_range(std::string_view text, std::string_view file) {
    const auto fields = split_ws(trim(text));
    if (fields.empty()) return empty_file(file);
    if (fields.size() != 2) return at(file, 1, fmt::format("expected \"LOW HIGH\", found {}", quoted(trim(text))));
    auto low = parse_u64(fields[0]);
    auto high = parse_u64(fields[1]);
    if (!low || !high || *low > 65535 || *high > 65535) {
        return at(file, 1, fmt::format("expected two port numbers, found {}", quoted(trim(text))));
    }
    return PortRange{static_cast<int>(*low), static_cast<int>(*high)};
}

std::string_view tcp_state_name(unsigned state) {
    static constexpr std::string_view kNames[] = {"UNKNOWN",    "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                                  "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                                  "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING",
                                                  "NEW_SYN_RECV"};
    return state < std::size(kNames) ? kNames[state] : "UNKNOWN";
}

namespace {

// Request sockets (half-open connections) as sock_diag reports them on kernels that keep them apart.
constexpr unsigned kTcpNewSynRecv = 12;

// IPv4 and IPv6 listeners on one port (or SO_REUSEPORT groups): the fuller queue tells.
void merge_listener(Listener& into, const Listener& from) {
    into.queued = std::max(into.queued, from.queued);
    if (from.backlog) into.backlog = std::max(into.backlog.value_or(0), *from.backlog);
}

// One socket of either source, /proc/net/tcp or a sock_diag dump; `state` is the kernel's number.
// For a listener, `queued` is its accept queue and `backlog` the queue's limit where the source
// tells it (sock_diag does, /proc/net/tcp does not).
void count_tcp_socket(TcpSockets& sockets, unsigned state, int local_port, int remote_port, std::uint64_t queued,
                      std::optional<std::uint64_t> backlog) {
    sockets.states[std::string(tcp_state_name(state))] += 1;
    if (state == TCP_CLOSE_WAIT) sockets.close_wait_by_local_port[local_port] += 1;
    if (state == TCP_TIME_WAIT) sockets.time_wait_by_remote_port[remote_port] += 1;
    if (state == TCP_SYN_RECV || state == kTcpNewSynRecv) sockets.syn_recv_by_local_port[local_port] += 1;
    if (state == TCP_LISTEN) merge_listener(sockets.listeners[local_port], Listener{queued, backlog});
}

}  // namespace

Result<TcpSockets> parse_proc_net_tcp(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    TcpSockets sockets;
    bool header = true;
    // Hot path on busy hosts (100k+ lines): no allocation per line.
    auto port_of = [](std::string_view address) -> std::optional<std::uint64_t> {
        const auto colon = address.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        return parse_u64(address.substr(colon + 1), 16);
    };
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        if (std::exchange(header, false)) {
            if (trim(line).substr(0, 2) != "sl") return at(file, number, "missing the \"sl local_address ...\" header");
            return std::nullopt;
        }
        // "   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 ..." (tx_queue:rx_queue; a
        // listener's rx_queue is its accept queue)
        std::string_view fields[5];
        std::size_t found = 0, pos = 0;
        while (found < 5 && pos < line.size()) {
            while (pos < line.size() && line[pos] == ' ') ++pos;
            const auto start = pos;
            while (pos < line.size() && line[pos] != ' ') ++pos;
            if (pos > start) fields[found++] = line.substr(start, pos - start);
        }
        if (found < 4) return at(file, number, "truncated socket line");
        const auto local_port = port_of(fields[1]);
        const auto remote_port = port_of(fields[2]);
        const auto state = parse_u64(fields[3], 16);
        if (!local_port || !remote_port || *local_port > 65535 || *remote_port > 65535) {
            return at(file, number, fmt::format("bad address in {}", quoted(trim(line))));
        }
        if (!state || *state == 0 || *state > 12) return at(file, number, fmt::format("bad state {}", quoted(fields[3])));
        std::uint64_t queued = 0;
        if (*state == TCP_LISTEN) {
            const auto colon = found == 5 ? fields[4].find(':') : std::string_view::npos;
            const auto rx_queue = colon == std::string_view::npos ? std::nullopt
                                                                  : parse_u64(fields[4].substr(colon + 1), 16);
            if (!rx_queue) return at(file, number, fmt::format("bad queue column in {}", quoted(trim(line))));
            queued = *rx_queue;
        }
        count_tcp_socket(sockets, static_cast<unsigned>(*state), static_cast<int>(*local_port),
                         static_cast<int>(*remote_port), queued, std::nullopt);
        return std::nullopt;
    });
    if (error) return *error;
    return sockets;
}

Result<TcpSockets> parse_tcp_summary(std::string_view text, std::string_view file) {
    // One line per state, and at most one per port in each of four tables.
    constexpr std::size_t kMaxLines = 16 + 4 * 65536;
    TcpSockets sockets;
    std::size_t lines = 0;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        if (trim(line).empty()) return std::nullopt;
        if (++lines > kMaxLines) return at(file, number, fmt::format("more than {} lines", kMaxLines));
        if (line.substr(0, 2) == "E ") return at(file, number, fmt::format("the host could not read {}", printable(line.substr(2, 300))));
        const auto fields = split_ws(line);
        if (fields.size() != 3 || fields[0].size() != 1) return at(file, number, fmt::format("expected \"KIND KEY VALUE\", found {}", quoted(line)));
        const char kind = fields[0][0];
        const auto key = parse_u64(fields[1], 16);
        const auto value = parse_u64(fields[2], kind == 'L' ? 16 : 10);
        if (!key || !value) return at(file, number, fmt::format("expected hex and a number in {}", quoted(line)));
        if (kind == 'S') {
            if (*key == 0 || *key > 12) return at(file, number, fmt::format("bad state {}", quoted(fields[1])));
            sockets.states[std::string(tcp_state_name(static_cast<unsigned>(*key)))] += *value;
            return std::nullopt;
        }
        if (*key > 65535) return at(file, number, fmt::format("port {} is out of range", quoted(fields[1])));
        const int port = static_cast<int>(*key);
        switch (kind) {
            case 'C': sockets.close_wait_by_local_port[port] += *value; break;
            case 'T': sockets.time_wait_by_remote_port[port] += *value; break;
            case 'R': sockets.syn_recv_by_local_port[port] += *value; break;
            case 'L': merge_listener(sockets.listeners[port], Listener{*value, std::nullopt}); break;
            default: return at(file, number, fmt::format("unknown line kind {}", quoted(fields[0])));
        }
        return std::nullopt;
    });
    if (error) return *error;
    return sockets;
}

Result<bool> add_sock_diag_datagram(std::string_view datagram, TcpSockets& into, std::string_view source) {
    return for_each_netlink_message(datagram, source, [&](std::uint16_t type, std::string_view payload) -> std::optional<std::string> {
        if (type != TCPDIAG_GETSOCK && type != SOCK_DIAG_BY_FAMILY) {
            return fmt::format("unexpected netlink message type {}", type);
        }
        inet_diag_msg socket{};
        if (payload.size() < sizeof socket) return "truncated socket message";
        std::memcpy(&socket, payload.data(), sizeof socket);
        if (socket.idiag_state == 0 || socket.idiag_state > 12) return fmt::format("bad state {}", socket.idiag_state);
        // A listener's idiag_rqueue is its accept queue and idiag_wqueue the queue's limit.
        const bool listening = socket.idiag_state == TCP_LISTEN;
        count_tcp_socket(into, socket.idiag_state, ntohs(socket.id.idiag_sport), ntohs(socket.id.idiag_dport),
                         listening ? socket.idiag_rqueue : 0,
                         listening ? std::optional<std::uint64_t>(socket.idiag_wqueue) : std::nullopt);
        return std::nullopt;
    });
}

void merge_tcp(TcpSockets& into, const TcpSockets& from) {
    for (const auto& [state, count] : from.states) into.states[state] += count;
    for (const auto& [port, count] : from.close_wait_by_local_port) into.close_wait_by_local_port[port] += count;
    for (const auto& [port, count] : from.time_wait_by_remote_port) into.time_wait_by_remote_port[port] += count;
    for (const auto& [port, count] : from.syn_recv_by_local_port) into.syn_recv_by_local_port[port] += count;
    for (const auto& [port, listener] : from.listeners) merge_listener(into.listeners[port], listener);
}

Result<std::int64_t> parse_single_int(std::string_view text, std::string_view file) {
    const auto value_text = trim(text);
    if (value_text.empty()) return empty_file(file);
    auto value = parse_i64(value_text);
    if (!value) return at(file, 1, fmt::format("expected an integer, found {}", quoted(value_text)));
    return *value;
}

Result<std::string> parse_single_word(std::string_view text, std::string_view file) {
    const auto value_text = trim(text);
    if (value_text.empty()) return empty_file(file);
    if (value_text.find_first_of(" \t\n") != std::string_view::npos) {
        return at(file, 1, fmt::format("expected one word, found {}", quoted(value_text)));
    }
    return std::string(value_text);
}

Result<double> parse_uptime(std::string_view text, std::string_view file) {
    const auto fields = split_ws(trim(text));
    if (fields.empty()) return empty_file(file);
    auto seconds = parse_double(fields[0]);
    if (!seconds || *seconds < 0) return at(file, 1, fmt::format("expected seconds, found {}", quoted(fields[0])));
    return *seconds;
}

Result<std::set<int>> parse_cpu_mask(std::string_view text, std::string_view file) {
    const auto mask = trim(text);
    if (mask.empty()) return empty_file(file);
    const auto groups = split(mask, ',');
    constexpr std::size_t kMaxGroups = 256;  // 8192 CPUs: the kernel's NR_CPUS ceiling
    if (groups.size() > kMaxGroups) return at(file, 1, "mask is longer than 8192 CPUs");
    std::set<int> cpus;
    // Groups are most significant first: "00000001,00000000" is CPU 32.
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto group = groups[i];
        auto bits = group.size() <= 8 ? parse_u64(group, 16) : std::nullopt;
        if (!bits) return at(file, 1, fmt::format("bad CPU mask group {}", quoted(group)));
        const int base = static_cast<int>((groups.size() - 1 - i) * 32);
        for (int bit = 0; bit < 32; ++bit) {
            if (*bits & (std::uint64_t{1} << bit)) cpus.insert(base + bit);
        }
    }
    return cpus;
}

Result<std::set<int>> parse_cpu_list(std::string_view text, std::string_view file) {
    const auto list = trim(text);
    if (list.empty()) return std::set<int>{};  // an empty list is valid: no CPUs
    constexpr std::uint64_t kMaxCpu = 8191;
    std::set<int> cpus;
    for (const auto item : split(list, ',')) {
        const auto dash = item.find('-');
        auto first = parse_u64(item.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : parse_u64(item.substr(dash + 1));
        if (!first || !last || *first > *last || *last > kMaxCpu) {
            return at(file, 1, fmt::format("bad CPU list item {}", quoted(item)));
        }
        for (auto cpu = *first; cpu <= *last; ++cpu) cpus.insert(static_cast<int>(cpu));
    }
    return cpus;
}

Result<AuxvConstants> parse_auxv(std::string_view bytes, std::string_view file) {
    constexpr std::uint64_t kAtNull = 0, kAtPageSize = 6, kAtClockTick = 17;
    constexpr std::size_t kWord = sizeof(std::uint64_t);
    if (bytes.empty()) return empty_file(file);
    if (bytes.size() % (2 * kWord) != 0) {
        return make_error(fmt::format("{}: {} bytes is not a whole number of 64-bit entries", file, bytes.size()));
    }
    AuxvConstants constants;
    for (std::size_t offset = 0; offset + 2 * kWord <= bytes.size(); offset += 2 * kWord) {
        std::uint64_t type = 0, value = 0;
        std::memcpy(&type, bytes.data() + offset, kWord);
        std::memcpy(&value, bytes.data() + offset + kWord, kWord);
        if (type == kAtNull) break;
        if (type == kAtPageSize) constants.page_size = static_cast<std::int64_t>(value);
        if (type == kAtClockTick) constants.clk_tck = static_cast<std::int64_t>(value);
    }
    return constants;
}

Result<NeighbourTable> parse_neighbour_stat(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    std::vector<std::string_view> names;
    NeighbourTable table;
    std::size_t rows = 0;
    std::vector<std::uint64_t> values;
    auto error = for_each_line(text, [&](std::string_view line, std::size_t number) -> std::optional<Error> {
        const auto fields = split_ws(line);
        if (names.empty()) {
            names = fields;
            if (std::find(names.begin(), names.end(), "entries") == names.end()) {
                return at(file, number, "missing the \"entries ...\" header");
            }
            return std::nullopt;
        }
        if (fields.size() != names.size()) {
            return at(file, number, fmt::format("{} columns under a header of {}", fields.size(), names.size()));
        }
        if (auto bad = parse_all_u64(fields, 0, values, 16)) return at(file, number, not_a_counter(*bad, 16));
        for (std::size_t i = 0; i < names.size(); ++i) {
            // entries is the table's size, printed alike on every CPU's row; the rest are per CPU.
            if (names[i] == "entries") table.entries = values[i];
            if (names[i] == "forced_gc_runs") table.forced_gc_runs += values[i];
            if (names[i] == "table_fulls") table.table_fulls = table.table_fulls.value_or(0) + values[i];
        }
        ++rows;
        return std::nullopt;
    });
    if (error) return *error;
    if (rows == 0) return at(file, 2, "no per-CPU lines after the header");
    return table;
}

Result<std::uint64_t> parse_meminfo_total(std::string_view text, std::string_view file) {
    if (is_blank(text)) return empty_file(file);
    std::size_t number = 0;
    for (const auto line : lines_of(text)) {
        ++number;
        if (!starts_with(line, "MemTotal:")) continue;
        const auto fields = split_ws(line.substr(9));
        const auto kib = fields.size() == 2 && fields[1] == "kB" ? parse_u64(fields[0]) : std::nullopt;
        if (!kib || *kib > (std::uint64_t{1} << 50)) {
            return at(file, number, fmt::format("expected \"MemTotal: N kB\", found {}", quoted(trim(line))));
        }
        return *kib * 1024;
    }
    return make_error(fmt::format("{}: no MemTotal line", file));
}

Result<std::vector<std::int64_t>> parse_int_list(std::string_view text, std::string_view file) {
    const auto fields = split_ws(trim(text));
    if (fields.empty()) return empty_file(file);
    if (fields.size() > 16) return at(file, 1, fmt::format("expected a few integers, found {}", quoted(trim(text))));
    std::vector<std::int64_t> values;
    for (const auto field : fields) {
        auto value = parse_i64(field);
        if (!value) return at(file, 1, fmt::format("expected integers, found {}", quoted(field)));
        values.push_back(*value);
    }
    return values;
}

Result<std::int64_t> parse_hex_flags(std::string_view text, std::string_view file) {
    auto value_text = trim(text);
    if (value_text.empty()) return empty_file(file);
    auto digits = starts_with(value_text, "0x") ? value_text.substr(2) : value_text;
    auto value = digits.size() <= 8 ? parse_u64(digits, 16) : std::nullopt;
    if (!value) return at(file, 1, fmt::format("expected hex flags like 0x1003, found {}", quoted(value_text)));
    return static_cast<std::int64_t>(*value);
}

}  // namespace netdiag
