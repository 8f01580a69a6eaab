"""gunicorn settings for the benchmark: log each worker's registry view load with its pid."""

from __future__ import annotations

import logging
import sys

# Appended to the log file the benchmark reads; one line per view load, none per request.
_FORMAT = "%(created).6f pid=%(process)d %(name)s: %(message)s"


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    view_log = logging.getLogger("registry_admin.api.registry_view")
    view_log.addHandler(handler)
    view_log.setLevel(logging.INFO)
