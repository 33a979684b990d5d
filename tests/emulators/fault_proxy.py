"""A reverse proxy in front of an object-store emulator that can answer `503 Slow Down` instead
of forwarding, as a throttled S3 or an overloaded storage account does (tests/fault_proxy.rs).

    python fault_proxy.py PORT TARGET_BASE_URL

`POST /_faults/fail?count=N` makes the next N requests fail with 503 (`count=-1`: every one
until `POST /_faults/heal`); `GET /_faults/failed` tells how many it failed. Everything else is
forwarded with its Host header unchanged, so request signatures still verify.
"""

import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

state = {"remaining": 0, "failed": 0}
lock = threading.Lock()


def should_fail() -> bool:
    with lock:
        if state["remaining"] == 0:
            return False
        if state["remaining"] > 0:
            state["remaining"] -= 1
        state["failed"] += 1
        return True


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    target = urlsplit("http://127.0.0.1")

    def log_message(self, *args) -> None:
        pass

    def reply(self, status: int, body: bytes, headers=(), length: str | None = None) -> None:
        """Sends a response; `length` is the Content-Length of a HEAD, which has no body."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", length if length is not None else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def control(self) -> bool:
        url = urlsplit(self.path)
        if not url.path.startswith("/_faults/"):
            return False
        query = parse_qs(url.query)
        with lock:
            if url.path == "/_faults/fail":
                state["remaining"] = int(query.get("count", ["-1"])[0])
            elif url.path == "/_faults/heal":
                state["remaining"] = 0
            failed = state["failed"]
        self.reply(200, str(failed).encode())
        return True

    def forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.control():
            return
        if should_fail():
            slow_down = b"<?xml version='1.0'?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            self.reply(503, slow_down, [("Content-Type", "application/xml")])
            return
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        headers = {name: value for name, value in self.headers.items()}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        passed = [(n, v) for n, v in response.getheaders() if n.lower() not in ("content-length", "transfer-encoding", "connection")]
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.reply(response.status, data, passed, length)
        connection.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


def main() -> None:
    port, target = int(sys.argv[1]), sys.argv[2]
    Proxy.target = urlsplit(target)
    ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()


if __name__ == "__main__":
    main()
