"""Registry changes: add, remove, rename; each writes the audit trail and the change feed."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.db import utcnow
from registry_admin.errors import Conflict, InvalidInput, NotFound
from registry_admin.registry.models import SOURCES, AuditEvent, Organization, RegistryChange

MAX_NAME = 300
MAX_REASON = 2000
# Any constant: the PostgreSQL advisory lock that orders change-feed writers.
_FEED_LOCK_KEY = 0x52454731
# Set in a session's info when it wrote to the change feed (see registry_view).
CHANGED_FLAG = "registry_changed"


def clean_name(name: str) -> str:
    """An organization's name with white space collapsed; refuses empty and control characters."""
    if not isinstance(name, str):
        raise InvalidInput("name must be text")
    collapsed = re.sub(r"\s+", " ", unicodedata.normalize("NFC", name)).strip()
    if not collapsed:
        raise InvalidInput("name must not be empty")
    if len(collapsed) > MAX_NAME:
        raise InvalidInput(f"name is longer than {MAX_NAME} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in collapsed):
        raise InvalidInput("name contains control characters")
    return collapsed


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    """A reason as stored in the audit trail."""
    reason = (reason or "").strip()
    if not reason:
        if required:
            raise InvalidInput("a reason is required")
        return None
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"reason is longer than {MAX_REASON} characters")
    return reason


def canonical_id(business_id: str) -> str:
    """Normalize a Business ID given by a person or program; InvalidInput if it is not valid."""
    try:
        return businessid.normalize(business_id)
    except businessid.InvalidBusinessId as exc:
        raise InvalidInput(f"invalid Business ID {business_id!r}: {exc.detail}") from None


def find_organization(session: Session, business_id: str) -> Organization | None:
    """The organization with this (valid, any form) Business ID, active or removed."""
    return session.scalar(
        select(Organization).where(Organization.business_id == canonical_id(business_id))
    )


def add_organization(
    session: Session,
    business_id: str,
    name: str,
    *,
    source: str,
    actor: str,
    reason: str | None = None,
    remote_addr: str | None = None,
) -> Organization:
    """Put an organization in the registry, or back in it if it had been removed."""
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}")
    bid = canonical_id(business_id)
    name = clean_name(name)
    reason = clean_reason(reason, required=False)
    org = session.scalar(select(Organization).where(Organization.business_id == bid))
    before = org.as_record() if org else None
    if org is not None and org.status == "active":
        raise Conflict(f"{bid} is already in the registry ({org.name})")
    now = utcnow()
    if org is None:
        org = Organization(business_id=bid)
        session.add(org)
    org.name, org.source, org.status = name, source, "active"
    org.registered_at, org.registered_by = now, actor
    org.removed_at = org.removed_by = org.removal_reason = None
    _audit(session, actor, "registry.add", bid, before, org.as_record(), reason, remote_addr)
    try:
        _feed(session, bid, "added")  # its lock query flushes the insert on PostgreSQL
        session.flush()
    except IntegrityError:
        # Another transaction added the same ID between our look-up and our insert.
        raise Conflict(f"{bid} was added to the registry at the same moment") from None
    return org


def remove_organization(
    session: Session, business_id: str, *, actor: str, reason: str, remote_addr: str | None = None
) -> Organization:
    """Take an organization out of the registry; it stays in the history as `removed`."""
    bid = canonical_id(business_id)
    reason_text = clean_reason(reason, required=True)
    org = session.scalar(select(Organization).where(Organization.business_id == bid))
    if org is None or org.status != "active":
        raise NotFound(f"{bid} is not in the registry")
    before = org.as_record()
    org.status, org.removed_at, org.removed_by, org.removal_reason = (
        "removed",
        utcnow(),
        actor,
        reason_text,
    )
    _audit(
        session, actor, "registry.remove", bid, before, org.as_record(), reason_text, remote_addr
    )
    _feed(session, bid, "removed")
    session.flush()
    return org


def rename_organization(
    session: Session,
    business_id: str,
    name: str,
    *,
    actor: str,
    reason: str | None = None,
    remote_addr: str | None = None,
) -> Organization:
    """Change a registered organization's name."""
    bid = canonical_id(business_id)
    name = clean_name(name)
    org = session.scalar(select(Organization).where(Organization.business_id == bid))
    if org is None or org.status != "active":
        raise NotFound(f"{bid} is not in the registry")
    if org.name == name:
        return org
    before = org.as_record()
    org.name = name
    _audit(session, actor, "registry.rename", bid, before, org.as_record(), reason, remote_addr)
    _feed(session, bid, "renamed")
    session.flush()
    return org


def record_audit(
    session: Session,
    actor: str,
    action: str,
    *,
    business_id: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
    remote_addr: str | None = None,
) -> None:
    """Append one event to the audit trail (for events other than registry changes)."""
    _audit(session, actor, action, business_id, before, after, reason, remote_addr)


def _audit(session, actor, action, business_id, before, after, reason, remote_addr) -> None:  # type: ignore[no-untyped-def]
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            business_id=business_id,
            before=before,
            after=after,
            reason=reason,
            remote_addr=remote_addr,
        )
    )


def _feed(session: Session, business_id: str, change: str) -> None:
    # A cursor is drawn at insert time but becomes visible at commit. Holding one lock from
    # here to commit makes cursor order commit order on PostgreSQL, so a reader that has
    # seen cursor N never later finds a smaller one. SQLite already has a single writer.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK_KEY})
    session.add(RegistryChange(business_id=business_id, change=change))
    session.info[CHANGED_FLAG] = True
