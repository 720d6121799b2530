#!/usr/bin/env python3
"""Synthetic node_exporter history for a fleet, as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`.

Usage: generate.py OUT.om [META.json]

Each instance ("host-NNNNN:9100", job "node") gets what node_exporter 1.5 exports with the
collectors netdiag reads (netdev, netclass, netstat with its default --collector.netstat.fields,
sockstat, softnet, conntrack, cpu, meminfo, stat, time, uname), scraped every STEP seconds for
HISTORY seconds ending at AT. About 1 % of the instances are faulty in one known way each:

  rx-drops         eth0's receive drops grow by 100/s (rx-drops warns at 10/s)
  conntrack-fill   the conntrack table is 97 % full (critical at 95 %)
  tcp-retransmits  8 % of TCP segments sent are retransmissions (critical at 5 %)

Everything else is healthy: counters grow at steady rates that match their values since boot,
no error or drop counter moves, links are up at 10 Gbit/s full duplex. META.json names the faulty
instances and the check each should fail; AT is printed on stdout.

Environment: NETDIAG_BENCH_INSTANCES (5000), NETDIAG_BENCH_HISTORY (900 s), NETDIAG_BENCH_STEP
(30 s), NETDIAG_BENCH_AT (1793494800, 2026-11-01T01:00:00Z: inside one 2 h block with its history).
Standard library only; the output is streamed (about 190 series an instance).
"""
import json
import os
import random
import sys
import time

FAULTS = ("rx-drops", "conntrack-fill", "tcp-retransmits")
CPUS = 4
CPU_MODES = (("user", 0.050), ("nice", 0.001), ("system", 0.030), ("idle", 0.900), ("iowait", 0.004),
             ("irq", 0.0), ("softirq", 0.008), ("steal", 0.002))
RX_FIELDS = ("bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast")
TX_FIELDS = ("bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed")
DEVICES = ("lo", "eth0", "eth1")
KERNEL = "6.1.0-27-amd64"
KERNEL_VERSION = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)"

# node_exporter 1.5's default --collector.netstat.fields on a 6.x kernel: (name, rate a second, base).
# A rate of None is a level (a gauge in all but type); 0 is a counter that does not move.
NETSTAT = (
    ("Icmp6_InErrors", 0, 3), ("Icmp6_InMsgs", 0.5, 4000), ("Icmp6_OutMsgs", 0.6, 5000),
    ("Icmp_InErrors", 0, 12), ("Icmp_InMsgs", 1.2, 9000), ("Icmp_OutMsgs", 1.3, 9500),
    ("Ip6_InOctets", 2400, 0), ("Ip6_OutOctets", 2600, 0), ("IpExt_InOctets", None, 0),
    ("IpExt_OutOctets", None, 0), ("Ip_Forwarding", None, 1),
    ("TcpExt_ListenDrops", 0, 41), ("TcpExt_ListenOverflows", 0, 41), ("TcpExt_SyncookiesFailed", 0, 0),
    ("TcpExt_SyncookiesRecv", 0, 0), ("TcpExt_SyncookiesSent", 0, 0), ("TcpExt_TCPSynRetrans", 0.2, 100),
    ("TcpExt_TCPTimeouts", 0.5, 300),
    ("Tcp_ActiveOpens", 20, 0), ("Tcp_CurrEstab", None, 0), ("Tcp_InErrs", 0, 7), ("Tcp_InSegs", None, 0),
    ("Tcp_OutRsts", 5, 0), ("Tcp_OutSegs", None, 0), ("Tcp_PassiveOpens", 30, 0), ("Tcp_RetransSegs", None, 0),
    ("Udp6_InDatagrams", 10, 0), ("Udp6_InErrors", 0, 0), ("Udp6_NoPorts", 0.1, 0), ("Udp6_OutDatagrams", 10, 0),
    ("Udp6_RcvbufErrors", 0, 0), ("Udp6_SndbufErrors", 0, 0), ("UdpLite6_InErrors", 0, 0),
    ("UdpLite_InErrors", 0, 0), ("Udp_InDatagrams", 200, 0), ("Udp_InErrors", 0, 2), ("Udp_NoPorts", 0.5, 0),
    ("Udp_OutDatagrams", 210, 0), ("Udp_RcvbufErrors", 0, 2), ("Udp_SndbufErrors", 0, 0),
)
SOCKSTAT = ("FRAG6_inuse", "FRAG6_memory", "FRAG_inuse", "FRAG_memory", "RAW6_inuse", "RAW_inuse", "TCP6_inuse",
            "TCP_alloc", "TCP_inuse", "TCP_mem", "TCP_mem_bytes", "TCP_orphan", "TCP_tw", "UDP6_inuse",
            "UDPLITE6_inuse", "UDPLITE_inuse", "UDP_inuse", "UDP_mem", "UDP_mem_bytes", "sockets_used")
