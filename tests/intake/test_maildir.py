"""The Maildir source and the whole pipeline on it (the embedded default, `var/inbox`)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from imap_support import FIXTURES
from sqlalchemy import func, select

from registry_admin.db import db
from registry_admin.intake.jobs import run_poll
from registry_admin.intake.maildir import MaildirSource
from registry_admin.intake.models import MailMessage, RegistrationRequest


def _deliver(maildir: Path, name: str, data: bytes, sub: str = "new") -> None:
    for folder in ("tmp", "new", "cur"):
        (maildir / folder).mkdir(parents=True, exist_ok=True)
    (maildir / sub / name).write_bytes(data)


def _poll(app: Flask):
    with app.app_context():
        try:
            return run_poll(app)
        finally:
            db.session.remove()


def test_source_reads_new_and_cur_and_moves_to_processed(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _deliver(box, "1.a", b"Subject: one\n\nbody\n")
    _deliver(box, "2.b:2,S", b"Subject: two\n\nbody\n", sub="cur")
    source = MaildirSource(box)
    source.open()
    envelopes = source.list_new(0)
    assert [e.key for e in envelopes] == ["1.a", "2.b"]
    assert envelopes[0].headers == b"Subject: one\n\n"
    raw = source.fetch(envelopes)
    assert raw["2.b"] == b"Subject: two\n\nbody\n"
    source.mark_done(envelopes[:1])
    assert [e.key for e in source.list_new(0)] == ["2.b"]
    assert (box / ".Processed" / "cur" / "1.a:2,").read_bytes() == b"Subject: one\n\nbody\n"


def test_the_default_maildir_is_polled_once(sqlite_app: Flask) -> None:
    box = Path(sqlite_app.config["REGISTRY_SETTINGS"].mailbox.maildir)
    files = sorted(FIXTURES.glob("*.eml"))
    for i, path in enumerate(files):
        _deliver(box, f"{i:03d}.{path.stem}", path.read_bytes())
    report = _poll(sqlite_app)
    assert report.new == len(files)
    assert report.moved == len(files)
    assert list((box / "new").iterdir()) == []
    assert len(list((box / ".Processed" / "cur").iterdir())) == len(files)
    again = _poll(sqlite_app)
    assert (again.new, again.moved) == (0, 0)
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailMessage)) == len(files)
        states = {m.state for m in db.session.scalars(select(MailMessage))}
        assert states <= {"parsed", "ignored"}
        assert db.session.scalar(select(func.count()).select_from(RegistrationRequest)) == 5
