"""Shared fixtures: an application on a migrated SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from testsupport import (  # noqa: F401  (re-exported for older imports)
    IN_CI,
    PG_ADMIN_DB,
    PG_SERVER,
    close_app,
    make_app,
    migrate_to_head,
    run_sql,
    server_missing,
    settings_for,
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    tmp = tmp_path_factory.mktemp("sqlite-template")
    path = tmp / "template.db"
    migrate_to_head(tmp, f"sqlite:///{path}")
    return path


def _pg_admin() -> psycopg.Connection:
    host, _, port = PG_SERVER.partition(":")
    return psycopg.connect(
        host=host, port=int(port or 5432), dbname=PG_ADMIN_DB, autocommit=True, connect_timeout=5
    )


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated to head, dropped at the end."""
    try:
        admin = _pg_admin()
    except psycopg.OperationalError as exc:
        server_missing(f"PostgreSQL at {PG_SERVER} ({exc})")
    name = f"registry_admin_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{PG_SERVER}/{name}"
    try:
        migrate_to_head(tmp_path_factory.mktemp("pg"), url)
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _empty_pg_tables(url: str) -> None:
    dbname = url.rsplit("/", 1)[1]
    host, _, port = PG_SERVER.partition(":")
    with psycopg.connect(host=host, port=int(port or 5432), dbname=dbname, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            conn.execute(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
            )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that uses the database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "registry.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _empty_pg_tables(url)
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path, database_url)
    yield app
    close_app(app)


@pytest.fixture
def sqlite_app(sqlite_template: Path, tmp_path: Path) -> Iterator[Flask]:
    """For tests whose subject does not depend on the database engine."""
    path = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template, path)
    app = make_app(tmp_path, f"sqlite:///{path}")
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def api_token(app: Flask) -> str:
    """A token of a fresh API client."""
    from registry_admin.api.tokens import create_client
    from registry_admin.db import transaction

    with app.app_context(), transaction() as session:
        _client, token = create_client(session, f"booking-{uuid.uuid4().hex[:6]}", actor="test")
    return token


@pytest.fixture
def api_headers(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture
def add_org(app: Flask):
    """Put an organization in the registry: add_org("0201256-6", "Name", source="manual")."""
    from registry_admin.db import transaction
    from registry_admin.registry.services import add_organization

    def add(business_id: str, name: str, source: str = "manual") -> None:
        with app.app_context(), transaction() as session:
            add_organization(session, business_id, name, source=source, actor="test")

    return add
