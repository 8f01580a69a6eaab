"""Find (or install) wrk, run it with lookup.lua, and parse requests/s and latency percentiles."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "lookup.lua"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_SUMMARY = re.compile(r"^BENCH_SUMMARY (.*)$", re.MULTILINE)


class WrkMissing(RuntimeError):
    """wrk is not installed and cannot be installed from here."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run."""

    mode: str
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int
    # CPU per request, microseconds: of the gunicorn workers (all their threads), and of wrk.
    worker_cpu_us: float = float("nan")
    wrk_cpu_us: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_wrk() -> str:
    """The path of wrk; installs the Debian package when running as root and it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkMissing(
            "wrk is not installed: run `apt-get install -y wrk` as root (Debian package wrk)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise WrkMissing(f"wrk is missing and `apt-get install -y wrk` failed:\n{done.stderr}")
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("wrk was installed but is not on PATH")
    return found


def parse(output: str, mode: str) -> WrkResult:
    """Requests/s, the latency percentiles (ms) and error counts from wrk's --latency output."""
    rps = _RPS.search(output)
    percentiles = {int(p): float(v) * _UNITS_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    if rps is None or not {50, 99} <= percentiles.keys():
        raise ValueError(f"unexpected wrk output:\n{output}")
    summary: dict[str, int] = {}
    found = _SUMMARY.search(output)
    if found:
        summary = {k: int(v) for k, v in (kv.split("=") for kv in found.group(1).split())}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(
        mode=mode,
        rps=float(rps.group(1)),
        p50_ms=percentiles[50],
        p75_ms=percentiles.get(75, float("nan")),
        p90_ms=percentiles.get(90, float("nan")),
        p99_ms=percentiles[99],
        requests=summary.get("requests", 0),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else summary.get("status_errors", 0),
        socket_errors=sum(summary.get(k, 0) for k in ("connect", "read", "write", "timeout")),
    )


def run(
    wrk: str,
    base_url: str,
    mode: str,
    token: str,
    id_list: Path,
    *,
    duration: int,
    threads: int = 2,
    connections: int = 16,
) -> WrkResult:
    """One wrk run against `base_url` in `mode` (lookup or healthz)."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(SCRIPT),
        base_url,
        "--",
        mode,
        token,
        str(id_list),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse(done.stdout, mode)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return replace(result, wrk_cpu_us=wrk_cpu / max(result.requests, 1) * 1e6)
