"""The small interface every mailbox source offers the pipeline, and the factory from settings.

A source lists the messages that may be new (above a UID watermark where it has UIDs) with their
sizes, without marking them read, and the header block of any message over the size limit (whose
body is never fetched); it fetches raw bytes in batches, and moves a batch out of the way
(`mark_done`) only when the caller has committed it to the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from registry_admin.config import MailboxSettings


class SourceError(Exception):
    """The mailbox could not be read or changed (connection, login, protocol, short fetch)."""


@dataclass(frozen=True)
class Envelope:
    """A message as listed: where it is, its size and its header block (read without \\Seen)."""

    key: str  # the UID as text (IMAP) or the Maildir file name key
    uid: int | None
    size: int
    headers: bytes  # the header block; a source may leave it empty for a message within the limit


class MailSource(Protocol):
    """One folder of one mailbox."""

    identity: str  # e.g. imap://user@host:993 or maildir:/abs/path, without secrets
    folder: str
    uidvalidity: int | None  # known once opened; None for a source without UIDs

    def open(self) -> None: ...

    def close(self) -> None: ...

    def list_new(self, above_uid: int) -> list[Envelope]:
        """Messages still in the folder with a UID above `above_uid`, oldest first."""
        ...

    def list_all(self) -> list[Envelope]:
        """Every message still in the folder (for reconciliation)."""
        ...

    def fetch(self, envelopes: Sequence[Envelope]) -> dict[str, bytes]:
        """The raw bytes of each message, by key, as read: the pipeline compares each length
        with the listed size. Raises SourceError when the mailbox cannot be read."""
        ...

    def mark_done(self, envelopes: Iterable[Envelope]) -> None:
        """Move the messages out of the polled folder (to the processed folder)."""
        ...


def source_from_settings(settings: MailboxSettings) -> MailSource:
    """The source the configuration names."""
    if settings.source == "imap":
        from registry_admin.intake.imap import ImapSource

        return ImapSource.from_settings(settings)
    from registry_admin.intake.maildir import MaildirSource

    return MaildirSource(settings.maildir)
