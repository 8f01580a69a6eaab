"""Benchmark the mailbox intake against a bare imapclient batch fetch, on a real Dovecot.

`.venv/bin/python bench/intake.py [--messages 5000] [--small 1000] [--bare-rounds 3] [--keep]`

It starts a throw-away Dovecot on loopback from tests/intake/dovecot/dovecot.conf.in (the test
fixtures' own start logic, imported from tests/intake/imap_support.py), then, for a small and the
main mailbox size, APPENDs that many corpus-like messages to a fresh mailbox (a cycle through
tests/fixtures/corpus/*.eml and tests/fixtures/unseen*/*.eml, each with a unique Message-ID) and
measures, each in a fresh subprocess so that its peak RSS (VmHWM) is its own:

- bare: the baseline. IMAPClient connect, LOGIN, SELECT (read-only), UID SEARCH NOT DELETED,
  UID FETCH BODY.PEEK[] in batches of 100, LOGOUT; the bytes are counted and dropped. Run
  `--bare-rounds` times (two before the intake runs, the rest after); the median is used.
- durable: `registry_admin.intake.jobs.run_poll(app, parse=False)` (the poll of `poll --once`
  without its parse step) against a fresh SQLite database migrated with
  `registry-admin --config <toml> db upgrade`: lock, list, fetch, SHA-256, store raw, commit,
  move, watermark. The messages stay `stored` in that database, which is then thrown away.
- full: the same poll unchanged (parse, classify, extract, queue, receipts), on another fresh
  database. For a mailbox this size the poll parses in worker processes (as many as the cores).
  The pipeline's own step hook (`after_fetch`, `after_store`, `after_commit`, `before_move`,
  `after_move`) times its stages; the full run minus its `after_store -> after_commit`
  intervals (waiting for a batch's parse, queueing it, committing) gives a second figure for
  the durable ingest.

Between the intake runs the mailbox is refilled by moving every message back from Processed to
INBOX (same bytes, new UIDs; every run has a fresh ledger, so nothing counts as a duplicate).

Reported: seconds and messages/s per run, the ratios durable/bare and full/bare at the main
size, the peak RSS of every run at both sizes during the measured work only (VmHWM reset through
/proc/self/clear_refs once imports and app setup are done; also given above the RSS at that
point), the largest peak RSS of a parser worker (getrusage of the children), the load average
before and after, and the goals' verdicts: durable ingest <= 2x bare, full intake <= 10x bare,
memory flat (the full intake's peak RSS at the main size within MEMORY_FLAT_LIMIT of the small
size's, for the poll's process and for its largest worker alike). JSON goes to
bench/results/intake-<UTC time>.json (git-ignored).

With INTAKE_BENCH_PROFILE=<dir> set, each poll run writes a cProfile of the poll's own thread
to <dir>/intake-<mode>-<N>.prof (the fetch and move threads are not in it; expect the run to be
slower under the profiler).

Limits: one run per intake mode and size (the machine is shared; expect +-20-40 %: repeat and
take medians); the SQLite database sits on the local disk; peak RSS is the child's VmHWM from
/proc/self/status (Linux), not ru_maxrss, which on Linux keeps the parent's high-water mark
across fork and exec; a worker's RSS counts the pages it shares with the poll's process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
FIXTURES = ROOT / "tests" / "fixtures"
REGISTRY_ADMIN = Path(sys.executable).parent / "registry-admin"

BARE_BATCH = 100
DURABLE_GOAL = 2.0
FULL_GOAL = 10.0
MEMORY_FLAT_LIMIT = 1.10  # peak RSS at the main size / at the small size

_MESSAGE_ID = re.compile(rb"(?im)^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*")


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _peak_rss_kib() -> int:
    # VmHWM belongs to the address space, which execve replaces; ru_maxrss would carry the
    # parent's high-water mark over from the fork.
    return _status_kib("VmHWM")


def _rss_kib() -> int:
    return _status_kib("VmRSS")


def _reset_peak() -> int:
    """Reset VmHWM to the current RSS (Linux 4.0+: clear_refs 5); returns the peak before it."""
    before = _peak_rss_kib()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        pass  # then the peak below includes the imports
    return before


# --- the corpus ----------------------------------------------------------------------------------


def corpus_messages() -> list[bytes]:
    paths = sorted(FIXTURES.glob("corpus/*.eml")) + sorted(FIXTURES.glob("unseen*/*.eml"))
    if not paths:
        raise SystemExit(f"bench: no .eml files under {FIXTURES}")
    return [p.read_bytes() for p in paths]


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """`raw` with its Message-ID header replaced (or added) in the header block."""
    crlf = b"\r\n" in raw[:2000]
    split = raw.find(b"\r\n\r\n" if crlf else b"\n\n")
    head, body = (raw, b"") if split < 0 else (raw[:split], raw[split:])
    head = head.replace(b"\r\n", b"\n") + b"\n"
    head = _MESSAGE_ID.sub(b"", head)
    head = f"Message-ID: <{message_id}>\n".encode("ascii") + head
    head = head[:-1]
    if crlf:
        head = head.replace(b"\n", b"\r\n")
    return head + body


def fill(client: Any, count: int, templates: list[bytes], tag: str) -> int:
    """APPEND `count` messages to INBOX (MULTIAPPEND in chunks); returns the bytes appended."""
    total = 0
    chunk: list[bytes] = []
    for i in range(count):
        raw = with_message_id(templates[i % len(templates)], f"bench-{tag}-{i:06d}@bench.invalid")
        total += len(raw)
        chunk.append(raw)
        if len(chunk) == 200 or i == count - 1:
            client.multiappend("INBOX", chunk)
            chunk = []
    return total


def refill(client: Any) -> int:
    """Move every message back from Processed to INBOX; returns how many."""
    if not client.folder_exists("Processed"):
        return 0
    client.select_folder("Processed")
    uids = client.search(["ALL"])
    if uids:
        client.move(uids, "INBOX")
    client.close_folder()
    return len(uids)


# --- the measured work, in a child process -------------------------------------------------------


def child_bare(spec: dict[str, Any]) -> dict[str, Any]:
    from imapclient import IMAPClient

    setup_peak = _reset_peak()
    baseline = _rss_kib()
    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=spec["port"], ssl=False, timeout=60)
    client.login(spec["username"], spec["password"])
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["NOT", "DELETED"]))
    fetched = octets = 0
    for start in range(0, len(uids), BARE_BATCH):
        data = client.fetch(uids[start : start + BARE_BATCH], ["BODY.PEEK[]"])
        for item in data.values():
            octets += len(item[b"BODY[]"])
            fetched += 1
        del data
    client.logout()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "messages": fetched,
        "bytes": octets,
        "setup_peak_rss_kib": setup_peak,
        "rss_before_kib": baseline,
        "peak_rss_kib": _peak_rss_kib(),
    }


class StageClock:
    """The pipeline's step hook: the time between consecutive steps, summed per transition."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.previous = "start"
        self.last = time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        key = f"{self.previous}->{step}"
        self.totals[key] += now - self.last
        self.counts[key] += 1
        self.previous, self.last = step, now


