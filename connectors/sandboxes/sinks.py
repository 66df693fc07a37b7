"""Start the sink sandboxes (provincial platform, credit system) for the demo and the tests.

    python -m connectors.sandboxes.sinks --provincial-port 8104 --credit-port 8105

prints one ``NAME URL`` line per sandbox, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

from connectors.sandboxes.credit import CreditSandbox
from connectors.sandboxes.provincial import ProvincialSandbox
from connectors.sandboxes.server import Faults, SandboxServer

SANDBOXES: dict[str, type[SandboxServer]] = {"provincial": ProvincialSandbox, "credit": CreditSandbox}
DEMO_APP_ID = "hub-370100"
DEMO_SECRET = "sandbox-demo-secret"  # a sandbox on loopback: not a secret of any real system


def start_sinks(
    app_id: str,
    secret: str,
    ports: Mapping[str, int] | None = None,
    faults: Mapping[str, Faults | Mapping[str, Any]] | None = None,
) -> dict[str, SandboxServer]:
    """Start both sink sandboxes (port 0: any free port); returns them by name, already serving."""
    ports = ports or {}
    faults = faults or {}
    unknown = (set(ports) | set(faults)) - set(SANDBOXES)
    if unknown:
        raise ValueError(f"unknown sandbox(es) {sorted(unknown)}; known: {sorted(SANDBOXES)}")
    started: dict[str, SandboxServer] = {}
    try:
        for name, cls in SANDBOXES.items():
            given = faults.get(name)
            f = given if isinstance(given, Faults) or given is None else _faults(given)
            started[name] = cls({app_id: secret}, port=int(ports.get(name, 0)), faults=f).start()
    except BaseException:
        for server in started.values():
            server.stop()
        raise
    return started


def _faults(values: Mapping[str, Any]) -> Faults:
    f = Faults()
    f.update(dict(values))
    return f


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.sandboxes.sinks", description=__doc__)
    parser.add_argument("--provincial-port", type=int, default=8104)
    parser.add_argument("--credit-port", type=int, default=8105)
    parser.add_argument("--app-id", default=DEMO_APP_ID)
    parser.add_argument("--secret", default=DEMO_SECRET, help="the app secret both sandboxes check")
    parser.add_argument("--faults", default="{}", help='JSON for both, e.g. {"error_5xx": 0.2}')
    args = parser.parse_args(argv)
    try:
        faults = json.loads(args.faults)
        servers = start_sinks(
            args.app_id,
            args.secret,
            {"provincial": args.provincial_port, "credit": args.credit_port},
            {name: faults for name in SANDBOXES},
        )
    except (ValueError, TypeError, OSError) as exc:
        print(f"sandboxes: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the URLs: whoever reads them may stop us at once
        signal.signal(sig, lambda *_: stop.set())
    for name, server in servers.items():
        print(f"{name} {server.url}", flush=True)
    stop.wait()
    for server in servers.values():
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
