"""The disclosure log: every answer about a Business ID, written in batches off the request path."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from registry_admin.api.models import Disclosure

log = logging.getLogger(__name__)

# Held in memory when the database refuses the batch, up to this many; beyond it the oldest go.
_MAX_BUFFERED = 200_000


class DisclosureLog:
    """Buffers disclosures and writes them every `flush_seconds` from a background thread."""

    def __init__(self, engine: Engine, flush_seconds: float) -> None:
        self._engine = engine
        self._flush_seconds = flush_seconds
        # (when, client, Business ID, registered) tuples: the request path only appends.
        self._buffer: list[tuple[float, int, str, bool | None]] = []
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
        self._buffer.append((time.time(), client_id, business_id[:64], registered))

    def record_many(self, client_id: int, answers: list[tuple[str, bool | None]]) -> None:
        self._start_once()
        at = time.time()
        entries = [(at, client_id, bid[:64], registered) for bid, registered in answers]
        with self._lock:
            self._buffer.extend(entries)

    def flush(self) -> int:
        """Write what is buffered; on failure keep it for the next try. Returns rows written."""
        with self._lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        rows = [
            {
                "at": datetime.fromtimestamp(at, UTC),
                "client_id": client,
                "business_id": bid,
                "registered": registered,
            }
            for at, client, bid, registered in batch
        ]
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(Disclosure), rows)
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