CONNTRACK_STAT = (("found", 40), ("invalid", 0.5), ("ignore", 30), ("insert", 0), ("insert_failed", 0), ("drop", 0),
                  ("early_drop", 0), ("search_restart", 2))


class Instance:
    __slots__ = ("index", "name", "labels", "boot", "ages", "fault", "rng", "mem", "traffic", "conntrack_limit",
                 "conntrack_entries", "out_segs", "retrans_share", "estab")

    def __init__(self, index, at, times, rng):
        self.index = index
        self.name = f"host-{index:05d}:9100"
        self.labels = f'instance="{self.name}",job="node"'
        uptime = rng.randint(2 * 86400, 90 * 86400)  # at AT
        self.boot = at - uptime
        self.ages = [t - self.boot for t in times]
        self.fault = FAULTS[(index // 100) % len(FAULTS)] if index % 100 == 0 else None
        self.rng = rng
        self.mem = rng.choice((16, 32, 64, 128)) << 30
        self.traffic = rng.uniform(0.3, 2.0)  # scales every rate of the instance
        self.conntrack_limit = 262144
        share = 0.97 if self.fault == "conntrack-fill" else rng.uniform(0.01, 0.30)
        self.conntrack_entries = int(self.conntrack_limit * share)
        self.out_segs = 12000 * self.traffic
        self.retrans_share = 0.08 if self.fault == "tcp-retransmits" else rng.uniform(0.0001, 0.001)
        self.estab = rng.randint(50, 2000)


class Writer:
    def __init__(self, out, times):
        self.out = out
        self.ts = [f" {t}\n" for t in times]
        self.series = 0
        self.samples = 0

    def family(self, name, kind):
        self.out.write(f"# TYPE {name} {kind}\n")

    def constant(self, sample, labels, value):
        head = f"{sample}{{{labels}}} {value}"
        self.out.write("".join([head + ts for ts in self.ts]))
        self.series += 1
        self.samples += len(self.ts)

    def counter(self, sample, labels, inst, rate, base=0):
        """An integer counter: base + rate x seconds since boot (so its rate since boot is its rate now)."""
        if rate == 0:
            return self.constant(sample, labels, int(base))
        head = f"{sample}{{{labels}}} "
        self.out.write("".join([f"{head}{int(base + rate * age)}{ts}" for age, ts in zip(inst.ages, self.ts)]))
        self.series += 1
        self.samples += len(self.ts)

    def seconds(self, sample, labels, values):
        head = f"{sample}{{{labels}}} "
        self.out.write("".join([f"{head}{v:.2f}{ts}" for v, ts in zip(values, self.ts)]))
        self.series += 1
        self.samples += len(self.ts)


def device_rates(inst, device):
    """Rates a second for /proc/net/dev fields of one device."""
    k = inst.traffic
    if device == "lo":
        rx = {"bytes": 60000 * k, "packets": 400 * k}
        tx = dict(rx)
    elif device == "eth0":
        rx = {"bytes": 20e6 * k, "packets": 15000 * k, "multicast": 1.5}
        tx = {"bytes": 9e6 * k, "packets": 12000 * k}
    else:
        rx = {"bytes": 1.5e6 * k, "packets": 1800 * k, "multicast": 0.5}
        tx = {"bytes": 1.1e6 * k, "packets": 1500 * k}
    if device == "eth0" and inst.fault == "rx-drops":
        rx["drop"] = 100
    return rx, tx


def generate(out, count, at, history, step):
    times = list(range(at - history, at + 1, step))
    if times[-1] != at:
        times.append(at)
    master = random.Random(20261103)
    instances = [Instance(i, at, times, random.Random(master.getrandbits(64))) for i in range(count)]
    w = Writer(out, times)

    w.family("up", "gauge")
    for inst in instances:
        w.constant("up", inst.labels, 1)
    w.family("node_boot_time_seconds", "gauge")
    for inst in instances:
        w.constant("node_boot_time_seconds", inst.labels, f"{inst.boot:.1f}")
    w.family("node_time_seconds", "gauge")
    for inst in instances:
        w.seconds("node_time_seconds", inst.labels, [t + 0.123 for t in times])
    w.family("node_uname_info", "gauge")
    for inst in instances:
        host = inst.name.split(":")[0]
        w.constant("node_uname_info", f'domainname="(none)",machine="x86_64",nodename="{host}",release="{KERNEL}",'
                   f'sysname="Linux",version="{KERNEL_VERSION}",{inst.labels}', 1)
    w.family("node_memory_MemTotal_bytes", "gauge")
    for inst in instances:
        w.constant("node_memory_MemTotal_bytes", inst.labels, inst.mem)

    w.family("node_cpu_seconds", "counter")
    for inst in instances:
        busy = min(2.0, inst.traffic)
        for cpu in range(CPUS):
            for mode, share in CPU_MODES:
                if mode == "idle":
                    share = 1 - sum(s for m, s in CPU_MODES if m != "idle") * busy
                else:
                    share *= busy
                w.seconds("node_cpu_seconds_total", f'cpu="{cpu}",mode="{mode}",{inst.labels}',
                          [share * age for age in inst.ages])

    for field, per_cpu in (("processed", 4500), ("dropped", 0), ("times_squeezed", 0)):
        w.family(f"node_softnet_{field}", "counter")
        for inst in instances:
            for cpu in range(CPUS):
                base = 17 if field == "times_squeezed" else 0
                w.counter(f"node_softnet_{field}_total", f'cpu="{cpu}",{inst.labels}', inst,
                          per_cpu * inst.traffic if per_cpu else 0, base)

    for direction, fields in (("receive", RX_FIELDS), ("transmit", TX_FIELDS)):
        for field in fields:
            w.family(f"node_network_{direction}_{field}", "counter")
            for inst in instances:
                for device in DEVICES:
                    rx, tx = device_rates(inst, device)
                    rate = (rx if direction == "receive" else tx).get(field, 0)
                    # Old drops and errors from before the window, frozen since.
                    base = 0 if rate else (23 if field in ("drop", "errs") and device != "lo" else 0)
                    w.counter(f"node_network_{direction}_{field}_total", f'device="{device}",{inst.labels}', inst,
                              rate, base)

    w.family("node_network_speed_bytes", "gauge")
    for inst in instances:
        for device in DEVICES[1:]:
            w.constant("node_network_speed_bytes", f'device="{device}",{inst.labels}', 1250000000)
    w.family("node_network_carrier", "gauge")
    for inst in instances:
        for device in DEVICES:
            w.constant("node_network_carrier", f'device="{device}",{inst.labels}', 1)
    w.family("node_network_carrier_changes", "counter")
    for inst in instances:
        for device in DEVICES:
            w.constant("node_network_carrier_changes_total", f'device="{device}",{inst.labels}',
                       0 if device == "lo" else 2)
    w.family("node_network_mtu_bytes", "gauge")
    for inst in instances:
        for device in DEVICES:
            w.constant("node_network_mtu_bytes", f'device="{device}",{inst.labels}', 65536 if device == "lo" else 1500)
    w.family("node_network_info", "gauge")
    for inst in instances:
        for n, device in enumerate(DEVICES):
            if device == "lo":
                address, broadcast, duplex, operstate = "00:00:00:00:00:00", "00:00:00:00:00:00", "", "unknown"
            else:
                address = f"52:54:{inst.index >> 16 & 255:02x}:{inst.index >> 8 & 255:02x}:{inst.index & 255:02x}:{n:02x}"
                broadcast, duplex, operstate = "ff:ff:ff:ff:ff:ff", "full", "up"
            w.constant("node_network_info", f'address="{address}",broadcast="{broadcast}",device="{device}",'
                       f'duplex="{duplex}",ifalias="",operstate="{operstate}",{inst.labels}', 1)
    w.family("node_network_flags", "gauge")
    for inst in instances:
        for device in DEVICES:
            w.constant("node_network_flags", f'device="{device}",{inst.labels}', 73 if device == "lo" else 4163)
    w.family("node_network_up", "gauge")
    for inst in instances:
        for device in DEVICES:
            w.constant("node_network_up", f'device="{device}",{inst.labels}', 0 if device == "lo" else 1)

    # node_exporter exports netstat untyped: OpenMetrics' "unknown" (no _total suffix).
    for field, rate, base in NETSTAT:
        name = f"node_netstat_{field}"
        w.family(name, "unknown")
        for inst in instances:
            k = inst.traffic
            if field == "Tcp_OutSegs":
                w.counter(name, inst.labels, inst, inst.out_segs)
            elif field == "Tcp_InSegs":
                w.counter(name, inst.labels, inst, inst.out_segs * 1.15)
            elif field == "Tcp_RetransSegs":
                w.counter(name, inst.labels, inst, inst.out_segs * inst.retrans_share)
            elif field == "Tcp_CurrEstab":
                w.constant(name, inst.labels, inst.estab)
            elif field == "Ip_Forwarding":
                w.constant(name, inst.labels, 1)
            elif field in ("IpExt_InOctets", "IpExt_OutOctets"):
                w.counter(name, inst.labels, inst, (21.5e6 if "In" in field else 10.1e6) * k)
            else:
                w.counter(name, inst.labels, inst, rate * k if rate else 0, base)

    for field in SOCKSTAT:
        name = f"node_sockstat_{field}"
        w.family(name, "gauge")
        for inst in instances:
            tcp_mem = 20 + inst.estab // 20
            udp_mem = 8
            value = {"TCP_inuse": inst.estab + 40, "TCP_alloc": inst.estab + 60, "TCP_tw": 50 + inst.estab // 10,
                     "TCP_orphan": 0, "TCP_mem": tcp_mem, "TCP_mem_bytes": tcp_mem * 4096, "TCP6_inuse": 12,
                     "UDP_inuse": 9, "UDP_mem": udp_mem, "UDP_mem_bytes": udp_mem * 4096, "UDP6_inuse": 4,
                     "RAW_inuse": 0, "RAW6_inuse": 1, "sockets_used": inst.estab + 300}.get(field, 0)
            w.constant(name, inst.labels, value)

    w.family("node_nf_conntrack_entries", "gauge")
    for inst in instances:
        w.constant("node_nf_conntrack_entries", inst.labels, inst.conntrack_entries)
    w.family("node_nf_conntrack_entries_limit", "gauge")
    for inst in instances:
        w.constant("node_nf_conntrack_entries_limit", inst.labels, inst.conntrack_limit)
    for field, rate in CONNTRACK_STAT:
        name = f"node_nf_conntrack_stat_{field}"
        w.family(name, "gauge")  # node_exporter 1.5 types these gauge, though they count
        for inst in instances:
            w.counter(name, inst.labels, inst, rate * inst.traffic)

    out.write("# EOF\n")
    faulty = {inst.name: inst.fault for inst in instances if inst.fault}
    return w, faulty


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    env = os.environ.get
    count = int(env("NETDIAG_BENCH_INSTANCES", "5000"))
    history = int(env("NETDIAG_BENCH_HISTORY", "900"))
    step = int(env("NETDIAG_BENCH_STEP", "30"))
    at = int(env("NETDIAG_BENCH_AT", "1793494800"))
    if not (1 <= count <= 100000 and 300 <= history <= 86400 and 1 <= step <= 300 and at > history):
        sys.exit("generate.py: instances 1..100000, history 300..86400 s, step 1..300 s")
    started = time.monotonic()
    with open(sys.argv[1], "w", buffering=1 << 24) as out:
        w, faulty = generate(out, count, at, history, step)
        size = out.tell()
    elapsed = time.monotonic() - started
    meta = {"at": at, "instances": count, "history_seconds": history, "step_seconds": step, "series": w.series,
            "samples": w.samples, "bytes": size, "seconds": round(elapsed, 2), "faulty": faulty}
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            json.dump(meta, f, indent=1)
    print(f"generated {count} instances, {w.series} series, {w.samples} samples, {size / 1e6:.1f} MB of OpenMetrics "
          f"in {elapsed:.1f} s; {len(faulty)} faulty; at {at} "
          f"({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(at))})")


if __name__ == "__main__":
    main()
