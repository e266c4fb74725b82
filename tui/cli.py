"""The `kfn` command line: `serve`, `accounts`, `profiles`, `run`, `check`, `simulate`, or the app.

Subcommands import only `backend/` (never textual), so a CLI run starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # imported on first use, so each subcommand loads only what it needs
    from backend.api.server import Backend
    from backend.client import KazooClient
    from tui.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _add_data_dir(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Sub-parsers must not overwrite a value given before the subcommand: SUPPRESS their default.
    parser.add_argument(
        "--data-dir",
        default=None if top else argparse.SUPPRESS,
        help="where kfn keeps its data (default: $KFN_DATA_DIR or the user data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kfn", description="A terminal workbench for KAZOO callflow functions."
    )
    _add_data_dir(parser, top=True)
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="embedded API port (default 8000, or the next free one)",
    )
    parser.add_argument(
        "--no-api",
        action="store_true",
        help="do not serve the embedded API on TCP (the app uses a private Unix socket)",
    )
    parser.add_argument(
        "--public-url",
        help="the URL KAZOO reaches the embedded server at, for Pivot URLs (see `kfn serve`)",
    )
    remote = parser.add_argument_group("remote mode (instead of the embedded backend)")
    remote.add_argument("--server", help="URL of a KAZOO or kfn v2 API, e.g. https://kazoo:8443")
    remote.add_argument("--profile", help="a server saved in the config (see the connect screen)")
    remote.add_argument("--api-key", default=os.environ.get("KFN_API_KEY"), help="$KFN_API_KEY")
    remote.add_argument("--token", default=os.environ.get("KFN_TOKEN"), help="$KFN_TOKEN")
    remote.add_argument("--username", default=os.environ.get("KFN_USERNAME"))
    remote.add_argument("--password", default=os.environ.get("KFN_PASSWORD"), help="$KFN_PASSWORD")
    remote.add_argument("--account-name", default=os.environ.get("KFN_ACCOUNT_NAME"))
    remote.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    remote.add_argument(
        "--pivot-instance",
        action="append",
        default=[],
        metavar="URL",
        help="a `kfn pivot --signing-key` instance in front of the KAZOO, for the Live tab "
        "(repeat for each; a profile's pivot_instances are added)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the KAZOO v2 functions API in the foreground")
    _add_data_dir(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    serve.add_argument(
        "--token-ttl", type=float, default=3600, help="token lifetime in seconds (default 3600)"
    )
    serve.add_argument(
        "--quiet", action="store_true", help="no per-request log lines (access, Pivot)"
    )
    serve.add_argument(
        "--public-url",
        help="the URL KAZOO reaches this server at, for Pivot URLs (behind a proxy or NAT); "
        "default: the host each request names",
    )

    accounts = sub.add_parser("accounts", help="create and list accounts")
    _add_data_dir(accounts)
    acc_sub = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    create = acc_sub.add_parser("create", help="create an account with an API key")
    _add_data_dir(create)
    create.add_argument("name")
    create.add_argument("--username", help="also create a user who can log in (user_auth)")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument(
        "--password",
        help="the user's password (visible to other users in the process list: prefer "
        "--password-stdin, or leave it out to be asked)",
    )
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the user's password from the first line of standard input",
    )
    create.add_argument("--parent", help="the id of the parent account")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    listing = acc_sub.add_parser("list", help="list accounts")
    _add_data_dir(listing)
    listing.add_argument("--json", action="store_true")

    profiles = sub.add_parser("profiles", help="list or forget the servers saved in the config")
    prof_sub = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    prof_sub.add_parser("list", help="list saved servers and whether an API key is kept")
    forget = prof_sub.add_parser("forget", help="remove a saved server and delete its API key")
    forget.add_argument("name")

    from tui import pivot_cli, runtime_cli, sync_cli

    runtime_cli.add_subcommands(sub, _add_data_dir)
    pivot_cli.add_subcommand(sub, _add_data_dir)
    sync_cli.add_subcommands(sub)
    return parser


def _open_backend(args: argparse.Namespace, *, token_ttl: float | None = None) -> Backend:
    from backend.api.server import Backend
    from backend.paths import data_dir

    if token_ttl is None:
        return Backend.open(data_dir(args.data_dir))
    return Backend.open(data_dir(args.data_dir), token_ttl=token_ttl)


def _announce_local(backend: Backend, out: TextIO = sys.stderr) -> None:
    created = backend.created_local
    if created is not None:
        key_file = backend.remember_local_api_key()
        print(
            f"kfn: created the local account {created.account_id} "
            f"(api key, also in {key_file}: {created.api_key})",
            file=out,
        )


def cmd_serve(args: argparse.Namespace) -> int:
    from backend.api.server import ApiServer, PortInUse, listen
    from backend.pivot.describe import loopback_warning

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        sock = listen(args.host, args.port)  # before the data dir is touched
    except PortInUse as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED
    backend = _open_backend(args, token_ttl=args.token_ttl)
    _announce_local(backend)
    if args.quiet:  # no per-request lines: neither access nor Pivot invocation lines
        logging.getLogger("kfn.pivot").setLevel(logging.WARNING)

    async def serve() -> int:
        server = ApiServer(
            backend, access_log=not args.quiet, sock=sock, public_url=args.public_url
        )
        await server.start()
        print(
            f"kfn: serving the KAZOO v2 API on {server.url} (data in {backend.store.data_dir})",
            file=sys.stderr,
            flush=True,
        )
        warning = loopback_warning(args.public_url or server.url)
        if warning:
            print(f"kfn: Pivot URLs: {warning}", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        print("kfn: stopping", file=sys.stderr, flush=True)
        await server.stop()
        return EXIT_OK

    try:
        return asyncio.run(serve())
    finally:
        backend.close()


def _new_password(args: argparse.Namespace) -> str | None:
    """The password for `accounts create`: --password, stdin, or asked at the terminal."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise ValueError("--password-stdin read no password (an empty first line)")
        return line
    if args.password is not None or args.username is None:
        return str(args.password) if args.password is not None else None
    if not sys.stdin.isatty():
        raise ValueError(
            "--username needs a password: give --password-stdin and pipe it in, or run this "
            "at a terminal to be asked"
        )
    import getpass

    first = getpass.getpass(f"password for {args.username}: ")
    if not first or getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ (or are empty); nothing was created")
    return first


