"""Pivot benchmark, run by hand: `.venv/bin/python bench/pivot.py [--seconds 5] [--rounds 3]`.

KAZOO's Pivot calls a function's URL with GET and the call as query string. This loads kfn's
Pivot endpoint (`kfn serve`) that way, 32 keep-alive connections from wrk, beside what people
run today: a Node `http` server that compiles each body once with `new Function('call', body)`
and runs every request in the same process (no isolation). kfn runs every request in a fresh
QuickJS context and validates the flow as KAZOO would. Each server (with its child processes) is
pinned to CPU 0, the load to CPU 1; kfn and Node alternate round by round; figures are medians.

Goals: kfn's req/s >= 0.2x Node's on the samples and >= 0.6x on the heavy function (a 1,000-entry
routing table), p99 <= 2x Node's. Then bench/runtime.py's single-run goal is printed again
(isolated p50 <= 1.0x the Node round trip).

Ceilings are measured on the same core, to tell what no change to kfn's Python can pass:
kfn's own Pivot server with the run replaced by a fixed answer (HTTP, the call, the flow's
validation, the ring and the metrics: everything but QuickJS), and what the quickjs binding
does per second with nothing else (bench/binding_rates.py): bare contexts, contexts with kfn's
prelude, and per function the least an isolated request costs (a bare context, the function
compiled and run in it), which each goal is set against. Then the floor under any server on
QuickJS, in any language: bench/quickjs_floor.c, QuickJS's C API alone running each function
in a fresh context (built with `cc` against the sources of the installed `quickjs` package,
fetched once with pip into the user cache dir).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from api import SERVER_CPU, Load, Server, async_load, free_port, pinned, wrk  # noqa: E402  (bench/api.py)
from runtime import HEAVY, HEAVY_SLUG, NODE_SERVER  # noqa: E402  (bench/runtime.py)

from backend.runtime.call import build_call, encode_query  # noqa: E402
from backend.samples import sample_calls, sample_functions  # noqa: E402

GOAL_SAMPLES, GOAL_HEAVY, GOAL_P99 = 0.2, 0.6, 2.0


def start_kfn(data: Path) -> tuple[Server, str]:
    port = free_port()
    server = Server(
        [sys.executable, "-m", "tui.cli", "serve", "--data-dir", str(data), "--port", str(port),
         "--quiet"],
        port, marker_on_stdout=False,
    )  # fmt: skip
    api_key = (data / "local-api-key").read_text().strip()
    return server, api_key


def voice_paths(port: int, api_key: str, bodies: dict[str, str]) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"
    token = httpx.put(f"{url}/v2/api_auth", json={"data": {"api_key": api_key}}).json()
    account, headers = token["data"]["account_id"], {"X-Auth-Token": token["auth_token"]}
    paths = {}
    for slug, body in bodies.items():
        made = httpx.put(
            f"{url}/v2/accounts/{account}/functions", headers=headers,
            json={"data": {"name": slug, "function_js": body}},
        ).json()["data"]  # fmt: skip
        described = httpx.get(
            f"{url}/v2/accounts/{account}/functions/{made['id']}/pivot", headers=headers
        ).json()["data"]
        paths[slug] = described["voice_url"].removeprefix(url)
    return paths


def serve_without_runs(port: int) -> None:
    """The ceiling server: kfn's Pivot HTTP front, service, validation, ring and metrics, with
    every run answered by one fixed flow instead of QuickJS."""
    import asyncio

    from aiohttp import web

    from backend.api.pivot_http import PivotHttp
    from backend.pivot.invocations import InvocationLog
    from backend.pivot.service import PivotService
    from backend.pivot.source import PivotTarget
    from backend.runtime.sandbox import Limits, RunOutcome, worker_count

    class Everywhere:
        async def find(self, account_id: str, function_id: str) -> PivotTarget:
            return PivotTarget(account_id, function_id, "1-r", "f", "", True, ("secret",))

    class FixedAnswer:
        size = worker_count()  # as many workers as the real sandbox has, for their shares

        async def run(
            self, body: str, call: dict[str, object], *, limits: Limits | None = None,
            started: Callable[[], None] | None = None, start_by: float | None = None,
        ) -> RunOutcome:  # fmt: skip
            if started is not None:
                started()
            return RunOutcome(result={"module": "hangup", "data": {}}, duration_ms=0.01)

    service = PivotService(Everywhere(), InvocationLog(None), sandbox=FixedAnswer())  # type: ignore[arg-type]

    async def main() -> None:
        runner = web.ServerRunner(web.Server(PivotHttp(service).dispatch, access_log=None))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("serving", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


QUICKJS_SOURCES = ("cutils.c", "libbf.c", "libregexp.c", "libunicode.c", "quickjs.c")


def build_native_floor() -> Path | str:
    """bench/quickjs_floor.c built against the QuickJS sources of the installed `quickjs`
    package (its sdist, fetched once into the cache); a sentence saying why not otherwise."""
    import tarfile
    from importlib.metadata import version

    from platformdirs import user_cache_dir

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return "no C compiler (cc) on PATH"
    release = version("quickjs")
    cache = Path(user_cache_dir("kfn", appauthor=False)) / "bench" / f"quickjs-{release}"
    program = cache / "quickjs_floor"
    source = BENCH / "quickjs_floor.c"
    if program.exists() and program.stat().st_mtime >= source.stat().st_mtime:
        return program
    cache.mkdir(parents=True, exist_ok=True)
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", f"quickjs=={release}", "--no-binary", ":all:",
         "--no-deps", "-q", "-d", str(cache)],
        capture_output=True, text=True,
    )  # fmt: skip
    archives = sorted(cache.glob("quickjs-*.tar.gz"))
    if not archives:
        return f"cannot fetch the quickjs {release} sources: {fetched.stderr.strip()[-200:]}"
    with tarfile.open(archives[0]) as archive:
        archive.extractall(cache, filter="data")
    upstream = cache / f"quickjs-{release}" / "upstream-quickjs"
    config_version = (upstream / "VERSION").read_text().strip()
    built = subprocess.run(
        [compiler, "-O2", "-D_GNU_SOURCE", f'-DCONFIG_VERSION="{config_version}"',
         "-DCONFIG_BIGNUM", f"-I{upstream}", str(source),
         *(str(upstream / name) for name in QUICKJS_SOURCES), "-lm", "-lpthread",
         "-o", str(program)],
        capture_output=True, text=True,
    )  # fmt: skip
    if built.returncode != 0:
        return f"quickjs_floor.c does not build: {built.stderr.strip()[-300:]}"
    return program


def native_floor(
    bodies: dict[str, str], call_json: str, seconds: float
) -> dict[str, dict[str, float]] | str:
    """Requests per second of bench/quickjs_floor.c on the server's core, per function."""
    program = build_native_floor()
    if isinstance(program, str):
        return program
    from backend.runtime.worker import PRELUDE  # what every context of kfn's gets

    folder = Path(tempfile.mkdtemp())
    (folder / "prelude.js").write_text(PRELUDE)
    (folder / "call.json").write_text(call_json)
    figures = {}
    for slug, body in bodies.items():
        (folder / "body.js").write_text(body)
        out = subprocess.run(
            pinned(SERVER_CPU, [str(program), str(folder / "prelude.js"), str(folder / "body.js"),
                                str(folder / "call.json"), str(seconds)]),
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        figures[slug] = {name: float(rate) for name, rate in map(str.split, out.splitlines())}
    return figures


def print_native_floor(
    bodies: dict[str, str], call_json: str, node: dict[str, float], kfn: dict[str, float],
    seconds: float,
) -> None:  # fmt: skip
    print("\nthe native floor (bench/quickjs_floor.c: QuickJS's C API alone, no Python, no HTTP; "
          "each call in a fresh context, prelude and function from bytecode):")  # fmt: skip
    figures = native_floor(bodies, call_json, seconds)
    if isinstance(figures, str):
        print(f"  not measured: {figures}")
        return
    print(f"  {'function':26}{'full/s':>9}{'x Node':>8}{'lean/s':>9}{'x Node':>8}"
          f"{'kfn x full':>12}  (lean: no typed arrays, no BigInt)")  # fmt: skip
    for slug, rates in figures.items():
        print(f"  {slug:26}{rates['full']:>9.0f}{rates['full'] / node[slug]:>8.2f}"
              f"{rates['lean']:>9.0f}{rates['lean'] / node[slug]:>8.2f}"
              f"{kfn[slug] / rates['full']:>12.2f}")  # fmt: skip


def ceilings(
    node: dict[str, float], bodies: dict[str, str], call_json: str, query: str,
    args: argparse.Namespace, load: Load,
) -> None:  # fmt: skip
    node_rps = statistics.median(rate for slug, rate in node.items() if slug != HEAVY_SLUG)
    port = free_port()
    server = Server([sys.executable, str(Path(__file__)), "--serve-without-runs", str(port)],
                    port, True)  # fmt: skip
    try:
        answered = httpx.get(f"http://127.0.0.1:{port}/pivot/a/f/secret?{query}")
        assert answered.status_code == 200, answered.text
        no_runs = statistics.median(
            load(port, f"/pivot/a/f/secret?{query}", "GET", None, {}, args)["rps"]
            for _ in range(args.rounds)
        )
    finally:
        server.stop()
    folder = Path(tempfile.mkdtemp())
    (folder / "bodies.json").write_text(json.dumps(bodies))
    script = [sys.executable, "-I", str(BENCH / "binding_rates.py"), str(folder / "bodies.json"),
              call_json, "1.0"]  # fmt: skip
    measured = subprocess.run(
        pinned(SERVER_CPU, script), capture_output=True, text=True, check=True
    )
    binding = json.loads(measured.stdout)
    print(f"\nceilings on the server's core (Node: {node_rps:.0f} req/s, the samples' median):")
    print(f"  kfn's Pivot server with every run a fixed answer: {no_runs:>8.0f} req/s "
          f"= {no_runs / node_rps:.2f}x Node")  # fmt: skip
    print(f"  bare quickjs.Context() made and freed, alone:     {binding['bare']:>8.0f} /s    "
          f"= {binding['bare'] / node_rps:.2f}x Node")  # fmt: skip
    print(f"  fresh QuickJS contexts with the prelude, alone:   {binding['prelude']:>8.0f} /s    "
          f"= {binding['prelude'] / node_rps:.2f}x Node")  # fmt: skip
    print("  the least a request isolated in its own context costs with the binding: a bare")
    print(
        "  context, the function compiled and run in it (no prelude, no HTTP); and the run alone:"
    )
    print(f"  {'function':26}{'isolated/s':>11}{'x Node':>8}{'run/s':>9}{'x Node':>8}"
          f"{'goal':>6}  {'verdict'}")  # fmt: skip
    for slug, floor in binding["isolated"].items():
        goal = GOAL_HEAVY if slug == HEAVY_SLUG else GOAL_SAMPLES
        run = binding["run"][slug]
        verdict = "out of reach on the binding" if floor < goal * node[slug] else "not ruled out"
        print(f"  {slug:26}{floor:>11.0f}{floor / node[slug]:>8.2f}{run:>9.0f}"
              f"{run / node[slug]:>8.2f}{goal:>6.1f}  {verdict}")  # fmt: skip


def start_node(bodies: dict[str, str]) -> Server:
    folder = Path(tempfile.mkdtemp())
    (folder / "fns.json").write_text(json.dumps(bodies))
    script = folder / "server.js"
    # runtime.py's server listens on a port it picks and prints it; here it must be ours.
    port = free_port()
    script.write_text(
        NODE_SERVER.replace("listen(0,", f"listen({port},").replace(
            "console.log(this.address().port)", "console.log('serving')"
        )
    )
    return Server([str(shutil.which("node")), str(script), str(folder / "fns.json")], port, True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve-without-runs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_without_runs:
        serve_without_runs(args.serve_without_runs)
        return
    if not shutil.which("node"):
        raise SystemExit("bench/pivot.py needs node on PATH (Debian's nodejs)")
    load: Load = wrk if shutil.which("wrk") else async_load
    payload = sample_calls()["known_caller"]
    query = encode_query({k: v for k, v in payload.items() if k != "kfn"})
    bodies = {f.slug: f.function_js for f in sample_functions()} | {HEAVY_SLUG: HEAVY}
    data = Path(tempfile.mkdtemp()) / "data"
    kfn, api_key = start_kfn(data)
    node = start_node(bodies)
    try:
        paths = voice_paths(kfn.port, api_key, bodies)
        for slug, path in paths.items():  # each answers 200 with a flow before it is loaded
            answer = httpx.get(f"http://127.0.0.1:{kfn.port}{path}?{query}")
            assert answer.status_code == 200, (slug, answer.text)
        print(f"load: {'wrk' if load is wrk else 'asyncio client'}, {args.connections} "
              f"connections, {args.seconds:g} s x {args.rounds} rounds, GET with the "
              f"known_caller call as query string")  # fmt: skip
        header = f"{'function':26}{'kfn req/s':>10}{'node req/s':>11}{'ratio':>7}"
        print(header + f"{'kfn p50':>9}{'p99':>8}{'node p50':>9}{'p99':>8}{'p99 x':>7}")
        failed, node_by_slug, kfn_by_slug = [], {}, {}
        for slug, path in paths.items():
            kfn_runs, node_runs = [], []
            for _ in range(args.rounds):
                kfn_runs.append(load(kfn.port, f"{path}?{query}", "GET", None, {}, args))
                node_runs.append(load(node.port, f"/{slug}?{query}", "GET", None, {}, args))
            mine = {k: statistics.median(r[k] for r in kfn_runs) for k in ("rps", "p50", "p99")}
            theirs = {k: statistics.median(r[k] for r in node_runs) for k in ("rps", "p50", "p99")}
            node_by_slug[slug], kfn_by_slug[slug] = theirs["rps"], mine["rps"]
            ratio, p99x = mine["rps"] / theirs["rps"], mine["p99"] / theirs["p99"]
            goal = GOAL_HEAVY if slug == HEAVY_SLUG else GOAL_SAMPLES
            marks = ("" if ratio >= goal else " <rps") + ("" if p99x <= GOAL_P99 else " <p99")
            if marks:
                failed.append(slug)
            print(f"{slug:26}{mine['rps']:>10.0f}{theirs['rps']:>11.0f}{ratio:>7.2f}"
                  f"{mine['p50']:>9.2f}{mine['p99']:>8.2f}{theirs['p50']:>9.2f}"
                  f"{theirs['p99']:>8.2f}{p99x:>7.2f}{marks}")  # fmt: skip
        print(f"goals: req/s >= {GOAL_SAMPLES}x Node on the samples, >= {GOAL_HEAVY}x on "
              f"{HEAVY_SLUG}, p99 <= {GOAL_P99}x: "
              f"{'met' if not failed else 'missed on ' + ', '.join(failed)}")  # fmt: skip
    finally:
        kfn.stop()
        node.stop()
    call_json = json.dumps(build_call(payload))
    ceilings(node_by_slug, bodies, call_json, query, args, load)
    print_native_floor(bodies, call_json, node_by_slug, kfn_by_slug, min(args.seconds, 2.0))
    print("\nbench/runtime.py (the single isolated run against the Node round trip):")
    subprocess.run([sys.executable, str(BENCH / "runtime.py")], check=False)


if __name__ == "__main__":
    main()
