#!/usr/bin/python3
"""Traffic that puts a real fault into a network namespace, for the shell suites.

Every mode is bounded in count and in time, and talks only to loopback or to an interface the
calling suite created:
  udp-fill COUNT               COUNT unreplied UDP flows to 127.0.1.x (fills the conntrack table)
  raw-frames IFACE SECONDS     frames of an unknown ethertype out of IFACE (rx drops at its peer)
  bulk-tcp PORT SECONDS        a bulk TCP transfer over loopback (retransmits under packet loss)
  close-wait PORT COUNT SECONDS  a server that never closes: COUNT clients connect and hang up,
                               the server holds the sockets in CLOSE_WAIT for SECONDS
  short-conns PORT COUNT       COUNT connections the client closes first (TIME_WAIT on its ports)
  first-fragments PORT SECONDS  first fragments of UDP datagrams to 127.0.0.1 that never complete
                               (reassembly fails once net.ipv4.ipfrag_time runs out)
  refused PORT SECONDS         connections to a closed loopback port, answered with RSTs
  syn-flood PORT SECONDS       a listener with backlog 16 that never accepts, and SYNs to it from
                               spoofed 127.x.y.z sources (the suite drops the SYN-ACKs)
  tw-churn PORT SECONDS        short connections the client closes first, without pause (with a low
                               net.ipv4.tcp_max_tw_buckets: TIME_WAIT overflows)
  rcvbuf-squeeze PORT SECONDS  connections whose receiver, once the sender has a wide window, shrinks
                               SO_RCVBUF to the minimum and stops reading: the segments already in
                               flight no longer fit, the receive queue is pruned and data dropped
  oversized-frames IFACE SIZE RATE SECONDS  RATE frames/s of SIZE bytes out of IFACE (a peer with a
                               smaller MTU refuses them: transmit drops on IFACE)
  neigh-flood PREFIX COUNT SECONDS  UDP datagrams to PREFIX.2 .. PREFIX.COUNT+1 every 0.2 s: one
                               neighbour resolution per address nobody answers
  no-route ADDRESS RATE SECONDS  RATE UDP datagrams/s to ADDRESS, which has no route (each sendto fails
                               with ENETUNREACH and counts in Ip OutNoRoutes)
  storm IFACE RATE SECONDS     RATE IPv4 frames/s to a unicast MAC nobody has, out of IFACE (from a transmit
                               ring, 512 frames a send): the peer counts them received, then drops them
                               silently as not for it (rx_otherhost_dropped, which /proc/net/dev leaves
                               out of its drops)
  frag-fill PORT BYTES         first fragments, as first-fragments sends them, until sockstat's FRAG
                               memory reaches BYTES (10 s at most); they wait out net.ipv4.ipfrag_time
  bad-checksums PORT RATE SECONDS  RATE UDP datagrams/s to 127.0.0.1 with a wrong UDP checksum (Udp
                               InCsumErrors at the receiver)
  spoofed-source SOURCE DESTINATION RATE SECONDS  RATE UDP datagrams/s to DESTINATION from the local
                               address SOURCE, which belongs to another link (rp_filter drops at the peer)
Prints "ready" on stdout once the fault is in place, for modes that keep running.
"""
import mmap
import random
import socket
import struct
import sys
import threading
import time


def ready():
    print("ready", flush=True)


