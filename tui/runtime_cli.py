"""`kfn run`, `kfn check` and `kfn simulate`: the runtime from the command line.

Exit status: 0 ok; 1 when the function fails or its flow is invalid; 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the runtime is imported on first use: `kfn --help` stays fast
    from backend.callflow.evaluate import Evaluation
    from backend.callflow.execute import AllPaths
    from backend.callflow.references import Reference
    from backend.callflow.sources import Documents

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def add_subcommands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add_data_dir: Callable[[argparse.ArgumentParser], None],
) -> None:
    run = sub.add_parser("run", help="run a function against a call and judge its flow")
    add_data_dir(run)
    run.add_argument(
        "function",
        metavar="FILE_OR_ID",
        help="a .js body, a .json function document, or a stored function id",
    )
    run.add_argument("--call", required=True, help="a call file (JSON of KAZOO call parameters)")
    run.add_argument(
        "--raw", action="store_true", help="pass the call JSON unchanged (NOT what KAZOO does)"
    )
    run.add_argument("--json", action="store_true", help="print one JSON object")
    _add_target(run)
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="syntax and ES5 checks plus a dry run")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--call", help="the call for the dry run (default: a sample call)")
    _add_target(check)
    check.set_defaults(handler=cmd_check)

    simulate = sub.add_parser(
        "simulate",
        help="walk a callflow as KAZOO's executor would (or every path through it)",
        description="Walk a callflow for one call as KAZOO's cf_exe would: function nodes "
        'run, bridges, menus and branches follow the call\'s scenario ("kfn": '
        '{"scenario": {...}} in the call file). Exit 0 when the walk completes, 1 when a '
        "function fails (or the branch limit is hit), 2 for usage errors.",
    )
    simulate.add_argument(
        "callflow",
        metavar="CALLFLOW.json|NUMBER",
        help="a callflow document (with 'flow'), or a number to dial: found among --callflows "
        "as KAZOO does (exact numbers, then patterns)",
    )
    simulate.add_argument(
        "--call", required=True, metavar="CALL.json", help="the call parameters (and scenario)"
    )
    simulate.add_argument(
        "--functions",
        metavar="DIR",
        help="directory of <id>.js / <id>.json functions (default: the samples)",
    )
    simulate.add_argument(
        "--callflows",
        metavar="DIR",
        help="directory of callflow documents (*.json; the id is 'id', else the file stem) "
        "for callflow nodes and dialling, and of the menus they name (default: the samples)",
    )
    simulate.add_argument(
        "--all-paths",
        action="store_true",
        help="every distinct path (each bridge outcome, menu key, match...), each with the "
        "scenario that reproduces it, and the children no path can take",
    )
    simulate.add_argument(
        "--raw", action="store_true", help="pass the call JSON as it is (not what KAZOO does)"
    )
    simulate.add_argument("--json", action="store_true", help="print one JSON object")
    _add_target(simulate)
    simulate.set_defaults(handler=cmd_simulate)


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=("function", "pivot"),
        default=None,
        help="where the function is meant to run: KAZOO's function module (its engine is ES5, "
        "so ES2015+ syntax is a failure) or a Pivot runtime such as kfn's (QuickJS: ES2020 "
        "runs; ES5 findings are warnings). Default: the function's own kfn_target setting, "
        "else the function module",
    )


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


def _read_call(path: str) -> dict[str, Any]:
    call = _read_json(path, "the call file")
    if not isinstance(call, dict):
        raise UsageError(f"the call file {path} must hold a JSON object of call parameters")
    return call


def _load_body(target: str, data_dir: str | None) -> str:
    return _load_function(target, data_dir)[0]


def _load_function(target: str, data_dir: str | None) -> tuple[str, dict[str, Any] | None]:
    """The body of a .js file, a function document's .json file or a stored function, with
    the document when there is one (its kfn_target says where it is meant to run)."""
    path = Path(target)
    if path.suffix == ".js" and path.is_file():
        return path.read_text(encoding="utf-8"), None
    if path.suffix == ".json" and path.is_file():
        doc = _read_json(target, "the function file")
        body = doc.get("function_js") if isinstance(doc, dict) else None
        if not isinstance(body, str):
            raise UsageError(f"{target} has no string 'function_js'")
        return body, doc
    if path.suffix in (".js", ".json"):
        raise UsageError(f"{target} does not exist")
    from backend.paths import data_dir as resolve
    from backend.store import DataDirLocked, DocumentStore

    try:
        with DocumentStore(resolve(data_dir)) as store:
            doc = store.get("functions", target)
    except DataDirLocked as held:
        doc = _through_running(target, data_dir, held)
    if doc is None or doc.get("pvt_deleted"):
        raise UsageError(f"no file and no stored function named {target}")
    return str(doc.get("function_js", "")), dict(doc)


def _through_running(function_id: str, data_dir: str | None, held: Exception) -> dict[str, Any]:
    """The stored function, from the kfn that holds the data dir, over its API."""
    from backend.client import KazooClient, NotFoundError
    from tui.local_server import NotReached, through_running

    async def fetch(client: KazooClient) -> dict[str, Any]:
        return (await client.get_function(await client.account_id(), function_id)).data

    try:
        return through_running(data_dir, held, fetch)[0]
    except NotReached as exc:
        if isinstance(exc.__cause__, NotFoundError):
            raise UsageError(f"no file and no stored function named {function_id}") from None
        raise UsageError(str(exc)) from None


def _print_evaluation(
    evaluation: Evaluation, target: str = "function", out: TextIO = sys.stdout
) -> None:
    from backend.callflow.evaluate import es5_severity

    severity = es5_severity(target)
    for finding in evaluation.check.es5:
        print(f"{severity}: line {finding.line}, column {finding.column}: {finding.message}",
              file=out)  # fmt: skip
    if evaluation.outcome:
        for level, text in evaluation.outcome.logs:
            print(f"console.{level}: {text}", file=out)
    if evaluation.error:
        print(f"error: {evaluation.error.describe()}", file=out)
        return
    print(json.dumps(evaluation.flow, indent=2), file=out)
    rejected = evaluation.rejections(target)
    if evaluation.ok and rejected:
        print("rejected: KAZOO's function module runs ES5 only, so this code fails there "
              "and the call continues to the '_' child (--target pivot runs it)", file=out)  # fmt: skip
    elif evaluation.ok and evaluation.outcome is not None:
        print(
            f"valid: KAZOO would branch into this flow ({evaluation.outcome.duration_ms:.2f} ms)",
            file=out,
        )
    else:
        print("invalid: KAZOO would drop this flow and continue to the '_' child:", file=out)
        for line in evaluation.reasons():
            print(f"  {line}", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    from backend.callflow.evaluate import evaluate, target_of

    try:
        body, doc = _load_function(args.function, args.data_dir)
        call = _read_call(args.call)
    except UsageError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.target = args.target or target_of(doc)
    evaluation = evaluate(body, call, raw=args.raw)
    if args.json:
        print(json.dumps(evaluation.to_json()))
    else:
        _print_evaluation(evaluation, args.target)
    return EXIT_OK if evaluation.passes(args.target) else EXIT_FAILED


def cmd_check(args: argparse.Namespace) -> int:
    from backend.callflow.evaluate import es5_severity, evaluate, target_of
    from backend.runtime import es5
    from backend.samples import sample_calls

    try:
        call = _read_call(args.call) if args.call else next(iter(sample_calls().values()), {})
    except UsageError as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for name in args.files:
        if not name.endswith((".js", ".json")):
            print(f"kfn: {name}: give a .js or .json file", file=sys.stderr)
            return EXIT_USAGE
        try:
            body, doc = _load_function(name, None)
        except UsageError as exc:
            print(f"kfn: {exc}", file=sys.stderr)
            return EXIT_USAGE
        target = args.target or target_of(doc)
        report = es5.check(body)
        for finding in report.findings:
            severity = es5_severity(target) if finding in report.es5 else finding.severity
            print(f"{name}:{finding.line}:{finding.column}: {severity}: {finding.message}")
        if not report.runnable:
            status = EXIT_FAILED
            continue
        evaluation = evaluate(body, call, report=report)
        rejected = evaluation.rejections(target)
        if not evaluation.ok:
            status = EXIT_FAILED
            for line in evaluation.reasons():
                print(f"{name}: dry run: {line}")
        elif rejected:
            status = EXIT_FAILED
            print(f"{name}: fails on KAZOO's function module: it runs ES5 only "
                  f"({len(rejected)} finding(s) above; --target pivot runs it)")  # fmt: skip
        else:
            print(f"{name}: ok (dry run returned a valid {evaluation.flow.get('module')} flow)")
    return status


def cmd_simulate(args: argparse.Namespace) -> int:
    from backend.callflow.execute import Environment, Scenario, ScenarioError, all_paths, execute
    from backend.callflow.sources import DirectorySource, Documents
    from backend.samples import samples_dir

    try:
        call = _read_call(args.call)
        scenario = Scenario.from_call(call)
        documents = Documents.from_directory(
            _directory(args.callflows, samples_dir() / "callflows")
        )
        functions = DirectorySource(_directory(args.functions, samples_dir() / "functions"))
        callflow, capture, label = _callflow_to_walk(args.callflow, documents)
    except (UsageError, ScenarioError) as exc:
        print(f"kfn: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # A callflow's `function` nodes run on KAZOO's function module unless told otherwise.
    target = args.target or "function"
    env = Environment(
        call, functions, documents, raw=args.raw, capture_group=capture, target=target
    )
    if args.all_paths:
        found = all_paths(callflow, env)
        if args.json:
            print(json.dumps(found.to_json()))
        else:
            _print_all_paths(found, label)
        return EXIT_FAILED if any(p.function_failed for p in found.paths) else EXIT_OK
    result = execute(callflow, env, scenario)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(f"{label}:")
        for number, step in enumerate(result.steps, 1):
            child = f" ▸ {step.child}" if step.child else ""
            note = f"  — {step.note}" if step.note else ""
            print(f"{number:>3}. [{step.outcome}] {step.module}{child}  @ {step.where}{note}")
        print(f"{result.branches} branch(es); {result.ended}")
        for dead in result.dead:
            print(f"dead branch: {dead}")
        _print_references(result.references)
    failed = result.function_failed or result.ended == "branch limit reached"
    return EXIT_FAILED if failed else EXIT_OK


def _directory(given: str | None, default: Path) -> Path:
    directory = Path(given) if given else default
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    return directory


def _callflow_to_walk(target: str, documents: Documents) -> tuple[dict[str, Any], str | None, str]:
    """The callflow named on the command line (a file, or a number to dial), the digits its
    pattern captured, and how to name it."""
    path = Path(target)
    if path.suffix == ".json" or path.is_file():
        callflow = _read_json(target, "the callflow file")
        if not isinstance(callflow, dict) or not isinstance(callflow.get("flow"), dict):
            raise UsageError(f"{target} must be a callflow object with a 'flow'")
        return callflow, None, str(callflow.get("name") or target)
    found = documents.lookup(target)
    if found is None:
        raise UsageError(f"no callflow answers {target} (no number, pattern or no_match matches)")
    doc_id, doc, capture = found
    captured = f", captured {capture}" if capture else ""
    return doc, capture, f"dialled {target}: callflow {doc.get('name') or doc_id}{captured}"


def _print_all_paths(found: AllPaths, label: str) -> None:
    bound = "" if found.complete else f" (stopped at {len(found.paths)}: more exist)"
    print(f"{label}: {len(found.paths)} path(s){bound}")
    for number, path in enumerate(found.paths, 1):
        modules = " → ".join(
            f"{step.module}{'[' + step.child + ']' if step.child and step.child != '_' else ''}"
            for step in path.steps
        )
        print(f"{number:>3}. {modules}")
        print(f"     scenario {json.dumps(path.scenario.to_json())}; {path.ended}")
    for dead in found.dead:
        print(f"dead branch: {dead} (KAZOO can never take it)")
    _print_references(found.references)


def _print_references(references: list[Reference]) -> None:
    for reference in references:
        if reference.found is not True:
            print(f"uses {reference.kind} {reference.id} @ {reference.where}: {reference.note}")
