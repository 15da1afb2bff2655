"""A fault-injecting HTTP proxy for S3 client tests (loopback only, bounded).

Sits between the client under test and an upstream S3 server (moto) on 127.0.0.1 and,
for each incoming request in order, applies the next scripted fault:

  "pass"            forward unchanged
  "503"             answer 503 SlowDown (S3 XML error) without forwarding
  "429"             answer 429 SlowDown
  "500"             answer 500 InternalError
  "409"             answer 409 ConditionalRequestConflict
  "400"             answer 400 InvalidArgument (must not be retried)
  "reset"           forward, send the status line, headers and half the body, then reset
                    the connection (RST)
  "reset_early"     reset the connection right after reading the request
  "truncate"        forward, send headers with the true Content-Length but only half the
                    body, then close cleanly (FIN): a Content-Length mismatch
  "stall:<sec>"     wait <sec> seconds (capped at MAX_STALL) before forwarding

When the script runs out every request passes. Every request is recorded in `log` as
(method, path, fault). One request per connection ("Connection: close"), a thread per
connection, at most MAX_CONNECTIONS at once; stop() interrupts stalls.
"""

import http.client
import socket
import struct
import threading
import time

MAX_STALL = 15.0
MAX_CONNECTIONS = 32
MAX_BODY = 64 * 1024 * 1024
IO_TIMEOUT = 30.0

ERROR_BODIES = {
    "503": (503, "Service Unavailable", "SlowDown", "Please reduce your request rate."),
    "429": (429, "Too Many Requests", "SlowDown", "Please reduce your request rate."),
    "500": (500, "Internal Server Error", "InternalError", "We encountered an internal error."),
    "409": (409, "Conflict", "ConditionalRequestConflict",
            "A conflicting conditional operation is currently in progress."),
    "400": (400, "Bad Request", "InvalidArgument", "Invalid Argument"),
}


class FaultProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        if upstream_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("fault proxy only forwards to loopback")
        self.upstream = (upstream_host, upstream_port)
        self.script = []
        self.log = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._workers = []

    # -- control -------------------------------------------------------------------------
    def inject(self, *faults):
        with self._lock:
            self.script.extend(faults)

    def clear(self):
        with self._lock:
            self.script.clear()
            self.log.clear()

    def requests(self):
        with self._lock:
            return list(self.log)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for w in self._workers:
            w.join(timeout=5)
        self._sock.close()

    # -- serving -------------------------------------------------------------------------
    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if not self._slots.acquire(timeout=5):
                conn.close()
                continue
            t = threading.Thread(target=self._handle_guarded, args=(conn,), daemon=True)
            self._workers = [w for w in self._workers if w.is_alive()] + [t]
            t.start()

    def _handle_guarded(self, conn):
        try:
            conn.settimeout(IO_TIMEOUT)
            self._handle(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass
            self._slots.release()

    def _next_fault(self, method, path):
        with self._lock:
            fault = self.script.pop(0) if self.script else "pass"
            self.log.append((method, path, fault))
            return fault

    @staticmethod
    def _read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 1024 * 1024:
                return None
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = []
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length > MAX_BODY:
            return None
        while len(body) < length:
            chunk = conn.recv(min(65536, length - len(body)))
            if not chunk:
                return None
            body += chunk
        return method, target, headers, body

    @staticmethod
    def _reset(conn):
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    def _forward(self, method, target, headers, body):
        up = http.client.HTTPConnection(*self.upstream, timeout=IO_TIMEOUT)
        try:
            up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                if name.lower() in ("connection", "keep-alive"):
                    continue
                up.putheader(name, value)
            up.endheaders(body if body else None)
            resp = up.getresponse()
            payload = resp.read() if method != "HEAD" else b""
            resp_headers = [(n, v) for n, v in resp.getheaders()
                            if n.lower() not in ("connection", "keep-alive", "transfer-encoding")]
            if method != "HEAD" and not any(n.lower() == "content-length" for n, _ in resp_headers):
                resp_headers.append(("Content-Length", str(len(payload))))
            return resp.status, resp.reason, resp_headers, payload
        finally:
            up.close()

    @staticmethod
    def _head_bytes(status, reason, headers):
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{n}: {v}" for n, v in headers]
        lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _handle(self, conn):
        req = self._read_request(conn)
        if req is None:
            return
        method, target, headers, body = req
        fault = self._next_fault(method, target)

        if fault == "reset_early":
            self._reset(conn)
            return
        if fault in ERROR_BODIES:
            status, reason, code, message = ERROR_BODIES[fault]
            xml = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                   f"<Message>{message}</Message><RequestId>FAULTPROXY</RequestId></Error>")
            payload = xml.encode() if method != "HEAD" else b""
            conn.sendall(self._head_bytes(status, reason, [
                ("Content-Type", "application/xml"),
                ("Content-Length", str(len(xml.encode()))),
                ("x-amz-request-id", "FAULTPROXY")]) + payload)
            return
        if fault.startswith("stall:"):
            delay = min(float(fault.split(":", 1)[1]), MAX_STALL)
            if self._stop.wait(delay):
                return

        status, reason, resp_headers, payload = self._forward(method, target, headers, body)
        head = self._head_bytes(status, reason, resp_headers)
        if fault == "reset":
            conn.sendall(head + payload[: len(payload) // 2])
            time.sleep(0.05)
            self._reset(conn)
            return
        if fault == "truncate":
            conn.sendall(head + payload[: len(payload) // 2])
            conn.shutdown(socket.SHUT_WR)
            return
        conn.sendall(head + payload)
