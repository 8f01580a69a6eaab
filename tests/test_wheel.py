"""The built wheel carries templates/ and migrations/: installed outside the checkout, it works."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def clean_env() -> dict[str, str]:
    drop = {"REGISTRY_ADMIN_CONFIG", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FLASK_")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    args = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    # Without network-heavy isolation when the build backend is at hand.
    if importlib.util.find_spec("hatchling") is not None:
        args.append("--no-isolation")
    run([*args, str(REPO)], cwd=out, env=clean_env())
    (built,) = out.glob("registry_admin-*.whl")
    return built


def test_wheel_contains_templates_migrations_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "registry_admin/templates/base.html",
        "registry_admin/templates/errors/error.html",
        "registry_admin/migrations/env.py",
        "registry_admin/migrations/alembic.ini",
        "registry_admin/migrations/script.py.mako",
        "registry_admin/data/municipalities.csv",
    ):
        assert required in names
    versions = {n for n in names if n.startswith("registry_admin/migrations/versions/")}
    in_checkout = {p.name for p in (REPO / "migrations" / "versions").glob("*.py")}
    assert {Path(n).name for n in versions} >= in_checkout
    assert not any(n.startswith(("tests/", "templates/", "migrations/")) for n in names)
    assert not any("__pycache__" in n for n in names)


def test_installed_wheel_migrates_and_renders_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        env=clean_env(),
    )
    # The checkout's virtualenv supplies the dependencies. Its own .pth files (among them the
    # editable install of registry_admin) are not processed from a path listed in a .pth, so
    # the copy of registry_admin that is imported is the wheel's.
    fresh_site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    (fresh_site / "checkout_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = clean_env()
    upgraded = run([str(venv / "bin" / "registry-admin"), "db", "upgrade"], cwd=work, env=env)
    assert "Traceback" not in upgraded.stderr
    database = work / "var" / "registry.db"
    assert database.is_file()
    with sqlite3.connect(database) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"organizations", "registry_changes", "audit_events", "api_clients"} <= tables
    assert version

    script = f"""
import sys
from pathlib import Path
import registry_admin
from registry_admin import create_app
package = Path(registry_admin.__file__).resolve()
assert package.is_relative_to(Path({str(venv)!r}).resolve()), package
assert not package.is_relative_to(Path({str(REPO)!r})), package
app = create_app()
response = app.test_client().get("/no-such-page")
sys.stdout.write(str(response.status_code) + "\\n" + response.get_data(as_text=True))
"""
    rendered = run([str(python), "-c", script], cwd=work, env=env)
    status, _, page = rendered.stdout.partition("\n")
    assert status == "404"
    assert "<h1>404 Not Found</h1>" in page
    assert "<html" in page.lower()
