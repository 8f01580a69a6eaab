"""The poll's two helper threads: one fetches the next batches while the poll stores the
current one; the other moves committed batches out of the polled folder on a second connection.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from registry_admin.intake.sources import Envelope, MailSource, SourceError

log = logging.getLogger(__name__)

Fetched = TypeVar("Fetched")  # what the fetch function makes of a batch


class BatchFetcher(Generic[Fetched]):
    """Fetches the batches in order in a thread of its own, one batch ahead of the poll, so that
    the server prepares and sends a batch while the poll stores the one before. At most two
    fetched batches wait to be stored; an error is raised where its batch would have come."""

    AHEAD = 2

    def __init__(
        self, fetch: Callable[[list[Envelope]], Fetched], batches: list[list[Envelope]]
    ) -> None:
        self._fetch, self._batches = fetch, batches
        self._ready: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._slots = threading.Semaphore(self.AHEAD)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Iterator[tuple[list[Envelope], Fetched]]:
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
                entries = self._fetch(envelopes)
            except BaseException as exc:
                self._ready.put(("error", exc))
                return
            self._ready.put(("batch", envelopes, entries))

    def _deliver(self) -> Iterator[tuple[list[Envelope], Fetched]]:
        if self._thread is None:
            for envelopes in self._batches:
                yield envelopes, self._fetch(envelopes)
            return
        for _ in self._batches:
            item = self._ready.get()
            if item[0] == "error":
                raise item[1]
            _kind, envelopes, entries = item
            yield envelopes, entries
            self._slots.release()


class BatchMover:
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

    def __enter__(self) -> BatchMover:
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
            while (batches := self._waiting()) is not None:
                if self._error is None:
                    try:
                        helper.mark_done([e for envelopes in batches for e in envelopes])
                    except BaseException as exc:
                        self._error = exc
                        continue
                    for envelopes in batches:
                        self._done.put(envelopes)
        finally:
            helper.close()

    def _waiting(self) -> list[list[Envelope]] | None:
        """The next batch to move and every other one committed meanwhile, moved together:
        each move makes the server update the folder for both connections. None at the end
        (after the batches before it)."""
        first = self._todo.get()
        if first is None:
            return None
        batches = [first]
        while True:
            try:
                more = self._todo.get_nowait()
            except queue.Empty:
                return batches
            if more is None:
                self._todo.put(None)  # ends the loop once these are moved
                return batches
            batches.append(more)

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
