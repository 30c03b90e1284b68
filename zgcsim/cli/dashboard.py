"""``zgcsim dashboard``: serve the planner's Solara page (``zgcsim/dashboard/app.py``) on localhost."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
import warnings
from pathlib import Path

from zgcsim.errors import UserInputError

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``zgcsim dashboard [RESULTS_DIR ...] --port P [--host H] [--results-root DIR]`` to the command line."""
    parser = subparsers.add_parser(
        "dashboard",
        help="serve the planner's dashboard in the browser",
        description="Serve the planner's dashboard: compare scenarios, read the attainment table and fan charts, "
        "edit levers, run paired ensembles, and download scenario files and charts. Open the printed address in a "
        "browser; stop with Ctrl-C.",
    )
    parser.add_argument("results", nargs="*", metavar="RESULTS_DIR", help="results folders written by 'zgcsim run'")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (%(default)s)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s: this machine only)")
    parser.add_argument(
        "--results-root",
        default=None,
        help="folder under which each page session writes its runs (default: a new temporary folder)",
    )
    parser.add_argument(
        "--optimisation", default=None, help="a folder written by 'zgcsim optimise': show its front, load its points"
    )
    parser.set_defaults(func=_cmd_dashboard)


def _check_port(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise UserInputError(f"port must be from 1 to 65535, got {port}", key="--port")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Same option as the server's own socket: a port held only by closed connections (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise UserInputError(f"cannot listen on {host}:{port}: {err.strerror}", key="--port") from None


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from zgcsim.dashboard.catalogue import load_results_folder

    if not 1 <= args.port <= 65535:
        raise UserInputError(f"port must be from 1 to 65535, got {args.port}", key="--port")
    folders = [str(Path(f).resolve()) for f in args.results]
    for folder in folders:  # refuse a bad folder now, with one line, rather than in the page
        load_results_folder(folder)
    optimisation = ""
    if args.optimisation:
        from zgcsim.reporting.pareto import load_optimisation

        optimisation = str(load_optimisation(args.optimisation).path.resolve())
    _check_port(args.host, args.port)
    root = Path(args.results_root) if args.results_root else Path(tempfile.mkdtemp(prefix="zgcsim-dashboard-"))
    if root.exists() and not root.is_dir():
        raise UserInputError("exists and is not a folder", path=root, key="--results-root")
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    os.environ.update(
        {
            "ZGCSIM_DASHBOARD_RESULTS": os.pathsep.join(folders),
            "ZGCSIM_DASHBOARD_ROOT": str(root),
            "ZGCSIM_DASHBOARD_OPTIMISATION": optimisation,
            # Keep Solara's own files under the results root, and let it send nothing to outside servers.
            "SOLARA_HOME": str(root / ".solara"),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
            "SOLARA_TELEMETRY_SERVER_USER_ID": "zgcsim-dashboard",
            # The fixed "runs on Solara" badge covers the page's bottom-right corner (README credits Solara).
            "SOLARA_THEME_SHOW_BANNER": "false",
        }
    )
    # Solara warns on every page load that a plain-http localhost server cannot set samesite=none cookies; the
    # page does not need them (it is not embedded in another site).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    try:
        from solara.__main__ import run as solara_run
    except ImportError:
        raise UserInputError("the dashboard needs Solara: pip install 'zgcsim[dashboard]'") from None
    print(
        f"zgcsim dashboard: open http://{args.host}:{args.port}/ in a browser (Ctrl-C stops it); "
        f"page runs are written under {root}",
        file=sys.stderr,
        flush=True,
    )
    import click  # Solara's command line is a click command

    arguments = ["zgcsim.dashboard.app", "--host", args.host, "--port", str(args.port)]
    with contextlib.suppress(click.exceptions.Abort):  # Ctrl-C: click turns the KeyboardInterrupt into Abort
        solara_run.main([*arguments, "--production", "--no-open", "--no-check-version"], standalone_mode=False)
    print("zgcsim dashboard: stopped", file=sys.stderr)
    return 0
