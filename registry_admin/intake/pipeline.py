"""The mailbox poll: store each batch of messages durably, then parse and queue it, then move it.

Order, for every message, batch by batch:
1. fetch the raw bytes of a batch (with PEEK: never rely on or change \\Seen) and check each
   length against the size the server listed (a short read is fetched again, and after three
   tries the bytes are kept as a quarantined message with the reason);
2. store the raw bytes, SHA-256 and (source, folder, UIDVALIDITY, UID, Message-ID) of the new
   messages of the batch, and COMMIT: from here no message of the batch can be lost, whatever
   happens to the process or the parser;
3. parse, classify and queue them (create or update a RegistrationRequest), and COMMIT;
4. only then move the batch on the server to the processed folder (one UID MOVE).
A crash between any two steps is repaired by the next poll: the messages are still in the
folder, their hashes are in the ledger, so they are not stored again; a row left `stored` is
parsed then; and they are moved. The hashes are kept forever as tombstones, so after a
UIDVALIDITY change the rescan lets them absorb every repeat.

A batch is one transaction per step. If the batch's store or queue transaction fails for a
reason of its own (not a database that is down), it is rolled back and done again one message
per transaction, so that one poison message is quarantined and never blocks the others. A
parser failure quarantines its message (raw bytes kept) and the poll goes on; a database
failure stops the poll before anything more moves.

A large poll parses in worker processes (parsepool.py): batch n is parsed there while batch
n+1 is fetched and stored, and batch n is queued and moved once its parse is in. The order
above still holds for every message.

The pipeline is the job's boundary: it commits, once per unit of work (a batch's storage, its
queueing, its move).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import re
import signal
import socket
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.db import reserve_ids, utcnow
from registry_admin.errors import Conflict, NotFound
from registry_admin.intake.applicant import notification_language, reply_address
from registry_admin.intake.headers import HeaderBlock, header_text
from registry_admin.intake.models import (
    DECIDED_REQUEST_STATES,
    FINAL_MESSAGE_STATES,
    PENDING_REQUEST_STATES,
    MailboxWatermark,
    MailMessage,
    RegistrationRequest,
    SchedulerLock,
)
from registry_admin.intake.parsepool import (
    POOL_MIN_MESSAGES,
    Parser,
    Pending,
    default_workers,
    parse_one,
)
from registry_admin.intake.sources import Envelope, MailSource, SourceError
from registry_admin.notify.compose import UnsafeHeaderValue, check_address
from registry_admin.notify.outbox import enqueue
from registry_admin.notify.wording import overrides_for
from registry_admin.registry.models import Organization

log = logging.getLogger(__name__)

STEPS = ("after_fetch", "after_store", "after_commit", "before_move", "after_move")
Hook = Callable[[str], None]
CRASH_ENV = "REGISTRY_ADMIN_TEST_CRASH_AT"

LOCK_NAME = "mailbox_poll"
LOCK_TTL = timedelta(hours=1)
# pg_try_advisory_lock takes a 64-bit key: a fixed one derived from the lock's name.
PG_LOCK_KEY = zlib.crc32(b"registry_admin:mailbox_poll")

BATCH_MESSAGES = 100
BATCH_BYTES = 32 * 1024 * 1024
# Fetches of a message whose bytes do not come to the size the server listed.
FETCH_TRIES = 3

REFERENCE = re.compile(r"\bRA-(\d{4})-(\d{6})\b")
# Database failures stop the poll (nothing moves); every other failure of one message
# quarantines it.
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError)


class PollBusy(Exception):
    """Another process is polling this mailbox now."""


@dataclass
class PollReport:
    """What one poll did, for the one-line summary and the job status."""

    new: int = 0
    duplicates: int = 0
    requests: int = 0
    followups: int = 0
    ignored: int = 0
    quarantined: int = 0
    oversize: int = 0
    moved: int = 0
    uidvalidity_changed: bool = False
    message_ids: list[int] = field(default_factory=list)

    def add(self, other: PollReport) -> None:
        """Add the counts of `other` (the queueing of one batch) to these."""
        for name in ("requests", "followups", "ignored", "quarantined"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        text = (
            f"{self.new} new, {self.duplicates} duplicates, {self.requests} requests, "
            f"{self.followups} follow-ups, {self.ignored} ignored, "
            f"{self.quarantined} quarantined, {self.oversize} oversize, {self.moved} moved"
        )
        if self.uidvalidity_changed:
            text += " (UIDVALIDITY changed: folder rescanned)"
        return text


def crash_hook_from_environment() -> Hook | None:
    """For the crash tests only: SIGKILL this process at the step named in the environment."""
    step = os.environ.get(CRASH_ENV)
    if not step:
        return None
    if step not in STEPS:
        raise ValueError(f"{CRASH_ENV}: unknown step {step!r} (known: {', '.join(STEPS)})")

    def crash(at: str) -> None:
        if at == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


# --- the poll lock -------------------------------------------------------------------------------


@contextmanager
def poll_lock(session: Session) -> Iterator[None]:
    """Hold the mailbox poll lock for the block, or raise PollBusy.

    PostgreSQL: a session advisory lock on a connection of its own, released by the server if
    the process dies. SQLite: a row in scheduler_locks naming host and pid, taken over when it
    has expired or its process on this host is gone.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        engine = bind if isinstance(bind, Engine) else bind.engine
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            acquired = bool(got.scalar())
            conn.commit()
            if not acquired:
                raise PollBusy("another mailbox poll is running")
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
                    conn.commit()
                except Exception:
                    # Closing the connection below releases it as well.
                    log.warning("releasing the poll lock failed", exc_info=True)
                    conn.invalidate()
        return
    holder = _acquire_row_lock(session)
    _ACTIVE_HOLDERS.add(holder)
    try:
        yield
    finally:
        _ACTIVE_HOLDERS.discard(holder)
        try:
            session.rollback()
            session.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == holder
                )
            )
            session.commit()
        except Exception:
            session.rollback()
            log.warning("releasing the poll lock failed; it expires by itself", exc_info=True)


# Holders of the row lock that are polling in this process now.
_ACTIVE_HOLDERS: set[str] = set()


