"""Where built messages go: `.eml` files in a directory, or an SMTP server.

Both take a built `EmailMessage` and its envelope; failures are classified for the deliverer:
`TemporaryFailure` (try again later; `unreachable` when no message can get through now) and
`PermanentFailure` (this message will never be accepted).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from registry_admin.config import SmtpSettings


class DeliveryError(Exception):
    """Sending one message failed; `str()` is the reason kept on the notification."""


class TemporaryFailure(DeliveryError):
    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class PermanentFailure(DeliveryError):
    pass


class Transport(Protocol):
    description: str

    def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None: ...

    def close(self) -> None: ...


def safe_file_name(message_id: str) -> str:
    """A file name made of the Message-ID, safe on every file system we use."""
    name = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip().strip("<>"))
    return f"{name.lstrip('.')[:200] or 'message'}.eml"


class DirectoryTransport:
    """Writes each message whole to `<directory>/<Message-ID>.eml` (never a partial file)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.description = f"directory {self.directory}"

    def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        try:
            data = message.as_bytes()
        except (ValueError, TypeError, UnicodeError) as exc:
            raise PermanentFailure(f"the message cannot be serialized: {exc}") from exc
        target = self.directory / safe_file_name(str(message["Message-ID"]))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write aside, flush to disk, then rename over the target: a reader sees either no
            # file or the whole message, and a second send of the same message replaces it.
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, target)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
            _fsync_directory(self.directory)
        except OSError as exc:
            raise TemporaryFailure(
                f"cannot write to {self.directory}: {exc.strerror or exc}", unreachable=True
            ) from exc

    def close(self) -> None:
        pass


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SmtpTransport:
    """smtplib with implicit TLS, STARTTLS or plain; one connection kept for a round of sends."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in ("tls", "starttls", "plain"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self.ssl_context = ssl_context
        self.description = f"SMTP server {host}:{port}"
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl.create_default_context()
        connection: smtplib.SMTP
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if self.username:
                connection.login(self.username, self.password)
        except BaseException:
            _quietly_close(connection)
            raise
        return connection

    def send(self, message: EmailMessage, *, sender: str, recipient: str) -> None:
        try:
            data = message.as_bytes()
        except (ValueError, TypeError, UnicodeError) as exc:
            raise PermanentFailure(f"the message cannot be serialized: {exc}") from exc
        try:
            if self._connection is None:
                self._connection = self._connect()
            # The envelope is our own validated values, never taken from the headers.
            refused = self._connection.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise _by_code(code, text, "recipient refused") from exc
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            # A wrong password is the server's configuration, not this message: retry later.
            raise TemporaryFailure(
                f"authentication failed: {_reply(exc.smtp_code, exc.smtp_error)}",
                unreachable=True,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            self.close()
            raise TemporaryFailure(f"the server does not offer: {exc}", unreachable=True) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self.close()
            raise TemporaryFailure(f"connection lost: {exc}", unreachable=True) from exc
        except smtplib.SMTPConnectError as exc:
            self.close()
            raise TemporaryFailure(
                f"connection refused: {_reply(exc.smtp_code, exc.smtp_error)}", unreachable=True
            ) from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 530:
                # "Authentication required" / "Must issue STARTTLS first": our configuration.
                self.close()
                raise TemporaryFailure(
                    f"the server requires: {_reply(exc.smtp_code, exc.smtp_error)}",
                    unreachable=True,
                ) from exc
            # The connection may be in any state after an error reply: start afresh next time.
            self.close()
            raise _by_code(exc.smtp_code, exc.smtp_error, "refused") from exc
        except smtplib.SMTPException as exc:
            self.close()
            raise TemporaryFailure(f"SMTP error: {exc}") from exc
        except OSError as exc:
            self.close()
            raise TemporaryFailure(
                f"cannot reach {self.host}:{self.port}: {exc.strerror or exc}", unreachable=True
            ) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise _by_code(code, text, "recipient refused")

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            _quietly_close(connection)


def _quietly_close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        connection.close()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"[:500]


def _by_code(code: int, text: bytes | str, what: str) -> DeliveryError:
    """5xx is final; 4xx (and anything odd) is worth another try."""
    reason = f"{what}: {_reply(code, text)}"
    if 500 <= code < 600:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


def transport_from_settings(settings: SmtpSettings) -> Transport:
    """The transport configured in [smtp]."""
    if settings.transport == "smtp":
        return SmtpTransport(
            host=settings.host,
            port=settings.port,
            security=settings.security,
            username=settings.username,
            password=settings.password,
            timeout=settings.timeout_seconds,
        )
    return DirectoryTransport(settings.directory)
