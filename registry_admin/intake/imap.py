"""The IMAP mailbox source (imapclient): TLS, STARTTLS or loopback-only plain; PEEK, never \\Seen.

Every command runs under the socket timeout `mailbox.timeout_seconds`. Messages are found by
UID above a watermark and not \\Deleted, never by \\Seen, because a person reading the mailbox
would otherwise hide a message from the intake. Each literal the server sends is capped, since
this Python's imaplib would read a literal of any announced size into memory.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DELETED, SocketTimeout

from registry_admin.config import MailboxSettings
from registry_admin.intake.sources import Envelope, SourceError

log = logging.getLogger(__name__)

HEADER_BYTES = 64 * 1024  # the most of a header block listed for each message
LIST_CHUNK = 500  # UIDs per FETCH of sizes and headers
# Errors that mean the mailbox could not be read: the connection, TLS, the protocol.
IO_ERRORS = (IMAPClientError, OSError, ssl.SSLError, EOFError)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ImapSource:
    """One folder of an IMAP mailbox; opened per poll, closed at its end."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str = "",
        oauth2_token: str = "",
        folder: str = "INBOX",
        processed_folder: str = "Processed",
        timeout: float = 60.0,
        max_message_bytes: int = 26_214_400,
        ssl_context: ssl.SSLContext | None = None,
        use_move: bool = True,
    ) -> None:
        if security not in ("tls", "starttls", "plain"):
            raise SourceError(f"unknown mailbox security {security!r}")
        if security == "plain" and not is_loopback(host):
            raise SourceError("mailbox.security plain is allowed only for a loopback host")
        self.host, self.port, self.security = host, port, security
        self.username, self._password, self._oauth2_token = username, password, oauth2_token
        self.folder, self.processed_folder = folder, processed_folder
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self._ssl_context = ssl_context
        self.use_move = use_move
        self.identity = f"imap://{username}@{host}:{port}"
        self.uidvalidity: int | None = None
        self._client: IMAPClient | None = None
        self._processed_ready = False

    @classmethod
    def from_settings(cls, settings: MailboxSettings) -> ImapSource:
        return cls(
            host=settings.host,
            port=settings.port,
            security=settings.security,
            username=settings.username,
            password=settings.password,
            oauth2_token=settings.oauth2_token,
            folder=settings.folder,
            processed_folder=settings.processed_folder,
            timeout=float(settings.timeout_seconds),
            max_message_bytes=settings.max_message_bytes,
        )

    # --- connection ---------------------------------------------------------------------------

    def open(self) -> None:
        """Connect, secure, log in, select the folder and note its UIDVALIDITY."""
        context = self._ssl_context or ssl.create_default_context()
        timeout = SocketTimeout(connect=self.timeout, read=self.timeout)
        try:
            client = IMAPClient(
                self.host,
                port=self.port,
                ssl=self.security == "tls",
                ssl_context=context if self.security == "tls" else None,
                timeout=timeout,
            )
        except IO_ERRORS as exc:
            raise SourceError(f"cannot connect to {self.host}:{self.port}: {_why(exc)}") from exc
        self._client = client
        try:
            if self.security == "starttls":
                client.starttls(context)
            self._cap_literals(client)
            if self._oauth2_token:
                client.oauth2_login(self.username, self._oauth2_token)
            else:
                client.login(self.username, self._password)
            selected = client.select_folder(self.folder)
        except IO_ERRORS as exc:
            self.close()
            raise SourceError(f"cannot open {self.folder} at {self.host}: {_why(exc)}") from exc
        self.uidvalidity = int(selected[b"UIDVALIDITY"])

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection may already be gone; nothing to save
            try:
                client.shutdown()
            except Exception:
                log.debug("closing the IMAP connection failed", exc_info=True)

    def _cap_literals(self, client: IMAPClient) -> None:
        # imaplib (before gh-119511) reads a literal of whatever size the server announces;
        # refuse anything larger than a message we would accept, plus room for headers.
        imap = client._imap
        original: Callable[[int], bytes] = imap.read
        cap = self.max_message_bytes + HEADER_BYTES + 1024

        def capped_read(size: int) -> bytes:
            if size > cap:
                raise SourceError(f"the server sent a literal of {size} bytes; refused")
            return original(size)

        imap.read = capped_read

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceError("the mailbox is not open")
        return self._client

    # --- reading ------------------------------------------------------------------------------

    def list_new(self, above_uid: int) -> list[Envelope]:
        # `N:*` always includes the highest UID, even below N: filter again here.
        uids = self._search(["UID", f"{above_uid + 1}:*", "NOT", "DELETED"])
        return self._envelopes([uid for uid in uids if uid > above_uid])

    def list_all(self) -> list[Envelope]:
        return self._envelopes(self._search(["NOT", "DELETED"]))

    def _search(self, criteria: list[str]) -> list[int]:
        try:
            return sorted(int(uid) for uid in self.client.search(criteria))
        except IO_ERRORS as exc:
            raise SourceError(f"UID SEARCH failed: {_why(exc)}") from exc

    def _envelopes(self, uids: list[int]) -> list[Envelope]:
        header_item = f"BODY.PEEK[HEADER]<0.{HEADER_BYTES}>"
        result: list[Envelope] = []
        for chunk in _chunks(uids, LIST_CHUNK):
            try:
                data = self.client.fetch(chunk, ["RFC822.SIZE", header_item])
            except IO_ERRORS as exc:
                raise SourceError(f"FETCH of sizes and headers failed: {_why(exc)}") from exc
            for uid in chunk:
                item = data.get(uid)
                if item is None:  # expunged meanwhile by someone else
                    continue
                result.append(
                    Envelope(
                        key=str(uid),
                        uid=uid,
                        size=int(item[b"RFC822.SIZE"]),
                        headers=_header_bytes(item),
                    )
                )
        return result

    def fetch(self, envelopes: Sequence[Envelope]) -> dict[str, bytes]:
        if not envelopes:
            return {}
        uids = [int(e.key) for e in envelopes]
        try:
            data = self.client.fetch(uids, ["BODY.PEEK[]"])
        except IO_ERRORS as exc:
            raise SourceError(f"FETCH of {len(uids)} message(s) failed: {_why(exc)}") from exc
        raw: dict[str, bytes] = {}
        for envelope in envelopes:
            item = data.get(int(envelope.key))
            body = item.get(b"BODY[]") if item else None
            if body is None:
                raise SourceError(f"UID {envelope.key}: the server returned no body")
            if len(body) != envelope.size:
                # A cut or altered transfer: never store a partial message as if whole.
                raise SourceError(
                    f"UID {envelope.key}: {len(body)} bytes fetched, RFC822.SIZE is {envelope.size}"
                )
            raw[envelope.key] = bytes(body)
        return raw

    # --- moving -------------------------------------------------------------------------------

    def mark_done(self, envelopes: Iterable[Envelope]) -> None:
        uids = [int(e.key) for e in envelopes]
        if not uids:
            return
        client = self.client
        try:
            self._ensure_processed_folder()
            if self.use_move and client.has_capability("MOVE"):
                client.move(uids, self.processed_folder)
                return
            # No MOVE: COPY, flag \Deleted, and expunge only these UIDs (UIDPLUS); without
            # UIDPLUS the \Deleted flag alone keeps them out of every later search.
            client.copy(uids, self.processed_folder)
            client.add_flags(uids, [DELETED], silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
        except IO_ERRORS as exc:
            raise SourceError(f"moving {len(uids)} message(s) failed: {_why(exc)}") from exc

    def _ensure_processed_folder(self) -> None:
        if self._processed_ready:
            return
        client = self.client
        if not client.folder_exists(self.processed_folder):
            try:
                client.create_folder(self.processed_folder)
            except IMAPClientError:
                # Another process may have created it just now.
                if not client.folder_exists(self.processed_folder):
                    raise
        self._processed_ready = True


def _header_bytes(item: dict[bytes, Any]) -> bytes:
    for key, value in item.items():
        if key.startswith(b"BODY[HEADER]") and isinstance(value, bytes):
            return value
    return b""


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
