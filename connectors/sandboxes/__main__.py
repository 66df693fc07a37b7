"""Run every sandbox agency system on loopback until Ctrl-C: ``python -m connectors.sandboxes``."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from connectors.sandboxes.csv_drop import CsvDropSandbox, write_drop
from connectors.sandboxes.edu import EduSandbox
from connectors.sandboxes.inspectors import InspectorsSandbox
from connectors.sandboxes.samr import SamrSandbox
from connectors.sandboxes.server import Faults, SandboxServer

DEFAULT_PORTS = {"samr": 8101, "edu": 8102, "inspectors": 8103, "csv-drop": 8104}


def start_sources(
    app_id: str,
    secret: str,
    *,
    entities: int = 1000,
    schools: int = 300,
    inspectors: dict[str, int] | None = None,
    seed: int = 1,
    invalid_share: float = 0.02,
    drop_dir: str | Path | None = None,
    drop_files: int = 3,
    ports: dict[str, int] | None = None,
    faults: dict[str, Faults] | None = None,
) -> dict[str, SandboxServer]:
    """Start the source sandboxes ("samr", "edu", "inspectors", and "csv-drop" when
    ``drop_dir`` is given, after writing ``drop_files`` exports there); port 0 = any free port.

    ``ports`` and ``faults`` are by sandbox name; a missing port is 0. Stop each with ``stop()``.
    """
    secrets = {app_id: secret}
    ports = ports or {}
    faults = faults or {}
    makers = {
        "samr": lambda: SamrSandbox(
            secrets, ports.get("samr", 0), faults.get("samr"), entities=entities, seed=seed, invalid_share=invalid_share
        ),
        "edu": lambda: EduSandbox(
            secrets, ports.get("edu", 0), faults.get("edu"), schools=schools, seed=seed, invalid_share=invalid_share
        ),
        "inspectors": lambda: InspectorsSandbox(
            secrets, ports.get("inspectors", 0), faults.get("inspectors"), agencies=inspectors, seed=seed
        ),
    }
    if drop_dir is not None:
        write_drop(drop_dir, seed=seed, files=drop_files, invalid_share=invalid_share)
        makers["csv-drop"] = lambda: CsvDropSandbox(
            secrets, ports.get("csv-drop", 0), faults.get("csv-drop"), directory=drop_dir
        )
    servers: dict[str, SandboxServer] = {}
    try:
        for name, make in makers.items():
            servers[name] = make()
    except BaseException:  # a port in use: free the ones already bound
        for server in servers.values():
            server.server_close()
        raise
    for server in servers.values():
        server.start()
    return servers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.sandboxes", description=__doc__)
    parser.add_argument("--samr-port", type=int, default=DEFAULT_PORTS["samr"])
    parser.add_argument("--edu-port", type=int, default=DEFAULT_PORTS["edu"])
    parser.add_argument("--inspectors-port", type=int, default=DEFAULT_PORTS["inspectors"])
    parser.add_argument("--csv-port", type=int, default=DEFAULT_PORTS["csv-drop"])
    parser.add_argument("--drop-dir", help="write CSV exports here and serve them")
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--invalid-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--app-id", default="hub-370100")
    parser.add_argument(
        "--secret-env", default="HUB_SANDBOX_SECRET", help="environment variable holding the app secret"
    )
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"error: environment variable {args.secret_env} (the app secret) is not set", file=sys.stderr)
        return 2
    ports = {
        "samr": args.samr_port,
        "edu": args.edu_port,
        "inspectors": args.inspectors_port,
        "csv-drop": args.csv_port,
    }
    try:
        servers = start_sources(
            args.app_id,
            secret,
            entities=args.entities,
            schools=args.schools,
            seed=args.seed,
            invalid_share=args.invalid_share,
            drop_dir=args.drop_dir,
            ports=ports,
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        for name, server in servers.items():
            print(f"{name:<11} {server.url}")
        if args.drop_dir:
            print(f"{'drop dir':<11} {Path(args.drop_dir).resolve().as_uri()}")
        print("Ctrl-C to stop", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers.values():
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
