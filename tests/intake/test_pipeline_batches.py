"""A batch is queued as its messages would be one by one, whoever parses them; a poison message
in a batch's store or queue transaction is quarantined alone; a short fetch is retried, then kept
quarantined with its reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from testsupport import close_app, settings_for

from registry_admin import create_app
from registry_admin.db import db, transaction, utcnow
from registry_admin.intake import ledger, pipeline, queueing
from registry_admin.intake.maildir import MaildirSource
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.intake.report import PollReport
from registry_admin.notify.models import Notification
from registry_admin.notify.wording import save_wording

FIXTURES = Path(__file__).parent.parent / "fixtures"
RECEIPT_SUBJECT = "Saimme hakemuksenne {{ reference }}"


def _mail() -> list[bytes]:
    """The corpus and a blind set, then: the first twelve again through another relay (repeats),
    the next eight sent again under new Message-IDs (the same applicants applying twice), one
    message delivered twice unchanged, and a request with its repeat and its resending side by
    side."""
    files = sorted((FIXTURES / "corpus").glob("*.eml")) + sorted(
        (FIXTURES / "unseen").glob("*.eml")
    )
    raws = [p.read_bytes() for p in files]
    relay = b"Received: from relay2.example.net by mx.example.net; Mon, 1 Dec 2025\n"
    relayed = [relay + raw for raw in raws[:12]]
    again = [b"Message-ID: <again-%d@example.org>\n" % i + raw for i, raw in enumerate(raws[12:20])]
    # In one batch: a request, its repeat through a relay and the same request under a new
    # Message-ID, then a follow-up pair as the corpus has it.
    side = b"Message-ID: <side@example.org>\n" + raws[41]
    side_by_side = [side, relay + side, b"Message-ID: <side-2@example.org>\n" + raws[41]]
    return raws + relayed + again + [raws[20]] + side_by_side


def _app(tmp: Path, database_url: str) -> Flask:
    """An app whose admins have reworded the Finnish receipt's subject."""
    overrides = settings_for(tmp, database_url)
    overrides["smtp"]["max_receipts_per_day"] = 2
    app = create_app(overrides)
    app.config["TESTING"] = True
    with app.app_context(), transaction() as session:
        save_wording(session, "receipt", "fi", "subject.txt", RECEIPT_SUBJECT, actor="test")
    return app


def _poll(app: Flask, raws: list[bytes], **kwargs) -> PollReport:
    box = Path(app.config["REGISTRY_SETTINGS"].mailbox.maildir)
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(raws):
        (box / "new" / f"{i:04d}.mail").write_bytes(raw)
    with app.app_context():
        try:
            return pipeline.poll_mailbox_once(
                db.session(), MaildirSource(box), max_message_bytes=25 * 1024 * 1024, **kwargs
            )
        finally:
            db.session.remove()


def _state(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        messages = [
            (m.id, m.state, m.kind, m.request_id, m.error, m.supplied, m.parsed, m.message_id)
            for m in db.session.scalars(select(MailMessage).order_by(MailMessage.id))
        ]
        requests = [
            (
                r.id,
                r.reference,
                r.state,
                r.business_id,
                r.business_id_valid,
                r.organization_name,
                r.justification,
                r.contact_name,
                r.contact_email,
                r.contact_phone,
                r.language,
                r.missing,
                r.evidence,
                r.applicant_address,
                r.duplicate_of_id,
            )
            for r in db.session.scalars(
                select(RegistrationRequest).order_by(RegistrationRequest.id)
            )
        ]
        notifications = [
            (n.kind, n.request_id, n.recipient, n.subject, n.body_text, n.state, n.in_reply_to)
            for n in db.session.scalars(select(Notification).order_by(Notification.id))
        ]
        db.session.remove()
    return {"messages": messages, "requests": requests, "notifications": notifications}


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "BATCH_MESSAGES", 9)


def _one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every batch's queue transaction fail, so that each message is queued alone."""

    def refuse(*_args, **_kwargs):
        raise RuntimeError("no batch lookups")

    monkeypatch.setattr(queueing._Lookups, "__init__", refuse)


@pytest.fixture
def fresh_db(sqlite_template: Path, tmp_path: Path):
    """Empty migrated SQLite databases, one per call."""
    made: list[int] = []

    def make() -> str:
        made.append(1)
        path = tmp_path / f"fresh-{len(made)}.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"

    return make


