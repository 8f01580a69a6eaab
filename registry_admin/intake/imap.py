"""The IMAP mailbox source (imapclient): TLS, STARTTLS or loopback-only plain; PEEK, never \\Seen.

Every command runs under the socket timeout `mailbox.timeout_seconds`. Messages are found by
UID above a watermark and not \\Deleted, never by \\Seen, because a person reading the mailbox
would otherwise hide a message from the intake. Each literal the server sends is capped, since
this Python's imaplib would read a literal of any announced size into memory.

The listing asks for sizes only (RFC822.SIZE); the header block is fetched for an oversize
message alone, whose body is never fetched. FETCH responses of the usual shape
(`n (UID u RFC822.SIZE s)`, `n (UID u BODY[] {s}` + literal) are read with one regular
expression each; any other shape (unsolicited FLAGS, another item order, a quoted string) falls
back to imapclient's general parser for that response.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import ssl
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DELETED, SocketTimeout
from imapclient.response_parser import parse_fetch_response

from registry_admin.config import MailboxSettings
from registry_admin.intake.sources import Envelope, SourceError

log = logging.getLogger(__name__)

HEADER_BYTES = 64 * 1024  # the most of a header block listed for each message
LIST_CHUNK = 2000  # UIDs per FETCH of sizes
HEADER_CHUNK = 100  # oversize messages per FETCH of header blocks
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


def uid_set(uids: Iterable[int]) -> str:
    """An IMAP sequence set naming exactly these UIDs: runs written as `first:last`."""
    ordered = sorted(set(uids))
    pieces: list[str] = []
    start = previous = None
    for uid in ordered:
        if previous is not None and uid == previous + 1:
            previous = uid
            continue
        if start is not None:
            pieces.append(str(start) if start == previous else f"{start}:{previous}")
        start = previous = uid
    if start is not None:
        pieces.append(str(start) if start == previous else f"{start}:{previous}")
    return ",".join(pieces)


# The usual shapes of a FETCH response line as imaplib hands it over (without "* ").
_SIZE_LINE = re.compile(rb"\d+ \((?:UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+))\)")
_BODY_HEAD = re.compile(rb"\d+ \((?:UID (\d+) )?BODY\[\] \{(\d+)\}")
_BODY_TAIL = re.compile(rb"(?: UID (\d+))?\)")


def _fast_sizes(data: list[Any]) -> dict[int, int] | None:
    """UID -> RFC822.SIZE from a response of the usual shape, else None."""
    sizes: dict[int, int] = {}
    for item in data:
        if not isinstance(item, bytes):
            return None
        found = _SIZE_LINE.fullmatch(item)
        if found is None:
            return None
        uid, size, size2, uid2 = found.groups()
        sizes[int(uid or uid2)] = int(size or size2)
    return sizes


def _fast_bodies(data: list[Any]) -> dict[int, bytes] | None:
    """UID -> BODY[] from a response of the usual shape, else None."""
    bodies: dict[int, bytes] = {}
    position, count = 0, len(data)
    while position < count:
        item = data[position]
        if not (isinstance(item, tuple) and len(item) == 2 and position + 1 < count):
            return None
        head = _BODY_HEAD.fullmatch(item[0])
        tail = data[position + 1]
        tail_match = _BODY_TAIL.fullmatch(tail) if isinstance(tail, bytes) else None
        if (
            head is None
            or tail_match is None
            or (head.group(1) is None) == (tail_match.group(1) is None)
        ):
            return None
        body = item[1]
        if not isinstance(body, bytes) or len(body) != int(head.group(2)):
            return None
        bodies[int(head.group(1) or tail_match.group(1))] = body
        position += 2
    return bodies


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

    def companion(self) -> ImapSource:
        """Another source on the same folder with the same settings (not yet open): a second
        connection, for moving messages while this one fetches."""
        return ImapSource(
            host=self.host,
            port=self.port,
            security=self.security,
            username=self.username,
            password=self._password,
            oauth2_token=self._oauth2_token,
            folder=self.folder,
            processed_folder=self.processed_folder,
            timeout=self.timeout,
            max_message_bytes=self.max_message_bytes,
            ssl_context=self._ssl_context,
            use_move=self.use_move,
        )

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
        context = None
        if self.security != "plain":
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
        if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
            # imapclient sets imaplib's debug level to 5, at which imaplib formats every
            # response (a whole batch of messages) into a log line, logged or not.
            client._imap.debug = 0
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
        result: list[Envelope] = []
        for chunk in _chunks(uids, LIST_CHUNK):
            sizes = self._sizes(chunk)
            oversize = [uid for uid in chunk if sizes.get(uid, 0) > self.max_message_bytes]
            headers = self._header_blocks(oversize) if oversize else {}
            for uid in chunk:
                size = sizes.get(uid)
                if size is None:  # expunged meanwhile by someone else
                    continue
                result.append(Envelope(str(uid), uid, size, headers.get(uid, b"")))
        return result

    def _uid_fetch(self, uids: Iterable[int], items: str, what: str) -> list[Any]:
        """The raw imaplib data of `UID FETCH <set> <items>`."""
        imap = self.client._imap
        try:
            tag = imap._command("UID", "FETCH", uid_set(uids), items)
            typ, data = imap._command_complete("FETCH", tag)
            if typ != "OK":
                raise IMAPClientError(f"FETCH failed: {_why_data(data)}")
            typ, data = imap._untagged_response(typ, data, "FETCH")
            # Messages moved by the companion connection are announced here as EXPUNGEs.
            imap.untagged_responses.pop("EXPUNGE", None)
        except IO_ERRORS as exc:
            raise SourceError(f"FETCH of {what} failed: {_why(exc)}") from exc
        return [] if data == [None] else data

    def _sizes(self, uids: Sequence[int]) -> dict[int, int]:
        data = self._uid_fetch(uids, "(RFC822.SIZE)", "sizes")
        sizes = _fast_sizes(data)
        if sizes is None:
            sizes = {}
            for uid, item in self._parse(data, "sizes").items():
                if b"RFC822.SIZE" in item:
                    sizes[uid] = int(item[b"RFC822.SIZE"])
        return sizes

    def _header_blocks(self, uids: Sequence[int]) -> dict[int, bytes]:
        header_item = f"BODY.PEEK[HEADER]<0.{HEADER_BYTES}>"
        blocks: dict[int, bytes] = {}
        for chunk in _chunks(uids, HEADER_CHUNK):
            try:
                data = self.client.fetch(chunk, ["RFC822.SIZE", header_item])
            except IO_ERRORS as exc:
                raise SourceError(f"FETCH of headers failed: {_why(exc)}") from exc
            for uid, item in data.items():
                blocks[uid] = _header_bytes(item)
        return blocks

    @staticmethod
    def _parse(data: list[Any], what: str) -> dict[int, dict[bytes, Any]]:
        try:
            return dict(parse_fetch_response(data, False, True))
        except IO_ERRORS as exc:
            raise SourceError(f"FETCH of {what}: unreadable response: {_why(exc)}") from exc

    def fetch(self, envelopes: Sequence[Envelope]) -> dict[str, bytes]:
        """The bytes each message has on the server, as served; the caller compares their
        length with the listed size (a cut or altered transfer is never stored as whole)."""
        if not envelopes:
            return {}
        uids = [int(e.key) for e in envelopes]
        data = self._uid_fetch(uids, "(BODY.PEEK[])", f"{len(uids)} message(s)")
        bodies = _fast_bodies(data)
        if bodies is None:
            bodies = {}
            for uid, item in self._parse(data, f"{len(uids)} message(s)").items():
                body = item.get(b"BODY[]")
                if isinstance(body, bytes):
                    bodies[uid] = body
        raw: dict[str, bytes] = {}
        for envelope in envelopes:
            body = bodies.get(int(envelope.key))
            if body is None:
                raise SourceError(f"UID {envelope.key}: the server returned no body")
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
                # One UID MOVE for the batch, its UIDs written as ranges.
                client.move(uid_set(uids), self.processed_folder)
            else:
                # No MOVE: COPY, flag \Deleted, and expunge only these UIDs (UIDPLUS); without
                # UIDPLUS the \Deleted flag alone keeps them out of every later search.
                client.copy(uid_set(uids), self.processed_folder)
                client.add_flags(uid_set(uids), [DELETED], silent=True)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(uid_set(uids))
        except IO_ERRORS as exc:
            raise SourceError(f"moving {len(uids)} message(s) failed: {_why(exc)}") from exc
        # Each moved message is answered with an EXPUNGE (and the batch with a COPYUID), which
        # imaplib would otherwise keep for the life of the connection.
        for name in ("EXPUNGE", "COPYUID", "RECENT"):
            client._imap.untagged_responses.pop(name, None)

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


def _why_data(data: Any) -> str:
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, bytes):
        return first.decode("utf-8", "replace")
    return str(first)


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
