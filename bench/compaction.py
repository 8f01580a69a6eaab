"""Time, in a fresh process, the scheduler's compaction of the disclosures a benchmark wrote."""

from __future__ import annotations

import json
import sys
import time


def main(config_path: str) -> None:
    from registry_admin import create_app
    from registry_admin.api.jobs import compact_all

    app = create_app(config_path=config_path)
    with app.app_context():
        cpu, wall = time.process_time(), time.perf_counter()
        rows = compact_all()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"rows": rows, "cpu_seconds": cpu, "seconds": wall}))


if __name__ == "__main__":
    main(sys.argv[1])
