"""Where a lookup's time goes versus /healthz: the app called as WSGI in-process, timed and profiled."""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import dataset
from werkzeug.test import EnvironBuilder


def _environs(paths: list[str], token: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1", "User-Agent": "wrk"}
    return [EnvironBuilder(path=p, headers=headers).get_environ() for p in paths]


def _call(app, environ: dict[str, Any]) -> int:  # type: ignore[no-untyped-def]
    status: list[str] = []

    def start_response(s: str, _headers: list, _exc=None) -> None:  # type: ignore[no-untyped-def]
        status.append(s)

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(b"")
    body = app(env, start_response)
    for _chunk in body:
        pass
    if hasattr(body, "close"):
        body.close()
    return int(status[0][:3])


def _batch_us(app, environs: list[dict[str, Any]], n: int) -> float:  # type: ignore[no-untyped-def]
    """Mean CPU microseconds of this process per request over `n` requests.

    CPU time, not wall time: other processes on a shared machine do not count.
    """
    started = time.process_time()
    for i in range(n):
        _call(app, environs[i % len(environs)])
    return (time.process_time() - started) / n * 1e6


def _micro(fn: Callable[[], Any], n: int = 20_000) -> float:
    samples = []
    for _ in range(7):
        started = time.process_time()
        for _ in range(n):
            fn()
        samples.append((time.process_time() - started) / n * 1e6)
    return min(samples)


class _NoDisclosures:
    def record(self, *_args: Any) -> None:
        pass


def _variants(app) -> list[tuple[str, Callable[[], Any]]]:  # type: ignore[no-untyped-def]
    """Parts of the lookup path to take out one after another (each patch on top of the last)."""
    from registry_admin import businessid
    from registry_admin.api import routes

    def canonical_already(text: str) -> str:
        # The benchmark sends canonical IDs only: the same answer, without regexes and stdnum.
        return text

    def fixed_client(_environ: dict[str, Any], _view: Any) -> int:
        return 1

    def constant_answer(_bid: str, _facts: Any, _tail: bytes) -> tuple[int, bytes, str]:
        return 200, b'{"status":"ok"}', '"etag"'

    return [
        ("lookup as is", lambda: mock.patch.dict({})),
        (
            "- disclosure_log.record()",
            lambda: mock.patch.dict(app.extensions, {"disclosure_log": _NoDisclosures()}),
        ),
        (
            "- businessid.normalize()",
            lambda: mock.patch.object(businessid, "normalize", canonical_already),
        ),
        (
            "- bearer authentication",
            lambda: mock.patch.object(routes, "client_id_of", fixed_client),
        ),
        (
            "- the answer (JSON, ETag)",
            lambda: mock.patch.object(routes, "encoded_answer", constant_answer),
        ),
    ]


def _ablation(app, lookups, healthz, rounds: int, n: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Minimum over `rounds` of each variant's CPU us per request, variants in random order.

    The disclosure log's writer thread is kept stopped; its buffer is flushed between batches,
    outside the timing, and that flush is timed per row on its own.
    """
    log = app.extensions["disclosure_log"]
    variants = _variants(app)
    samples: dict[str, list[float]] = {label: [] for label, _ in variants}
    samples["healthz"] = []
    flush_seconds, flushed_rows = 0.0, 0
    order = random.Random(7)
    for _ in range(rounds):
        for k in order.sample(range(len(variants) + 1), len(variants) + 1):
            if k == len(variants):
                samples["healthz"].append(_batch_us(app, healthz, n))
            else:
                patches = [make() for _label, make in variants[: k + 1]]
                for patch in patches:
                    patch.start()
                try:
                    samples[variants[k][0]].append(_batch_us(app, lookups, n))
                finally:
                    for patch in reversed(patches):
                        patch.stop()
            started = time.process_time()
            rows = log.flush()
            if rows:
                flush_seconds += time.process_time() - started
                flushed_rows += rows
    return {
        "per_request_us": {label: min(values) for label, values in samples.items()},
        "median_us": {label: statistics.median(values) for label, values in samples.items()},
        "flush_us_per_row": flush_seconds / flushed_rows * 1e6 if flushed_rows else float("nan"),
        "flushed_rows": flushed_rows,
    }


def _profile(app, environs: list[dict[str, Any]], n: int, top: int, sort: str) -> str:  # type: ignore[no-untyped-def]
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        _call(app, environs[i % len(environs)])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="organizations in the registry")
    parser.add_argument("--batch", type=int, default=2000, help="requests per timed batch")
    parser.add_argument("--rounds", type=int, default=15, help="timed batches per variant")
    parser.add_argument("--top", type=int, default=30, help="rows of each cProfile listing")
    parser.add_argument("--no-cprofile", action="store_true", help="skip the cProfile listings")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="registry-profile-"))
    try:
        registry = dataset.build(args.size, workdir)
        from registry_admin import businessid, create_app
        from registry_admin.api.routes import json_response

        app = create_app(config_path=str(registry.config))
        ids = registry.id_list.read_text(encoding="ascii").split()
        token = registry.token
        view = app.extensions["registry_view"]
        log = app.extensions["disclosure_log"]
        log._stopped = True  # its writer thread ends at once; flushes are made by hand below
        started = time.perf_counter()
        view.organization(ids[0])
        load_seconds = time.perf_counter() - started

        lookups = _environs([f"/api/v1/organizations/{bid}" for bid in ids[:2000]], token)
        healthz = _environs(["/healthz"] * 10, token)
        statuses = [_call(app, e) for e in lookups]
        log.flush()
        registered = [e for e, s in zip(lookups, statuses, strict=True) if s == 200][:500]
        unregistered = [e for e, s in zip(lookups, statuses, strict=True) if s == 404][:500]

        ablation = _ablation(app, lookups, healthz, args.rounds, args.batch)
        by_status = {}
        for label, environs in (("lookup 200 only", registered), ("lookup 404 only", unregistered)):
            by_status[label] = min(_batch_us(app, environs, args.batch) for _ in range(5))
            log.flush()
        # What the WSGI fast path (registry_admin/api/fast_lookup.py) saves: Flask's own view.
        with mock.patch.object(app, "wsgi_app", app.wsgi_app.wsgi_app):
            by_status["lookup through Flask (no fast path)"] = min(
                _batch_us(app, lookups, args.batch) for _ in range(5)
            )
            log.flush()

        facts = next(f for f in map(view.organization, ids) if f is not None)
        body = {
            "business_id": facts.business_id,
            "registered": True,
            "name": facts.name,
            "source": facts.source,
            "registered_at": facts.registered_at,
        }
        not_registered = {
            "business_id": "0201256-6",
            "registered": False,
            "message": app.extensions["not_registered_message"],
        }

        def etag(payload: dict[str, Any]) -> Callable[[], str]:
            def run() -> str:
                encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
                return hashlib.blake2b(encoded, digest_size=12).hexdigest()

            return run

        micro = [
            (
                "businessid.normalize('0201256-6')",
                _micro(lambda: businessid.normalize("0201256-6")),
            ),
            ("view.client_id(token) (sha256 + dict)", _micro(lambda: view.client_id(token))),
            ("view.organization(id) (dict)", _micro(lambda: view.organization(facts.business_id))),
            ("JSON + blake2b ETag, 200 body", _micro(etag(body))),
            ("JSON + blake2b ETag, 404 body (~1 KB message)", _micro(etag(not_registered))),
            ("json_response({'status': 'ok'})", _micro(lambda: json_response({"status": "ok"}))),
            ("disclosure_log.record()", _micro(lambda: log.record(1, "0201256-6", True))),
        ]
        log.flush()

        per = ablation["per_request_us"]
        base = per["healthz"]
        print(
            f"registry of {args.size:,} organizations (view loaded in {load_seconds:.3f} s); "
            f"the app called as WSGI in this process; CPU us per request, minimum of "
            f"{args.rounds} batches of {args.batch} (median in brackets)\n"
        )
        print("ablation: the lookup with parts taken out cumulatively")
        previous = None
        for label, us in per.items():
            med = ablation["median_us"][label]
            if label == "healthz":
                print(f"  {'/healthz':<44} {us:7.1f} us  [{med:6.1f}]")
                continue
            step = "" if previous is None else f"  part: {previous - us:5.1f} us"
            print(f"  {label:<44} {us:7.1f} us  [{med:6.1f}]  +{us - base:5.1f} over healthz{step}")
            previous = us
        flush = ablation["flush_us_per_row"]
        print(
            f"  {'+ disclosure log writer, per lookup':<44} {flush:7.1f} us  "
            f"(background thread in the same worker; {ablation['flushed_rows']:,} rows "
            f"in batches of ~{args.batch})"
        )
        total_extra = per["lookup as is"] - base + flush
        print(
            f"  => a lookup costs {per['lookup as is'] + flush:.1f} us of worker CPU vs "
            f"{base:.1f} us for /healthz: +{total_extra:.1f} us "
            f"({(per['lookup as is'] + flush) / base:.2f}x)"
        )
        for label, us in by_status.items():
            print(f"  {label:<44} {us:7.1f} us  (+{us - base:5.1f} over healthz, without flush)")
        print("\ncomponents alone (minimum of 7 runs):")
        for label, us in micro:
            print(f"  {label:<44} {us:7.2f} us")
        if not args.no_cprofile:
            for sort in ("tottime", "cumulative"):
                print(f"\ncProfile, /healthz, by {sort}:")
                print(_profile(app, healthz, 5000, args.top, sort))
                print(f"\ncProfile, lookup (200/404 mix), by {sort}:")
                print(_profile(app, lookups, 5000, args.top, sort))
                log.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
