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
Prints "ready" on stdout once the fault is in place, for modes that keep running.
"""
import socket
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
    else:
        sys.exit(f"load.py: unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
