"""SQLAlchemy base, the `db` and `migrate` extensions, and the transaction boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, Table, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so migrations read the same on SQLite and PostgreSQL.
# A database that is down or unreachable: the job stops (nothing is blamed on its input).
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def reserve_ids(session: Session, table: Table, count: int) -> list[int] | None:
    """`count` new primary keys of `table`, ascending, for rows this transaction inserts with
    them; None when they cannot be reserved here (then the database numbers the rows).

    Rows that come with their keys are inserted in one statement, and whatever is derived from
    a key is in the row from the start. PostgreSQL takes the keys from the column's sequence.
    SQLite has none: the keys above the largest belong to this transaction only once it has
    written, when it holds the database's one write lock until it ends.
    """
    if count <= 0:
        return []
    connection = session.connection()
    (key,) = table.primary_key.columns
    dialect = connection.dialect.name
    if dialect == "postgresql":
        taken = connection.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "column": key.name, "n": count},
        )
        return sorted(taken)
    if dialect == "sqlite" and connection.connection.driver_connection.in_transaction:
        top = connection.scalar(select(func.max(key))) or 0
        return list(range(top + 1, top + 1 + count))
    return None


def resource_path(name: str) -> Path:
    """`templates` or `migrations`: inside the installed package, else beside it in a checkout."""
    package_dir = Path(__file__).resolve().parent
    inside = package_dir / name
    return inside if inside.is_dir() else package_dir.parent / name


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back when it raises."""
    session = db.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, enforced foreign keys and a busy timeout on every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
