"""The ledger's rows: what is stored of each message received, and how a batch of them goes in."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from registry_admin.intake.headers import header_text
from registry_admin.intake.models import MailMessage
from registry_admin.intake.sources import Envelope

LEDGER_HEADERS = frozenset({"message-id", "authentication-results"})


def rows_in(
    order: list[tuple[str, int | None, bytes | None]], rows: list[dict[str, Any]]
) -> Iterator[dict[str, Any] | None]:
    """The new row of each entry of `order` (None for a row already in the ledger)."""
    new = iter(rows)
    for _sha, known_id, _data in order:
        yield next(new) if known_id is None else None


def insert_rows(session: Session, rows: list[dict[str, Any]]) -> list[int]:
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


def oversize_hash(envelope: Envelope) -> str:
    # The body is never fetched: the tombstone is the hash of the size and the header block.
    return hashlib.sha256(b"oversize\0%d\0" % envelope.size + envelope.headers).hexdigest()


_MSGID = re.compile(r"<[^<>\s]{1,490}>")


def message_id_of(headers: Any) -> str | None:
    value = header_text(headers, "Message-ID")
    if not value:
        return None
    found = _MSGID.search(value)
    return (found.group(0) if found else value.strip())[:500] or None


_AUTH_METHOD = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_AUTH_VERDICT = {"pass": "pass", "fail": "fail", "softfail": "fail", "permerror": "fail"}
_NO_AUTHENTICATION = {"auth_dkim": None, "auth_spf": None, "auth_dmarc": None, "auth_failed": False}


def authentication(headers: Any) -> dict[str, Any]:
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