def _accounts_through_running(args: argparse.Namespace, held: Exception) -> int:
    """`accounts create` or `list` while another kfn holds the data dir: that kfn's API."""
    from tui.local_server import NotReached, through_running

    if args.accounts_command == "create" and args.username:
        print(f"kfn: {held} (--username needs the data dir)", file=sys.stderr)
        return EXIT_FAILED

    async def create(client: KazooClient) -> dict[str, Any]:
        parent = args.parent or await client.account_id()
        return await client.create_child_account(parent, args.name)

    async def listed(client: KazooClient) -> list[dict[str, Any]]:
        return [{"account_id": a.id, "name": a.name} for a in await client.accounts()]

    try:
        if args.accounts_command != "create":
            rows, _url = through_running(args.data_dir, held, listed)
            for row in rows:
                print(json.dumps(row) if args.json else f"{row['account_id']}  {row['name']}")
            return EXIT_OK
        made, url = through_running(args.data_dir, held, create)
    except NotReached as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"account_id": made["id"], "api_key": made["api_key"], "username": None}))
    else:
        print(f"account   {made['id']}  {made['name']}  (through the running kfn at {url})")
        print(f"api key   {made['api_key']}  (shown once; kfn stores only its hash)")
    return EXIT_OK


def cmd_accounts(args: argparse.Namespace) -> int:
    from backend.store import DataDirLocked

    try:
        backend = _open_backend(args)
    except DataDirLocked as exc:
        return _accounts_through_running(args, exc)
    try:
        _announce_local(backend)
        if args.accounts_command == "create":
            try:
                password = _new_password(args)
                made = backend.accounts.create_account(
                    args.name, username=args.username, password=password, parent_id=args.parent
                )
            except ValueError as exc:
                print(f"kfn: {exc}", file=sys.stderr)
                return EXIT_USAGE
            if args.json:
                print(
                    json.dumps(
                        {
                            "account_id": made.account_id,
                            "api_key": made.api_key,
                            "username": made.username,
                        }
                    )
                )
            else:
                print(f"account   {made.account_id}  {made.name}")
                print(f"api key   {made.api_key}  (shown once; kfn stores only its hash)")
                if made.username:
                    print(f"user      {made.username}")
            return EXIT_OK
        rows = [
            {
                "account_id": account_id,
                "name": account.get("name", ""),
                "superduper_admin": bool(account.get("pvt_superduper_admin")),
            }
            for account_id, account in backend.accounts.list_accounts()
        ]
        if args.json:
            print(json.dumps(rows))
        else:
            for row in rows:
                admin = "  (admin)" if row["superduper_admin"] else ""
                print(f"{row['account_id']}  {row['name']}{admin}")
        return EXIT_OK
    finally:
        backend.close()


def _remote_client(args: argparse.Namespace) -> KazooClient:
    from backend.client import (
        ApiKeyCredentials,
        Credentials,
        KazooClient,
        TokenCredentials,
        UserCredentials,
    )

    credentials: Credentials
    if args.api_key:
        credentials = ApiKeyCredentials(args.api_key)
    elif args.username and args.password and args.account_name:
        credentials = UserCredentials(args.username, args.password, args.account_name)
    elif args.token:
        credentials = TokenCredentials(args.token)
    else:
        raise SystemExit(
            "kfn: --server needs credentials: --api-key, or --username/--password/--account-name, "
            "or --token (or KFN_API_KEY, KFN_USERNAME/KFN_PASSWORD/KFN_ACCOUNT_NAME, KFN_TOKEN)"
        )
    return KazooClient(args.server, credentials, verify=not args.insecure)


