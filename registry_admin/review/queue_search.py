"""How the review queue finds its rows fast: its indexes, the counts by state, the search.

The indexes are declared here, beside the queries that need them, and created by the
migration 0006review; they attach to the intake's tables like the ones declared there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Index, Select, func, or_, select, text
from sqlalchemy.orm import Session

from registry_admin import businessid
from registry_admin.intake.models import MailMessage, RegistrationRequest

_R = RegistrationRequest

# A tab is one state (or the pending ones) in arrival order; a page starts after an id.
STATE_ORDER = Index("ix_registration_requests_state_id", _R.state, _R.id)
# A name or sender search walks this narrow index (not the wide rows) in a tab's id order: a
# common word fills its page at once, a rare one costs one pass over the tab's entries. A
# PostgreSQL index entry must stay under about 2.7 kB, so there a hostile 100 kB header is left
# out of the index (that search reads the table) rather than failing the row's insert.
SEARCH = Index(
    "ix_registration_requests_search",
    _R.state,
    _R.id,
    _R.organization_name,
    _R.applicant_address,
    postgresql_where=text(
        "octet_length(organization_name) + octet_length(applicant_address) < 2000"
    ),
)
# On PostgreSQL, ILIKE folds case row by row, slowly: a trigram index finds a word's rows
# instead. (On SQLite this is a plain index that the queue does not use.)
TRIGRAMS = Index(
    "ix_registration_requests_trigrams",
    _R.organization_name,
    _R.applicant_address,
    postgresql_using="gin",
    postgresql_ops={"organization_name": "gin_trgm_ops", "applicant_address": "gin_trgm_ops"},
)
# The key of the cached counts by state: the latest change to any request.
CHANGED = Index("ix_registration_requests_updated_at", _R.updated_at)
# The removals tab: the ledger's removal requests in arrival order.
KIND_ORDER = Index("ix_mail_messages_kind_id", MailMessage.kind, MailMessage.id)

# Another process's clock may lag behind, so that its change does not move the key: counts are
# recomputed at least this often all the same.
COUNTS_MAX_AGE = 30.0
_counted: tuple[tuple[str, Any, Any], float, dict[str, int]] | None = None
_REFERENCE = re.compile(r"RA-\d{4}-\d{1,6}", re.IGNORECASE)
_ID_PREFIX = re.compile(r"[0-9]{2,8}(-[0-9]?)?")


def state_counts(session: Session) -> dict[str, int]:
    """Requests per state. Counting is a pass over the whole state index, so the answer is kept
    while the newest id and the latest change (two index look-ups) stay the same."""
    global _counted
    # Two queries: SQLite reads a lone max() from its index, but scans for a pair of them.
    key = (
        str(session.get_bind().url),
        session.scalar(select(func.max(_R.id))),
        session.scalar(select(func.max(_R.updated_at))),
    )
    now = time.monotonic()
    if _counted is not None and _counted[0] == key and now - _counted[1] < COUNTS_MAX_AGE:
        return dict(_counted[2])
    rows = session.execute(select(_R.state, func.count()).group_by(_R.state)).all()
    counts = {state: count for state, count in rows}
    _counted = (key, now, counts)
    return dict(counts)


def search_condition(q: str, dialect: str) -> tuple[ColumnElement[bool], bool]:
    """The WHERE clause for a search, and whether it scans the name and sender index.

    A reference or a Business ID (any accepted form, or its first digits) is looked up in its
    own index; anything else is a case-insensitive substring of the organization's name or the
    sender's address.
    """
    q = q.strip()
    if _REFERENCE.fullmatch(q):
        return _R.reference == q.upper(), False
    checked = businessid.check(q)
    if checked.valid:
        return _R.business_id == checked.normalized, False
    if _ID_PREFIX.fullmatch(q):
        # The stored form is NNNNNNN-N: a prefix of it is a range of the business_id index.
        prefix = q if len(q) <= 7 else f"{q[:7]}-{q[7:].lstrip('-')}"
        return (_R.business_id >= prefix) & (_R.business_id < prefix + "\x7f"), False
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # An address is looked for among senders only: half the work of a scan.
    columns = (_R.applicant_address,) if "@" in q else (_R.organization_name, _R.applicant_address)
    # SQLite's LIKE ignores ASCII case by itself; lower() on each row would triple the scan.
    if dialect == "sqlite":
        return or_(*(c.like(like, escape="\\") for c in columns)), True
    return or_(*(c.ilike(like, escape="\\") for c in columns)), True


def page_of_requests(
    session: Session, states: Sequence[str], q: str, after: int | None, size: int
) -> list[RegistrationRequest]:
    """Up to `size` requests of the states, oldest first, after the id `after`, matching `q`.

    The ids come first from an index alone; only the page's rows are then read whole.
    """
    query: Select[Any] = select(_R.id).where(_R.state.in_(states))
    # One state: its index entries are in id order, the page is the first `size` that match.
    # Several: each state's ids are read and sorted; walking the primary key instead would pass
    # every decided request older than the first pending one.
    order: Any = _R.id if len(states) == 1 else _R.id + 0
    after_id: Any = _R.id
    if q:
        condition, scans_search_index = search_condition(q, session.get_bind().dialect.name)
        query = query.where(condition)
        if not scans_search_index:
            # A reference or a Business ID names few rows: found by their own index, then
            # sorted ("+ 0" keeps SQLite from walking the tab in id order to find them).
            order = after_id = _R.id + 0
    if after is not None:
        query = query.where(after_id > after)
    ids = list(session.scalars(query.order_by(order).limit(size)))
    if not ids:
        return []
    return list(session.scalars(select(_R).where(_R.id.in_(ids)).order_by(_R.id)))
