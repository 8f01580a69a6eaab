"""Sample live gunicorn workers with py-spy during wrk runs and split their time per request."""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dataset
import server
import wrkbench

PY_SPY = Path(sys.executable).parent / "py-spy"
RATE = 200  # samples per second per worker

# (label, regular expression on the stack); a sample counts for every label it matches.
PARTS = [
    ("all sampled worker time", ""),
    ("  gunicorn: parse request", re.escape("Parser.__next__")),
    ("  gunicorn: environ (create)", r";create \(gunicorn/http/wsgi\.py"),
    ("  gunicorn: send headers", re.escape("Response.send_headers")),
    ("    of which the send syscall", r"Response\.send_headers \([^)]*\);write \("),
    ("  gunicorn: send body", re.escape("Response._emit_body")),
    ("  lookup fast path (before Flask)", re.escape("LookupFastPath._answer")),
    ("  Flask app (Flask.wsgi_app)", re.escape("Flask.wsgi_app")),
    ("    request context push (session open)", re.escape("RequestContext.push")),
    ("    preprocess_request (CSRF, hooks)", re.escape("Flask.preprocess_request")),
    ("      api _authenticate (hook)", re.escape("_authenticate (registry_admin")),
    ("      bearer check (client_id_of)", re.escape("client_id_of (registry_admin")),
    ("    the view", re.escape("Flask.dispatch_request")),
    ("      businessid.normalize", re.escape("normalize (registry_admin/businessid.py")),
    ("      disclosure_log.record", re.escape("DisclosureLog.record")),
    ("    process_response (after_request)", re.escape("Flask.process_response")),
    ("      security headers", re.escape("_security_headers")),
    ("    request context pop", re.escape("RequestContext.pop")),
    ("  disclosure writer thread (flush)", re.escape("DisclosureLog._run")),
    ("  registry view refresh", re.escape("RegistryView._refresh")),
]


_MARKERS = [(label, re.compile(marker)) for label, marker in PARTS]


def _samples(files: list[Path]) -> tuple[int, collections.Counter[str]]:
    total, counts = 0, collections.Counter[str]()
    for file in files:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not n.isdigit():
                continue
            total += int(n)
            for label, marker in _MARKERS:
                if marker.search(stack):
                    counts[label] += int(n)
    return total, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000, help="organizations in the registry")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--raw-dir", type=Path, help="copy py-spy's raw stacks here")
    args = parser.parse_args(argv)
    if not PY_SPY.exists():
        print(f"bench: needs py-spy in the virtualenv: {PY_SPY.parent}/pip install py-spy")
        return 2
    wrk = wrkbench.ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="registry-spy-"))
    gunicorn = server.Gunicorn(config=workdir / "config.toml", workdir=workdir)
    requests: dict[str, int] = {}
    files: dict[str, list[Path]] = {}
    try:
        registry = dataset.build(args.size, workdir)
        gunicorn.start()
        server.warm_up(gunicorn, registry.token, registry.id_list.read_text().split())
        pids = gunicorn.worker_pids()
        for mode in ("healthz", "lookup"):
            files[mode] = [workdir / f"spy-{mode}-{pid}.txt" for pid in pids]
            spies = [
                subprocess.Popen(
                    [
                        *(str(PY_SPY), "record", "--pid", str(pid)),
                        *("--duration", str(args.duration), "--rate", str(RATE)),
                        *("--nonblocking", "--format", "raw", "--output", str(out)),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for pid, out in zip(pids, files[mode], strict=True)
            ]
            time.sleep(0.5)
            result = wrkbench.run(
                wrk, gunicorn.base_url, mode, registry.token, registry.id_list,
                duration=args.duration,
            )  # fmt: skip
            for spy in spies:
                spy.wait(timeout=args.duration + 30)
            # py-spy samples a little longer than wrk runs: count what it saw per wrk request.
            requests[mode] = result.requests
            print(f"{mode}: {result.rps:.0f} req/s, p99 {result.p99_ms:.2f} ms", file=sys.stderr)
        seen = {mode: _samples(files[mode]) for mode in files}
        if args.raw_dir:
            args.raw_dir.mkdir(parents=True, exist_ok=True)
            for paths in files.values():
                for path in paths:
                    shutil.copy(path, args.raw_dir / path.name)
    finally:
        gunicorn.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\npy-spy on both gunicorn workers, {RATE} Hz, N={args.size:,}: us of sampled (on-CPU)")
    print(f"worker time per wrk request\n{'':46} {'healthz':>9} {'lookup':>9} {'diff':>8}")
    for label, _marker in PARTS:
        values = []
        for mode in ("healthz", "lookup"):
            total, counts = seen[mode]
            samples = total if label == PARTS[0][0] else counts[label]
            values.append(samples / RATE / max(requests[mode], 1) * 1e6)
        print(f"{label:46} {values[0]:9.1f} {values[1]:9.1f} {values[1] - values[0]:+8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