def udp_fill(count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    for last_octet in range(1, 255):
        for port in range(1024, 65536):
            s.sendto(b"x", (f"127.0.1.{last_octet}", port))
            sent += 1
            if sent >= count:
                return


def raw_frames(iface, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    # Broadcast destination, a locally administered source, ethertype 0x88b5 (local experimental).
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"\x00" * 46
    ready()
    end = time.time() + seconds
    while time.time() < end:  # about 500 frames/s
        for _ in range(50):
            s.send(frame)
        time.sleep(0.1)


def listener(port, backlog=1024):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(backlog)
    return server


def bulk_tcp(port, seconds):
    server = listener(port)

    def sink():
        connection, _ = server.accept()
        while connection.recv(1 << 16):
            pass

    threading.Thread(target=sink, daemon=True).start()
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    chunk = b"\x00" * (1 << 16)
    ready()
    end = time.time() + seconds
    while time.time() < end:
        try:
            client.sendall(chunk)
        except socket.timeout:
            pass
    client.close()


def close_wait(port, count, seconds):
    server = listener(port)
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    held = [server.accept()[0] for _ in range(count)]  # accepted, never closed
    for client in clients:
        client.close()
    ready()
    time.sleep(seconds)
    del held


def short_conns(port, count):
    server = listener(port)

    def serve():
        server.settimeout(10)
        for _ in range(count):
            connection, _ = server.accept()
            connection.recv(1)  # wait for the client's FIN, then close second
            connection.close()

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.close()
    worker.join(timeout=20)


def ip_header(ident, protocol, payload_length, flags_offset, source="127.0.0.1"):
    # IPPROTO_RAW: the kernel fills in the checksum and the total length; the rest is ours.
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_length, ident, flags_offset, 64, protocol, 0,
                       socket.inet_aton(source), socket.inet_aton("127.0.0.1"))


def first_fragments(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    # A UDP header announcing 1008 bytes, and the first 32 of them: the rest never comes.
    payload = struct.pack("!HHHH", 40000, port, 1008, 0) + b"x" * 32
    ready()
    ident, end = 1, time.time() + seconds
    while time.time() < end:  # about 500 datagrams/s
        for _ in range(50):
            s.sendto(ip_header(ident, socket.IPPROTO_UDP, len(payload), 0x2000) + payload, ("127.0.0.1", 0))
            ident = ident % 65535 + 1
        time.sleep(0.1)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def syn_flood(port, seconds):
    server = listener(port, backlog=16)  # never accepts: its SYN queue fills at once
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    ready()
    end = time.time() + seconds
    while time.time() < end:  # about 1000 SYNs/s
        for _ in range(100):
            source = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
            sport = random.randint(1024, 65535)
            header = struct.pack("!HHLLBBHHH", sport, port, random.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
            pseudo = socket.inet_aton(source) + socket.inet_aton("127.0.0.1") + struct.pack("!BBH", 0, 6, len(header))
            header = header[:16] + struct.pack("!H", checksum(pseudo + header)) + header[18:]
            s.sendto(ip_header(random.randint(1, 65535), socket.IPPROTO_TCP, len(header), 0, source) + header,
                     ("127.0.0.1", 0))
        time.sleep(0.1)
    server.close()


def refused(port, seconds):
    ready()
    end = time.time() + seconds
    while time.time() < end:
        for _ in range(200):
            client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                client.connect(("127.0.0.1", port))
            except OSError:
                pass
            client.close()


def tw_churn(port, seconds):
    server = listener(port)

    def serve():
        server.settimeout(1)
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.recv(1)  # wait for the client's FIN, then close second
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    end, announced = time.time() + seconds, False
    while time.time() < end:  # a few hundred connections/s, each leaving (or failing to leave) a TIME_WAIT
        for _ in range(50):
            client = socket.create_connection(("127.0.0.1", port), timeout=5)
            # The client's FIN goes first; it closes once the server's FIN is in. A socket closed in
            # FIN_WAIT2 would become a FIN_WAIT2 mini-socket, overflow as well, and turn the server's
            # FIN into an RST: a reset storm on top of the fault.
            client.shutdown(socket.SHUT_WR)
            client.recv(1)
            client.close()
        if not announced:
            ready()
            announced = True
        time.sleep(0.05)


def rcvbuf_squeeze(port, seconds):
    server = listener(port)
    chunk = b"\x00" * (1 << 16)
    held = []
    end, announced = time.time() + seconds, False
    while time.time() < end:  # a few connections/s, each losing a segment or more
        client = socket.create_connection(("127.0.0.1", port), timeout=5)
        client.setblocking(False)
        receiver, _ = server.accept()
        received = 0
        while received < 1 << 20:  # a megabyte read at once: autotuning opens a wide receive window
            try:
                client.send(chunk)
            except BlockingIOError:
                pass
            received += len(receiver.recv(1 << 20))
        # The window already offered is never taken back: what the sender puts in it no longer fits.
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        until = time.time() + 0.15
        while time.time() < until:
            try:
                client.send(chunk)
            except BlockingIOError:
                time.sleep(0.005)
        if not announced:
            ready()
            announced = True
        held.append((client, receiver))
        if len(held) > 4:  # bounded memory: the oldest pair goes (an RST for the unread data)
            for s in held.pop(0):
                s.close()


def oversized_frames(iface, size, rate, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + b"\x00" * (size - 14)
    ready()
    end = time.time() + seconds
    while time.time() < end:
        try:
            s.send(frame)
        except OSError:  # ENOBUFS: the driver dropped it, which is the point
            pass
        time.sleep(1 / rate)


def neigh_flood(prefix, count, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end, announced = time.time() + seconds, False
    while time.time() < end:
        for host in range(2, count + 2):
            try:
                s.sendto(b"x", (f"{prefix}.{host}", 9))
            except OSError:  # ENOBUFS or EHOSTUNREACH: no neighbour entry could be made
                pass
        if not announced:
            ready()
            announced = True
        time.sleep(0.2)


def paced(rate, seconds, send):
    """send() RATE times a second in batches of a tenth, for SECONDS; "ready" after the first batch."""
    end, announced = time.time() + seconds, False
    while time.time() < end:
        for _ in range(max(1, int(rate // 10))):
            try:
                send()
            except OSError:  # ENETUNREACH and the like: the fault itself
                pass
        if not announced:
            ready()
            announced = True
        time.sleep(0.1)


def no_route(address, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    paced(rate, seconds, lambda: s.sendto(b"x", (address, 9)))


def storm(iface, rate, seconds):
    # To 02:00:00:00:00:99 (locally administered, nobody's), ethertype IPv4: the receiving stack takes it
    # as PACKET_OTHERHOST and drops it in ip_rcv before any protocol counter.
    frame = b"\x02\x00\x00\x00\x00\x99" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + b"\x45" + b"\x00" * 45
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    # A TPACKET_V2 transmit ring: one send() puts out every frame marked in it. One send() per frame
    # would cost Python a few microseconds each, too few frames/s on a busy machine.
    sol_packet, packet_version, packet_tx_ring, tpacket_v2 = 263, 10, 13, 1
    frame_size, frames = 128, 512  # the frame's data sits after the 32-byte tpacket2_hdr
    s.setsockopt(sol_packet, packet_version, tpacket_v2)
    s.setsockopt(sol_packet, packet_tx_ring, struct.pack("IIII", 4096, frame_size * frames // 4096, frame_size, frames))
    s.bind((iface, 0))
    ring = mmap.mmap(s.fileno(), frame_size * frames)
    for i in range(frames):
        ring[i * frame_size + 32:i * frame_size + 32 + len(frame)] = frame
        struct.pack_into("II", ring, i * frame_size, 0, len(frame))  # tp_status available, tp_len
    start, batches, announced = time.time(), 0, False
    while time.time() < start + seconds:
        for i in range(frames):
            struct.pack_into("I", ring, i * frame_size, 1)  # TP_STATUS_SEND_REQUEST
        try:
            s.send(b"")  # blocks until the ring is sent
        except OSError:  # ENOBUFS: a qdisc in the way dropped some (the qdisc test's fault itself)
            pass
        batches += 1
        if not announced:
            ready()
            announced = True
        time.sleep(max(0.0, start + batches * frames / rate - time.time()))


def frag_sockstat(field):
    for line in open("/proc/net/sockstat"):
        if line.startswith("FRAG:"):
            fields = line.split()
            return int(fields[fields.index(field) + 1])
    return 0


def frag_fill(port, target):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    payload = struct.pack("!HHHH", 40000, port, 1008, 0) + b"x" * 32  # as first_fragments
    # One queue per IP id: a second call goes on after the queues a first one left (none has timed
    # out or been evicted, so "inuse" counts them), instead of resending their duplicates.
    first = frag_sockstat("inuse") + 1
    ident, end = first, time.time() + 10
    while frag_sockstat("memory") < target and time.time() < end and ident < 65535:
        s.sendto(ip_header(ident, socket.IPPROTO_UDP, len(payload), 0x2000) + payload, ("127.0.0.1", 0))
        ident += 1
    print(f"{ident - first} first fragments, FRAG: inuse {frag_sockstat('inuse')} memory {frag_sockstat('memory')}",
          flush=True)


def bad_checksums(port, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    header = struct.pack("!HHHH", 40000, port, 8 + 32, 0)
    body = b"x" * 32
    pseudo = socket.inet_aton("127.0.0.1") * 2 + struct.pack("!BBH", 0, socket.IPPROTO_UDP, len(header) + len(body))
    right = checksum(pseudo + header + body) or 0xFFFF
    wrong = 0x1111 if right != 0x1111 else 0x2222  # never 0, which would mean "no checksum"
    datagram = header[:6] + struct.pack("!H", wrong) + body
    paced(rate, seconds, lambda: s.sendto(ip_header(random.randint(1, 65535), socket.IPPROTO_UDP, len(datagram), 0)
                                          + datagram, ("127.0.0.1", 0)))


def spoofed_source(source, destination, rate, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    paced(rate, seconds, lambda: s.sendto(b"x", (destination, 9)))


def main(argv):
    mode, args = argv[1], argv[2:]
    if mode == "udp-fill":
        udp_fill(int(args[0]))
    elif mode == "raw-frames":
        raw_frames(args[0], float(args[1]))
    elif mode == "bulk-tcp":
        bulk_tcp(int(args[0]), float(args[1]))
    elif mode == "close-wait":
        close_wait(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "short-conns":
        short_conns(int(args[0]), int(args[1]))
    elif mode == "first-fragments":
        first_fragments(int(args[0]), float(args[1]))
    elif mode == "refused":
        refused(int(args[0]), float(args[1]))
    elif mode == "syn-flood":
        syn_flood(int(args[0]), float(args[1]))
    elif mode == "tw-churn":
        tw_churn(int(args[0]), float(args[1]))
    elif mode == "rcvbuf-squeeze":
        rcvbuf_squeeze(int(args[0]), float(args[1]))
    elif mode == "oversized-frames":
        oversized_frames(args[0], int(args[1]), float(args[2]), float(args[3]))
    elif mode == "neigh-flood":
        neigh_flood(args[0], int(args[1]), float(args[2]))
    elif mode == "no-route":
        no_route(args[0], float(args[1]), float(args[2]))
    elif mode == "storm":
        storm(args[0], float(args[1]), float(args[2]))
    elif mode == "frag-fill":
        frag_fill(int(args[0]), int(args[1]))
    elif mode == "bad-checksums":
        bad_checksums(int(args[0]), float(args[1]), float(args[2]))
    elif mode == "spoofed-source":
        spoofed_source(args[0], args[1], float(args[2]), float(args[3]))
    else:
        sys.exit(f"load.py: unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
