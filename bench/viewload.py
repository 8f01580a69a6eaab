"""Time, in a fresh process, how long the app's RegistryView takes to load the whole registry."""

from __future__ import annotations

import json
import sys
import time


def main(config_path: str) -> None:
    from registry_admin import create_app

    app = create_app(config_path=config_path)
    view = app.extensions["registry_view"]
    started = time.perf_counter()
    view.organization("0000000-0")  # the first use loads everything
    seconds = time.perf_counter() - started
    loaded = len(view._organizations)
    print(json.dumps({"seconds": seconds, "organizations": loaded}))


if __name__ == "__main__":
    main(sys.argv[1])
