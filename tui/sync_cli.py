"""`kfn pull / push / diff / test`: functions and their test cases as files, for git and CI.

pull, push and diff talk to a server through the one v2 client: `--server URL --api-key K`
(or `--profile`), else this machine's data dir, served for the command's length on a private
socket. `kfn test` runs the cases beside the functions, as KAZOO would run them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.client import KazooClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MakeClient = Callable[[argparse.Namespace], "KazooClient"]


def _server_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the subcommand (kfn --server URL pull), they are not overwritten.
    parser.add_argument("--server", default=argparse.SUPPRESS, help="a KAZOO or kfn v2 API URL")
    parser.add_argument("--api-key", default=argparse.SUPPRESS, help="an API key of that server")
    parser.add_argument("--profile", default=argparse.SUPPRESS, help="a server saved in the config")
    parser.add_argument("--account", help="the account id (default: the API key's own)")
    parser.add_argument("--data-dir", help="without --server: this kfn data dir")


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pull = sub.add_parser("pull", help="write the account's functions into DIR (.js + manifest)")
    pull.add_argument("dir", type=Path, help="the directory (created if need be)")
    pull.add_argument("--force", action="store_true", help="overwrite files edited here")
    _server_options(pull)
    push = sub.add_parser("push", help="save DIR's edited and new functions on the server")
    push.add_argument("dir", type=Path)
    push.add_argument("--force", action="store_true",
                      help="overwrite functions changed on the server since the pull")  # fmt: skip
    push.add_argument("--prune", action="store_true",
                      help="delete on the server the functions whose file was deleted here")  # fmt: skip
    push.add_argument(
        "--dry-run", action="store_true", help="say what would be pushed, push nothing"
    )
    _server_options(push)
    diff = sub.add_parser("diff", help="DIR against the server, per function (exit 1: they differ)")
    diff.add_argument("dir", type=Path)
    _server_options(diff)
    test = sub.add_parser("test", help="run the NAME.test.json cases beside the functions")
    test.add_argument("paths", nargs="*", type=Path, default=[Path(".")],
                      help="directories or test files (default: .)")  # fmt: skip
    test.add_argument("--junit", type=Path, help="also write JUnit XML here (for CI)")
    test.add_argument("--json", action="store_true", help="print one JSON object")
    test.add_argument("--update", action="store_true",
                      help="accept what the functions do now as the expected results")  # fmt: skip
    test.add_argument("--target", choices=("function", "pivot"),
                      help="judge for this engine (default: each function's own kfn_target)")  # fmt: skip
    test.add_argument("--server", default=argparse.SUPPRESS,
                      help="run the functions as this server has them (by the manifest's ids), "
                      "not the .js files")  # fmt: skip
    test.add_argument("--api-key", default=argparse.SUPPRESS, help="an API key of that server")
    test.add_argument("--profile", default=argparse.SUPPRESS, help="a server saved in the config")
    test.add_argument("--account", help="the account id (default: the API key's own)")


@asynccontextmanager
async def _connected(
    args: argparse.Namespace, make_client: MakeClient
) -> AsyncIterator[tuple[KazooClient, str]]:
    """A client and the account to work on: the given server, else the local data dir."""
    embedded = None
    if getattr(args, "server", None) or getattr(args, "profile", None):
        client = make_client(args)
    else:
        from backend.api.server import Backend
        from backend.paths import data_dir
        from backend.store import DataDirLocked
        from tui.embedded import Embedded
        from tui.local_server import running_local_client

        try:
            backend = Backend.open(data_dir(args.data_dir))
        except DataDirLocked:  # a kfn holds it: go through that kfn's API instead
            running = running_local_client(args.data_dir)
            if running is None:
                raise
            client = running
        else:
            embedded = Embedded(backend, serve_tcp=False)
            client = await embedded.start()
    try:
        yield client, args.account or await client.account_id()
    finally:
        await client.aclose()
        if embedded is not None:
            await embedded.stop()
            embedded.backend.close()


def _run(work: Callable[[], Coroutine[Any, Any, int]]) -> int:
    from backend.client import ApiError
    from backend.store import DataDirLocked
    from backend.sync import SyncError

    try:
        return asyncio.run(work())
    except (SyncError, ApiError) as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED if isinstance(exc, ApiError) else EXIT_USAGE
    except DataDirLocked as exc:
        print(f"kfn: {exc}; or reach it with --server URL --api-key KEY", file=sys.stderr)
        return EXIT_FAILED


def cmd_pull(args: argparse.Namespace, make_client: MakeClient) -> int:
    from backend.sync import pull

    async def work() -> int:
        async with _connected(args, make_client) as (client, account):
            report = await pull(client, account, args.dir, force=args.force)
        for name in report.written:
            print(f"wrote {args.dir / name}")
        for name in report.kept:
            print(f"kept {args.dir / name}: edited here since the pull (push it, or --force)")
        if not report.written and not report.kept:
            print(f"{args.dir}: up to date")
        return EXIT_OK

    return _run(work)


def cmd_diff(args: argparse.Namespace, make_client: MakeClient) -> int:
    from backend.sync import changes

    async def work() -> int:
        async with _connected(args, make_client) as (client, _account):
            _manifest, found = await changes(client, args.dir)
        differ = [c for c in found if c.state != "same"]
        for change in differ:
            print(f"{change.state:8} {change.file}{_state_note(change.state)}")
            text = change.diff()
            if text:
                print(text, end="" if text.endswith("\n") else "\n")
        if not differ:
            print(f"{args.dir}: the same as the server")
        return EXIT_FAILED if differ else EXIT_OK

    return _run(work)


STATE_NOTES = {
    "local": " (edited here)",
    "server": " (changed on the server since the pull: pull to take it)",
    "both": " (edited here and changed on the server: push refuses it without --force)",
    "new": " (a new file: push creates it)",
    "deleted": " (deleted here: push --prune deletes it on the server)",
    "gone": " (deleted on the server: push creates it again)",
}


def _state_note(state: str) -> str:
    return STATE_NOTES.get(state, "")


def cmd_push(args: argparse.Namespace, make_client: MakeClient) -> int:
    from backend.sync import push

    async def work() -> int:
        async with _connected(args, make_client) as (client, _account):
            report = await push(client, args.dir, force=args.force, prune=args.prune,
                                dry_run=args.dry_run)  # fmt: skip
        verb = "would push" if args.dry_run else "pushed"
        for name in report.pushed:
            print(f"{verb} {name}")
        for change in report.refused:
            print(f"refused {change.file}: changed on the server since the pull "
                  "(pull, merge, push again; or --force to overwrite it):")  # fmt: skip
            print(change.diff(), end="")
        for name, why in report.failed:
            print(f"failed {name}: {why}")
        for name in report.skipped:
            print(f"kept on the server {name}: its file was deleted here (--prune deletes it)")
        if not (report.pushed or report.refused or report.failed):
            print("nothing to push")
        return EXIT_FAILED if report.refused or report.failed else EXIT_OK

    return _run(work)


async def _server_bodies(
    files: list[Path], args: argparse.Namespace, make_client: MakeClient
) -> dict[Path, tuple[str, str]]:
    """Each test file's function as the server has it, found by the pulled manifest's id."""
    from backend.callflow.evaluate import target_of
    from backend.cases import SUFFIX, CaseFileError, function_id_in_manifest

    bodies: dict[Path, tuple[str, str]] = {}
    client = make_client(args)
    try:
        account = args.account or await client.account_id()
        for test_file in files:
            source = f"{test_file.name[: -len(SUFFIX)]}.js"
            function_id = function_id_in_manifest(test_file.parent, source)
            if function_id is None:
                raise CaseFileError(f"{test_file}: {source} is not in a pulled manifest beside it")
            doc = await client.get_function(account, function_id)
            bodies[test_file] = (str(doc.data.get("function_js", "")), target_of(doc.data))
    finally:
        await client.aclose()
    return bodies


def cmd_test(args: argparse.Namespace, make_client: MakeClient) -> int:
    from backend.cases import (
        BodyFor,
        CaseFileError,
        body_beside,
        find_case_files,
        junit_xml,
        run_cases,
    )
    from backend.client import ApiError
    from backend.paths import write_atomically

    try:
        files = find_case_files(args.paths)
        if not files:
            where = " ".join(str(path) for path in args.paths) or "."
            print(f"kfn: no *.test.json files found in {where}: give NAME.js its cases in "
                  "NAME.test.json beside it (README: Functions in git), or press F4 on a call "
                  "in the app started in that directory", file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        body_for: BodyFor = body_beside
        if getattr(args, "server", None) or getattr(args, "profile", None):
            bodies = asyncio.run(_server_bodies(files, args, make_client))
            body_for = bodies.__getitem__
        results = run_cases(files, body_for=body_for, update=args.update, target=args.target)
    except CaseFileError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ApiError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = [r for r in results if not r.passed]
    if args.junit:
        write_atomically(args.junit, junit_xml(results))
    if args.json:
        summary: dict[str, Any] = {"passed": len(results) - len(failed), "failed": len(failed),
                                   "cases": [r.to_json() for r in results]}  # fmt: skip
        print(json.dumps(summary))
    else:
        for result in results:
            mark = "ok  " if result.passed else "FAIL"
            print(f"{mark} {result.function}: {result.name}")
            if result.failure:
                print(f"     {result.failure}")
        updated = " (expectations updated)" if args.update else ""
        print(f"{len(results) - len(failed)} passed, {len(failed)} failed{updated}")
    return EXIT_OK if args.update or not failed else EXIT_FAILED
