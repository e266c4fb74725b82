"""`kfn pivot`: a stateless Pivot runtime in front of a kfn (or any server with kfn's Pivot
routes), to run several behind a load balancer. Functions and their Pivot secrets are read
through the one v2 client and cached; the upstream is the only store."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.client import KazooClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_subcommand(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pivot = sub.add_parser(
        "pivot",
        help="serve Pivot URLs of functions read from another kfn (stateless; run many)",
        description="Answer KAZOO's Pivot requests for the functions of an upstream kfn, read "
        "through its v2 API and cached. Any number of instances can run behind a load balancer.",
    )
    # SUPPRESS: given before the subcommand (kfn --server URL pivot), they are not overwritten.
    pivot.add_argument("--server", default=argparse.SUPPRESS, help="URL of the upstream kfn")
    pivot.add_argument("--api-key", default=argparse.SUPPRESS, help="an API key of the upstream")
    pivot.add_argument("--profile", default=argparse.SUPPRESS, help="a server saved in the config")
    pivot.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    pivot.add_argument("--port", type=int, default=8010, help="port (default 8010; 0: any free)")
    pivot.add_argument(
        "--ttl",
        type=float,
        default=2.0,
        help="seconds a function is served from the cache before it is read again (default 2)",
    )
    pivot.add_argument("--quiet", action="store_true", help="no per-request access lines")


def run_pivot(
    args: argparse.Namespace, make_client: Callable[[argparse.Namespace], KazooClient]
) -> int:
    from backend.api.pivot_http import PivotServer
    from backend.api.server import PortInUse, listen
    from backend.pivot.invocations import InvocationLog
    from backend.pivot.service import PivotService
    from backend.pivot.upstream import UpstreamSource

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per upstream read is noise
    if args.quiet:  # no per-request lines: neither access nor Pivot invocation lines
        logging.getLogger("kfn.pivot").setLevel(logging.WARNING)
    if not getattr(args, "server", None) and not getattr(args, "profile", None):
        print("kfn: pivot needs --server URL (with --api-key) or --profile NAME", file=sys.stderr)
        return EXIT_USAGE
    client = make_client(args)
    try:
        sock = listen(args.host, args.port)
    except PortInUse as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED

    async def serve() -> int:
        service = PivotService(UpstreamSource(client, ttl=args.ttl), InvocationLog(None))
        server = PivotServer(service, sock, access_log=not args.quiet)
        await server.start()
        print(
            f"kfn: serving Pivot on {server.url} for the functions of {client.base_url}",
            file=sys.stderr, flush=True,
        )  # fmt: skip
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await server.stop()
        await client.aclose()
        return EXIT_OK

    return asyncio.run(serve())
