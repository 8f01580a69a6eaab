"""The intake against a real Dovecot, on SQLite and PostgreSQL: once, and only once, whatever
happens to the process, the connection, the database or the mailbox."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from imap_support import FIXTURES, Mailbox, corpus, free_port, make_intake_app, write_config
from sqlalchemy import select
from testsupport import PG_ADMIN_DB, PG_SERVER, close_app, settings_for

from registry_admin import create_app
from registry_admin.db import db
from registry_admin.intake import pipeline
from registry_admin.intake.imap import ImapSource
from registry_admin.intake.jobs import run_poll
from registry_admin.intake.models import FINAL_MESSAGE_STATES, MailMessage, RegistrationRequest
from registry_admin.intake.pipeline import STEPS
from registry_admin.intake.polllock import PollBusy
from registry_admin.intake.queueing import reprocess_message
from registry_admin.intake.report import PollReport
from registry_admin.intake.sources import SourceError

pytestmark = pytest.mark.imap

FILES = sorted(p.name for p in FIXTURES.glob("*.eml"))
REQUESTS = 5  # the fixtures hold 7 requests of which 2 are follow-ups of the others


def as_served(raw: bytes) -> bytes:
    """The bytes Dovecot serves for an appended message: every line ending CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def load_corpus(mailbox: Mailbox, folder: str = "INBOX") -> set[str]:
    """Append every fixture; the SHA-256 of each as served."""
    hashes = set()
    for name in FILES:
        raw = corpus(name)
        mailbox.append(raw, folder)
        hashes.add(sha(as_served(raw)))
    return hashes


def poll(app: Flask, hook=None) -> PollReport:
    with app.app_context():
        try:
            return run_poll(app, hook=hook)
        finally:
            db.session.remove()


def ledger(app: Flask) -> list[MailMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))
        db.session.expunge_all()
        db.session.remove()
        return rows


def requests(app: Flask) -> list[RegistrationRequest]:
    with app.app_context():
        rows = list(
            db.session.scalars(select(RegistrationRequest).order_by(RegistrationRequest.id))
        )
        db.session.expunge_all()
        db.session.remove()
        return rows


def assert_ingested_once(app: Flask, mailbox: Mailbox, hashes: set[str], folder="INBOX") -> None:
    """Nothing lost, nothing twice: every message in the ledger once, in a final state, moved
    once to Processed, and one request per application."""
    rows = ledger(app)
    assert sorted(r.sha256 for r in rows) == sorted(hashes)
    assert {r.state for r in rows} <= set(FINAL_MESSAGE_STATES)
    assert mailbox.contents(folder) == []
    processed = [sha(raw) for raw in mailbox.contents("Processed")]
    assert sorted(processed) == sorted(hashes)
    assert len(requests(app)) == REQUESTS


def test_a_mailbox_is_ingested_once(imap_app: Flask, mailbox: Mailbox) -> None:
    hashes = load_corpus(mailbox)
    report = poll(imap_app)
    assert (report.new, report.duplicates, report.moved) == (len(FILES), 0, len(FILES))
    assert (report.requests, report.followups) == (REQUESTS, 2)
    assert_ingested_once(imap_app, mailbox, hashes)

    again = poll(imap_app)
    assert (again.new, again.duplicates, again.moved) == (0, 0, 0)
    assert_ingested_once(imap_app, mailbox, hashes)

    by_file = {
        name: row for name, row in zip(FILES, ledger(imap_app), strict=True)
    }  # appended in this order
    assert by_file["009_autoreply_en.eml"].state == "ignored"
    assert by_file["058_removal_fi.eml"].kind == "removal"
    followup = by_file["034_followup_fi_supplies_business_id.eml"]
    assert followup.kind == "followup"
    assert followup.supplied == ["business_id"]
    assert followup.request_id == by_file["031_request_fi_missing_business_id.eml"].request_id
    completed = {r.id: r for r in requests(imap_app)}[followup.request_id]
    assert (completed.state, completed.missing) == ("ready", [])
    assert completed.reference == f"RA-{completed.created_at.year}-{completed.id:06d}"


def _counted_companions(monkeypatch: pytest.MonkeyPatch, password: str | None = None) -> list:
    """Record each second connection the poll asks for; with `password`, each logs in with it."""
    opened = []
    original = ImapSource.companion

    def companion(self: ImapSource) -> ImapSource:
        helper = original(self)
        if password is not None:
            helper._password = password
        opened.append(helper)
        return helper

    monkeypatch.setattr(ImapSource, "companion", companion)
    return opened


