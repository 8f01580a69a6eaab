"""A real HTTP receiver on loopback that checks each webhook's signature as the booking module would."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from registry_admin.webhooks.signing import verify_signature


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    valid: bool
    status: int = 200

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    """Records every POST; answers `respond(payload)` (200 unless changed); stop/start keep the port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.secret = ""
        self.received: list[Received] = []
        self.respond: Callable[[dict[str, Any]], int] = lambda payload: 200
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/registry"

    @property
    def accepted(self) -> list[Received]:
        """The deliveries answered with a 2xx, i.e. the ones the sender will count as delivered."""
        return [r for r in self.received if r.status < 300]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                valid = verify_signature(
                    receiver.secret,
                    self.headers.get("X-Registry-Timestamp"),
                    body,
                    self.headers.get("X-Registry-Signature"),
                    time.time(),
                )
                try:
                    status = receiver.respond(json.loads(body)) if valid else 401
                except ValueError:
                    status = 400
                receiver.received.append(Received(dict(self.headers.items()), body, valid, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
