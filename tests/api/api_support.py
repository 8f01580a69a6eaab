"""Helpers for the lookup API tests: valid Business IDs, registry changes, the disclosure log."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from flask import Flask
from stdnum.fi import ytunnus
from testsupport import run_sql

from registry_admin.api.jobs import compact_all
from registry_admin.db import transaction
from registry_admin.registry import services

SUBJECT = "Kelan ajanvarausjärjestelmän rekisteri"
REGISTERED_KEYS = {"business_id", "registered", "name", "source", "registered_at"}
NOT_REGISTERED_KEYS = {"business_id", "registered", "message"}


def valid_ids(start: int = 1_000_000) -> Iterator[str]:
    """Valid Business IDs in the canonical form, in increasing order from `start`.

    python-stdnum decides validity, so the tests do not lean on the code under test.
    """
    number = start
    while True:
        for check in "0123456789":
            candidate = f"{number:07d}-{check}"
            if ytunnus.is_valid(candidate):
                yield candidate
                break
        number += 1


def take_ids(count: int, start: int = 1_000_000) -> list[str]:
    ids = valid_ids(start)
    return [next(ids) for _ in range(count)]


def with_wrong_check_digit(business_id: str) -> str:
    """The same number with a check digit that python-stdnum refuses."""
    for check in "0123456789":
        candidate = business_id[:-1] + check
        if not ytunnus.is_valid(candidate):
            return candidate
    raise AssertionError(f"every check digit is valid for {business_id}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_token(app: Flask, name: str) -> str:
    from registry_admin.api.tokens import create_client

    with app.app_context(), transaction() as session:
        _client, token = create_client(session, name, actor="test")
    return token


def client_id_of(app: Flask, token: str) -> int:
    digest = hashlib.sha256(token.encode()).hexdigest()
    rows = run_sql(app, "SELECT id FROM api_clients WHERE token_hash = :h", h=digest)
    assert len(rows) == 1
    return rows[0][0]


def add(app: Flask, business_id: str, name: str, source: str = "manual", actor: str = "test"):
    with app.app_context(), transaction() as session:
        services.add_organization(session, business_id, name, source=source, actor=actor)


def remove(app: Flask, business_id: str, actor: str = "test") -> None:
    with app.app_context(), transaction() as session:
        services.remove_organization(session, business_id, actor=actor, reason="test")


def rename(app: Flask, business_id: str, name: str) -> None:
    with app.app_context(), transaction() as session:
        services.rename_organization(session, business_id, name, actor="test")


def active_registry(app: Flask) -> dict[str, str]:
    """The registry's active organizations, business_id -> name, read from the database."""
    rows = run_sql(app, "SELECT business_id, name FROM organizations WHERE status = 'active'")
    return {bid: name for bid, name in rows}


def disclosures(app: Flask) -> list[tuple[int, str, bool | None]]:
    """(client_id, business_id, registered) of every logged disclosure, after a flush and a
    compaction (as the scheduler runs it) into the indexed table."""
    app.extensions["disclosure_log"].flush()
    compact(app)
    rows = run_sql(app, "SELECT client_id, business_id, registered FROM disclosures ORDER BY id")
    return [
        (client, bid, None if registered is None else bool(registered))
        for client, bid, registered in rows
    ]


def compact(app: Flask) -> int:
    """Run the scheduler's disclosure compaction once; the rows it moved."""
    with app.app_context():
        return compact_all()


def parse_timestamp(value: str) -> datetime:
    """An ISO-8601 timestamp with a zone, as the API must send it."""
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no time zone"
    return parsed


def wait_for(predicate: Callable[[], Any], timeout: float, step: float = 0.02) -> float:
    """Seconds until `predicate()` is true; fails after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started
