"""`kfn pivot`: a stateless Pivot runtime in front of a kfn or a KAZOO, to run several behind a
load balancer. Functions are read through the one v2 client and cached; the upstream is the
only store. A kfn upstream hands out the URL secrets; in front of a KAZOO (which keeps none)
they are derived from a signing key file (`--signing-key`), and `--describe` prints a
function's URL and pivot node."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.client import KazooClient
    from backend.pivot.signing import SigningKeyFile

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_subcommand(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_data_dir: Callable[[argparse.ArgumentParser], None],
) -> None:
    pivot = sub.add_parser(
        "pivot",
        help="serve Pivot URLs of functions read from another kfn or a KAZOO (stateless; run many)",
        description="Answer KAZOO's Pivot requests for the functions of an upstream kfn or KAZOO, "
        "read through its v2 API and cached. Any number of instances can run behind a load "
        "balancer. In front of a KAZOO, give --signing-key.",
    )
    # SUPPRESS: given before the subcommand (kfn --server URL pivot), they are not overwritten.
    pivot.add_argument(
        "--server", default=argparse.SUPPRESS, help="URL of the upstream kfn or KAZOO"
    )
    pivot.add_argument("--api-key", default=argparse.SUPPRESS, help="an API key of the upstream")
    pivot.add_argument("--profile", default=argparse.SUPPRESS, help="a server saved in the config")
    add_data_dir(pivot)  # where --calls-file goes by default
    pivot.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    pivot.add_argument("--port", type=int, default=8010, help="port (default 8010; 0: any free)")
    pivot.add_argument(
        "--ttl",
        type=float,
        default=2.0,
        help="seconds a function is served from the cache before it is read again (default 2)",
    )
    pivot.add_argument("--quiet", action="store_true", help="no per-request access lines")
    pivot.add_argument(
        "--signing-key",
        type=Path,
        metavar="FILE",
        help="derive the URL secrets from the keys in FILE (made if missing) instead of reading "
        "them from the upstream: for a KAZOO, which keeps none. Give every instance the same file",
    )
    pivot.add_argument(
        "--describe",
        metavar="FUNCTION_ID",
        help="with --signing-key: print the function's Pivot URL and the pivot node to paste "
        "into a KAZOO callflow, then exit",
    )
    pivot.add_argument(
        "--rotate",
        metavar="FUNCTION_ID",
        help="with --signing-key: give the function a new Pivot URL (the old one is refused "
        "once the instances read the function again, within --ttl), print it, then exit",
    )
    pivot.add_argument(
        "--public-url",
        help="the URL KAZOO reaches the instances at (a load balancer's): the base of the URLs "
        "--describe, --rotate and, in front of a KAZOO, the app's Live tab show",
    )
    pivot.add_argument(
        "--calls-file",
        type=Path,
        metavar="FILE",
        help="in front of a KAZOO: where this instance keeps the calls it answered, for the "
        "app's Live tab, across restarts (default: pivot-calls-PORT.json in the data dir)",
    )


def run_pivot(
    args: argparse.Namespace, make_client: Callable[[argparse.Namespace], KazooClient]
) -> int:
    from backend.api.pivot_http import PivotServer, socket_url
    from backend.api.server import PortInUse, listen
    from backend.pivot.forward import ForwardedInvocations
    from backend.pivot.instance_api import InstanceApi
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
    for option, given in (("--describe", args.describe), ("--rotate", args.rotate)):
        if given and not (args.signing_key and args.public_url):
            print(f"kfn: {option} needs --signing-key FILE and --public-url URL", file=sys.stderr)
            return EXIT_USAGE
    signing = None
    if args.signing_key:
        signing = open_signing_key(args.signing_key)
        if signing is None:
            return EXIT_FAILED
    client = make_client(args)
    if args.describe or args.rotate:
        assert signing is not None
        function_id = args.rotate or args.describe
        return asyncio.run(
            describe_signed(client, signing, function_id, args.public_url, rotate=bool(args.rotate))
        )
    try:
        sock = listen(args.host, args.port)
    except PortInUse as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED

    async def serve() -> int:
        if signing is None and not await upstream_is_kfn(client):
            await client.aclose()
            sock.close()
            return EXIT_USAGE
        source = UpstreamSource(client, ttl=args.ttl, signing=signing)
        # A kfn upstream keeps the calls every instance answers, for the app's Live tab; a
        # KAZOO (signing mode) has nowhere to put them: each instance keeps its own, and tells
        # them (and the URLs) to whoever KAZOO lets read the function.
        instance = None
        if signing is None:
            invocations: InvocationLog = ForwardedInvocations(client, instance_name(sock))
        else:
            invocations = InvocationLog(args.calls_file or default_calls_file(args, sock))
            public_url = args.public_url or socket_url(sock)
            instance = InstanceApi(client, source, invocations, public_url)
        service = PivotService(source, invocations)
        server = PivotServer(service, sock, access_log=not args.quiet, instance=instance)
        await server.start()
        invocations.start()
        if instance is not None:
            host, port = sock.getsockname()[:2]
            if host in ("0.0.0.0", "::"):  # every address: the app needs one of them
                host = socket.gethostname()
            print(f"kfn: calls answered here are kept in {invocations.path}; the app's Live tab "
                  f"reads them with --pivot-instance http://{host}:{port}", file=sys.stderr)  # fmt: skip
            if args.public_url is None:
                print(f"kfn: warning: without --public-url the URLs shown are on {server.url}, "
                      "which KAZOO may not reach", file=sys.stderr)  # fmt: skip
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
        await invocations.stop()
        await client.aclose()
        return EXIT_OK

    return asyncio.run(serve())


async def upstream_is_kfn(client: KazooClient) -> bool:
    """Without a signing key the secrets are read from the upstream, which only a kfn has: say
    so at the start, rather than refuse every call with a 404. An upstream that cannot be
    reached yet is given the benefit of the doubt."""
    from backend.client import ApiError

    try:
        if await client.is_kfn():
            return True
    except ApiError as exc:
        print(f"kfn: warning: {exc}; starting anyway", file=sys.stderr)
        return True
    print(f"kfn: {client.base_url} is not a kfn (a KAZOO?) and keeps no Pivot URLs: give "
          "--signing-key FILE to derive them", file=sys.stderr)  # fmt: skip
    return False


def default_calls_file(args: argparse.Namespace, sock: socket.socket) -> Path:
    """One file per port: instances on one host each keep their own."""
    from backend.paths import data_dir

    return data_dir(getattr(args, "data_dir", None)) / f"pivot-calls-{sock.getsockname()[1]}.json"


def instance_name(sock: socket.socket) -> str:
    """How the calls this instance answers are marked upstream: host name and port."""
    return f"{socket.gethostname()}:{sock.getsockname()[1]}"


def open_signing_key(path: Path) -> SigningKeyFile | None:
    """The key file, made with a fresh key if missing; None (having said why) if unusable."""
    from backend.pivot.signing import SigningKeyError, SigningKeyFile, create_key_file

    try:
        if not path.exists():
            create_key_file(path)
            print(f"kfn: made a new Pivot signing key in {path}: every URL derives from it, "
                  "so keep it secret and give every instance the same file", file=sys.stderr)  # fmt: skip
        keys = SigningKeyFile(path)
    except SigningKeyError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return None
    if keys.loosely_guarded():
        print(f"kfn: warning: {path} can be read by others than its owner (chmod 600 it)",
              file=sys.stderr)  # fmt: skip
    return keys


async def describe_signed(
    client: KazooClient, signing: SigningKeyFile, function_id: str, public_url: str,
    *, rotate: bool = False,
) -> int:  # fmt: skip
    """Print the function's URL and node (after raising its generation, to rotate it). The
    function is read first, so a typo is caught."""
    import json

    from backend.client import ApiError, ConflictError
    from backend.pivot.describe import describe
    from backend.pivot.secrets import PivotSecret
    from backend.pivot.signing import GENERATION_FIELD, generation_of

    try:
        account_id = await client.account_id()
        doc = await client.get_function(account_id, function_id)
        generation = generation_of(doc.data)
        if rotate:
            generation += 1
            changed = {**doc.data, GENERATION_FIELD: generation}
            await client.save_function(account_id, function_id, changed, doc.revision)
    except ConflictError:
        print(f"kfn: the function {function_id} changed while it was rotated; run it again",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    except ApiError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        await client.aclose()
    secret = signing.current().secret(account_id, function_id, generation)
    described = describe(public_url, PivotSecret(account_id, function_id, secret, created=""))
    if rotate:
        print("kfn: rotated: the old URL is refused once each instance reads the function again "
              "(within its --ttl); paste the new node into KAZOO", file=sys.stderr)  # fmt: skip
    print(json.dumps(described, indent=2))
    return EXIT_OK
