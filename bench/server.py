"""Start gunicorn on a free port, wait for /healthz, warm both workers up, and stop it again."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
_LOADED = re.compile(r"^(\d+\.\d+) pid=(\d+) \S+: registry view loaded: (\d+) organizations", re.M)


def free_port() -> int:
    """A port nothing listens on right now (bound to port 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, token: str | None = None, timeout: float = 120.0) -> int:
    """The status of one GET on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@dataclass
class Gunicorn:
    """One gunicorn master with `workers` sync workers serving the app for `config`."""

    config: Path
    workdir: Path
    workers: int = 2
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "gunicorn.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.port = free_port()
        app = f"registry_admin:create_app(config_path={json.dumps(str(self.config))})"
        command = [
            str(GUNICORN),
            "-w",
            str(self.workers),
            "-k",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "-c",
            str(BENCH_DIR / "gunicorn_conf.py"),
            app,
        ]
        env = {k: v for k, v in os.environ.items() if k != "REGISTRY_ADMIN_CONFIG"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                if get(self.port, "/healthz", timeout=2) == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{self.log()}"
        )

    def worker_pids(self) -> list[int]:
        """The master's child processes (its workers), from /proc."""
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def loads(self) -> dict[int, tuple[float, int]]:
        """{worker pid: (time its view finished loading, organizations)} from the log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return {int(pid): (float(at), int(n)) for at, pid, n in _LOADED.findall(text)}

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session started for this gunicorn
            process.wait(timeout=10)


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICKS


def _concurrent_gets(port: int, paths: list[str], token: str) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = [(0, 0.0)] * len(paths)
    errors: list[BaseException] = []

    def one(i: int, path: str) -> None:
        started = time.perf_counter()
        try:
            status = get(port, path, token)
        except BaseException as exc:
            errors.append(exc)
            return
        results[i] = (status, time.perf_counter() - started)

    threads = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def warm_up(server: Gunicorn, token: str, ids: list[str], timeout: float = 300.0) -> dict:
    """Bring every worker's view up (each loads on its first request) and time it.

    Two requests go out at once: while one worker is busy loading, the other connection can
    only be taken by another worker. Repeats until the log shows a load by every worker.
    """
    started = time.time()
    deadline = time.monotonic() + timeout
    first = _concurrent_gets(
        server.port, [f"/api/v1/organizations/{ids[i]}" for i in range(server.workers)], token
    )
    loads = server.loads()
    rounds = 1
    while len(loads) < server.workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(loads)} workers loaded the registry:\n{server.log()}")
        _concurrent_gets(
            server.port,
            [f"/api/v1/organizations/{ids[(rounds + i) % len(ids)]}" for i in range(4)],
            token,
        )
        rounds += 1
        loads = server.loads()
    # A few hundred more requests so neither side starts cold.
    statuses: dict[int, int] = {}
    for i in range(0, 400, 8):
        batch = [f"/api/v1/organizations/{ids[(i + j) % len(ids)]}" for j in range(8)]
        for status, _ in _concurrent_gets(server.port, batch, token):
            statuses[status] = statuses.get(status, 0) + 1
    _concurrent_gets(server.port, ["/healthz"] * 8, token)
    if set(statuses) - {200, 404}:
        raise RuntimeError(f"unexpected statuses while warming up: {statuses}")
    return {
        "first_request_seconds": [round(seconds, 4) for _status, seconds in first],
        "first_request_statuses": [status for status, _seconds in first],
        "worker_loaded_after_seconds": {
            str(pid): round(at - started, 4) for pid, (at, _n) in sorted(loads.items())
        },
        "organizations_loaded": sorted({n for _at, n in loads.values()}),
        "warmup_statuses": statuses,
    }
