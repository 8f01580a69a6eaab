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
queueing, its move). Its parts: polllock.py (one poll at a time), transfer.py (the fetch and
move threads), ledger.py (the stored rows), queueing.py (step 3).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry_admin.db import DATABASE_DOWN, utcnow
from registry_admin.intake import ledger, queueing
from registry_admin.intake.headers import HeaderBlock
from registry_admin.intake.models import MailboxWatermark, MailMessage
from registry_admin.intake.parsepool import POOL_MIN_MESSAGES, Parser, Pending, default_workers
from registry_admin.intake.polllock import poll_lock
from registry_admin.intake.report import PollReport
from registry_admin.intake.sources import Envelope, MailSource
from registry_admin.intake.transfer import BatchFetcher, BatchMover

log = logging.getLogger(__name__)

STEPS = ("after_fetch", "after_store", "after_commit", "before_move", "after_move")
Hook = Callable[[str], None]
CRASH_ENV = "REGISTRY_ADMIN_TEST_CRASH_AT"

# A batch is one store, one commit, one parse hand-off and one move: in a backlog, fewer and
# larger batches cost less per message (200 rather than 100: the durable ingest of 5,000
# messages went from 0.62 to 0.53-0.58 s); the byte limit bounds the memory under way.
BATCH_MESSAGES = 200
BATCH_BYTES = 32 * 1024 * 1024
# Fetches of a message whose bytes do not come to the size the server listed.
FETCH_TRIES = 3


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
        self.mover: BatchMover
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
            BatchMover(self.source, open_early=bool(batches)) as mover,
            BatchFetcher(self.fetch, batches) as fetched,
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
        BatchFetcher's thread, beside the poll's database work."""
        wanted = [e for e in envelopes if e.size <= self.max_bytes]
        raw = self.source.fetch(wanted)
        problems = self._check_lengths(wanted, raw)
        entries: list[_Entry] = []
        for envelope in envelopes:
            if envelope.size > self.max_bytes:
                sha, data = ledger.oversize_hash(envelope), None
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
        for (_sha, known_id, data), row in zip(order, ledger.rows_in(order, rows), strict=True):
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
        headers = HeaderBlock(data if data is not None else envelope.headers, ledger.LEDGER_HEADERS)
        row: dict[str, Any] = {
            "source": source.identity,
            "folder": source.folder,
            "uidvalidity": source.uidvalidity,
            "uid": envelope.uid,
            "source_key": None if envelope.uid is not None else envelope.key[:255],
            "message_id": ledger.message_id_of(headers),
            "sha256": sha,
            "size": len(data) if data is not None else envelope.size,
            "raw": data,
            "raw_headers": None,
            "state": "stored",
            "error": None,
            "received_at": now,
            "processed_at": None,
            "reprocessed_count": 0,
            **ledger.authentication(headers),
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
            ids = ledger.insert_rows(session, rows)
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
            (ledger_id,) = ledger.insert_rows(session, [row])
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
        (ledger_id,) = ledger.insert_rows(session, [row])
        session.commit()
        return ledger_id

    # --- parse, queue, move ------------------------------------------------------------------

    def _finish(self, batch: _Batch) -> None:
        session, report = self.session, self.report
        if batch.parsing is not None and batch.to_parse:
            results = batch.parsing.results()
            queueing.queue_batch(session, batch.to_parse, results, report)
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