def _upstream_client(args: argparse.Namespace) -> KazooClient:
    """The client for --server (with its credentials) or --profile; exits saying why not."""
    if getattr(args, "server", None):
        return _remote_client(args)
    from backend.paths import config_dir
    from tui.profiles import Profile, ProfileError, client_for, credentials_for

    config = _load_config()
    if config is None:
        raise SystemExit(EXIT_USAGE)
    try:
        profile = Profile.from_config(args.profile, config.profiles[args.profile])
        secret = args.password or args.token or args.api_key
        return client_for(profile, credentials_for(profile, config_dir(), secret=secret))
    except KeyError:
        raise SystemExit(f"kfn: no profile {args.profile!r} in {config.path}") from None
    except ProfileError as exc:
        raise SystemExit(f"kfn: {exc}") from None


def _sync(command: str, args: argparse.Namespace) -> int:
    from tui import sync_cli

    run = getattr(sync_cli, command)
    result: int = run(args, _upstream_client)
    return result


def cmd_pivot(args: argparse.Namespace) -> int:
    from tui.pivot_cli import run_pivot

    return run_pivot(args, _upstream_client)


def _load_config() -> Config | None:
    """The user's config, or None after saying what is wrong with it (exit status 2)."""
    from tui.config import Config, ConfigError

    try:
        return Config.load()
    except ConfigError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return None


def cmd_profiles(args: argparse.Namespace) -> int:
    from backend.paths import config_dir
    from tui.profiles import forget_api_key, key_file

    config = _load_config()
    if config is None:
        return EXIT_USAGE
    if args.profiles_command == "list":
        if not config.profiles:
            print(f"no saved servers (in {config.path})")
        for name, raw in sorted(config.profiles.items()):
            kept = key_file(config_dir(), name).exists()
            key = "  (API key kept)" if kept else ""
            print(f"{name}\t{raw.get('url', '?')}\t{raw.get('auth', '?')}{key}")
        return EXIT_OK
    name = args.name
    if name not in config.profiles:
        print(f"kfn: no profile {name!r} in {config.path}", file=sys.stderr)
        return EXIT_USAGE
    del config.profiles[name]
    if config.server == name:
        config.server = "local"  # the default server must not point at a removed profile
    config.save()
    forget_api_key(config_dir(), name)
    print(f"kfn: forgot {name!r} (removed from {config.path}; its key file, if any, deleted)")
    return EXIT_OK


def cmd_app(args: argparse.Namespace) -> int:
    from tui import gc_pause

    gc_pause.pause()  # resumed once the first screen is complete (see tui/gc_pause.py)
    from backend.paths import config_dir, data_dir

    config = _load_config()
    if config is None:
        return EXIT_USAGE
    from tui.app import KfnApp
    from tui.embedded import Embedded

    state_dir = data_dir(args.data_dir) / "app"
    profile_name: str | None = args.profile or (config.server if config.server != "local" else None)
    from tui.pivot_instances import check_instance_url

    try:
        instances = [check_instance_url(url) for url in args.pivot_instance]
    except ValueError as exc:
        print(f"kfn: --pivot-instance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.server or profile_name:
        if args.server:
            client = _remote_client(args)
            label = args.server
        else:
            from tui.profiles import Profile, ProfileError, client_for, credentials_for

            try:
                assert profile_name is not None
                profile = Profile.from_config(profile_name, config.profiles[profile_name])
                secret = args.password or args.token or args.api_key
                client = client_for(profile, credentials_for(profile, config_dir(), secret=secret))
            except KeyError:
                print(f"kfn: no profile {profile_name!r} in {config.path}", file=sys.stderr)
                return EXIT_USAGE
            except ProfileError as exc:
                print(f"kfn: {exc}", file=sys.stderr)
                return EXIT_USAGE
            label = profile.url
            instances = [*profile.pivot_instances, *instances]
        app = KfnApp(
            config=config, state_dir=state_dir, client=client, server_label=label,
            pivot_instances=tuple(dict.fromkeys(instances)),
        )  # fmt: skip
        app.run()
        return app.return_code or 0
    if instances:
        print("kfn: --pivot-instance is for a remote KAZOO (--server or --profile); the "
              "embedded server answers Pivot itself", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    backend = _open_backend(args)
    try:
        app = KfnApp(
            config=config,
            state_dir=state_dir,
            embedded=Embedded(
                backend, port=args.port, serve_tcp=not args.no_api, public_url=args.public_url
            ),
        )
        app.run()
    finally:
        backend.close()
    if app.startup_error:
        print(f"kfn: {app.startup_error}", file=sys.stderr)
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    from backend.store import StoreError

    parser = build_parser()
    args = parser.parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": cmd_serve,
        "accounts": cmd_accounts,
        "profiles": cmd_profiles,
        "pivot": cmd_pivot,
        "pull": partial(_sync, "cmd_pull"),
        "push": partial(_sync, "cmd_push"),
        "diff": partial(_sync, "cmd_diff"),
        "test": partial(_sync, "cmd_test"),
    }
    try:
        if args.command in handlers:
            return handlers[args.command](args)
        if args.command is not None:
            return int(args.handler(args))
        return cmd_app(args)
    except StoreError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    entry()
