"""Log format of the long-running commands (serve, worker): one line per event, to stderr."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: str) -> None:
    """Timestamped lines on stderr; the application's loggers at `level`, libraries at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("registry_admin").setLevel(level)
    # One line per request from waitress is the access log's job, not ours.
    logging.getLogger("waitress").setLevel(logging.WARNING)