def test_moves_go_on_the_polling_connection_when_a_second_is_refused(
    imap_app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server really refuses the second login: nothing is faked but the password.
    companions = _counted_companions(monkeypatch, password="not-the-password")
    hashes = load_corpus(mailbox)
    report = poll(imap_app)
    assert len(companions) == 1
    assert (report.new, report.moved) == (len(FILES), len(FILES))
    assert_ingested_once(imap_app, mailbox, hashes)


def test_a_poll_with_nothing_new_opens_no_second_connection(
    imap_app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    companions = _counted_companions(monkeypatch)
    assert poll(imap_app).new == 0
    assert companions == []
    mailbox.append(corpus(FILES[0]))
    assert poll(imap_app).moved == 1
    assert len(companions) == 1


def _launcher() -> str:
    """`registry-admin`, with the intake's commands registered in case cli.py lacks them."""
    return (
        "from registry_admin.cli import cli\n"
        "from registry_admin.intake import commands as c\n"
        "for command in (c.poll_command, c.messages_group, c.requests_group):\n"
        "    cli.commands.setdefault(command.name, command)\n"
        "cli(prog_name='registry-admin')\n"
    )


def _run_cli(config: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", _launcher(), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step_loses_nothing_and_duplicates_nothing(
    imap_app: Flask, mailbox: Mailbox, database_url: str, tmp_path: Path, step: str
) -> None:
    hashes = load_corpus(mailbox)
    config = write_config(tmp_path, database_url, mailbox)
    killed = _run_cli(config, "poll", "--once", env={pipeline.CRASH_ENV: step})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    if step in ("after_fetch", "after_store", "after_commit", "before_move"):
        assert len(mailbox.contents("INBOX")) == len(FILES)  # nothing moved before its commit
    restarted = _run_cli(config, "poll", "--once")
    assert restarted.returncode == 0, restarted.stderr
    assert "new" in restarted.stdout
    assert_ingested_once(imap_app, mailbox, hashes)


class CuttingProxy:
    """A TCP proxy on loopback that cuts its first connection after `cut_after` bytes from the
    server: a connection lost in the middle of a FETCH."""

    def __init__(self, upstream_port: int, cut_after: int) -> None:
        self.upstream_port, self.cut_after = upstream_port, cut_after
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            first = not self.cut.is_set()
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(
                target=self._pump,
                args=(server, client, self.cut_after if first else None),
                daemon=True,
            ).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: limit - sent])
                    self.cut.set()
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()


