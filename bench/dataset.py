"""A throw-away registry of N organizations: config, migrated SQLite database, API token, ID list."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stdnum.fi import ytunnus

VENV_BIN = Path(sys.executable).parent
REGISTRY_ADMIN = VENV_BIN / "registry-admin"

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_BASE_TIME = datetime(2025, 1, 2, 3, 4, 5, 678901)


@dataclass(frozen=True)
class Registry:
    """Where one benchmark registry lives and what the load generator needs to ask it."""

    size: int
    workdir: Path
    config: Path
    database: Path
    token: str
    id_list: Path
    registered_share: float
    insert_seconds: float


def _partial_sums(digits: int, weights: tuple[int, ...]) -> list[int]:
    return [
        sum(int(d) * w for d, w in zip(f"{n:0{digits}d}", weights, strict=True))
        for n in range(10**digits)
    ]


# The weighted digit sum of a 7-digit number as two table look-ups (its top 3 and low 4 digits).
_HIGH = _partial_sums(3, _WEIGHTS[:3])
_LOW = _partial_sums(4, _WEIGHTS[3:])


def check_digit(base: int) -> int | None:
    """The Y-tunnus check digit of a 7-digit number, or None when no valid ID has these digits.

    Weights 7, 9, 10, 5, 8, 4, 2; remainder 0 gives 0, remainder 1 no ID, else 11 - remainder.
    """
    remainder = (_HIGH[base // 10_000] + _LOW[base % 10_000]) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def business_ids(count: int, rng: random.Random) -> list[str]:
    """`count` distinct valid Business IDs (NNNNNNN-N), in random order."""
    # About 1 in 11 seven-digit numbers has no valid check digit: draw a few more than needed.
    bases = rng.sample(range(10_000_000), int(count * 1.12) + 64)
    ids: list[str] = []
    for base in bases:
        digit = check_digit(base)
        if digit is not None:
            ids.append(f"{base:07d}-{digit}")
            if len(ids) == count:
                return ids
    raise RuntimeError("not enough valid Business IDs drawn")  # pragma: no cover


def _validate_sample(ids: list[str], rng: random.Random, sample: int = 2000) -> None:
    for bid in rng.sample(ids, min(sample, len(ids))):
        ytunnus.validate(bid)  # raises on a wrong check digit
    # And the numbers skipped must really have no valid check digit.
    for base in rng.sample(range(10_000_000), 5000):
        if check_digit(base) is None:
            for digit in range(10):
                if ytunnus.is_valid(f"{base:07d}{digit}"):
                    raise AssertionError(f"{base:07d}-{digit} is valid but was skipped")


def write_config(workdir: Path) -> tuple[Path, Path]:
    """A configuration file for a SQLite registry in `workdir`; returns (config, database)."""
    database = workdir / "registry.db"
    config = workdir / "config.toml"
    config.write_text(
        "\n".join(
            [
                "[app]",
                'secret_key = "bench-secret-key-not-for-production"',
                f'instance_dir = "{workdir / "instance"}"',
                "",
                "[database]",
                f'url = "sqlite:///{database}"',
                "",
                "[mailbox]",
                f'maildir = "{workdir / "inbox"}"',
                "",
                "[smtp]",
                f'directory = "{workdir / "outbox"}"',
                "",
                "[scheduler]",
                "enabled = false",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config, database


def _cli(config: Path, *args: str) -> str:
    done = subprocess.run(
        [str(REGISTRY_ADMIN), "--config", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"registry-admin {' '.join(args)} failed ({done.returncode}):\n{done.stderr.strip()}"
        )
    return done.stdout


def bulk_insert(database: Path, ids: list[str]) -> None:
    """Insert one active organization and one `added` change per ID, in one transaction."""
    # executemany re-runs the INSERT per row, and SQLite then rebuilds the CHECK constraints'
    # IN lists every time (3x slower): load the IDs into a bare temp table, then copy them
    # with one INSERT ... SELECT per table, the constraints still checked.
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        # No rollback journal while loading a throw-away database; WAL again afterwards,
        # as the application sets it on every connection anyway.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE load (n INTEGER PRIMARY KEY, business_id TEXT NOT NULL)")
        conn.executemany("INSERT INTO load (business_id) VALUES (?)", ((bid,) for bid in ids))
        # Timestamps as SQLAlchemy stores an aware UTC DateTime on SQLite: naive text, microseconds.
        stamp = f"strftime('%Y-%m-%d %H:%M:%S', '{_BASE_TIME:%Y-%m-%d %H:%M:%S}', '+' || n || ' seconds') || '.{_BASE_TIME:%f}'"
        conn.execute(
            "INSERT INTO organizations (business_id, name, source, status, registered_at,"
            " registered_by, updated_at)"
            f" SELECT business_id, 'Testiyhdistys ' || business_id || ' ry',"
            f" CASE n % 3 WHEN 0 THEN 'municipality' WHEN 1 THEN 'application' ELSE 'manual' END,"
            f" 'active', {stamp}, 'bench', {stamp} FROM load ORDER BY n"
        )
        conn.execute(
            "INSERT INTO registry_changes (business_id, change, at)"
            f" SELECT business_id, 'added', {stamp} FROM load ORDER BY n"
        )
        conn.execute("DROP TABLE load")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def build(
    size: int, workdir: Path, *, list_size: int = 20_000, registered_share: float = 0.55
) -> Registry:
    """Migrate a database in `workdir`, fill it with `size` organizations, make a token."""
    rng = random.Random(size)
    config, database = write_config(workdir)
    _cli(config, "db", "upgrade")

    registered_count = round(list_size * registered_share)
    unregistered_count = list_size - registered_count
    ids = business_ids(size + unregistered_count, rng)
    _validate_sample(ids, rng)
    registered, unregistered = ids[:size], ids[size:]

    started = time.perf_counter()
    bulk_insert(database, sorted(registered))
    insert_seconds = time.perf_counter() - started

    stdout = _cli(config, "api-clients", "create", "bench")
    token = stdout.strip().splitlines()[-1].strip()

    if size >= registered_count:
        asked = rng.sample(registered, registered_count)
    else:
        asked = rng.choices(registered, k=registered_count)
    asked += unregistered
    rng.shuffle(asked)
    id_list = workdir / "business_ids.txt"
    id_list.write_text("\n".join(asked) + "\n", encoding="ascii")
    return Registry(
        size=size,
        workdir=workdir,
        config=config,
        database=database,
        token=token,
        id_list=id_list,
        registered_share=registered_count / list_size,
        insert_seconds=insert_seconds,
    )
