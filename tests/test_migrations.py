"""Migrations create the whole data model: no drift from the models, down and up again, pragmas."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text
from testsupport import PG_ADMIN_DB, PG_SERVER, close_app, make_app, server_missing

from registry_admin.db import db

# Every table the issue names, and those of the features built on it.
EXPECTED_TABLES = {"organizations", "registry_changes", "audit_events", "api_clients"}


def _pg_admin() -> psycopg.Connection:
    host, _, port = PG_SERVER.partition(":")
    return psycopg.connect(
        host=host, port=int(port or 5432), dbname=PG_ADMIN_DB, autocommit=True, connect_timeout=5
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An application on an empty database of its own (these tests migrate down and up)."""
    if request.param == "sqlite":
        app = make_app(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
        yield app
        close_app(app)
        return
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as exc:
        server_missing(f"PostgreSQL at {PG_SERVER} ({exc})")
    name = f"registry_admin_migrations_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app = make_app(tmp_path, f"postgresql+psycopg://{PG_SERVER}/{name}")
        yield app
        close_app(app)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def drift(metadata: MetaData) -> list:
    """What autogenerate would write, with the options of migrations/env.py."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": True, "target_metadata": metadata},
        )
        return compare_metadata(context, metadata)


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_one_head(tmp_path: Path) -> None:
    app = make_app(tmp_path, "sqlite://")
    try:
        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            script = ScriptDirectory.from_config(config)
            assert len(script.get_heads()) == 1
    finally:
        close_app(app)


def test_models_and_migrations_agree(empty_app: Flask) -> None:
    with empty_app.app_context():
        assert tables() == set()
        upgrade()
        assert tables() >= EXPECTED_TABLES
        assert tables() == set(db.metadata.tables)
        assert drift(db.metadata) == []


def test_a_model_change_without_a_migration_is_detected(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        changed = MetaData(naming_convention=db.metadata.naming_convention)
        for table in db.metadata.tables.values():
            table.to_metadata(changed)
        Table("made_up", changed, Column("id", Integer, primary_key=True))
        changed.tables["organizations"].append_column(Column("shoe_size", Integer))
        kinds = {
            (d[0], getattr(d[-1], "name", None)) for d in drift(changed) if isinstance(d, tuple)
        }
        assert ("add_table", "made_up") in kinds
        assert ("add_column", "shoe_size") in kinds


def test_downgrade_to_base_and_upgrade_again(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO audit_events (at, actor, action) VALUES (CURRENT_TIMESTAMP, 't', 'x')"
            )
        )
        db.session.commit()
        db.session.remove()
        downgrade(revision="base")
        assert tables() == set()
        upgrade()
        assert tables() == set(db.metadata.tables)
        assert drift(db.metadata) == []
        # The append-only triggers came back with the table.
        db.session.execute(
            text(
                "INSERT INTO audit_events (at, actor, action) VALUES (CURRENT_TIMESTAMP, 't', 'x')"
            )
        )
        db.session.commit()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_events"))
        db.session.rollback()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    from testsupport import settings_for

    from registry_admin import create_app

    overrides = settings_for(tmp_path, f"sqlite:///{tmp_path / 'pragmas.db'}")
    overrides["database"]["sqlite_busy_timeout_ms"] = 4321
    app = create_app(overrides)
    try:
        with app.app_context():
            for _ in range(2):  # a fresh connection each time gets the same settings
                with db.engine.connect() as connection:
                    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                    assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
                db.engine.dispose()
    finally:
        close_app(app)


def test_sqlite_enforces_foreign_keys(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        with pytest.raises(Exception, match="FOREIGN KEY"):
            db.session.execute(
                text(
                    "INSERT INTO disclosures (at, client_id, business_id)"
                    " VALUES (CURRENT_TIMESTAMP, 999, '0201256-6')"
                )
            )
            db.session.commit()
        db.session.rollback()