def _padded(raw: bytes, size: int) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    return head + sep + body + b"\n" + (b"padding line of text\n" * (size // 21))


def test_connection_cut_mid_fetch(database_url: str, tmp_path: Path, mailbox: Mailbox) -> None:
    big = [_padded(corpus(name), 150_000) for name in FILES[:3]]
    for raw in big:
        mailbox.append(raw)
    proxy = CuttingProxy(mailbox.server.port_plain, cut_after=100_000)
    cut_app = make_intake_app(tmp_path / "cut", database_url, mailbox, port=proxy.port)
    try:
        with pytest.raises(SourceError, match="FETCH"):
            poll(cut_app)
        assert proxy.cut.is_set()
        assert ledger(cut_app) == []
        assert len(mailbox.contents("INBOX")) == 3
        assert mailbox.contents("Processed") == []
        report = poll(cut_app)  # the proxy passes later connections whole
    finally:
        proxy.close()
        close_app(cut_app)
    assert report.new == 3
    assert mailbox.contents("INBOX") == []


def _unreachable_app(database_url: str, tmp: Path, mailbox: Mailbox) -> Flask:
    if database_url.startswith("sqlite"):
        app = make_intake_app(tmp, database_url, mailbox)
        path = Path(database_url.removeprefix("sqlite:///"))
        path.unlink()
        path.mkdir()  # SQLite cannot open a directory: a database that is not there
        return app
    return make_intake_app(tmp, f"postgresql+psycopg://{PG_SERVER.split(':')[0]}:1/none", mailbox)


def test_database_unavailable_changes_nothing_on_the_server(
    database_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    load_corpus(mailbox)
    before = mailbox.contents("INBOX")
    app = _unreachable_app(database_url, tmp_path, mailbox)
    try:
        with pytest.raises(Exception, match=r"(?i)unable to open|connect|refused"):
            poll(app)
    finally:
        close_app(app)
    assert mailbox.contents("INBOX") == before
    assert all(b"\\Seen" not in flags for flags in mailbox.flags().values())
    assert mailbox.contents("Processed") == []


def test_database_lost_after_the_first_store(
    imap_app: Flask, database_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    hashes = load_corpus(mailbox)
    restore = []

    def database_goes_away(step: str) -> None:
        if step != "after_store" or restore:
            return
        if database_url.startswith("sqlite"):
            # Another process holds SQLite's write lock past the busy timeout.
            locker = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=1)
            locker.execute("BEGIN EXCLUSIVE")
            restore.append(locker.close)
        else:
            name = database_url.rsplit("/", 1)[1]
            host, _, port = PG_SERVER.partition(":")
            admin = psycopg.connect(
                host=host, port=int(port or 5432), dbname=PG_ADMIN_DB, autocommit=True
            )
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )

            def allow() -> None:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                admin.close()

            restore.append(allow)

    overrides = settings_for(tmp_path / "lost", database_url)
    overrides["database"]["sqlite_busy_timeout_ms"] = 300
    overrides["mailbox"] = {**overrides["mailbox"], **mailbox.settings()}
    app = create_app(overrides)
    try:
        with pytest.raises(Exception, match=r"(?i)locked|terminat|connection|closed"):
            poll(app, hook=database_goes_away)
    finally:
        for undo in restore:
            undo()
        close_app(app)
    assert len(mailbox.contents("INBOX")) == len(FILES)
    assert mailbox.contents("Processed") == []
    assert all(b"\\Seen" not in flags for flags in mailbox.flags().values())
    # The next poll finishes the stored message and takes the rest.
    poll(imap_app)
    assert_ingested_once(imap_app, mailbox, hashes)


def test_uidvalidity_change_rescans_and_the_hashes_absorb_repeats(
    database_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    app = make_intake_app(tmp_path, database_url, mailbox, folder="Intake")
    first, second, third = (corpus(n) for n in FILES[2:5])
    try:
        mailbox.append(first, "Intake")
        mailbox.append(second, "Intake")
        assert poll(app).new == 2
        old = mailbox.uidvalidity("Intake")
        with mailbox.client() as c:
            c.delete_folder("Intake")
            c.create_folder("Intake")
            if int(c.folder_status("Intake", ["UIDVALIDITY"])[b"UIDVALIDITY"]) == old:
                c.delete_folder("Intake")
                time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
                c.create_folder("Intake")
        assert mailbox.uidvalidity("Intake") != old
        for raw in (first, second, third):  # restored from a backup, plus one new message
            mailbox.append(raw, "Intake")
        report = poll(app)
        assert report.uidvalidity_changed
        assert (report.new, report.duplicates, report.moved) == (1, 2, 3)
        assert len(ledger(app)) == 3
        assert mailbox.contents("Intake") == []
    finally:
        close_app(app)


def test_the_same_message_delivered_twice(imap_app: Flask, mailbox: Mailbox) -> None:
    raw = corpus("005_request_fi_windows1252.eml")
    mailbox.append(raw)
    mailbox.append(raw)
    # Delivered again through another relay: same Message-ID, other transport headers.
    mailbox.append(b"Received: from relay2.example.net by mx.example.net; Mon, 1 Dec 2025\n" + raw)
    report = poll(imap_app)
    assert (report.new, report.duplicates, report.moved, report.requests) == (2, 1, 3, 1)
    rows = ledger(imap_app)
    assert [r.state for r in rows] == ["parsed", "ignored"]
    assert rows[1].request_id == rows[0].request_id
    assert "repeat" in (rows[1].error or "")
    assert len(requests(imap_app)) == 1


def test_a_message_read_by_a_person_first_is_still_ingested(
    imap_app: Flask, mailbox: Mailbox
) -> None:
    mailbox.append(corpus("004_request_en_fields_in_txt_attachment.eml"), flags=(b"\\Seen",))
    report = poll(imap_app)
    assert (report.new, report.requests, report.moved) == (1, 1, 1)


def test_a_30_mb_message_is_recorded_as_oversize_and_moved(
    imap_app: Flask, mailbox: Mailbox
) -> None:
    head = (
        b"From: Big Sender <big@example.org>\r\nTo: tekninentuki@kela.fi\r\n"
        b"Subject: scanned application\r\nMessage-ID: <big-1@example.org>\r\n"
        b"Authentication-Results: mx.kela.fi; dkim=fail; spf=pass; dmarc=fail\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
    )
    line = b"x" * 76 + b"\r\n"
    raw = head + line * (30 * 1024 * 1024 // len(line))
    mailbox.append(raw)
    mailbox.append(corpus("009_autoreply_en.eml"))
    report = poll(imap_app)
    assert (report.new, report.oversize, report.moved) == (2, 1, 2)
    big = ledger(imap_app)[0]
    assert big.state == "oversize"
    assert big.size == len(raw)
    assert big.message_id == "<big-1@example.org>"
    assert (big.auth_dkim, big.auth_spf, big.auth_dmarc, big.auth_failed) == (
        "fail",
        "pass",
        "fail",
        True,
    )
    with imap_app.app_context():
        row = db.session.get(MailMessage, big.id)
        assert row.raw is None
        assert row.raw_headers.startswith(b"From: Big Sender")
        db.session.remove()
    assert mailbox.contents("INBOX") == []
    assert poll(imap_app).new == 0


def test_a_message_that_is_not_mime_at_all(imap_app: Flask, mailbox: Mailbox) -> None:
    junk = b"\xff\xfe just some bytes, no header at all \x80\x81\r\n\r\n\x01\x02 more\r\n"
    mailbox.append(junk)
    report = poll(imap_app)
    assert (report.new, report.moved) == (1, 1)
    row = ledger(imap_app)[0]
    assert row.state in ("ignored", "quarantined")
    with imap_app.app_context():
        assert db.session.get(MailMessage, row.id).raw == junk
        db.session.remove()


def test_a_poison_message_is_quarantined_and_can_be_reprocessed(
    imap_app: Flask, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry_admin.intake import parse

    real = parse.parse_message

    def parser_with_a_bug(raw: bytes):
        if b"Ekstr" in raw:
            raise RuntimeError("a parser bug")
        return real(raw)

    monkeypatch.setattr(parse, "parse_message", parser_with_a_bug)
    poison = corpus("027_request_sv_missing_contact_details.eml")
    mailbox.append(poison)
    mailbox.append(corpus("005_request_fi_windows1252.eml"))
    report = poll(imap_app)
    assert (report.new, report.quarantined, report.requests, report.moved) == (2, 1, 1, 2)
    quarantined = ledger(imap_app)[0]
    assert quarantined.state == "quarantined"
    assert "a parser bug" in quarantined.error

    monkeypatch.setattr(parse, "parse_message", real)
    with imap_app.app_context():
        message = reprocess_message(db.session(), quarantined.id)
        db.session.commit()
        assert (message.state, message.kind, message.reprocessed_count) == ("parsed", "request", 1)
        db.session.remove()
    assert len(requests(imap_app)) == 2


def test_two_workers_started_at_once_never_both_poll(
    database_url: str, tmp_path: Path, mailbox: Mailbox
) -> None:
    load_corpus(mailbox)
    first = make_intake_app(tmp_path / "a", database_url, mailbox)
    second = make_intake_app(tmp_path / "b", database_url, mailbox)
    inside, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def hold(step: str) -> None:
        if step == "after_fetch" and not inside.is_set():
            inside.set()
            release.wait(20)

    def worker() -> None:
        try:
            outcome.append(poll(first, hook=hold))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert inside.wait(20)
        with pytest.raises(PollBusy):
            poll(second)
    finally:
        release.set()
        thread.join(30)
    try:
        assert isinstance(outcome[0], PollReport)
        assert outcome[0].new == len(FILES)
        assert poll(second).new == 0  # the lock is free again
    finally:
        close_app(first)
        close_app(second)


def test_two_poll_processes_started_at_once(
    imap_app: Flask, mailbox: Mailbox, database_url: str, tmp_path: Path
) -> None:
    hashes = load_corpus(mailbox)
    config = write_config(tmp_path, database_url, mailbox)
    launcher = _launcher()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", launcher, "--config", str(config), "poll", "--once"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(60), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        # Each one polled (one after the other) or saw the other's lock; neither failed.
        assert (code, err) == (0, "") or (code == 1 and "another mailbox poll is running" in err), (
            code,
            out,
            err,
        )
    assert_ingested_once(imap_app, mailbox, hashes)
