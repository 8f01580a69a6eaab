"""Helpers of the notification tests: a real SMTP server (aiosmtpd) that records and can refuse."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class RecordingHandler:
    """Accepts every message, or answers `answer` (e.g. "451 4.3.0 Try later") when it is set."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: str | None = None
        self.auth_logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer:
            return self.answer
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        )
        return "250 2.0.0 OK"


def free_port() -> int:
    # aiosmtpd cannot bind port 0 and report it: ask the kernel for a free one first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """An aiosmtpd Controller on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self, **controller_kwargs: Any) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.kwargs = controller_kwargs
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            controller = Controller(
                self.handler, hostname="127.0.0.1", port=self.port, **self.kwargs
            )
            try:
                controller.start()
            except (OSError, RuntimeError):
                # The port of a server just stopped can take a moment to be free again.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            self.controller = controller
            return

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


class PasswordCheck:
    """aiosmtpd authenticator accepting one login."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)
