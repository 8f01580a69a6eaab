"""The disclosure log: every answer about a Business ID, written in batches off the request path.

Two steps, so the API workers never pay for the index that makes the log searchable: each
worker's writer thread appends its buffered disclosures as one text row to the unindexed
`disclosure_batches`; the scheduler's compaction (`compact`) moves them into the indexed
`disclosures` table, which answers who was told what about which Business ID, and when.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry_admin.api.models import Disclosure, DisclosureBatch

log = logging.getLogger(__name__)

# Held in memory when the database refuses the batch, up to this many; beyond it the oldest go.
_MAX_BUFFERED = 200_000
# How `registered` is written in a batch line, and read back.
_FLAGS = {True: "1", False: "0", None: ""}
_REGISTERED = {"1": True, "0": False, "": None}
# Batch lines formatted between two chances for the request thread to take the GIL (~0.1 ms).
_LINES_PER_SLICE = 200


class DisclosureLog:
    """Buffers disclosures and writes them every `flush_seconds` from a background thread."""

    def __init__(self, engine: Engine, flush_seconds: float) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        # (when in ns since the epoch, client, Business ID, registered) tuples: the request
        # path only appends.
        self._buffer: list[tuple[int, int, str, bool | None]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pid: int | None = None
        self._lost = 0
        self._stopped = False
        self._thread: threading.Thread | None = None

    def record(self, client_id: int, business_id: str, registered: bool | None) -> None:
        """Note that `client_id` was told whether `business_id` (canonical form) is registered."""
        if self._pid != os.getpid():
            self._start_once()
        # list.append is atomic; flush() swaps the list under the lock.
        self._buffer.append((time.time_ns(), client_id, business_id[:64], registered))

    def record_many(self, client_id: int, answers: list[tuple[str, bool | None]]) -> None:
        self._start_once()
        at = time.time_ns()
        entries = [(at, client_id, bid[:64], registered) for bid, registered in answers]
        with self._lock:
            self._buffer.extend(entries)

    def flush(self) -> int:
        """Write what is buffered; on failure keep it for the next try. Returns rows written."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        try:
            self._write(batch)
        except Exception:
            log.exception("writing %d disclosure log rows failed; will retry", len(batch))
            with self._lock:
                self._buffer = batch + self._buffer
                overflow = len(self._buffer) - _MAX_BUFFERED
                if overflow > 0:
                    del self._buffer[:overflow]
                    self._lost += overflow
                    log.error("disclosure log buffer full: %d rows lost in all", self._lost)
            return 0
        return len(batch)

    def _write(self, batch: list[tuple[int, int, str, bool | None]]) -> None:
        """One row of text for the whole batch: no per-row index work, little GIL time.

        The Business ID goes last, so a comma in it could not shift the other fields; the
        request path records canonical IDs only, which hold no newline.
        """
        flags = _FLAGS
        lines: list[str] = []
        for start in range(0, len(batch), _LINES_PER_SLICE):
            if start:
                # Hand the GIL to the request thread between slices: formatting a second's
                # batch in one go would hold up the lookups waiting for it.
                time.sleep(0)
            lines += [
                f"{at},{client},{flags[registered]},{bid}"
                for at, client, bid, registered in batch[start : start + _LINES_PER_SLICE]
            ]
        with self._engine.begin() as connection:
            connection.execute(insert(DisclosureBatch), {"entries": "\n".join(lines)})

    def _start_once(self) -> None:
        # One writer thread per process; a forked worker starts its own.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._buffer = []
            self._thread = threading.Thread(target=self._run, name="disclosure-log", daemon=True)
            self._thread.start()
            atexit.register(self.stop)

    def stop(self) -> None:
        """Write what is left and end the writer thread."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()


def compact(session: Session, *, max_batches: int = 50) -> int:
    """Move up to `max_batches` written batches into `disclosures`; returns the rows moved.

    The caller commits: the rows appear and their batches go in one transaction, so a
    disclosure is never lost or copied twice. When another process moved the same batches
    first, the delete finds fewer of them and this raises, to be rolled back.
    """
    batches = session.execute(
        select(DisclosureBatch.id, DisclosureBatch.entries)
        .order_by(DisclosureBatch.id)
        .limit(max_batches)
    ).all()
    if not batches:
        return 0
    rows: list[dict[str, Any]] = []
    for _id, entries in batches:
        for line in entries.split("\n"):
            at, client, registered, bid = line.split(",", 3)
            rows.append(
                {
                    "at": _datetime(int(at)),
                    "client_id": int(client),
                    "business_id": bid,
                    "registered": _REGISTERED[registered],
                }
            )
    # The table, not the ORM class: plain rows, no per-row ORM bookkeeping for a large move.
    session.execute(insert(Disclosure.__table__), rows)
    ids = [batch_id for batch_id, _entries in batches]
    deleted = session.execute(delete(DisclosureBatch).where(DisclosureBatch.id.in_(ids)))
    if deleted.rowcount != len(ids):
        raise RuntimeError("another process compacted these disclosure batches meanwhile")
    session.flush()
    return len(rows)


def _datetime(at_ns: int) -> datetime:
    seconds, micros = divmod(at_ns // 1000, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
