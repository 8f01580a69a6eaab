"""Benchmark the lookup API against /healthz under gunicorn with wrk, for growing registry sizes."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dataset
import server
import wrkbench

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_SIZES = (1_000, 100_000, 1_000_000)

RATIO_GOAL = 0.9
P99_GOAL_MS = 10.0
GROWTH_LIMIT = 1.5


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def _timed_step(script: str, config: Path) -> dict[str, Any]:
    """Run one of the bench's timing scripts in a fresh process; the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, str(BENCH_DIR / script), str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _per_row_us(compaction: dict[str, Any]) -> float:
    return compaction["cpu_seconds"] / max(compaction["rows"], 1) * 1e6


def _median(results: list[wrkbench.WrkResult], key: str) -> float:
    return statistics.median(getattr(r, key) for r in results)


def bench_size(size: int, args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    """Build a registry of `size`, serve it, and run the alternating wrk rounds."""
    workdir = Path(tempfile.mkdtemp(prefix=f"registry-bench-{size}-"))
    gunicorn = server.Gunicorn(
        config=workdir / "config.toml", workdir=workdir, workers=args.workers
    )
    try:
        _log(f"N={size:,}: building the registry in {workdir}")
        started = time.perf_counter()
        registry = dataset.build(size, workdir)
        _log(
            f"N={size:,}: registry built in {time.perf_counter() - started:.1f} s "
            f"(bulk insert {registry.insert_seconds:.1f} s)"
        )
        view_load = _timed_step("viewload.py", registry.config)
        _log(f"N={size:,}: view load in one process {view_load['seconds']:.3f} s")

        gunicorn.start()
        _log(f"N={size:,}: gunicorn up at {gunicorn.base_url}; warming up")
        ids = registry.id_list.read_text(encoding="ascii").split()
        warmup = server.warm_up(gunicorn, registry.token, ids)
        _log(
            f"N={size:,}: workers loaded after {warmup['worker_loaded_after_seconds']} s "
            f"(first requests {warmup['first_request_seconds']} s)"
        )

        rounds = []
        loads: list[float] = []
        for number in range(1, args.rounds + 1):
            run: dict[str, Any] = {}
            # healthz first in odd rounds, lookup first in even ones: a drift in the machine's
            # load during the run weighs on both sides alike.
            for mode in ("healthz", "lookup") if number % 2 else ("lookup", "healthz"):
                pids = gunicorn.worker_pids()
                # The 1-minute load average as the run starts, counting this bench's own
                # processes: what else kept the machine busy.
                loads.append(os.getloadavg()[0])
                cpu_before = server.cpu_seconds(pids)
                result = wrkbench.run(
                    wrk,
                    gunicorn.base_url,
                    mode,
                    registry.token,
                    registry.id_list,
                    duration=args.duration,
                    threads=args.threads,
                    connections=args.connections,
                )
                worker_cpu = server.cpu_seconds(pids) - cpu_before
                result = dataclasses.replace(
                    result, worker_cpu_us=worker_cpu / max(result.requests, 1) * 1e6
                )
                run[mode] = result
                _log(
                    f"N={size:,} round {number} {mode:>7}: {result.rps:8.1f} req/s  "
                    f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
                    f"CPU/req workers {result.worker_cpu_us:5.0f} us wrk {result.wrk_cpu_us:4.0f} us  "
                    f"non-2xx {result.non_2xx_3xx}  socket errors {result.socket_errors}"
                )
            run["ratio"] = run["lookup"].rps / run["healthz"].rps
            rounds.append(run)
        if gunicorn.process is not None and gunicorn.process.poll() is not None:
            raise RuntimeError(f"gunicorn died during the run:\n{gunicorn.log()}")
        gunicorn.stop()  # its workers write their last disclosures as they stop
        # The indexing the workers no longer do: the scheduler's compaction, timed on its own.
        compaction = _timed_step("compaction.py", registry.config)
        _log(
            f"N={size:,}: compaction moved {compaction['rows']:,} disclosures in "
            f"{compaction['seconds']:.2f} s ({_per_row_us(compaction):.1f} us CPU per row)"
        )
    finally:
        gunicorn.stop()
        if args.keep:
            _log(f"N={size:,}: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    lookups = [r["lookup"] for r in rounds]
    healths = [r["healthz"] for r in rounds]
    lookup_requests = sum(r.requests for r in lookups) or 1
    return {
        "size": size,
        "bulk_insert_seconds": round(registry.insert_seconds, 3),
        "view_load_seconds": round(view_load["seconds"], 4),
        "view_organizations": view_load["organizations"],
        "compaction": {**compaction, "cpu_us_per_row": _per_row_us(compaction)},
        "warmup": warmup,
        "registered_share_asked": registry.registered_share,
        "lookup_404_share": round(sum(r.non_2xx_3xx for r in lookups) / lookup_requests, 4),
        "healthz_non_2xx": sum(r.non_2xx_3xx for r in healths),
        "load_average_1min": {"min": min(loads), "max": max(loads)},
        "socket_errors": sum(r.socket_errors for r in lookups + healths),
        "rounds": [
            {
                "healthz": r["healthz"].as_dict(),
                "lookup": r["lookup"].as_dict(),
                "ratio": r["ratio"],
            }
            for r in rounds
        ],
        "median": {
            "lookup_rps": _median(lookups, "rps"),
            "lookup_p50_ms": _median(lookups, "p50_ms"),
            "lookup_p99_ms": _median(lookups, "p99_ms"),
            "healthz_rps": _median(healths, "rps"),
            "healthz_p50_ms": _median(healths, "p50_ms"),
            "healthz_p99_ms": _median(healths, "p99_ms"),
            "ratio": statistics.median(r["ratio"] for r in rounds),
            "lookup_worker_cpu_us": _median(lookups, "worker_cpu_us"),
            "healthz_worker_cpu_us": _median(healths, "worker_cpu_us"),
            "lookup_wrk_cpu_us": _median(lookups, "wrk_cpu_us"),
            "healthz_wrk_cpu_us": _median(healths, "wrk_cpu_us"),
        },
    }


def verdicts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One verdict per goal: throughput ratio, p99 bound, no growth with the registry's size."""
    out = []
    ratios = {r["size"]: r["median"]["ratio"] for r in results}
    out.append(
        {
            "goal": f"lookup/healthz throughput ratio >= {RATIO_GOAL}",
            "holds": all(v >= RATIO_GOAL for v in ratios.values()),
            "detail": ", ".join(f"N={n:,}: {v:.2f}" for n, v in ratios.items()),
        }
    )
    p99s = {r["size"]: r["median"]["lookup_p99_ms"] for r in results}
    out.append(
        {
            "goal": f"lookup p99 < {P99_GOAL_MS:g} ms at 16 connections",
            "holds": all(v < P99_GOAL_MS for v in p99s.values()),
            "detail": ", ".join(
                f"N={r['size']:,}: {r['median']['lookup_p99_ms']:.2f} ms "
                f"(/healthz {r['median']['healthz_p99_ms']:.2f} ms)"
                for r in results
            ),
        }
    )
    smallest, largest = min(p99s), max(p99s)
    if smallest == largest:
        out.append(
            {
                "goal": f"no growth (lookup p99 at the largest N within {GROWTH_LIMIT}x)",
                "holds": None,
                "detail": "needs two sizes",
            }
        )
    else:
        growth = p99s[largest] / p99s[smallest]
        by_size = {r["size"]: r for r in results}
        # The same comparison with each p99 taken relative to its own /healthz baseline.
        normalized = (p99s[largest] / by_size[largest]["median"]["healthz_p99_ms"]) / (
            p99s[smallest] / by_size[smallest]["median"]["healthz_p99_ms"]
        )
        out.append(
            {
                "goal": f"no growth: lookup p99 at N={largest:,} within {GROWTH_LIMIT}x "
                f"of N={smallest:,}",
                "holds": growth <= GROWTH_LIMIT,
                "detail": f"{p99s[largest]:.2f} ms / {p99s[smallest]:.2f} ms = {growth:.2f}x "
                f"(relative to /healthz p99 of the same run: {normalized:.2f}x)",
            }
        )
    return out


def print_report(results: list[dict[str, Any]], goals: list[dict[str, Any]], args) -> None:  # type: ignore[no-untyped-def]
    print()
    print(
        f"Lookup API vs /healthz: gunicorn {args.workers} sync workers, wrk {args.threads} threads "
        f"{args.connections} connections, {args.duration} s x {args.rounds} rounds, medians"
    )
    header = (
        f"{'N':>10} | {'lookup rps':>10} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'healthz rps':>11} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} | "
        f"{'view load s':>11} {'404 share':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        m = r["median"]
        print(
            f"{r['size']:>10,} | {m['lookup_rps']:>10.0f} {m['lookup_p50_ms']:>7.2f} "
            f"{m['lookup_p99_ms']:>7.2f} | {m['healthz_rps']:>11.0f} {m['healthz_p50_ms']:>7.2f} "
            f"{m['healthz_p99_ms']:>7.2f} | {m['ratio']:>5.2f} | "
            f"{r['view_load_seconds']:>11.3f} {r['lookup_404_share']:>9.2f}"
        )
    print()
    print(
        "CPU per request (median of rounds), us: gunicorn workers (all threads) | wrk; "
        "cpu ratio = healthz/lookup worker CPU"
    )
    for r in results:
        m = r["median"]
        print(
            f"{r['size']:>10,} | lookup {m['lookup_worker_cpu_us']:5.0f} | "
            f"healthz {m['healthz_worker_cpu_us']:5.0f} | "
            f"wrk {m['lookup_wrk_cpu_us']:4.0f} / {m['healthz_wrk_cpu_us']:4.0f} | "
            f"cpu ratio {m['healthz_worker_cpu_us'] / m['lookup_worker_cpu_us']:.2f}"
        )
    print()
    for r in results:
        load = r["load_average_1min"]
        print(
            f"N={r['size']:,}: 1-minute load average {load['min']:.1f}-{load['max']:.1f} "
            f"during the runs ({os.cpu_count()} CPUs)"
        )
    print()
    print(
        "Disclosure compaction afterwards (the scheduler's job, not the web workers'), CPU per "
        "disclosure moved:"
    )
    for r in results:
        c = r["compaction"]
        print(
            f"{r['size']:>10,} | {c['rows']:,} rows in {c['seconds']:.2f} s | "
            f"{c['cpu_us_per_row']:.1f} us per row "
            f"({c['cpu_us_per_row'] / r['median']['lookup_worker_cpu_us']:.1%} of a lookup's "
            "worker CPU)"
        )
    print()
    for r in results:
        w = r["warmup"]
        print(
            f"N={r['size']:,}: first lookups (one per worker, while it loads) took "
            f"{', '.join(f'{s:.3f}' for s in w['first_request_seconds'])} s; "
            f"workers loaded after {', '.join(f'{s:.3f}' for s in w['worker_loaded_after_seconds'].values())} s"
        )
    print()
    for goal in goals:
        state = {True: "HOLDS", False: "FAILS", None: "N/A  "}[goal["holds"]]
        print(f"{state}  {goal['goal']}: {goal['detail']}")


def _tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return "unknown"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else ""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="registry sizes, comma-separated (default 1000,100000,1000000)",
    )
    # Many short pairs rather than a few long ones: on a shared machine the median of the
    # per-pair ratios holds up better against another process's burst.
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=6, help="healthz/lookup pairs per size")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--keep", action="store_true", help="keep each size's temp directory")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1")

    # A plain `kill` must still run the `finally` blocks that stop gunicorn.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    try:
        wrk = wrkbench.ensure_wrk()
    except wrkbench.WrkMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    results = []
    for size in args.sizes:
        results.append(bench_size(size, args, wrk))
    goals = verdicts(results)
    print_report(results, goals, args)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"lookup-{started_at:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "elapsed_seconds": round(time.perf_counter() - clock, 1),
        "settings": {
            "sizes": args.sizes,
            "duration_seconds": args.duration,
            "rounds": args.rounds,
            "gunicorn_workers": args.workers,
            "wrk_threads": args.threads,
            "wrk_connections": args.connections,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wrk": _tool_version([wrk, "--version"]),
            "gunicorn": _tool_version([str(server.GUNICORN), "--version"]),
        },
        "results": results,
        "goals": goals,
    }
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {output} ({document['elapsed_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
