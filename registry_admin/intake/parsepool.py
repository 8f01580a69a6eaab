"""Parse the messages of a poll: in this process, or across the machine's cores for a backlog.

The parser is pure computation on the raw bytes, so a poll with many messages parses them in
worker processes while it fetches and stores the next batch. A worker that dies (a crash in a
C library, the kernel's OOM killer) takes only its own work with it: that work is parsed again
one message at a time in fresh workers, and a message that kills its worker again is answered
with an IntakeError, which quarantines it like any message the parser refuses.

A poll with few messages parses in its own process: starting workers would cost more than
it saves.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger(__name__)

# A poll parses in worker processes when it has at least this many messages to parse.
POOL_MIN_MESSAGES = 200
MAX_WORKERS = 4
# Messages per task sent to a worker: few enough to spread a batch over the workers, enough
# to keep the cost of a task small against the parsing.
CHUNK_MESSAGES = 10
DEATHS_IN_A_ROW = 3

Result = Any  # a ParsedMessage, or the IntakeError that the parser raised


def parse_one(raw: bytes) -> Result:
    """The parser's answer for one message: a ParsedMessage, or the exception it raised
    (parse_message raises only IntakeError; a replaced parser in a test may raise others)."""
    # Looked up at call time, so that a test's replacement of parse_message is used.
    from registry_admin.intake import parse

    try:
        result = parse.parse_message(raw)
    except Exception as exc:
        return exc
    if isinstance(result, parse.ParsedMessage):
        result.stored  # noqa: B018  (computed here, in the parser's process, and kept)
    return result


def _parse_chunk(raws: Sequence[bytes]) -> list[Result]:
    """In a worker: the results, each exception made an IntakeError so that it pickles."""
    from registry_admin.intake.parse import IntakeError, UnparseableMessage

    results = [parse_one(raw) for raw in raws]
    return [
        UnparseableMessage(f"{type(r).__name__}: {r}")
        if isinstance(r, BaseException) and not isinstance(r, IntakeError)
        else r
        for r in results
    ]


def _worker_start() -> None:
    # Die with the poll: a worker never outlives the process that feeds it (Linux).
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the pool's own shutdown ends the workers
        log.debug("no parent-death signal for the parser process", exc_info=True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from registry_admin.intake import parse  # noqa: F401  (import before the first task)


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


class Pending:
    """The parse of one batch, under way; `results()` waits for it."""

    def __init__(self, parser: Parser, raws: list[bytes], futures: list[Future[list[Result]]]):
        self._parser = parser
        self._raws = raws
        self._futures = futures

    def results(self) -> list[Result]:
        if not self._futures:
            return [parse_one(raw) for raw in self._raws]
        results: list[Result] = []
        try:
            for future in self._futures:
                results.extend(future.result())
        except Exception as exc:
            log.warning(
                "the parser processes failed (%s): parsing this batch again one message at a time",
                type(exc).__name__,
            )
            return self._parser.isolate(self._raws)
        return results


class Parser:
    """Parses batches of raw messages, in worker processes when `workers` > 0."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Parser:
        """Start the workers now, before the poll starts threads of its own: forked from a
        process with one thread, they start at once with the parser already imported."""
        if self.workers > 0:
            from registry_admin.intake import parse  # noqa: F401  (inherited by the workers)

            self._executor().submit(os.getpid).result()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork is cheap (the parser is already imported) but is safe only while this is
            # the process's one thread; otherwise the workers start from a fresh forkserver.
            method = "fork" if threading.active_count() == 1 else "forkserver"
            context = multiprocessing.get_context(method)
            if method == "forkserver":
                context.set_forkserver_preload(["registry_admin.intake.parse"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_worker_start
            )
        return self._pool

    def submit(self, raws: list[bytes]) -> Pending:
        """Start parsing `raws`; the results come in the same order."""
        if self.workers <= 0 or not raws:
            return Pending(self, raws, [])
        try:
            pool = self._executor()
            futures = [
                pool.submit(_parse_chunk, raws[start : start + CHUNK_MESSAGES])
                for start in range(0, len(raws), CHUNK_MESSAGES)
            ]
        except BrokenProcessPool:
            return Pending(self, raws, [_failed_future()])
        return Pending(self, raws, futures)

    def isolate(self, raws: list[bytes]) -> list[Result]:
        """Parse each message in a task of its own, replacing the pool whenever one dies. After
        DEATHS_IN_A_ROW deaths on as many messages in a row the workers themselves are at
        fault, not the mail: the rest of the poll parses in this process."""
        from registry_admin.intake.parse import UnparseableMessage

        self._discard()
        results: list[Result] = []
        deaths = 0
        for raw in raws:
            if self.workers <= 0:
                results.append(parse_one(raw))
                continue
            try:
                results.extend(self._executor().submit(_parse_chunk, [raw]).result())
                deaths = 0
            except BrokenProcessPool:
                self._discard()
                results.append(UnparseableMessage("the parser's process died on this message"))
                deaths += 1
                if deaths >= DEATHS_IN_A_ROW:
                    log.error("parser processes keep dying: parsing in the poll's own process")
                    self.workers = 0
            except Exception as exc:
                results.append(UnparseableMessage(f"parser failed: {type(exc).__name__}"))
        return results

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self._discard()


def _failed_future() -> Future[list[Result]]:
    future: Future[list[Result]] = Future()
    future.set_exception(BrokenProcessPool("the parser pool is broken"))
    return future