def _holder_is_gone(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        # Left by a poll of this process whose release failed (the database was down).
        return holder not in _ACTIVE_HOLDERS
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _acquire_row_lock(session: Session) -> str:
    now = utcnow()
    existing = session.get(SchedulerLock, LOCK_NAME)
    stale = None
    if existing is not None:
        if existing.expires_at > now and not _holder_is_gone(existing.holder):
            session.rollback()
            raise PollBusy("another mailbox poll is running")
        stale = existing.holder
    session.rollback()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    try:
        if stale is not None:
            # Write first in this transaction, so SQLite takes its write lock before reading.
            session.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == stale
                )
            )
        session.add(
            SchedulerLock(name=LOCK_NAME, holder=holder, acquired_at=now, expires_at=now + LOCK_TTL)
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PollBusy("another mailbox poll is running") from None
    return holder


# --- the poll ------------------------------------------------------------------------------------


def poll_mailbox_once(
    session: Session,
    source: MailSource,
    *,
    max_message_bytes: int,
    hook: Hook | None = None,
    parse: bool = True,
    parse_workers: int | None = None,
) -> PollReport:
    """One poll of `source`: every new message stored, parsed, queued and moved, in that order.

    `parse=False` leaves the new messages `stored` (the next poll does not see them again once
    moved): for measuring the durable path alone. `parse_workers` is the number of parser
    processes; by default as many as the cores for a poll of POOL_MIN_MESSAGES or more, else
    none (the poll's own process parses).
    """
    with poll_lock(session):
        source.open()
        try:
            poll = _Poll(session, source, max_message_bytes, hook or (lambda _step: None))
            return poll.run(parse=parse, parse_workers=parse_workers)
        finally:
            source.close()


# A fetched message: its envelope, hash, bytes (None if over the limit) and ledger row.
_Entry = tuple[Envelope, str, bytes | None, dict[str, Any]]


@dataclass
class _Batch:
    """One batch on its way: its envelopes, and its ledger rows waiting to be parsed."""

    envelopes: list[Envelope]
    to_parse: list[tuple[int, bytes]]  # (ledger id, raw bytes), in the folder's order
    parsing: Pending | None = None


class _Poll:
    def __init__(self, session: Session, source: MailSource, max_bytes: int, hook: Hook) -> None:
        self.session, self.source, self.max_bytes, self.hook = session, source, max_bytes, hook
        self.report = PollReport()
        self.mark: MailboxWatermark | None = None
        self.mover: _Mover
        # Ledger rows stored by this poll whose parse and queueing are still to come.
        self.in_flight: set[int] = set()

    def run(self, *, parse: bool, parse_workers: int | None) -> PollReport:
        session, report = self.session, self.report
        self.mark = _watermark(session, self.source, report)
        self.last_uid = self.mark.last_uid if self.mark is not None else 0
        envelopes = self.source.list_new(self.last_uid)
        if parse_workers is None:
            wanted = sum(1 for e in envelopes if e.size <= self.max_bytes)
            parse_workers = default_workers() if wanted >= POOL_MIN_MESSAGES else 0
        batches = list(_batches(envelopes, self.max_bytes))
        with (
            Parser(parse_workers if parse else 0) as parser,
            _Mover(self.source, open_early=bool(batches)) as mover,
            _Fetcher(self, batches) as fetched,
        ):
            self.mover = mover
            waiting: _Batch | None = None
            for envelopes_of_batch, entries in fetched:
                self.hook("after_fetch")
                batch = self._store(envelopes_of_batch, entries)
                if parse:
                    batch.parsing = parser.submit([raw for _id, raw in batch.to_parse])
                if waiting is not None:
                    self._finish(waiting)
                waiting = batch
            if waiting is not None:
                self._finish(waiting)
            self._moved(mover.wait())
        session.commit()
        return report

    # --- store -----------------------------------------------------------------------------

    def fetch(self, envelopes: list[Envelope]) -> list[_Entry]:
        """The batch's messages as the ledger would store them: each with its hash, its bytes
        (None for one over the limit) and its ledger row. A message whose length is not its
        listed size is fetched again, then kept quarantined (see _check_lengths). Runs in the
        _Fetcher's thread, beside the poll's database work."""
        wanted = [e for e in envelopes if e.size <= self.max_bytes]
        raw = self.source.fetch(wanted)
        problems = self._check_lengths(wanted, raw)
        entries: list[_Entry] = []
        for envelope in envelopes:
            if envelope.size > self.max_bytes:
                sha, data = _oversize_hash(envelope), None
            else:
                data = raw.pop(envelope.key)
                sha = hashlib.sha256(data).hexdigest()
            row = self._row(envelope, sha, data, problems.get(envelope.key))
            entries.append((envelope, sha, data, row))
        return entries

    def _store(self, envelopes: list[Envelope], entries: list[_Entry]) -> _Batch:
        session, report = self.session, self.report
        table = MailMessage.__table__
        existing = {
            sha: (ledger_id, state)
            for sha, ledger_id, state in session.connection().execute(
                select(table.c.sha256, table.c.id, table.c.state).where(
                    table.c.sha256.in_({sha for _e, sha, _d, _r in entries})
                )
            )
        }
        rows: list[dict[str, Any]] = []
        order: list[tuple[str, int | None, bytes | None]] = []  # (sha, known id, raw) per row
        seen: set[str] = set()
        for _envelope, sha, data, row in entries:
            if sha in seen:
                report.duplicates += 1
                continue
            seen.add(sha)
            known = existing.get(sha)
            if known is not None:
                report.duplicates += 1
                ledger_id, state = known
                if state == "stored" and data is not None and ledger_id not in self.in_flight:
                    # Stored by a poll that stopped before parsing it: finish the job now.
                    order.append((sha, ledger_id, data))
                continue
            rows.append(row)
            order.append((sha, None, data))
        ids = self._insert(rows)
        new_ids = iter(ids)
        to_parse: list[tuple[int, bytes]] = []
        for (_sha, known_id, data), row in zip(order, _rows_in(order, rows), strict=True):
            ledger_id = known_id if known_id is not None else next(new_ids)
            if row is not None:
                report.new += 1
                report.message_ids.append(ledger_id)
                if row["state"] == "oversize":
                    report.oversize += 1
                    log.warning(
                        "message %s is oversize (%d bytes): recorded with headers only",
                        ledger_id,
                        row["size"],
                    )
                elif row["state"] == "quarantined":
                    report.quarantined += 1
                    log.warning("message %s quarantined: %s", ledger_id, row["error"])
            if data is not None and (row is None or row["state"] == "stored"):
                to_parse.append((ledger_id, data))
                self.in_flight.add(ledger_id)
        self.hook("after_store")
        return _Batch(envelopes, to_parse)

    def _check_lengths(self, wanted: list[Envelope], raw: dict[str, bytes]) -> dict[str, str]:
        """Fetch again each message whose bytes do not come to its listed size; the reason for
        each that still does not after FETCH_TRIES fetches (its bytes are kept, quarantined)."""
        problems: dict[str, str] = {}
        for envelope in wanted:
            data = raw[envelope.key]
            tries = 1
            while len(data) != envelope.size and tries < FETCH_TRIES:
                data = self.source.fetch([envelope])[envelope.key]
                tries += 1
            raw[envelope.key] = data
            if len(data) != envelope.size:
                problems[envelope.key] = (
                    f"{len(data)} bytes fetched, {envelope.size} listed by the server "
                    f"(RFC822.SIZE), {tries} times: kept as fetched for a person to check"
                )
        return problems

    def _row(
        self, envelope: Envelope, sha: str, data: bytes | None, problem: str | None
    ) -> dict[str, Any]:
        source = self.source
        now = utcnow()
        headers = HeaderBlock(data if data is not None else envelope.headers, _LEDGER_HEADERS)
        row: dict[str, Any] = {
            "source": source.identity,
            "folder": source.folder,
            "uidvalidity": source.uidvalidity,
            "uid": envelope.uid,
            "source_key": None if envelope.uid is not None else envelope.key[:255],
            "message_id": _message_id(headers),
            "sha256": sha,
            "size": len(data) if data is not None else envelope.size,
            "raw": data,
            "raw_headers": None,
            "state": "stored",
            "error": None,
            "received_at": now,
            "processed_at": None,
            "reprocessed_count": 0,
            **_authentication(headers),
        }
        if data is None:
            row.update(
                raw_headers=envelope.headers,
                state="oversize",
                error=f"{envelope.size} bytes, over mailbox.max_message_bytes "
                f"({self.max_bytes}): headers kept, body left in the processed folder",
                processed_at=now,
            )
        elif problem is not None:
            row.update(state="quarantined", error=problem, processed_at=now)
        return row

    def _insert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert the batch's new rows in one transaction; on a failure of the batch's own,
        one row per transaction, so that a row the database refuses cannot block the rest."""
        if not rows:
            return []
        session = self.session
        try:
            ids = _insert_rows(session, rows)
            session.commit()
            return ids
        except DATABASE_DOWN:
            session.rollback()
            raise
        except Exception:
            session.rollback()
            log.warning("storing a batch failed: storing its messages one by one", exc_info=True)
        return [self._insert_one(row) for row in rows]

    def _insert_one(self, row: dict[str, Any]) -> int:
        session = self.session
        try:
            (ledger_id,) = _insert_rows(session, [row])
            session.commit()
            return ledger_id
        except DATABASE_DOWN:
            session.rollback()
            raise
        except Exception as exc:
            session.rollback()
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        # Keep the bytes and the tombstone; leave out what was read from the headers. The row
        # is changed in place: the caller reports what was stored.
        row.update(
            message_id=None,
            auth_dkim=None,
            auth_spf=None,
            auth_dmarc=None,
            auth_failed=False,
            state="quarantined" if row["state"] == "stored" else row["state"],
            error=f"could not be stored as received ({reason})"[:2000],
            processed_at=utcnow(),
        )
        (ledger_id,) = _insert_rows(session, [row])
        session.commit()
        return ledger_id

    # --- parse, queue, move ------------------------------------------------------------------

    def _finish(self, batch: _Batch) -> None:
        session, report = self.session, self.report
        if batch.parsing is not None and batch.to_parse:
            results = batch.parsing.results()
            _queue_batch(session, batch.to_parse, results, report)
        self.in_flight.difference_update(ledger_id for ledger_id, _raw in batch.to_parse)
        self.hook("after_commit")
        self.hook("before_move")
        self.mover.submit(batch.envelopes)
        self._moved(self.mover.completed())

    def _moved(self, batches: list[list[Envelope]]) -> None:
        """Count the batches now moved and raise the watermark over them. The watermark is
        committed with the next transaction (or at the end of the poll): a watermark that lags
        costs nothing, since moved messages are no longer listed."""
        if not batches:
            return
        for envelopes in batches:
            self.report.moved += len(envelopes)
            if self.mark is not None and envelopes[-1].uid is not None:
                self.last_uid = max(self.last_uid, envelopes[-1].uid)
                self.mark.last_uid = self.last_uid
        for _batch in batches:
            self.hook("after_move")


class _Fetcher:
    """Fetches the batches in order in a thread of its own, one batch ahead of the poll, so that
    the server prepares and sends a batch while the poll stores the one before. At most two
    fetched batches wait to be stored; an error is raised where its batch would have come."""

    AHEAD = 2

    def __init__(self, poll: _Poll, batches: list[list[Envelope]]) -> None:
        self._poll, self._batches = poll, batches
        self._ready: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._slots = threading.Semaphore(self.AHEAD)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Iterator[tuple[list[Envelope], list[_Entry]]]:
        if len(self._batches) > 1:
            self._thread = threading.Thread(target=self._run, name="intake-fetcher", daemon=True)
            self._thread.start()
        return self._deliver()

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for _ in range(self.AHEAD):
            self._slots.release()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        for envelopes in self._batches:
            self._slots.acquire()
            if self._stop.is_set():
                return
            try:
                entries = self._poll.fetch(envelopes)
            except BaseException as exc:
                self._ready.put(("error", exc))
                return
            self._ready.put(("batch", envelopes, entries))

    def _deliver(self) -> Iterator[tuple[list[Envelope], list[_Entry]]]:
        if self._thread is None:
            for envelopes in self._batches:
                yield envelopes, self._poll.fetch(envelopes)
            return
        for _ in self._batches:
            item = self._ready.get()
            if item[0] == "error":
                raise item[1]
            _kind, envelopes, entries = item
            yield envelopes, entries
            self._slots.release()


class _Mover:
    """Moves committed batches out of the polled folder, in order. When the source offers a
    companion (a second IMAP connection), the moves run on it in a thread of their own, so the
    server moves one batch while this poll fetches and stores the next; otherwise, and if the
    companion cannot be opened, each batch is moved on the spot."""

    def __init__(self, source: MailSource, *, open_early: bool = False) -> None:
        self.source = source
        self._helper: Any = None
        self._thread: threading.Thread | None = None
        self._opening: threading.Thread | None = None
        companion = getattr(source, "companion", None)
        if open_early and companion is not None:
            # The second login and SELECT take as long as fetching a batch: done meanwhile.
            self._opening = threading.Thread(
                target=self._open, args=(companion,), name="intake-mover-open", daemon=True
            )
            self._opening.start()
        self._todo: queue.SimpleQueue[list[Envelope] | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[list[Envelope]] = queue.SimpleQueue()
        self._error: BaseException | None = None

    def __enter__(self) -> _Mover:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _open(self, companion: Callable[[], Any]) -> None:
        helper = companion()
        try:
            helper.open()
        except SourceError as exc:
            log.info("moving on the polling connection: a second one failed (%s)", exc)
            self._helper = False
            return
        self._helper = helper

    def _opened(self) -> None:
        """Wait for the companion being opened early, if it is."""
        if self._opening is not None:
            self._opening.join()
            self._opening = None

    def _start(self) -> bool:
        """Open the companion on first use (unless opened early); False if there is none to
        be had."""
        if self._thread is not None:
            return True
        self._opened()
        companion = getattr(self.source, "companion", None)
        if companion is None or self._helper is False:
            return False
        if self._helper is None:
            self._open(companion)
            if self._helper is False:
                return False
        helper = self._helper
        if helper.uidvalidity != self.source.uidvalidity:
            helper.close()  # the folder changed under us: its UIDs are not ours to move
            self._helper = False
            return False
        self._thread = threading.Thread(target=self._run, name="intake-mover", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        helper = self._helper
        try:
            while (envelopes := self._todo.get()) is not None:
                if self._error is None:
                    try:
                        helper.mark_done(envelopes)
                    except BaseException as exc:
                        self._error = exc
                        continue
                    self._done.put(envelopes)
        finally:
            helper.close()

    def submit(self, envelopes: list[Envelope]) -> None:
        self._raise()
        if self._start():
            self._todo.put(envelopes)
        else:
            self.source.mark_done(envelopes)
            self._done.put(envelopes)

    def completed(self) -> list[list[Envelope]]:
        """The batches moved since the last call, in order; raises what stopped the moves."""
        done: list[list[Envelope]] = []
        while True:
            try:
                done.append(self._done.get_nowait())
            except queue.Empty:
                break
        if not done:
            self._raise()
        return done

    def wait(self) -> list[list[Envelope]]:
        """Wait for every batch submitted to be moved; the batches not yet reported."""
        self._stop()
        done = self.completed()
        self._raise()
        return done

    def _stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._todo.put(None)
            thread.join()
            return
        self._opened()
        if self._helper:  # opened early, never used
            self._helper.close()
            self._helper = False

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error


_LEDGER_HEADERS = frozenset({"message-id", "authentication-results"})


def _rows_in(
    order: list[tuple[str, int | None, bytes | None]], rows: list[dict[str, Any]]
) -> Iterator[dict[str, Any] | None]:
    """The new row of each entry of `order` (None for a row already in the ledger)."""
    new = iter(rows)
    for _sha, known_id, _data in order:
        yield next(new) if known_id is None else None


def _insert_rows(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows, in one statement per engine batch; their ids, in order. A column that
    is NULL in every row is left out (NULL is its default), which spares binding it. The ids
    come back keyed by the unique hash: asking for them in parameter order would make SQLite
    insert one row per statement."""
    table = MailMessage.__table__
    keys = [key for key in rows[0] if any(row[key] is not None for row in rows)]
    values = [{key: row[key] for key in keys} for row in rows]
    statement = insert(table).returning(table.c.sha256, table.c.id)
    ids = {sha: ledger_id for sha, ledger_id in session.connection().execute(statement, values)}
    return [ids[row["sha256"]] for row in rows]


def _oversize_hash(envelope: Envelope) -> str:
    # The body is never fetched: the tombstone is the hash of the size and the header block.
    return hashlib.sha256(b"oversize\0%d\0" % envelope.size + envelope.headers).hexdigest()


def _watermark(session: Session, source: MailSource, report: PollReport) -> MailboxWatermark | None:
    if source.uidvalidity is None:
        return None
    mark = session.get(MailboxWatermark, (source.identity, source.folder))
    if mark is None:
        mark = MailboxWatermark(
            source=source.identity, folder=source.folder, uidvalidity=source.uidvalidity, last_uid=0
        )
        session.add(mark)
    elif mark.uidvalidity != source.uidvalidity:
        log.warning(
            "UIDVALIDITY of %s changed from %s to %s: rescanning the folder",
            source.folder,
            mark.uidvalidity,
            source.uidvalidity,
        )
        mark.uidvalidity, mark.last_uid = source.uidvalidity, 0
        report.uidvalidity_changed = True
    session.commit()
    return mark


def _batches(envelopes: Sequence[Envelope], max_bytes: int) -> Iterator[list[Envelope]]:
    batch: list[Envelope] = []
    size = 0
    for envelope in envelopes:
        counted = envelope.size if envelope.size <= max_bytes else 0
        if batch and (len(batch) >= BATCH_MESSAGES or size + counted > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(envelope)
        size += counted
    if batch:
        yield batch


# --- headers -------------------------------------------------------------------------------------


_MSGID = re.compile(r"<[^<>\s]{1,490}>")


def _message_id(headers: Any) -> str | None:
    value = header_text(headers, "Message-ID")
    if not value:
        return None
    found = _MSGID.search(value)
    return (found.group(0) if found else value.strip())[:500] or None


_AUTH_METHOD = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_AUTH_VERDICT = {"pass": "pass", "fail": "fail", "softfail": "fail", "permerror": "fail"}
_NO_AUTHENTICATION = {"auth_dkim": None, "auth_spf": None, "auth_dmarc": None, "auth_failed": False}


def _authentication(headers: Any) -> dict[str, Any]:
    """The receiving server's verdict: the topmost Authentication-Results header, which that
    server prepended. A failure is flagged for the reviewer, never a reason to reject."""
    try:
        value = headers.get("Authentication-Results")
    except Exception:
        value = None
    if not value:
        return dict(_NO_AUTHENTICATION)
    verdicts: dict[str, str] = {}
    for method, result in _AUTH_METHOD.findall(str(value)):
        verdicts.setdefault(method.lower(), _AUTH_VERDICT.get(result.lower(), "none"))
    return {
        "auth_dkim": verdicts.get("dkim", "none"),
        "auth_spf": verdicts.get("spf", "none"),
        "auth_dmarc": verdicts.get("dmarc", "none"),
        "auth_failed": "fail" in verdicts.values(),
    }


# --- parse and queue -----------------------------------------------------------------------------


def process_message(
    session: Session,
    message: MailMessage,
    report: PollReport | None = None,
    *,
    raw: bytes | None = None,
) -> None:
    """Parse a stored message (in this process) and queue it; on any parser failure, quarantine
    it.

    Flushes but does not commit. A database failure propagates (nothing is quarantined for a
    fault that is not the message's).
    """
    from registry_admin.intake.parse import IntakeError

    raw = raw if raw is not None else message.raw
    result = IntakeError("the raw bytes are no longer stored") if raw is None else parse_one(raw)
    _process_parsed(session, message, result, report if report is not None else PollReport(), raw)


def _process_parsed(
    session: Session, message: MailMessage, result: Any, report: PollReport, raw: bytes | None
) -> None:
    """Queue one message from its parse result, or quarantine it: for the parser's refusal, or
    for any failure of its own while queueing (rolled back first). Flushes, does not commit."""
    message_pk = message.id
    try:
        if isinstance(result, BaseException):
            raise result
        _queue(session, message, result, report, raw or b"")
        session.flush()
    except DATABASE_DOWN:
        raise
    except Exception as exc:
        session.rollback()
        message = session.get(MailMessage, message_pk)  # type: ignore[assignment]
        if message is None:
            raise
        _quarantine(message, exc, report)
        session.flush()


def _quarantine(message: MailMessage, exc: BaseException, report: PollReport) -> None:
    from registry_admin.intake.parse import IntakeError

    if isinstance(exc, IntakeError):
        log.warning("message %s quarantined: %s", message.id, exc)
    else:
        log.error("message %s quarantined after an unexpected error", message.id, exc_info=exc)
    message.state = "quarantined"
    message.error = f"{type(exc).__name__}: {exc}"[:2000]
    message.processed_at = utcnow()
    report.quarantined += 1


def _queue_batch(
    session: Session, to_parse: list[tuple[int, bytes]], results: list[Any], report: PollReport
) -> None:
    """Queue a batch's parsed messages in one transaction and commit. If that fails for a reason
    of its own (not a database that is down), roll it back and queue the messages one per
    transaction, so that a message that fails alone is quarantined and the rest are queued."""
    attempt = PollReport()
    try:
        ids = [ledger_id for ledger_id, _raw in to_parse]
        messages = {
            m.id: m for m in session.scalars(select(MailMessage).where(MailMessage.id.in_(ids)))
        }
        lookups = _Lookups(session, [messages[ledger_id] for ledger_id in ids], results)
        for (ledger_id, raw), result in zip(to_parse, results, strict=True):
            message = messages[ledger_id]
            if isinstance(result, BaseException):
                _quarantine(message, result, attempt)
            else:
                _queue(session, message, result, attempt, raw, lookups)
                lookups.note(message)
        lookups.materialize(session)
        session.flush()
        session.commit()
    except DATABASE_DOWN:
        session.rollback()
        raise
    except Exception:
        session.rollback()
        log.warning("queueing a batch failed: queueing its messages one by one", exc_info=True)
        attempt = PollReport()
        for (ledger_id, raw), result in zip(to_parse, results, strict=True):
            message = session.get(MailMessage, ledger_id)
            if message is None:
                raise
            _process_parsed(session, message, result, attempt, raw)
            session.commit()
    report.add(attempt)


def _queue(
    session: Session,
    message: MailMessage,
    parsed: Any,
    report: PollReport,
    raw: bytes,
    lookups: _Lookups | None = None,
) -> None:
    from registry_admin.intake.classify import FOLLOWUP, OTHER, REMOVAL, REQUEST

    message.kind = parsed.kind
    message.parsed = parsed.stored
    message.processed_at = utcnow()
    message.error = None
    if parsed.kind not in (REQUEST, FOLLOWUP, REMOVAL, OTHER):
        message.state = "ignored"
        report.ignored += 1
        return
    if parsed.kind == REMOVAL:
        # Staff handle a removal from the ledger; it is not an application.
        message.state = "parsed"
        return
    repeat = _repeat_of(session, message, lookups)
    if repeat is not None:
        repeat_id, repeat_request_id = repeat
        message.state = "ignored"
        message.request_id = repeat_request_id
        message.error = f"a repeat of message {repeat_id} (same Message-ID and content)"
        report.ignored += 1
        return
    earlier = _thread(session, message, parsed, lookups)
    own_items = 5 - len(parsed.own.missing())
    continues = own_items >= 1 and (parsed.kind != OTHER or parsed.own.labelled_fields >= 1)
    if earlier is not None and continues:
        if lookups is not None:
            # Requests created earlier in the batch are settled before one of them changes.
            lookups.materialize(session)
        message.kind = FOLLOWUP
        message.request_id = earlier.id
        message.supplied = _apply_followup(earlier, message, parsed)
        message.state = "parsed"
        _evaluate(session, earlier, lookups)
        report.followups += 1
        return
    if parsed.kind == OTHER:
        message.state = "ignored"
        report.ignored += 1
        return
    request = _new_request(session, message, parsed, raw, lookups)
    message.request_id = request.id
    message.state = "parsed"
    report.requests += 1


_COMPARED = (
    "kind",
    "business_id",
    "organization_name",
    "justification",
    "contact_name",
    "contact_email",
    "contact_phone",
)


def _repeat_of(
    session: Session, message: MailMessage, lookups: _Lookups | None = None
) -> tuple[int, int | None] | None:
    """(id, request id) of an earlier message with the same Message-ID whose content parsed the
    same: the same mail delivered again with other transport headers."""
    if not message.message_id or not message.parsed:
        return None
    if lookups is not None:
        candidates = lookups.repeat_candidates(message.message_id)
    else:
        candidates = [
            (m.id, m.request_id, m.parsed)
            for m in session.scalars(
                select(MailMessage)
                .where(
                    MailMessage.message_id == message.message_id,
                    MailMessage.state.in_(("parsed", "ignored")),
                )
                .order_by(MailMessage.id)
            )
        ]
    for candidate_id, request_id, before in candidates:
        if candidate_id == message.id:
            continue
        before = before or {}
        if all(before.get(k) == message.parsed.get(k) for k in _COMPARED):
            if lookups is not None:
                request_id = lookups.request_id_of(session, request_id)
            return candidate_id, request_id
    return None


def _thread(
    session: Session, message: MailMessage, parsed: Any, lookups: _Lookups | None = None
) -> RegistrationRequest | None:
    """The request this message answers: by In-Reply-To/References, else by the reference in
    the subject."""
    ids = [i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i]
    for ref in ids:
        if lookups is not None:
            request_id = lookups.request_id_of(
                session, lookups.thread_request_id(ref[:500], message.id)
            )
        else:
            request_id = session.scalar(
                select(MailMessage.request_id)
                .where(
                    MailMessage.message_id == ref[:500],
                    MailMessage.request_id.is_not(None),
                    MailMessage.id != message.id,
                )
                .order_by(MailMessage.id)
                .limit(1)
            )
        if request_id is not None:
            return session.get(RegistrationRequest, request_id)
    found = REFERENCE.search(parsed.subject or "")
    if found:
        if lookups is not None:
            lookups.materialize(session)  # the batch's new requests get their references
        return session.scalar(
            select(RegistrationRequest).where(RegistrationRequest.reference == found.group(0))
        )
    return None


class _Lookups:
    """What the queueing of one batch looks up, read for the whole batch in a few queries and
    kept up to date as the batch's messages are queued in order, so that each message sees what
    it would have seen queued alone: earlier messages by Message-ID (repeats and threads), the
    registered Business IDs, and the receipts each address has had today."""

    def __init__(
        self,
        session: Session,
        messages: list[MailMessage],
        results: list[Any],
    ) -> None:
        parsed = [r for r in results if not isinstance(r, BaseException)]
        # The address each message's receipt would go to.
        self._receipt_keys: set[str] = set()
        for result in parsed:
            to = reply_address(
                SimpleNamespace(  # type: ignore[arg-type]
                    contact_email=result.contact_email, applicant_address=result.applicant_address
                )
            )
            key = _receipt_key(to)
            if key is not None:
                self._receipt_keys.add(key)
        message_ids = {m.message_id for m in messages if m.message_id}
        refs = {ref[:500] for p in parsed for ref in (p.in_reply_to, *p.references) if ref}
        self._repeats: dict[str, list[tuple[int, int | None, Any]]] = {}
        if message_ids:
            for row in session.execute(
                select(
                    MailMessage.message_id,
                    MailMessage.id,
                    MailMessage.request_id,
                    MailMessage.parsed,
                )
                .where(
                    MailMessage.message_id.in_(message_ids),
                    MailMessage.state.in_(("parsed", "ignored")),
                )
                .order_by(MailMessage.id)
            ):
                self._repeats.setdefault(row[0], []).append((row[1], row[2], row[3]))
        self._threads: dict[str, list[tuple[int, int]]] = {}
        if refs:
            for row in session.execute(
                select(MailMessage.message_id, MailMessage.id, MailMessage.request_id)
                .where(MailMessage.message_id.in_(refs), MailMessage.request_id.is_not(None))
                .order_by(MailMessage.id)
            ):
                self._threads.setdefault(row[0], []).append((row[1], row[2]))
        business_ids = {p.business_id for p in parsed if p.business_id} | {
            p.own.business_id.normalized for p in parsed if p.own.business_id is not None
        }
        self._registered: set[str] = set()
        if business_ids:
            self._registered = set(
                session.scalars(
                    select(Organization.business_id).where(
                        Organization.business_id.in_(business_ids),
                        Organization.status == "active",
                    )
                )
            )
        # Pending requests by Business ID: which one a new request duplicates. Of those already
        # stored only the first counts, so only the first is read; should it stop pending
        # during the batch, its Business ID is no longer covered and the database answers.
        self._pending: dict[str, set[int]] = {}
        self._pending_key: dict[int, str] = {}
        self._covered = set(business_ids)
        self._first_stored: set[int] = set()
        if business_ids:
            for business_id, request_id in session.execute(
                select(RegistrationRequest.business_id, func.min(RegistrationRequest.id))
                .where(
                    RegistrationRequest.business_id.in_(business_ids),
                    RegistrationRequest.state.in_(PENDING_REQUEST_STATES),
                )
                .group_by(RegistrationRequest.business_id)
            ):
                self._pending[business_id] = {request_id}
                self._pending_key[request_id] = business_id
                self._first_stored.add(request_id)
        self._receipts: dict[str, int] | None = None
        self._wording: dict[str, dict[str, str]] = {}
        self._receipt_window = utcnow() - timedelta(days=1)
        self._fresh: list[tuple[RegistrationRequest, MailMessage]] = []
        self._fresh_messages: set[int] = set()

    def repeat_candidates(self, message_id: str) -> list[tuple[int, int | None, Any]]:
        return self._repeats.get(message_id, [])

    def thread_request_id(self, ref: str, own_id: int) -> Any:
        """The request id (or the message of this batch) the first message with this
        Message-ID other than `own_id` is filed under."""
        for message_id, request_id in self._threads.get(ref, []):
            if message_id != own_id:
                return request_id
        return None

    def registered(self, business_id: str) -> bool:
        return business_id in self._registered

    def covers(self, business_id: str) -> bool:
        """Whether the batch read the requests with this Business ID (else ask the database)."""
        return business_id in self._covered

    def earliest_pending(self, business_id: str, below: int) -> int | None:
        """The first pending request with this Business ID and an id below `below`."""
        earlier = [i for i in self._pending.get(business_id, ()) if i < below]
        return min(earlier) if earlier else None

    def note_request(self, request: RegistrationRequest) -> None:
        """`request` was (re)evaluated: file it under its Business ID while pending."""
        old = self._pending_key.pop(request.id, None)
        if old is not None:
            self._pending[old].discard(request.id)
            if request.id in self._first_stored:
                self._first_stored.discard(request.id)
                self._covered.discard(old)
        if request.business_id and request.state in PENDING_REQUEST_STATES:
            self._pending.setdefault(request.business_id, set()).add(request.id)
            self._pending_key[request.id] = request.business_id

    def note(self, message: MailMessage) -> None:
        """`message` is queued: later messages of the batch may repeat it or answer it."""
        if not message.message_id:
            return
        # The request id is read when needed: a request new in this batch has none yet.
        if message.state in ("parsed", "ignored"):
            _insert_sorted(
                self._repeats.setdefault(message.message_id, []),
                (message.id, message, message.parsed),
            )
        if message.request_id is not None or message.id in self._fresh_messages:
            _insert_sorted(
                self._threads.setdefault(message.message_id, []),
                (message.id, message),
            )

    def request_id_of(self, session: Session, found: Any) -> int | None:
        """The request id of a looked-up entry: an id, or a message of this batch (whose new
        request is settled first, if it has one)."""
        if not isinstance(found, MailMessage):
            return found
        if found.id in self._fresh_messages:
            self.materialize(session)
        return found.request_id

    def add_fresh(self, request: RegistrationRequest, message: MailMessage) -> None:
        """A new request, not yet in the session (see materialize)."""
        self._fresh.append((request, message))
        self._fresh_messages.add(message.id)

    def materialize(self, session: Session) -> None:
        """Settle the batch's new requests, in the order they were made: each gets its id and
        reference, then its state, and its receipt is queued, as each would have been on the
        spot. Done before anything reads or changes a request.

        The ids are reserved after the batch's other changes are flushed (see reserve_ids), so
        that the requests go in with their references and states, in one statement; where
        they cannot be reserved, a flush has the database number them."""
        if not self._fresh:
            return
        fresh, self._fresh = self._fresh, []
        self._fresh_messages.clear()
        session.flush()
        requests = [request for request, _message in fresh]
        ids = reserve_ids(session, RegistrationRequest.__table__, len(requests))
        if ids is None:
            session.add_all(requests)
            session.flush()
        else:
            now = utcnow()
            for request, request_id in zip(requests, ids, strict=True):
                request.id = request_id
                request.created_at = request.updated_at = now
        for request in requests:
            request.reference = f"RA-{request.created_at.year}-{request.id:06d}"
            session.add(request)  # before its state: a query for it sees the earlier ones
            _evaluate(session, request, self)
        # The requests are in the database before a message names one.
        session.flush()
        for request, message in fresh:
            message.request_id = request.id
            _send_receipt(session, request, message, self)

    def receipts_today(self, session: Session, to: str) -> int | None:
        """The receipts `to` has had in the last 24 hours, this batch's included, as enqueue
        would count them; None when this batch did not count them (then enqueue does)."""
        key = _receipt_key(to)
        if key is None or key not in self._receipt_keys:
            return None
        if self._receipts is None:
            from registry_admin.notify.models import Notification

            counts: dict[str, int] = {}
            recipient = func.lower(Notification.recipient)
            for address, count in session.execute(
                select(recipient, func.count(Notification.id))
                .where(
                    Notification.kind == "receipt",
                    recipient.in_(sorted(self._receipt_keys)),
                    Notification.created_at > self._receipt_window,
                )
                .group_by(recipient)
            ):
                counts[address] = count
            self._receipts = counts
        return self._receipts.get(key, 0)

    def receipt_wording(self, session: Session, language: str) -> dict[str, str]:
        """The admins' wording of the receipt in `language`, read once per batch."""
        if language not in self._wording:
            with session.no_autoflush:
                self._wording[language] = overrides_for(session, "receipt", language)
        return self._wording[language]

    def note_receipt(self, to: str) -> None:
        key = _receipt_key(to)
        if key is not None and self._receipts is not None:
            self._receipts[key] = self._receipts.get(key, 0) + 1


def _receipt_key(to: str | None) -> str | None:
    """The address as enqueue counts its receipts, lower case; None if it is not usable."""
    if to is None:
        return None
    try:
        return check_address(to, "recipient").lower()
    except UnsafeHeaderValue:
        return None


def _insert_sorted(items: list[Any], item: Any) -> None:
    position = len(items)
    while position > 0 and items[position - 1][0] > item[0]:
        position -= 1
    items.insert(position, item)


def _evidence(message: MailMessage, evidence: Any) -> dict[str, Any]:
    return {
        "message": message.id,
        "source": evidence.source,
        "start": evidence.start,
        "end": evidence.end,
        "label": evidence.label,
    }


def _new_request(
    session: Session,
    message: MailMessage,
    parsed: Any,
    raw: bytes,
    lookups: _Lookups | None = None,
) -> RegistrationRequest:
    request = RegistrationRequest(
        state="new",
        business_id=parsed.business_id,
        business_id_valid=parsed.business_id_valid,
        business_id_as_written=parsed.business_id_as_written,
        business_id_reason=_business_id_reason(
            parsed.business_id_as_written, parsed.business_id_valid
        ),
        organization_name=parsed.organization_name,
        justification=parsed.justification,
        contact_name=parsed.contact_name,
        contact_email=parsed.contact_email,
        contact_phone=parsed.contact_phone,
        language=parsed.language,
        missing=list(parsed.missing),
        evidence={name: _evidence(message, ev) for name, ev in parsed.evidence.items()},
        applicant_address=parsed.applicant_address,
    )
    if lookups is not None:
        lookups.add_fresh(request, message)  # added and settled with the batch's others
        return request
    session.add(request)
    session.flush()
    request.reference = f"RA-{request.created_at.year}-{request.id:06d}"
    _evaluate(session, request)
    _send_receipt(session, request, message)
    return request


def _send_receipt(
    session: Session,
    request: RegistrationRequest,
    message: MailMessage,
    lookups: _Lookups | None = None,
) -> None:
    """Tell the applicant the request arrived, with its reference (in this transaction)."""
    to = reply_address(request)
    if to is None:
        return
    language = notification_language(request)
    row = enqueue(
        session,
        "receipt",
        to=to,
        language=language,
        context={
            "organization_name": request.organization_name,
            "business_id": request.business_id,
            "missing": list(request.missing or []),
        },
        request_id=request.id,
        reference=request.reference,
        in_reply_to=message.message_id,
        references=[message.message_id] if message.message_id else None,
        receipts_today_count=lookups.receipts_today(session, to) if lookups is not None else None,
        flush=lookups is None,
        wording=lookups.receipt_wording(session, language) if lookups is not None else None,
    )
    if lookups is not None and row is not None:
        lookups.note_receipt(to)


def _apply_followup(request: RegistrationRequest, message: MailMessage, parsed: Any) -> list[str]:
    """Put this message's own items on its request; the names of those it supplied or changed."""
    if request.state in DECIDED_REQUEST_STATES:
        log.info(
            "message %s answers request %s, already decided: left unchanged", message.id, request.id
        )
        return []
    own = parsed.own
    supplied: list[str] = []
    evidence = dict(request.evidence or {})
    bid = own.business_id
    if bid is not None and (bid.normalized, bid.valid) != (
        request.business_id,
        request.business_id_valid,
    ):
        request.business_id = bid.normalized
        request.business_id_valid = bid.valid
        request.business_id_as_written = bid.as_written
        request.business_id_reason = _business_id_reason(bid.as_written, bid.valid)
        evidence["business_id"] = _evidence(message, bid.evidence)
        supplied.append("business_id")
    for name in (
        "organization_name",
        "justification",
        "contact_name",
        "contact_email",
        "contact_phone",
    ):
        item = getattr(own, name)
        if item is not None and item.value != getattr(request, name):
            setattr(request, name, item.value)
            evidence[name] = _evidence(message, item.evidence)
            supplied.append(name)
    request.evidence = evidence
    request.missing = _missing(request)
    request.updated_at = utcnow()
    return supplied


def _missing(request: RegistrationRequest) -> list[str]:
    absent = [
        name
        for name in ("business_id", "organization_name", "justification", "contact_name")
        if not getattr(request, name)
    ]
    if not (request.contact_email or request.contact_phone):
        absent.append("contact_details")
    return absent


def _business_id_reason(as_written: str | None, valid: bool | None) -> str | None:
    if valid is not False or not as_written:
        return None
    reason = businessid.check(as_written).reason or "format"
    return businessid.InvalidBusinessId.REASONS.get(reason, reason)


def _evaluate(
    session: Session, request: RegistrationRequest, lookups: _Lookups | None = None
) -> None:
    """Set the state of a request the pipeline may still change (not one staff decided)."""
    _set_state(session, request, lookups)
    if lookups is not None:
        lookups.note_request(request)


def _set_state(
    session: Session, request: RegistrationRequest, lookups: _Lookups | None = None
) -> None:
    if request.state in DECIDED_REQUEST_STATES:
        return
    request.duplicate_of_id = None
    if request.business_id and request.business_id_valid:
        if lookups is not None and lookups.covers(request.business_id):
            registered = True if lookups.registered(request.business_id) else None
        else:
            registered = session.scalar(
                select(Organization.id).where(
                    Organization.business_id == request.business_id,
                    Organization.status == "active",
                )
            )
        if registered is not None:
            request.state = "already_registered"
            return
        if lookups is not None and lookups.covers(request.business_id):
            earlier = lookups.earliest_pending(request.business_id, request.id)
        else:
            earlier = session.scalar(
                select(RegistrationRequest.id)
                .where(
                    RegistrationRequest.business_id == request.business_id,
                    RegistrationRequest.state.in_(PENDING_REQUEST_STATES),
                    RegistrationRequest.id != request.id,
                    RegistrationRequest.id < request.id,
                )
                .order_by(RegistrationRequest.id)
                .limit(1)
            )
        if earlier is not None:
            request.state = "duplicate"
            request.duplicate_of_id = earlier
            return
    request.state = "incomplete" if request.missing or not request.business_id_valid else "ready"


# --- staff actions -------------------------------------------------------------------------------


def reprocess_message(session: Session, message_id: int) -> MailMessage:
    """Run a quarantined (or stuck `stored`) message through the parser again; the caller commits."""
    message = session.get(MailMessage, message_id)
    if message is None:
        raise NotFound(f"no message {message_id} in the ledger")
    if message.state not in ("quarantined", "stored"):
        raise Conflict(
            f"message {message_id} is {message.state}; only a quarantined message is re-processed"
        )
    if message.raw is None:
        raise Conflict(f"message {message_id} has no stored raw bytes")
    message.state = "stored"
    message.reprocessed_count = (message.reprocessed_count or 0) + 1
    session.flush()
    process_message(session, message)
    return message


def unfinished_messages(session: Session) -> list[MailMessage]:
    """Ledger rows without a final state (stored but never parsed)."""
    return list(
        session.scalars(
            select(MailMessage)
            .where(MailMessage.state.not_in(FINAL_MESSAGE_STATES))
            .order_by(MailMessage.id)
        )
    )
