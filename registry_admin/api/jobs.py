"""The scheduled disclosure compaction: batches the API workers wrote, moved into `disclosures`."""

from __future__ import annotations

from flask import Flask

from registry_admin.api.disclosures import compact
from registry_admin.db import transaction

JOB_NAME = "disclosure_compaction"
# Batches per transaction, and transactions per run: a backlog is worked off over a few runs
# rather than in one transaction that holds the database's write lock for long.
_BATCHES_PER_TRANSACTION = 50
_TRANSACTIONS_PER_RUN = 200


def compact_disclosures(app: Flask) -> None:
    """Move every written disclosure batch into the indexed `disclosures` table."""
    from registry_admin.scheduler import run_job

    def job() -> str:
        return f"{compact_all()} disclosures moved"

    run_job(app, JOB_NAME, job)


def compact_all() -> int:
    """Compact until no batch is left (or the run's bound); in an application context."""
    moved = 0
    for _ in range(_TRANSACTIONS_PER_RUN):
        with transaction() as session:
            rows = compact(session, max_batches=_BATCHES_PER_TRANSACTION)
        if not rows:
            break
        moved += rows
    return moved
