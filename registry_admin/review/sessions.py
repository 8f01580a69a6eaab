"""Server-side staff sessions and sign-in throttling: a signed cookie alone cannot be revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from registry_admin.db import Base, UtcDateTime, utcnow
from registry_admin.review.models import StaffUser

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
# Failed sign-ins allowed per account (and per address) within the window before refusing.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class StaffSession(Base):
    """One signed-in browser; the cookie carries only a random token whose hash is stored."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(Base):
    """A failed sign-in, kept for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_remote_addr_at", "remote_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: StaffUser, remote_addr: str | None) -> str:
    """A new session for `user`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_hash=_hash(token), user_id=user.id, remote_addr=remote_addr))
    user.last_login_at = utcnow()
    return token


def resume_session(session: Session, token: str) -> StaffUser | None:
    """The active user of a live session, refreshing its idle clock; None when expired or ended."""
    row = session.get(StaffSession, _hash(token))
    if row is None:
        return None
    now = utcnow()
    if now - row.seen_at > IDLE_TIMEOUT or now - row.created_at > ABSOLUTE_TIMEOUT:
        session.delete(row)
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    # Writing on every request would serialise readers on SQLite; once a minute is enough.
    if now - row.seen_at > timedelta(minutes=1):
        row.seen_at = now
    return user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def is_throttled(session: Session, username: str | None, remote_addr: str) -> bool:
    """Too many recent failures of this account (unless None) or from this address."""
    since = utcnow() - FAILURE_WINDOW
    by_user = username is not None and session.scalar(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at > since)
    )
    by_addr = session.scalar(
        select(func.count()).where(LoginFailure.remote_addr == remote_addr, LoginFailure.at > since)
    )
    return (by_user or 0) >= MAX_FAILURES or (by_addr or 0) >= MAX_FAILURES * 4


def record_failure(session: Session, username: str, remote_addr: str) -> None:
    session.add(LoginFailure(username=username[:80], remote_addr=remote_addr[:64]))
    session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - FAILURE_WINDOW * 4))
