"""API benchmark under concurrent load: kfn against a bare aiohttp floor, in one run.

    .venv/bin/python bench/api.py [--seconds 5] [--rounds 3] [--connections 32]

Each server is its own process pinned to CPU 0; the load runs on CPU 1: `wrk` when it is on
PATH (Debian's package), else a separate-process asyncio client with the same number of
keep-alive connections. kfn and the floor are measured alternately, round by round, and each
figure is the median over the rounds. Printed per scenario: req/s, p50 and p99 for both, and
kfn's ratios (req/s: higher is better, goal >= 0.75 for GET; p99: lower is better, goal <= 2).

The floor is the least a server must do for the same answer: aiohttp's low-level server, no
routing, the same Crossbar-shaped envelope encoded per request; for PUT it also reads and
decodes the body and appends one fdatasync'ed line (kfn's journal costs that much disk), for
user_auth it runs the same PBKDF2 kfn stores credentials with. So each ratio is kfn's own
overhead, not the disk's or the hash's.

Then the storage goals: create and get latency with 10 and 10,000 stored functions (in-process
store calls, no HTTP), as ratios (create at 10k <= 3x at 10, get <= 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY = "return {module: 'tts', data: {text: 'hello ' + call['Caller-ID-Name']}};"
SERVER_CPU, LOAD_CPU = "0", "1"

FLOOR_SERVER = textwrap.dedent(
    """
    import asyncio, hashlib, json, os, sys, time
    from aiohttp import web

    def envelope(data, status="success"):
        return {"auth_token": "t" * 43, "data": data, "revision": "1-" + "0" * 32,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": "5.0.0", "node": "n" * 22, "request_id": os.urandom(16).hex(),
                "status": status}

    DOC = {"id": "f" * 32, "name": "bench", "function_js": sys.argv[2], "enabled": True,
           "language_pack": "javascript"}
    journal = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    async def handler(request):
        if request.method == "PUT" and request.path.endswith("/user_auth"):
            await request.read()
            hashlib.pbkdf2_hmac("sha256", b"x" * 32, b"s" * 32, int(sys.argv[4]))
            return web.Response(status=201, text=json.dumps(envelope({"account_id": "a" * 32})),
                                content_type="application/json")
        if request.method == "PUT":
            data = json.loads(await request.read())["data"]
            os.write(journal, json.dumps(data).encode() + b"\\n")
            os.fdatasync(journal)
            return web.Response(status=201, text=json.dumps(envelope({**DOC, **data})),
                                content_type="application/json")
        if request.path.endswith("/functions"):
            return web.Response(text=json.dumps(envelope([DOC] * 100)),
                                content_type="application/json")
        return web.Response(text=json.dumps(envelope(DOC)), content_type="application/json")

    async def main():
        if sys.argv[5] == "app":  # an ordinary aiohttp application: router, one catch-all route
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handler)
            runner = web.AppRunner(app, access_log=None)
        else:  # aiohttp's low-level server, as kfn runs it
            runner = web.ServerRunner(web.Server(handler), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", int(sys.argv[1]))
        await site.start()
        print("serving", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)

# The fallback load generator: N keep-alive connections, each sending its next request as soon
# as the previous answer is read (what wrk does), in a process of its own.
ASYNC_LOAD = textwrap.dedent(
    """
    import asyncio, json, sys, time
    host, port, seconds, conns = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    request = sys.stdin.buffer.read()

    async def one(deadline, latencies):
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\\r\\n")[0])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
        writer.close()

    async def main():
        latencies = []
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(one(deadline, latencies) for _ in range(conns)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(json.dumps({"rps": len(latencies) / elapsed,
                          "p50": latencies[len(latencies) // 2] * 1000,
                          "p99": latencies[int(len(latencies) * 0.99)] * 1000}))

    asyncio.run(main())
    """
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned(cpu: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if shutil.which("taskset") else argv


class Server:
    def __init__(self, argv: list[str], port: int, marker_on_stdout: bool) -> None:
        self.port = port
        self.process = subprocess.Popen(
            pinned(SERVER_CPU, argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        stream = self.process.stdout if marker_on_stdout else self.process.stderr
        assert stream is not None
        for line in stream:
            if "serving" in line:
                break
        else:
            raise SystemExit(f"server did not start: {self.process.stderr.read()}")  # type: ignore[union-attr]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# (name, path, method, body, headers) of one kind of request
Scenario = tuple[str, str, str, str | None, dict[str, str]]
# A load generator: port, path, method, body, headers, the options; req/s, p50 and p99 (ms).
Load = Callable[[int, str, str, str | None, dict[str, str], argparse.Namespace], dict[str, float]]


def wrk(
    port: int, path: str, method: str, body: str | None, headers: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, float]:  # fmt: skip
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = [f"wrk.method = {json.dumps(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            pinned(
                LOAD_CPU,
                [
                    "wrk",
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{args.seconds:g}s",
                    "--latency",
                    "-s",
                    str(script),
                    f"http://127.0.0.1:{port}{path}",
                ],
            ),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        script.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": _wrk_latency(out, "50"), "p99": _wrk_latency(out, "99")}


def _wrk_latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def async_load(
    port: int, path: str, method: str, body: str | None, headers: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, float]:  # fmt: skip
    payload = (body or "").encode()
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(payload)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
    out = subprocess.run(
        pinned(
            LOAD_CPU,
            [
                sys.executable,
                "-c",
                ASYNC_LOAD,
                "127.0.0.1",
                str(port),
                str(args.seconds),
                str(args.connections),
            ],
        ),
        input=raw,
        capture_output=True,
        check=True,
    ).stdout
    measured: dict[str, float] = json.loads(out)
    return measured


def scenarios(api_key: str, kfn_port: int) -> tuple[list[Scenario], str]:
    """Set up the kfn data (100 functions, a user) through its API; return the scenarios."""
    base = f"http://127.0.0.1:{kfn_port}"
    token = httpx.put(f"{base}/v2/api_auth", json={"data": {"api_key": api_key}}).json()[
        "auth_token"
    ]
    auth = {"X-Auth-Token": token}
    account = httpx.get(f"{base}/v2/token_auth", headers=auth).json()["data"]["account_id"]
    functions = f"/v2/accounts/{account}/functions"
    ids = [
        httpx.put(
            base + functions, headers=auth, json={"data": {"name": f"f{i:03}", "function_js": BODY}}
        ).json()["data"]["id"]
        for i in range(100)
    ]
    create = json.dumps({"data": {"name": "bench", "function_js": BODY}})
    login = json.dumps({"data": {"credentials": "x" * 32, "account_name": "bench"}})
    json_type = {"Content-Type": "application/json"}
    return [
        ("GET one function", f"{functions}/{ids[0]}", "GET", None, auth),
        ("list 100 functions", functions, "GET", None, auth),
        ("PUT create", functions, "PUT", create, {**auth, **json_type}),
        ("user_auth", "/v2/user_auth", "PUT", login, json_type),
    ], account


def storage_goals() -> None:
    from backend.functions import FunctionService
    from backend.store import DocumentStore

    def timed(count: int) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as tmp, DocumentStore(tmp, fsync=False) as store:
            service = FunctionService(store)
            for i in range(count):
                service.create("a" * 32, {"name": f"f{i}", "function_js": BODY})
            creates, gets = [], []
            doc_id = ""
            for i in range(300):
                started = time.perf_counter()
                doc_id, _ = service.create("a" * 32, {"name": f"extra{i}", "function_js": BODY})
                creates.append(time.perf_counter() - started)
            for _ in range(3000):
                started = time.perf_counter()
                service.load("a" * 32, doc_id)
                gets.append(time.perf_counter() - started)
            return statistics.median(creates), statistics.median(gets)

    small, large = timed(10), timed(10_000)
    print(
        f"\nstorage: create at 10k stored / at 10: {large[0] / small[0]:.2f}x (goal <= 3); "
        f"get: {large[1] / small[1]:.2f}x (goal <= 1.5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    load: Load = wrk if shutil.which("wrk") else async_load
    from backend.accounts import PBKDF2_ROUNDS

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "kfn"
        # The login user, made through the CLI from stdin (the password stays off argv).
        subprocess.run(
            [
                *(sys.executable, "-m", "tui.cli", "accounts", "create", "bench"),
                *("--username", "u", "--password-stdin", "--data-dir", str(data)),
            ],
            input="pw\n",
            text=True,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        kfn_port, floor_port = free_port(), free_port()
        kfn_argv = [sys.executable, "-m", "tui.cli", "serve", "--quiet", "--data-dir", str(data)]
        kfn = Server([*kfn_argv, "--port", str(kfn_port)], kfn_port, False)
        api_key = (data / "local-api-key").read_text().strip()
        plan, _account = scenarios(api_key, kfn_port)
        kfn.stop()
        from backend.credentials import kazoo_credentials

        # user_auth with real credentials, so both servers do the same hash and answer 201.
        good = json.dumps(
            {"data": {"credentials": kazoo_credentials("u", "pw"), "account_name": "bench"}}
        )
        plan[-1] = (*plan[-1][:3], good, plan[-1][4])
        floor_argv = [sys.executable, "-c", FLOOR_SERVER, str(floor_port), BODY]
        floor_argv += [str(Path(tmp) / "floor.journal"), str(PBKDF2_ROUNDS)]
        servers: dict[str, Callable[[], Server]] = {
            "kfn": lambda: Server([*kfn_argv, "--port", str(kfn_port)], kfn_port, False),
            "floor": lambda: Server([*floor_argv, "app"], floor_port, True),
            "low-level": lambda: Server([*floor_argv, "low-level"], floor_port, True),
        }
        results: dict[str, dict[str, list[dict[str, float]]]] = {
            name: {who: [] for who in servers} for name, *_ in plan
        }
        for _ in range(args.rounds):
            for who, start in servers.items():
                server = start()
                try:
                    for name, path, method, body, headers in plan:
                        results[name][who].append(
                            load(server.port, path, method, body, headers, args)
                        )
                finally:
                    server.stop()
    print(
        f"load: {'wrk' if load is wrk else 'asyncio client'}, {args.connections} connections, "
        f"{args.seconds:g} s x {args.rounds} rounds; servers on CPU {SERVER_CPU}, load on "
        f"CPU {LOAD_CPU}; medians over rounds"
    )
    print(
        "floor: an aiohttp Application with one catch-all route (the goal's floor); "
        "low-level: aiohttp's bare web.Server, which kfn is built on (no router at all)\n"
    )
    header = f"{'scenario':<20}"
    for who in servers:
        header += f" {who + ' req/s':>15} {'p50':>7} {'p99':>7}"
    print(header + f" {'vs floor req/s':>15} {'p99':>6} {'vs low-level':>13} {'p99':>6}")
    for name, by in results.items():
        med = {
            who: {m: statistics.median(r[m] for r in runs) for m in ("rps", "p50", "p99")}
            for who, runs in by.items()
        }
        line = f"{name:<20}"
        for who in servers:
            line += f" {med[who]['rps']:>15.0f} {med[who]['p50']:>6.2f}m {med[who]['p99']:>6.2f}m"
        for floor in ("floor", "low-level"):
            line += (
                f" {med['kfn']['rps'] / med[floor]['rps']:>14.2f}x"
                f" {med['kfn']['p99'] / med[floor]['p99']:>5.2f}x"
            )
        print(line)
    print("\ngoals: GET one function, against the floor: req/s ratio >= 0.75, p99 ratio <= 2")
    storage_goals()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