def child_poll(spec: dict[str, Any]) -> dict[str, Any]:
    import logging

    logging.basicConfig(level=logging.ERROR)
    from sqlalchemy import text

    from registry_admin import create_app
    from registry_admin.db import db
    from registry_admin.intake import classify, extract, parse  # noqa: F401
    from registry_admin.intake.jobs import run_poll

    app = create_app(config_path=spec["config"])
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # open the engine before the clock starts
        db.session.rollback()
        setup_peak = _reset_peak()
        baseline = _rss_kib()
        clock = StageClock()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        clock.last = started
        profile_dir = os.environ.get("INTAKE_BENCH_PROFILE")
        if profile_dir:  # the poll's own thread only; fetch and move run in threads of their own
            import cProfile

            profiler = cProfile.Profile()
            report = profiler.runcall(run_poll, app, hook=clock, parse=spec["mode"] == "full")
            profiler.dump_stats(f"{profile_dir}/intake-{spec['mode']}-{spec.get('count', 0)}.prof")
        else:
            report = run_poll(app, hook=clock, parse=spec["mode"] == "full")
        seconds = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        clock("end")
        db.session.remove()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = children.ru_maxrss  # KiB, largest child
    return {
        "seconds": seconds,
        "worker_peak_rss_kib": workers,
        # CPU seconds: the poll's process (all its threads) during the poll, and its parser
        # processes (they end with the poll; no other child runs in it).
        "cpu_seconds": {
            "poll": round(
                cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime,
                3,
            ),
            "parsers": round(children.ru_utime + children.ru_stime, 3),
        },
        "summary": report.summary(),
        "messages": report.new,
        "moved": report.moved,
        "quarantined": report.quarantined,
        "stages": {k: round(v, 4) for k, v in clock.totals.items()},
        "stage_counts": dict(clock.counts),
        "setup_peak_rss_kib": setup_peak,
        "rss_before_kib": baseline,
        "peak_rss_kib": _peak_rss_kib(),
    }


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        cwd=spec.get("cwd"),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {spec['mode']} run failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the parent ----------------------------------------------------------------------------------


