"""The Maildir mailbox source: the embedded default `var/inbox`, also for importing a backlog.

Messages are read from `new/` and `cur/`. A message is moved, only after the ledger has committed
it, into the Maildir++ sub-folder `.Processed` (`<maildir>/.Processed/cur/`, file name kept), which
is also where an IMAP server serving the same Maildir would show a folder named Processed.
A Maildir has no UIDs: every poll lists every message still in the folder, and the ledger's
hashes absorb any message seen before.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from registry_admin.intake.imap import HEADER_BYTES
from registry_admin.intake.sources import Envelope, SourceError

PROCESSED = ".Processed"


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        data = f.read(HEADER_BYTES)
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = data.find(sep)
        if end >= 0:
            return data[: end + len(sep)]
    return data


class MaildirSource:
    """One Maildir; created (with tmp/, new/, cur/) when missing."""

    uidvalidity: int | None = None

    def __init__(self, path: str | os.PathLike[str], folder: str = "INBOX") -> None:
        self.path = Path(path).absolute()
        self.folder = folder
        self.identity = f"maildir:{self.path}"

    def open(self) -> None:
        try:
            for sub in ("tmp", "new", "cur"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SourceError(f"cannot use the Maildir {self.path}: {exc.strerror}") from exc

    def close(self) -> None:
        pass

    def _files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for sub in ("new", "cur"):
            try:
                entries = sorted(os.scandir(self.path / sub), key=lambda e: e.name)
            except OSError as exc:
                raise SourceError(f"cannot list {self.path / sub}: {exc.strerror}") from exc
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                files.setdefault(entry.name.split(":", 1)[0], Path(entry.path))
        return files

    def list_new(self, above_uid: int) -> list[Envelope]:
        return self.list_all()

    def list_all(self) -> list[Envelope]:
        result = []
        for key, path in self._files().items():
            try:
                result.append(Envelope(key, None, path.stat().st_size, _head(path)))
            except FileNotFoundError:  # moved meanwhile by another reader
                continue
        return result

    def fetch(self, envelopes: Sequence[Envelope]) -> dict[str, bytes]:
        files = self._files()
        raw: dict[str, bytes] = {}
        for envelope in envelopes:
            path = files.get(envelope.key)
            if path is None:
                raise SourceError(f"{envelope.key}: no longer in the Maildir")
            # A length other than the listed size is the pipeline's to judge (it reads again).
            raw[envelope.key] = path.read_bytes()
        return raw

    def mark_done(self, envelopes: Iterable[Envelope]) -> None:
        target = self.path / PROCESSED
        for sub in ("tmp", "new", "cur"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        (target / "maildirfolder").touch()
        files = self._files()
        for envelope in envelopes:
            path = files.get(envelope.key)
            if path is None:
                continue
            name = path.name if ":" in path.name else f"{path.name}:2,"
            try:
                os.replace(path, target / "cur" / name)
            except OSError as exc:
                raise SourceError(f"{envelope.key}: cannot move: {exc.strerror}") from exc
