"""Time the review queue page (GET /requests) in-process with 100,000 stored requests.

Builds a throw-away database (a SQLite file by default; `--database-url` names a PostgreSQL
server, on which a database of its own is created and dropped), bulk-loads requests and their
messages in realistic states with plain SQL, signs in a viewer, and times each variant of the
queue page through Flask's test client: the default tab, a filtered tab, searches by Business
ID, organization and sender, and a late page. Prints median and p95 per variant and a verdict
against the goal; the JSON goes to bench/results/queue-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dataset import check_digit
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from registry_admin import create_app
from registry_admin.db import db, transaction
from registry_admin.intake.models import MailMessage, RegistrationRequest
from registry_admin.review.accounts import create_user

RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOAL_MS = 50.0
PASSWORD = "a long enough bench password"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
# Share of each request state among stored requests: most were decided long ago; pending ones
# are among the newest, with a few old stragglers.
STATES = {
    "approved": 0.70,
    "rejected": 0.07,
    "not_request": 0.09,
    "duplicate": 0.03,
    "already_registered": 0.03,
    "ready": 0.04,
    "incomplete": 0.03,
    "new": 0.01,
}
WORDS = [
    "Helsingin",
    "Espoon",
    "Tampereen",
    "Oulun",
    "Turun",
    "Vaasan",
    "Kuopion",
    "Lahden",
    "Porin",
    "Joensuun",
    "Seinäjoen",
    "Kotkan",
    "Rovaniemen",
    "Kajaanin",
    "Porvoon",
    "Hyvinkään",
    "Raision",
    "Lohjan",
    "Salon",
    "Kouvolan",
]
KINDS = (
    "Diakonia",
    "Velkaneuvonta",
    "Nuorisotyö",
    "Mielenterveys",
    "Omaishoitajat",
    "Kriisikeskus",
)
FORMS = ("ry", "säätiö sr", "Oy", "osuuskunta")


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def valid_business_id(n: int) -> str:
    """A distinct valid Business ID for each n."""
    base = 1_000_000 + n * 7
    while (check := check_digit(base)) is None:
        base += 1
    return f"{base:07d}-{check}"


def _rows(count: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(seed)
    pending = {s: w for s, w in STATES.items() if s in ("new", "incomplete", "ready")}
    decided = {s: w for s, w in STATES.items() if s not in pending}
    recent = int(count * sum(pending.values()) * 1.25)
    states = rng.choices(list(decided), weights=list(decided.values()), k=count - recent)
    states += [
        rng.choices(list(pending), weights=list(pending.values()))[0]
        if rng.random() < 0.8
        else rng.choices(list(decided), weights=list(decided.values()))[0]
        for _ in range(recent)
    ]
    for i in rng.sample(range(count - recent), 50):
        states[i] = "incomplete"
    start = datetime(2023, 1, 2, 7, 0, tzinfo=UTC)
    step = timedelta(days=3 * 365) / count
    requests, messages = [], []
    for i in range(count):
        rid = i + 1
        state = states[i]
        created = start + step * i
        org = f"{rng.choice(WORDS)} {rng.choice(KINDS).lower()} {rng.choice(FORMS)}"
        local = f"hakija{i}"
        domain = f"org{i % 9000}.example.fi"
        bid = valid_business_id(i)
        missing = ["contact_name"] if state == "incomplete" else []
        requests.append(
            {
                "id": rid,
                "reference": f"RA-{created.year}-{rid:06d}",
                "state": state,
                "business_id": bid,
                "business_id_valid": True,
                "business_id_as_written": bid,
                "organization_name": org,
                "justification": "Asiakkaidemme ajanvaraus Kelan puhelinpalveluun " * 2,
                "contact_name": None if missing else f"Hakija {i}",
                "contact_email": f"{local}@{domain}",
                "contact_phone": "040 123 4567",
                "language": rng.choice(("fi", "fi", "fi", "sv", "en")),
                "missing": missing,
                "evidence": {"business_id": {"message": rid, "start": 10, "end": 19}},
                "applicant_address": f"Hakija {i} <{local}@{domain}>",
                "created_at": created,
                "updated_at": created,
                "decided_at": created + timedelta(days=2) if state in STATES else None,
                "decided_by": "user:bench" if state in ("approved", "rejected") else None,
                "decided_reason": "Ei perusteita." if state == "rejected" else None,
            }
        )
        raw = (
            f"From: Hakija {i} <{local}@{domain}>\r\nTo: tekninentuki@kela.fi\r\n"
            f"Subject: Kelan ajanvarausjärjestelmän rekisteri\r\n"
            f"Message-ID: <{rid}@{domain}>\r\n\r\nY-tunnus: {bid}\r\nOrganisaatio: {org}\r\n"
        ).encode()
        messages.append(
            {
                "id": rid,
                "source": "maildir:/bench",
                "folder": "INBOX",
                "source_key": f"m{rid}",
                "message_id": f"<{rid}@{domain}>",
                "sha256": f"{rid:064x}",
                "size": len(raw),
                "raw": raw,
                "received_at": created,
                "state": "parsed",
                "kind": "request",
                "request_id": rid,
                "processed_at": created,
                "moved_at": created,
                "auth_failed": False,
                "reprocessed_count": 0,
                "error": None,
                "parsed": None,
            }
        )
    # Mail without a request: quarantined messages and removals, a few hundred of each.
    for j in range(600):
        mid = count + j + 1
        created = start + timedelta(days=3 * 365) * j / 600
        messages.append(
            {
                "id": mid,
                "source": "maildir:/bench",
                "folder": "INBOX",
                "source_key": f"m{mid}",
                "message_id": f"<{mid}@bench.example.fi>",
                "sha256": f"{mid:064x}",
                "size": 40,
                "raw": b"Subject: ?\r\n\r\n\xff\xfe broken",
                "received_at": created,
                "state": "quarantined" if j % 2 else "parsed",
                "kind": None if j % 2 else "removal",
                "error": "IntakeError: no readable text part" if j % 2 else None,
                "parsed": None
                if j % 2
                else {"business_id": valid_business_id(j), "organization_name": "Poistuva ry"},
                "processed_at": created,
                "moved_at": created,
                "request_id": None,
                "auth_failed": False,
                "reprocessed_count": 0,
            }
        )
    return requests, messages


def load(count: int, seed: int) -> dict[str, Any]:
    """Bulk-insert the requests and messages; returns what the variants need to ask for."""
    requests, messages = _rows(count, seed)
    started = time.perf_counter()
    with transaction() as session:
        for table, rows in (
            (RegistrationRequest.__table__, requests),
            (MailMessage.__table__, messages),
        ):
            for first in range(0, len(rows), 5000):
                session.execute(insert(table), rows[first : first + 5000])
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            for table in ("registration_requests", "mail_messages"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            connection.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    seconds = time.perf_counter() - started
    approved = [r for r in requests if r["state"] == "approved"]
    pending = [r for r in requests if r["state"] in ("new", "incomplete", "ready")]
    target = approved[len(approved) // 3]
    return {
        "insert_seconds": round(seconds, 1),
        "states": {s: sum(1 for r in requests if r["state"] == s) for s in STATES},
        "approved_bid": target["business_id"],
        "approved_org": target["organization_name"].split()[0],
        "approved_sender": target["contact_email"],
        "pending_bid": pending[len(pending) // 2]["business_id"],
        "late_after": approved[int(len(approved) * 0.9)]["id"],
    }


def variants(facts: dict[str, Any]) -> dict[str, str]:
    bid = facts["approved_bid"]
    return {
        "default tab (pending)": "/requests",
        "filtered tab (approved)": "/requests?state=approved",
        "Business ID, pending": f"/requests?q={facts['pending_bid']}",
        "Business ID, approved": f"/requests?state=approved&q={bid}",
        "Business ID prefix": f"/requests?state=approved&q={bid[:5]}",
        "organization, approved": f"/requests?state=approved&q={facts['approved_org']}",
        "sender, approved": f"/requests?state=approved&q={facts['approved_sender']}",
        "no match, approved": "/requests?state=approved&q=Olematon%20yhdistys",
        "late page (approved)": f"/requests?state=approved&after={facts['late_after']}",
        "quarantined tab": "/requests?state=quarantined",
    }


def _sign_in(app: Any) -> Any:
    with app.app_context(), transaction() as session:
        create_user(session, "bench", role="viewer", password=PASSWORD, actor="bench")
    client = app.test_client()
    token = CSRF.search(client.get("/login").text)
    assert token, "no CSRF token on /login"
    response = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.status_code
    return client


def time_variants(client: Any, paths: dict[str, str], repeat: int) -> dict[str, dict]:
    results = {}
    for name, path in paths.items():
        for _ in range(3):  # warm the caches and the template
            assert client.get(path).status_code == 200, path
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        # Table rows less the header, and less the "nothing here" row of an empty tab.
        rows = response.text.count("<tr>") - 1 - response.text.count('<td colspan="')
        samples.sort()
        results[name] = {
            "path": path,
            "rows": rows,
            "median_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
            "max_ms": round(samples[-1], 2),
        }
        _log(f"{name}: median {results[name]['median_ms']} ms, p95 {results[name]['p95_ms']} ms")
    return results


def _postgres_database(server_url: str) -> tuple[str, Any]:
    """A database of our own on the named server; returns its URL and a function dropping it."""
    url = make_url(server_url)
    name = f"registry_admin_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def run(database_url: str | None, count: int, repeat: int, workdir: Path) -> dict[str, Any]:
    from flask_migrate import upgrade

    drop = None
    if database_url:
        url, drop = _postgres_database(database_url)
    else:
        url = f"sqlite:///{workdir / 'queue.db'}"
    app = create_app(
        {
            "app": {"secret_key": "bench-secret", "instance_dir": str(workdir / "instance")},
            "database": {"url": url},
            "mailbox": {"maildir": str(workdir / "inbox")},
            "smtp": {"directory": str(workdir / "outbox")},
            "scheduler": {"enabled": False},
        }
    )
    try:
        with app.app_context():
            upgrade()
            _log(f"loading {count} requests into {db.engine.dialect.name}")
            facts = load(count, seed=20261129)
            stored = db.session.scalar(select(db.func.count()).select_from(RegistrationRequest))
            _log(f"loaded {stored} requests in {facts['insert_seconds']} s")
            dialect = db.engine.dialect.name
        client = _sign_in(app)
        results = time_variants(client, variants(facts), repeat)
    finally:
        app.extensions["disclosure_log"].stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if drop is not None:
            drop()
    return {"database": dialect, "requests": count, "repeat": repeat, **facts, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql+psycopg://host/db); a database of its own is made",
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as tmp:
        report = run(args.database_url, args.requests, args.repeat, Path(tmp))
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            report["loadavg_1min"] = float(f.read().split()[0])
    except OSError:
        pass
    worst = max(r["p95_ms"] for r in report["results"].values())
    report["goal_ms"] = GOAL_MS
    report["verdict"] = "pass" if worst <= GOAL_MS else "fail"
    print(f"queue page, {report['database']}, {report['requests']} requests, {args.repeat} runs")
    print(f"{'variant':<26} {'rows':>4} {'median ms':>10} {'p95 ms':>8}")
    for name, r in report["results"].items():
        print(f"{name:<26} {r['rows']:>4} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f}")
    print(
        f"goal: every variant's p95 <= {GOAL_MS:.0f} ms: {report['verdict'].upper()}"
        f" (worst p95 {worst:.1f} ms, load {report.get('loadavg_1min', '?')})"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"queue-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