def test_a_batch_is_queued_as_its_messages_one_by_one(
    small_batches: None, fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = _mail()
    batched = _app(tmp_path / "a", fresh_db())
    try:
        report = _poll(batched, raws)
        expected = _state(batched)
    finally:
        close_app(batched)
    assert (report.new, report.duplicates) == (len(raws) - 1, 1)
    assert report.requests >= 20 and report.followups >= 1 and report.ignored >= 10
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        alone = _app(tmp_path / "b", fresh_db())
        try:
            assert _poll(alone, raws).summary() == report.summary()
            assert _state(alone) == expected
        finally:
            close_app(alone)
    assert {m[1] for m in expected["messages"]} <= {"parsed", "ignored"}
    assert any(m[4] and "repeat" in m[4] for m in expected["messages"])
    assert any(r[2] == "duplicate" for r in expected["requests"])
    recipients = [n[2] for n in expected["notifications"]]
    assert max(recipients.count(r) for r in recipients) == 2  # the day's receipt limit
    subjects = {n[3] for n in expected["notifications"] if n[0] == "receipt"}
    assert any(subject.startswith("Saimme hakemuksenne ") for subject in subjects)
    first, repeat, resent = expected["messages"][-3:]  # side by side in one batch
    requests = {r[0]: r for r in expected["requests"]}
    assert (first[1], repeat[1], resent[1]) == ("parsed", "ignored", "parsed")
    assert repeat[3] == first[3] and "repeat" in repeat[4]
    assert requests[resent[3]][2] == "duplicate"


def test_worker_processes_parse_as_this_process_does(
    small_batches: None, fresh_db, tmp_path: Path
) -> None:
    raws = _mail()
    inline = _app(tmp_path / "inline", fresh_db())
    try:
        report = _poll(inline, raws, parse_workers=0)
        expected = _state(inline)
    finally:
        close_app(inline)
    pooled = _app(tmp_path / "pool", fresh_db())
    try:
        assert _poll(pooled, raws, parse_workers=2).summary() == report.summary()
        assert _state(pooled) == expected
    finally:
        close_app(pooled)


class ShortReads(MaildirSource):
    """A Maildir whose server-side copy of some messages reads short: `always` on every fetch,
    `once` on the first fetch only."""

    def __init__(self, path: Path, always: set[str], once: set[str]) -> None:
        super().__init__(path)
        self.always, self.once, self.fetched = always, set(once), []

    def fetch(self, envelopes):
        raw = super().fetch(envelopes)
        for key in raw:
            self.fetched.append(key)
            if key in self.always or key in self.once:
                self.once.discard(key)
                raw[key] = raw[key][:-10]
        return raw


def test_a_short_fetch_is_retried_then_kept_quarantined(fresh_db, tmp_path: Path) -> None:
    raws = sorted((FIXTURES / "intake").glob("*.eml"))[:4]
    app = _app(tmp_path, fresh_db())
    box = tmp_path / "inbox"
    for sub in ("tmp", "new", "cur"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(raws):
        (box / "new" / f"{i}.mail").write_bytes(path.read_bytes())
    source = ShortReads(box, always={"1.mail"}, once={"2.mail"})
    try:
        with app.app_context():
            report = pipeline.poll_mailbox_once(
                db.session(), source, max_message_bytes=25 * 1024 * 1024
            )
            rows = list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))
            short = rows[1]
            assert (report.new, report.quarantined, report.moved) == (4, 1, 4)
            assert short.state == "quarantined"
            assert "RFC822.SIZE" in short.error and "3 times" in short.error
            assert short.raw == raws[1].read_bytes()[:-10]
            assert rows[2].state != "quarantined" and rows[2].raw == raws[2].read_bytes()
            assert source.fetched.count("1.mail") == pipeline.FETCH_TRIES
            assert source.fetched.count("2.mail") == 2
            db.session.remove()
    finally:
        close_app(app)
    assert list((box / "new").iterdir()) == []


