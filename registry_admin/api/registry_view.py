"""Each process's in-memory view of the registry and of the API tokens, kept in step by the feed.

The lookup API answers from here, so a lookup costs no database round trip. Every
`refresh_seconds` one query reads the change feed past the cursor the view has seen and
re-reads just the organizations it names; a change is therefore visible to the API in every
process within `refresh_seconds`, and at once in the process that made it.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry_admin.api.models import ApiClient
from registry_admin.api.tokens import hash_token
from registry_admin.registry.models import Organization, RegistryChange
from registry_admin.registry.services import CHANGED_FLAG

log = logging.getLogger(__name__)

# Past this many changes since the last refresh, reading everything again is cheaper.
_FULL_RELOAD_AFTER = 5000
# How long a view whose refreshes fail may still answer before lookups report unavailable.
_MAX_STALE_SECONDS = 60.0


class RegistryUnavailable(Exception):
    """The view could not be brought up to date for too long."""


@dataclass(slots=True, eq=False)
class OrganizationFacts:
    """One registered organization as the API tells it; replaced, never changed, on a refresh."""

    business_id: str
    name: str
    source: str
    registered_at: str
    # The encoded 200 answer and its ETag, made on the first lookup: tied to this object, so a
    # refresh that replaces the facts can never leave an old answer behind.
    answer: tuple[bytes, str] | None = None

    def encoded_answer(self) -> tuple[bytes, str]:
        """(JSON body, ETag) of the answer that this organization is registered."""
        answer = self.answer
        if answer is None:
            body = {
                "business_id": self.business_id,
                "registered": True,
                "name": self.name,
                "source": self.source,
                "registered_at": self.registered_at,
            }
            encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            answer = self.answer = (encoded, etag_of(encoded))
        return answer


def etag_of(encoded: bytes, key: bytes = b"") -> str:
    """A strong ETag for a body (or, with `key`, for what the key stands for plus `encoded`)."""
    return '"' + hashlib.blake2b(encoded, digest_size=12, key=key).hexdigest() + '"'


class RegistryView:
    """Registered organizations and valid token hashes, refreshed from the database."""

    def __init__(self, engine: Engine, refresh_seconds: float) -> None:
        self._engine = engine
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._organizations: dict[str, OrganizationFacts] = {}
        self._clients: dict[str, int] = {}
        self._cursor: int | None = None
        self._due = 0.0
        self._fresh_at = 0.0
        _views.add(self)

    def organization(self, business_id: str) -> OrganizationFacts | None:
        """The registered organization with this canonical Business ID, or None."""
        self._ensure_fresh()
        return self._organizations.get(business_id)

    def client_id(self, token: str) -> int | None:
        """The API client whose token this is, or None."""
        self._ensure_fresh()
        digest = hash_token(token)
        client = self._clients.get(digest)
        if client is None:
            # Compare anyway, so a miss and a hit take the same time.
            hmac.compare_digest(digest, digest)
            return None
        return client

    @property
    def cursor(self) -> int | None:
        return self._cursor

    @property
    def refresh_due(self) -> bool:
        """The next use refreshes the view first (or finds it unavailable)."""
        return time.monotonic() >= self._due

    def invalidate(self) -> None:
        """Refresh on the next use (after this process changed the registry)."""
        self._due = 0.0

    def _ensure_fresh(self) -> None:
        if time.monotonic() < self._due:
            return
        with self._lock:
            now = time.monotonic()
            if now < self._due:
                return
            try:
                self._refresh()
                self._fresh_at = time.monotonic()
            except Exception:
                log.exception("refreshing the registry view failed")
                if self._cursor is None or now - self._fresh_at > _MAX_STALE_SECONDS:
                    self._due = 0.0
                    raise RegistryUnavailable from None
            self._due = time.monotonic() + self._refresh_seconds

    def _refresh(self) -> None:
        with self._engine.connect() as conn:
            clients = {
                token_hash: client_id
                for client_id, token_hash in conn.execute(
                    select(ApiClient.id, ApiClient.token_hash).where(ApiClient.revoked_at.is_(None))
                )
            }
            if self._cursor is None:
                self._load_all(conn)
            else:
                changed = conn.execute(
                    select(RegistryChange.cursor, RegistryChange.business_id)
                    .where(RegistryChange.cursor > self._cursor)
                    .order_by(RegistryChange.cursor)
                    .limit(_FULL_RELOAD_AFTER + 1)
                ).all()
                if len(changed) > _FULL_RELOAD_AFTER:
                    self._load_all(conn)
                elif changed:
                    self._apply(conn, {bid for _, bid in changed})
                    self._cursor = changed[-1][0]
        self._clients = clients

    def _load_all(self, conn) -> None:  # type: ignore[no-untyped-def]
        # The cursor is read first: a change committed meanwhile is read again next time.
        cursor = conn.scalar(select(func.coalesce(func.max(RegistryChange.cursor), 0)))
        rows = conn.execute(_facts_query().where(Organization.status == "active"))
        self._organizations = {row[0]: _facts(row) for row in rows}
        self._cursor = int(cursor)
        if len(self._organizations) > 10_000:
            # Long-lived objects: keep the collector from walking them again and again.
            gc.collect()
            gc.freeze()
        log.info(
            "registry view loaded: %d organizations, cursor %s", len(self._organizations), cursor
        )

    def _apply(self, conn, business_ids: set[str]) -> None:  # type: ignore[no-untyped-def]
        organizations = self._organizations
        fresh = {
            row[0]: row
            for row in conn.execute(
                _facts_query().where(Organization.business_id.in_(business_ids))
            )
        }
        for bid in business_ids:
            row = fresh.get(bid)
            if row is not None and row[4] == "active":
                organizations[bid] = _facts(row)
            else:
                # Single-key updates are atomic: readers see the old or the new entry.
                organizations.pop(bid, None)


def _facts_query():  # type: ignore[no-untyped-def]
    return select(
        Organization.business_id,
        Organization.name,
        Organization.source,
        Organization.registered_at,
        Organization.status,
    )


def _facts(row) -> OrganizationFacts:  # type: ignore[no-untyped-def]
    registered_at: datetime = row[3]
    return OrganizationFacts(row[0], row[1], row[2], registered_at.isoformat(timespec="seconds"))


_views: weakref.WeakSet[RegistryView] = weakref.WeakSet()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # A change this process committed is visible to this process's lookups at once.
    if session.info.pop(CHANGED_FLAG, False):
        for view in list(_views):
            view.invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(CHANGED_FLAG, None)
