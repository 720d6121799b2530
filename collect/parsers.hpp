// Pure parsers: the text of one /proc or /sys file in, a value or an error out.
// `file` only names the file in error messages ("/proc/net/dev:3: ..."); nothing here does I/O.
// Every parser accepts the layouts of kernels 3.10 through 6.x and rejects truncated or garbled
// text with the line number, never crashing and never inventing a zero.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collect/snapshot.hpp"
#include "common/result.hpp"

namespace netdiag {

Result<std::vector<InterfaceCounters>> parse_net_dev(std::string_view text, std::string_view file);
// /proc/net/snmp and /proc/net/netstat: pairs of "Section: names" / "Section: values" lines.
Result<ProtoCounters> parse_snmp(std::string_view text, std::string_view file);
// /proc/net/snmp6: "Udp6RcvbufErrors 0" lines, returned under sections "Ip6", "Icmp6", "Udp6", "UdpLite6".
Result<ProtoCounters> parse_snmp6(std::string_view text, std::string_view file);
Result<SockStat> parse_sockstat(std::string_view text, std::string_view file);
Result<std::vector<SoftnetCpu>> parse_softnet_stat(std::string_view text, std::string_view file);
// The "cpu" and "cpuN" lines of /proc/stat.
// CPU ids run below 8192, the kernel's NR_CPUS ceiling; a line for any other, or a CPU twice, is
// an error.
inline constexpr std::uint64_t kMaxStatCpus = 8192;
Result<std::vector<CpuTimes>> parse_proc_stat(std::string_view text, std::string_view file);
Result<Softirqs> parse_softirqs(std::string_view text, std::string_view file);
// Numbered IRQ lines of /proc/interrupts (NMI, LOC, ... are skipped), each with its non-zero
// per-CPU counts only: on a host of thousands of CPUs nearly all are zero, and keeping them would
// cost gigabytes. More than kMaxInterruptCounts non-zero counts is refused as garbage.
inline constexpr std::size_t kMaxInterruptCounts = 1'000'000;
Result<std::vector<InterruptLine>> parse_interrupts(std::string_view text, std::string_view file);
// /proc/net/stat/nf_conntrack: hex columns named by the header, summed over the CPU lines.
Result<std::map<std::string, std::uint64_t>> parse_nf_conntrack_stat(std::string_view text,
                                                                     std::string_view file);
Result<PortRange> parse_port_range(std::string_view text, std::string_view file);
// /proc/net/tcp or /proc/net/tcp6; add the results of both with merge_tcp.
Result<TcpSockets> parse_proc_net_tcp(std::string_view text, std::string_view file);
void merge_tcp(TcpSockets& into, const TcpSockets& from);
// What a host's awk made of /proc/net/tcp and tcp6 together (make_tcp_summary_script), so that a
// busy host never ships its socket table: "S STATE COUNT" by state, "C PORT COUNT" CLOSE_WAIT by
// local port, "T PORT COUNT" TIME_WAIT by remote port, "R PORT COUNT" half-open by local port,
// "L PORT QUEUE" the fullest accept queue of the listeners on a port; states, ports and queues in
// the files' hex, counts in decimal. "E WHERE: WHAT" is the line the host could not read; it
// becomes this parse's error. The same counts as parse_proc_net_tcp on the same files.
Result<TcpSockets> parse_tcp_summary(std::string_view text, std::string_view file);
// One datagram of a sock_diag dump of TCP sockets (netlink messages holding struct inet_diag_msg),
// added to `into`. Returns whether the dump is complete (NLMSG_DONE). A kernel error or a truncated
// message is an error naming `source` and the message's position in the datagram.
Result<bool> add_sock_diag_datagram(std::string_view datagram, TcpSockets& into, std::string_view source);
// A file holding one integer ("1000\n", "-1\n").
Result<std::int64_t> parse_single_int(std::string_view text, std::string_view file);
Result<std::string> parse_single_word(std::string_view text, std::string_view file);
// /proc/uptime: first field, seconds.
Result<double> parse_uptime(std::string_view text, std::string_view file);
// A CPU mask as /proc/irq/N/smp_affinity prints it: comma-separated 32-bit hex groups.
Result<std::set<int>> parse_cpu_mask(std::string_view text, std::string_view file);
// A CPU list as cpu/online or smp_affinity_list print it: "0-3,8,10-11".
Result<std::set<int>> parse_cpu_list(std::string_view text, std::string_view file);

// /proc/self/auxv (native-endian pairs of machine words): AT_CLKTCK and AT_PAGESZ.
struct AuxvConstants {
    std::optional<std::int64_t> clk_tck, page_size;
};
Result<AuxvConstants> parse_auxv(std::string_view bytes, std::string_view file);

// /proc/net/stat/arp_cache or ndisc_cache: hex columns named by the header, one row per CPU.
// table_fulls (Linux 4.10+) and forced_gc_runs are summed; entries is taken as printed.
Result<NeighbourTable> parse_neighbour_stat(std::string_view text, std::string_view file);
// /proc/meminfo's MemTotal, in bytes.
Result<std::uint64_t> parse_meminfo_total(std::string_view text, std::string_view file);
// A sysctl holding several integers: "188562\t251418\t377124" (tcp_mem).
Result<std::vector<std::int64_t>> parse_int_list(std::string_view text, std::string_view file);
// /sys/class/net/IF/flags: "0x1003".
Result<std::int64_t> parse_hex_flags(std::string_view text, std::string_view file);

// The kernel's names for the state column of /proc/net/tcp ("01" -> "ESTABLISHED").
std::string_view tcp_state_name(unsigned state);

}  // namespace netdiag