def test_a_row_the_database_refuses_is_stored_bare_and_the_rest_as_usual(
    fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = _mail()[:12]
    poison_id = "<poison@example.org>"
    raws[5] = f"Message-ID: {poison_id}\n".encode() + raws[5]
    real = ledger.insert_rows

    def refuse_poison(session, rows):
        if any(row["message_id"] == poison_id for row in rows):
            raise ValueError("a value the database refuses")
        return real(session, rows)

    monkeypatch.setattr(ledger, "insert_rows", refuse_poison)
    app = _app(tmp_path, fresh_db())
    try:
        report = _poll(app, raws)
        state = _state(app)
    finally:
        close_app(app)
    assert (report.new, report.moved, report.quarantined) == (12, 12, 1)
    bare = state["messages"][5]
    assert (bare[1], bare[7]) == ("quarantined", None)
    assert "could not be stored as received" in bare[4] and "ValueError" in bare[4]
    assert all(m[1] in ("parsed", "ignored") for i, m in enumerate(state["messages"]) if i != 5)


def test_a_message_whose_queueing_fails_is_quarantined_alone(
    fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = _mail()[:20]
    real = queueing._new_request
    failed: list[int] = []

    def fail_on_the_third(session, message, parsed, raw, lookups=None):
        if not failed or failed[0] == message.id:
            failed[:] = [message.id]
            raise RuntimeError("a bug in queueing")
        return real(session, message, parsed, raw, lookups)

    monkeypatch.setattr(queueing, "_new_request", fail_on_the_third)
    app = _app(tmp_path, fresh_db())
    try:
        report = _poll(app, raws)
        state = _state(app)
    finally:
        close_app(app)
    assert (report.new, report.moved, report.quarantined) == (20, 20, 1)
    quarantined = [m for m in state["messages"] if m[1] == "quarantined"]
    assert [m[0] for m in quarantined] == failed
    assert "RuntimeError: a bug in queueing" in quarantined[0][4]
    assert report.requests == len(state["requests"]) >= 10


def test_a_message_that_kills_its_parser_process_is_quarantined_alone(
    small_batches: None, fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import threading

    from registry_admin.intake import parse

    real, poll_pid = parse.parse_message, os.getpid()

    def crashing(raw: bytes):
        if b"X-Crash: yes" in raw and os.getpid() != poll_pid:
            os.kill(os.getpid(), signal.SIGKILL)  # as a crash in a C library would
        return real(raw)

    monkeypatch.setattr(parse, "parse_message", crashing)
    # Fork the workers (they inherit the replaced parser), whatever threads pytest runs.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    raws = _mail()[:20]
    raws[13] = b"X-Crash: yes\n" + raws[13]
    app = _app(tmp_path, fresh_db())
    try:
        report = _poll(app, raws, parse_workers=2)
        state = _state(app)
    finally:
        close_app(app)
    assert (report.new, report.moved, report.quarantined) == (20, 20, 1)
    quarantined = [m for m in state["messages"] if m[1] == "quarantined"]
    assert [m[0] for m in quarantined] == [state["messages"][13][0]]
    assert "process died" in quarantined[0][4]


def _application(message_id: str, business_id: str, org: str, *, answers: str = "") -> bytes:
    """A plain Finnish application (or, with `answers`, a reply giving only a Business ID)."""
    head = (
        f"From: Hakija <hakija-{org.lower()}@example.org>\n"
        "To: tuki@kela.fi\n"
        f"Message-ID: <{message_id}>\n"
        "Date: Mon, 1 Dec 2025 10:00:00 +0200\n"
        "Content-Type: text/plain; charset=utf-8\n"
    )
    if answers:
        head += f"In-Reply-To: <{answers}>\nSubject: Re: Kelan ajanvarausjärjestelmän rekisteri\n"
        return f"{head}\nKorjaus: Y-tunnus: {business_id}\n".encode()
    body = (
        f"Y-tunnus: {business_id}\n"
        f"Organisaation nimi: {org} ry\n"
        "Perustelu: Autamme asiakkaitamme asioimaan Kelan kanssa.\n"
        f"Yhteyshenkilö: Maija Meikäläinen\n"
        f"Sähköposti: maija@{org.lower()}.example.org\n"
        "Puhelin: 040 123 4567\n"
    )
    return f"{head}Subject: Kelan ajanvarausjärjestelmän rekisteri\n\n{body}".encode()


def test_a_new_request_duplicates_the_next_pending_one_when_the_first_leaves_in_its_batch(
    fresh_db, tmp_path: Path
) -> None:
    """A batch reads only the first pending request of each Business ID. Two are pending for
    X here (a follow-up moved the older request to X); when a follow-up in the batch moves the
    first away, a new request for X duplicates the second, as it would queued alone."""
    x, y, z = "1572860-0", "2617416-4", "0737546-2"
    app = _app(tmp_path, fresh_db())
    try:
        _poll(app, [_application("old@a", z, "Alfa"), _application("first-x@b", x, "Beta")])
        _poll(app, [_application("to-x@a", x, "Alfa", answers="old@a")])
        with app.app_context():
            pending = db.session.execute(
                select(RegistrationRequest.id, RegistrationRequest.state)
                .where(RegistrationRequest.business_id == x)
                .order_by(RegistrationRequest.id)
            ).all()
            db.session.remove()
        (older, older_state), (second, second_state) = pending
        assert {older_state, second_state} <= {"new", "incomplete", "ready"}
        _poll(
            app,
            [
                _application("to-y@a", y, "Alfa", answers="old@a"),
                _application("new-x@c", x, "Gamma"),
            ],
        )
        with app.app_context():
            latest = db.session.scalars(
                select(RegistrationRequest).order_by(RegistrationRequest.id.desc())
            ).first()
            moved = db.session.get(RegistrationRequest, older)
            assert moved.business_id == y
            assert (latest.business_id, latest.state, latest.duplicate_of_id) == (
                x,
                "duplicate",
                second,
            )
            db.session.remove()
    finally:
        close_app(app)


def _mail_naming(message_id: str, subject: str, body: str) -> bytes:
    return (
        "From: Liisa Virtanen <liisa@testiyhdistys.example.org>\n"
        "To: tekninentuki@kela.fi\n"
        f"Subject: {subject}\n"
        f"Message-ID: <{message_id}@testiyhdistys.example.org>\n"
        "Date: Mon, 1 Dec 2025 10:00:00 +0200\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"{body}\n"
    ).encode()


def test_a_reference_in_the_subject_finds_its_request_in_the_batch_and_before_it(
    fresh_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = utcnow().year
    first_poll = [
        _mail_naming(
            "apply",
            "Kelan ajanvarausjärjestelmän rekisteri",
            "Y-tunnus: 2331972-7\nOrganisaatio: Testiyhdistys ry\nYhteyshenkilö: Liisa Virtanen",
        ),
        # The request above is the first: new in the same batch, numbered when it is settled.
        _mail_naming(
            "reason",
            f"Täydennys hakemukseen RA-{year}-000001",
            "Perustelu: ohjaamme asiakkaitamme Kelan puhelinpalveluun.",
        ),
        _mail_naming(  # a number no request has yet
            "unknown",
            f"Täydennys hakemukseen RA-{year}-000099",
            "Perustelu: velkaneuvonnan asiakkaiden ajanvaraukset.",
        ),
    ]
    second_poll = [
        _mail_naming(  # a request stored by the first poll
            "phone",
            f"Re: RA-{year}-000001",
            "Puhelin: 040 123 4567",
        ),
        _mail_naming(  # a number below the stored ones, of another year: no such request
            "old",
            "Re: RA-1999-000001",
            "Puhelin: 040 765 4321",
        ),
    ]

    def run(app: Flask) -> dict[str, list[tuple]]:
        try:
            _poll(app, first_poll)
            box = Path(app.config["REGISTRY_SETTINGS"].mailbox.maildir)
            for i, raw in enumerate(second_poll):
                (box / "new" / f"second-{i}.mail").write_bytes(raw)
            with app.app_context():
                pipeline.poll_mailbox_once(
                    db.session(), MaildirSource(box), max_message_bytes=25 * 1024 * 1024
                )
                db.session.remove()
            return _state(app)
        finally:
            close_app(app)

    expected = run(_app(tmp_path / "a", fresh_db()))
    messages = {m[7].split("@")[0][1:]: m for m in expected["messages"]}
    assert (messages["reason"][2], messages["reason"][3]) == ("followup", 1)
    assert messages["reason"][5] == ["justification"]
    assert (messages["phone"][2], messages["phone"][3]) == ("followup", 1)
    for unknown in ("unknown", "old"):  # a lone item with no request to complete: set aside
        assert messages[unknown][2:4] == ("other", None)
    with monkeypatch.context() as patch:
        _one_by_one(patch)
        assert run(_app(tmp_path / "b", fresh_db())) == expected


def test_a_followups_own_sentence_does_not_replace_the_reason_given(
    fresh_db, tmp_path: Path
) -> None:
    apply = _mail_naming(
        "apply2",
        "Kelan ajanvarausjärjestelmän rekisteri",
        "Y-tunnus: 2331972-8\nOrganisaatio: Testiyhdistys ry\n"
        "Perustelut: Ohjaamme asiakkaitamme Kelan puhelinpalveluun.\n"
        "Yhteyshenkilö: Liisa Virtanen\nPuhelin: 040 123 4567",
    )
    correct = _mail_naming(
        "correct2",
        "Re: Kelan ajanvarausjärjestelmän rekisteri",
        "Hei,\n\npahoittelut, Y-tunnukseen oli tullut viimeinen numero väärin. "
        "Korjattu Y-tunnus on 2331972-7.\n\nLiisa",
    ).replace(b"Date:", b"In-Reply-To: <apply2@testiyhdistys.example.org>\nDate:")
    app = _app(tmp_path, fresh_db())
    try:
        _poll(app, [apply, correct])
        (request,) = _state(app)["requests"]
    finally:
        close_app(app)
    assert request[3:5] == ("2331972-7", True)
    assert request[6] == "Ohjaamme asiakkaitamme Kelan puhelinpalveluun."
