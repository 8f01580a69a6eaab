"""The disclosure log: every answer about a Business ID, written in batches off the request path."""

from __future__ import annotations

import atexit
import functools
import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.sql.compiler import SQLCompiler

from registry_admin.api.models import Disclosure

log = logging.getLogger(__name__)

# Held in memory when the database refuses the batch, up to this many; beyond it the oldest go.
_MAX_BUFFERED = 200_000
_COLUMNS = ("at", "client_id", "business_id", "registered")
# On SQLite the whole batch goes in as one JSON array, in one statement: executemany would give
# up and take back the GIL around every row, each time waiting for the busy request thread.
# json_extract gives true/false as 1/0, as SQLAlchemy's Boolean stores them.
_SQLITE_JSON_INSERT = (
    "INSERT INTO disclosures (at, client_id, business_id, registered) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
    "json_extract(value, '$[2]'), json_extract(value, '$[3]') "
    "FROM json_each(?) ORDER BY key"
)


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
        self._sql: tuple[str, bool] | None = None

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
        """One statement on a raw DBAPI connection: the ORM's per-row work costs the workers
        GIL time that the lookups wait for, and the rows are plain values anyway."""
        if self._sql is None:
            self._sql = _insert_sql(self._engine)
        sql, positional = self._sql
        stamp = _sqlite_time if self._engine.dialect.name == "sqlite" else _datetime
        rows: list[Any] = [
            (stamp(at), client, bid, registered) for at, client, bid, registered in batch
        ]
        if not positional:
            rows = [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                if sql == _SQLITE_JSON_INSERT:
                    cursor.execute(sql, (json.dumps(rows, separators=(",", ":")),))
                else:
                    cursor.executemany(sql, rows)
            finally:
                cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()

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


def _insert_sql(engine: Engine) -> tuple[str, bool]:
    """The dialect's INSERT for the disclosure columns, and whether it takes positional rows."""
    compiled = insert(Disclosure.__table__).compile(dialect=engine.dialect, column_keys=_COLUMNS)
    assert isinstance(compiled, SQLCompiler)
    positional = engine.dialect.positional
    dbapi = engine.dialect.dbapi
    if engine.dialect.name == "sqlite" and getattr(dbapi, "sqlite_version_info", ()) >= (3, 38):
        # JSON functions are built in from SQLite 3.38 on.
        return _SQLITE_JSON_INSERT, positional
    if positional and list(compiled.positiontup or ()) != list(_COLUMNS):
        raise RuntimeError(f"unexpected parameter order {compiled.positiontup}")
    # Without RETURNING: the new ids are not needed (and executemany cannot return them).
    sql = compiled.string.split(" RETURNING ", 1)[0]
    return sql, positional


def _datetime(at_ns: int) -> datetime:
    seconds, micros = divmod(at_ns // 1000, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


@functools.lru_cache(maxsize=4)
def _sqlite_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _sqlite_time(at_ns: int) -> str:
    """What DateTime(timezone=True) stores on SQLite: UTC, no offset, six-digit fraction."""
    seconds, micros = divmod(at_ns // 1000, 1_000_000)
    return f"{_sqlite_second(seconds)}.{micros:06d}"
