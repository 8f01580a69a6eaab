"""Fixtures of the intake tests: a real Dovecot on loopback and a fresh mailbox for each test."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from imap_support import DOVECOT, Dovecot, Mailbox, check_login, make_intake_app, start_dovecot
from testsupport import close_app, server_missing


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A Dovecot serving plain/STARTTLS and implicit TLS on free loopback ports."""
    if not os.path.exists(DOVECOT):
        server_missing("Dovecot (dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="registry-admin-dovecot-", dir="/tmp"))
    os.chmod(root, 0o755)
    server = None
    try:
        server = start_dovecot(root)
        check_login(server)
        yield server
    finally:
        if server is not None:
            subprocess.run(
                ["doveadm", "-c", str(root / "dovecot.conf"), "stop"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    """A new user, so each test starts with an empty INBOX and no Processed folder."""
    name, password = dovecot.take_user()
    return Mailbox(dovecot, name, password)


@pytest.fixture
def tls_trust(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """Make the default SSL context (and a subprocess's) trust the test server's certificate."""
    monkeypatch.setenv("SSL_CERT_FILE", dovecot.cafile)
    return ssl.create_default_context(cafile=dovecot.cafile)


@pytest.fixture
def imap_app(database_url: str, tmp_path: Path, mailbox: Mailbox) -> Iterator[Flask]:
    """The application on SQLite and on PostgreSQL, polling this test's mailbox."""
    app = make_intake_app(tmp_path, database_url, mailbox)
    yield app
    close_app(app)
