"""The mailbox poll lock: two running processes never poll at once.

PostgreSQL: a session-level advisory lock. SQLite: a lock row with a holder and an expiry; a
holder that is gone (its process no longer runs on this host) or expired is taken over.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry_admin.db import utcnow
from registry_admin.intake.models import SchedulerLock

log = logging.getLogger(__name__)

LOCK_NAME = "mailbox_poll"
LOCK_TTL = timedelta(hours=1)
# pg_try_advisory_lock takes a 64-bit key: a fixed one derived from the lock's name.
PG_LOCK_KEY = zlib.crc32(b"registry_admin:mailbox_poll")


class PollBusy(Exception):
    """Another process is polling this mailbox now."""


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