def write_config(workdir: Path, port: int, username: str, password: str) -> Path:
    config = workdir / "config.toml"
    config.write_text(
        "\n".join(
            [
                "[app]",
                'secret_key = "bench-secret-key-not-for-production"',
                f'instance_dir = "{workdir / "instance"}"',
                'log_level = "ERROR"',
                "",
                "[database]",
                f'url = "sqlite:///{workdir / "registry.db"}"',
                "",
                "[mailbox]",
                'source = "imap"',
                'host = "127.0.0.1"',
                f"port = {port}",
                'security = "plain"',
                f'username = "{username}"',
                f'password = "{password}"',
                "timeout_seconds = 120",
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
    done = subprocess.run(
        [str(REGISTRY_ADMIN), "--config", str(config), "db", "upgrade"],
        capture_output=True,
        text=True,
        check=False,
        cwd=workdir,
    )
    if done.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{done.stderr}")
    return config


def bench_size(
    count: int, server: Any, templates: list[bytes], args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    from imapclient import IMAPClient

    username, password = server.take_user()
    port = server.port_plain
    admin = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    admin.login(username, password)
    started = time.perf_counter()
    octets = fill(admin, count, templates, f"{count}-{username}")
    _log(
        f"N={count:,}: appended {count:,} messages ({octets / 1e6:.1f} MB) to {username} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    base = {"port": port, "username": username, "password": password}

    def bare(label: str) -> dict[str, Any]:
        result = run_child({**base, "mode": "bare"})
        if result["messages"] != count:
            raise RuntimeError(f"bare fetch saw {result['messages']} messages, not {count}")
        _log(
            f"N={count:,}: bare fetch ({label}) {result['seconds']:.3f} s, "
            f"peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB"
        )
        return result

    bares = [bare("before") for _ in range(min(2, args.bare_rounds))]
    runs: dict[str, Any] = {}
    for mode in ("durable", "full"):
        workdir = Path(tempfile.mkdtemp(prefix=f"intake-bench-{mode}-{count}-", dir=scratch))
        config = write_config(workdir, port, username, password)
        result = run_child(
            {**base, "mode": mode, "count": count, "config": str(config), "cwd": str(workdir)}
        )
        if result["moved"] != count:
            raise RuntimeError(f"the {mode} poll moved {result['moved']} of {count}: {result}")
        cpu = result["cpu_seconds"]
        _log(
            f"N={count:,}: {mode} poll {result['seconds']:.2f} s "
            f"({count / result['seconds']:.0f} msg/s; CPU s: poll {cpu['poll']:.2f}, parsers "
            f"{cpu['parsers']:.2f}), peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB; "
            f"{result['summary']}"
        )
        runs[mode] = result
        moved = refill(admin)
        if moved != count:
            raise RuntimeError(f"refill moved {moved} messages back, not {count}")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    bares += [bare("after") for _ in range(max(0, args.bare_rounds - 2))]
    admin.logout()

    bare_seconds = statistics.median(b["seconds"] for b in bares)
    full = runs["full"]
    parse_queue = full["stages"].get("after_store->after_commit", 0.0)
    return {
        "messages": count,
        "bytes": octets,
        "bare": {
            "rounds": bares,
            "median_seconds": bare_seconds,
            "peak_rss_kib": max(b["peak_rss_kib"] for b in bares),
            "rss_before_kib": min(b["rss_before_kib"] for b in bares),
        },
        "durable": runs["durable"],
        "full": full,
        "full_parse_queue_seconds": parse_queue,
        "durable_from_full_stages_seconds": full["seconds"] - parse_queue,
        "ratio": {
            "durable": runs["durable"]["seconds"] / bare_seconds,
            "durable_from_full_stages": (full["seconds"] - parse_queue) / bare_seconds,
            "full": full["seconds"] / bare_seconds,
            "full_peak_rss_vs_bare": full["peak_rss_kib"] / max(b["peak_rss_kib"] for b in bares),
        },
    }


def verdicts(small: dict[str, Any], main: dict[str, Any]) -> list[dict[str, Any]]:
    r = main["ratio"]
    n = f"N={main['messages']:,}"
    goals = [
        {
            "goal": f"durable ingest <= {DURABLE_GOAL:g}x bare fetch",
            "holds": r["durable"] <= DURABLE_GOAL,
            "detail": f"{n}: {r['durable']:.2f}x ({main['durable']['seconds']:.2f} s / "
            f"{main['bare']['median_seconds']:.3f} s); from the full run's stages "
            f"{r['durable_from_full_stages']:.2f}x",
        },
        {
            "goal": f"full intake <= {FULL_GOAL:g}x bare fetch",
            "holds": r["full"] <= FULL_GOAL,
            "detail": f"{n}: {r['full']:.2f}x ({main['full']['seconds']:.2f} s / "
            f"{main['bare']['median_seconds']:.3f} s)",
        },
    ]
    growth = {
        mode: main[mode]["peak_rss_kib"] / small[mode]["peak_rss_kib"]
        for mode in ("bare", "durable", "full")
    }
    above = {
        mode: (
            small[mode]["peak_rss_kib"] - small[mode]["rss_before_kib"],
            main[mode]["peak_rss_kib"] - main[mode]["rss_before_kib"],
        )
        for mode in ("bare", "durable", "full")
    }
    worker_growth = main["full"]["worker_peak_rss_kib"] / max(
        1, small["full"]["worker_peak_rss_kib"]
    )
    goals.append(
        {
            "goal": f"memory flat: full intake peak RSS at N={main['messages']:,} within "
            f"{MEMORY_FLAT_LIMIT:g}x of N={small['messages']:,} (poll process and largest worker)",
            "holds": growth["full"] <= MEMORY_FLAT_LIMIT and worker_growth <= MEMORY_FLAT_LIMIT,
            "detail": "; ".join(
                f"{mode} {small[mode]['peak_rss_kib'] / 1024:.1f} -> "
                f"{main[mode]['peak_rss_kib'] / 1024:.1f} MiB ({growth[mode]:.2f}x; above "
                f"start {above[mode][0] / 1024:.1f} -> {above[mode][1] / 1024:.1f} MiB)"
                for mode in ("bare", "durable", "full")
            )
            + f"; largest parser worker {small['full']['worker_peak_rss_kib'] / 1024:.1f} -> "
            f"{main['full']['worker_peak_rss_kib'] / 1024:.1f} MiB ({worker_growth:.2f}x)"
            + f"; full/bare peak RSS at N={main['messages']:,}: {r['full_peak_rss_vs_bare']:.2f}x",
        }
    )
    return goals


STAGE_NAMES = {
    "start->after_fetch": "lock, open, list, first fetch",
    "after_fetch->after_store": "hash, headers, store + commit of a batch",
    "after_store->after_fetch": "(first batch: nothing to finish yet)",
    "after_store->after_commit": "wait for the previous batch's parse, queue + commit",
    "after_commit->before_move": "",
    "before_move->after_move": "hand the batch to the mover, moves done",
    "before_move->after_fetch": "wait for the next fetched batch",
    "after_move->after_fetch": "wait for the next fetched batch",
    "after_move->after_move": "",
    "after_move->end": "wait for the last moves, close, unlock, job status",
    "before_move->end": "wait for the last moves, close, unlock, job status",
}


def print_report(sizes: list[dict[str, Any]], goals: list[dict[str, Any]]) -> None:
    print()
    print("Mailbox intake vs bare imapclient fetch (UID FETCH BODY.PEEK[] x100), real Dovecot")
    header = (
        f"{'N':>7} | {'bare s':>7} | {'durable s':>9} {'ratio':>6} | {'full s':>7} {'ratio':>6} "
        f"{'msg/s':>6} | {'durable*':>8} | peak RSS MiB bare / durable / full"
    )
    print(header)
    print("-" * len(header))
    for s in sizes:
        r = s["ratio"]
        print(
            f"{s['messages']:>7,} | {s['bare']['median_seconds']:>7.3f} | "
            f"{s['durable']['seconds']:>9.2f} {r['durable']:>5.1f}x | {s['full']['seconds']:>7.2f} "
            f"{r['full']:>5.1f}x {s['messages'] / s['full']['seconds']:>6.0f} | "
            f"{r['durable_from_full_stages']:>7.1f}x | "
            f"{s['bare']['peak_rss_kib'] / 1024:.1f} / {s['durable']['peak_rss_kib'] / 1024:.1f}"
            f" / {s['full']['peak_rss_kib'] / 1024:.1f}"
        )
    print("durable* = full run minus its parse-wait+queue stage (after_store -> after_commit)")
    main = sizes[-1]
    for mode in ("durable", "full"):
        print(f"\nStages of the {mode} poll at N={main['messages']:,} (s):")
        for key, seconds in sorted(main[mode]["stages"].items(), key=lambda kv: -kv[1]):
            print(f"  {seconds:8.3f}  {key:28} {STAGE_NAMES.get(key, '')}")
    print()
    for goal in goals:
        state = {True: "HOLDS", False: "FAILS", None: "N/A  "}[goal["holds"]]
        print(f"{state}  {goal['goal']}: {goal['detail']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000, help="main mailbox size (5000)")
    parser.add_argument("--small", type=int, default=1000, help="size for the memory comparison")
    parser.add_argument("--bare-rounds", type=int, default=3, help="bare fetches per size (3)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs and Dovecot")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = child_bare(spec) if spec["mode"] == "bare" else child_poll(spec)
        print(json.dumps(result))
        return 0
    if args.messages < 2 or args.bare_rounds < 1:
        parser.error("--messages must be at least 2 and --bare-rounds at least 1")
    small = args.small if args.small < args.messages else max(1, args.messages // 5)

    sys.path[:0] = [str(ROOT / "tests" / "intake"), str(ROOT / "tests")]
    from imap_support import DOVECOT, check_login, start_dovecot

    if not os.path.exists(DOVECOT):
        print("bench: Dovecot is not installed (apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    started_at = datetime.now(UTC)
    load_before = os.getloadavg()
    clock = time.perf_counter()
    templates = corpus_messages()
    scratch = Path(tempfile.mkdtemp(prefix="registry-intake-bench-", dir="/tmp"))
    os.chmod(scratch, 0o755)
    dovecot_root = scratch / "dovecot"
    dovecot_root.mkdir(mode=0o755)
    server = None
    try:
        server = start_dovecot(dovecot_root)
        check_login(server)
        _log(f"Dovecot up on 127.0.0.1:{server.port_plain} ({dovecot_root})")
        sizes = [bench_size(n, server, templates, args, scratch) for n in (small, args.messages)]
    finally:
        if server is not None:
            subprocess.run(
                ["doveadm", "-c", str(dovecot_root / "dovecot.conf"), "stop"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=False,
            )
        if args.keep:
            _log(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    load_after = os.getloadavg()
    goals = verdicts(sizes[0], sizes[1])
    print_report(sizes, goals)
    print(
        "\nload average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"intake-{started_at:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "elapsed_seconds": round(time.perf_counter() - clock, 1),
        "settings": {
            "messages": args.messages,
            "small": small,
            "bare_rounds": args.bare_rounds,
            "bare_batch": BARE_BATCH,
            "templates": len(templates),
        },
        "machine": {
            "load_before": load_before,
            "load_after": load_after,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": sizes,
        "goals": goals,
    }
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {output} ({document['elapsed_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
