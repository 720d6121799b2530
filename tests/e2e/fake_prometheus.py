#!/usr/bin/env python3
"""A Prometheus HTTP API stand-in on loopback, for netdiag scan --prometheus's bad-input tests.

The first path segment picks the behaviour (netdiag's URL http://127.0.0.1:PORT/MODE):
  ok       a small fleet: web1 drops 100 packets/s on eth0, web2 is clean, web3's scrape is down
  garbage  200 with an HTML page      huge   200 with an endless body
  error500 500 with text              badquery  400 with a PromQL error, as Prometheus answers
  slow     no answer for 30 s         auth   the ok fleet behind Basic auth (netdiag:s3cret)
  reset    200 then the connection cut in the middle of the body
  split    the ok fleet, but a query about more than one instance is answered with a body larger
           than netdiag takes (a batch too big for one answer)
  bigweb1  the ok fleet, but any query about web1 is answered too large (an instance that alone
           does not fit)
Serves HTTPS instead with --tls CERT KEY. Prints its port on stdout, then serves until killed.
"""
import base64
import json
import re
import socket
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AT = None  # the instant netdiag asks about; answers at AT - window are the earlier sample


def vector(series):
    return {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": labels, "value": [0, str(value)]} for labels, value in series]}}


def node_series(instance, t, drops_per_second):
    base = {"instance": instance, "job": "node"}

    def s(name, value, **labels):
        return (dict(base, __name__=name, **labels), value)

    out = [s("node_boot_time_seconds", 1000), s("node_time_seconds", t),
           s("node_uname_info", 1, nodename=instance.split(":")[0], release="6.1.0-13-amd64")]
    for field in ("bytes", "packets", "errs", "drop"):
        rx = {"bytes": 1e5 * t, "packets": 100 * t, "errs": 0, "drop": drops_per_second * t}[field]
        out.append(s(f"node_network_receive_{field}_total", rx, device="eth0"))
        out.append(s(f"node_network_transmit_{field}_total", 0 if field in ("errs", "drop") else rx, device="eth0"))
    out += [s("node_network_speed_bytes", 1.25e9, device="eth0"), s("node_network_carrier", 1, device="eth0"),
            s("node_network_carrier_changes_total", 1, device="eth0"),
            s("node_network_info", 1, device="eth0", operstate="up", duplex="full"),
            s("node_netstat_Tcp_RetransSegs", 0), s("node_netstat_Tcp_OutSegs", 1000 * t),
            s("node_netstat_TcpExt_ListenOverflows", 0), s("node_netstat_Udp_RcvbufErrors", 0),
            s("node_sockstat_TCP_tw", 10), s("node_softnet_dropped_total", 0, cpu="0"),
            s("node_softnet_processed_total", 100 * t, cpu="0")]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        query = form.get("query", [""])[0]
        at = float(form.get("time", ["0"])[0])
        mode = self.path.strip("/").split("/")[0]
        if mode == "garbage":
            return self.send(200, "<html><body>502 Bad Gateway</body></html>", "text/html")
        if mode == "error500":
            return self.send(500, "internal error\n", "text/plain")
        if mode == "badquery":
            return self.send(400, json.dumps({"status": "error", "errorType": "bad_data",
                                              "error": "1:1: parse error: unexpected character"}))
        if mode == "slow":
            time.sleep(30)
            return self.send(200, "{}")
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"[" * 65536
            try:
                for _ in range(4096):  # 256 MiB at most; netdiag hangs up long before
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        if mode == "reset":
            body = json.dumps(vector([({"instance": "x"}, 1)] * 1000)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "auth":
            expected = "Basic " + base64.b64encode(b"netdiag:s3cret").decode()
            if self.headers.get("Authorization") != expected:
                return self.send(401, "Unauthorized\n", "text/plain")
        if mode in ("split", "bigweb1") and not query.startswith("max by (instance, job) (up"):
            named = re.search(r'instance=~"([^"]*)"', query)
            instances = named.group(1).split("|") if named else None  # None: every instance
            if (mode == "split" and (instances is None or len(instances) > 1)) or \
                    (mode == "bigweb1" and (instances is None or "web1:9100" in instances)):
                # A Content-Length past netdiag's 64 MiB: refused before the body is read.
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(100 << 20))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b'{"status":"success"')
                return
        global AT
        if query.startswith("max by (instance, job) (up"):
            AT = at
            return self.send(200, json.dumps(vector([
                ({"instance": "web1:9100", "job": "node"}, 1), ({"instance": "web2:9100", "job": "node"}, 1),
                ({"instance": "web3:9100", "job": "node"}, 0)])))
        if query.startswith("(resets("):
            return self.send(200, json.dumps(vector([])))
        if "resets(" in query and "__name__" in query:
            # As Prometheus: resets() drops the name, so a name regex gives duplicate labelsets.
            return self.send(422, json.dumps({"status": "error", "errorType": "execution",
                                              "error": "vector cannot contain metrics with the same labelset"}))
        series = node_series("web1:9100", at, 100) + node_series("web2:9100", at, 0)
        return self.send(200, json.dumps(vector(series)))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
