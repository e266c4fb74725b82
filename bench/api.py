"""API benchmark: GET one function and PUT create, beside a bare aiohttp constant-JSON floor,
and create/get latency with 10, 1,000 and 10,000 stored functions. Run by hand:

    .venv/bin/python bench/api.py

Each figure comes from this one run on this machine; compare the ratios, not the absolutes.
Load comes from a separate process (a keep-alive http.client loop) over loopback.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from backend.api.server import ApiServer, Backend

N = 2000


def serve_in_thread(start) -> int:
    holder: dict[str, int] = {}
    ready = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        holder["port"] = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return holder["port"]


def load(port: int, method: str, path: str, body: bytes | None, headers: dict, n: int, out) -> None:
    conn = HTTPConnection("127.0.0.1", port)
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        latencies.append(time.perf_counter() - t0)
    out.put((n / (time.perf_counter() - started), latencies))


def measure(port: int, method: str, path: str, body: bytes | None = None, headers=None, n: int = N):
    queue: multiprocessing.Queue = multiprocessing.Queue()
    worker = multiprocessing.Process(
        target=load, args=(port, method, path, body, headers or {}, n, queue)
    )
    worker.start()
    rps, latencies = queue.get()
    worker.join()
    latencies.sort()
    return rps, latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000


def main() -> None:
    async def floor() -> int:
        app = web.Application()
        app.router.add_get(
            "/", lambda r: web.json_response({"status": "success", "data": {"id": "x"}})
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    floor_port = serve_in_thread(floor)
    data = Path(tempfile.mkdtemp())
    backend = Backend.open(data)
    account = backend.accounts.create_account("bench")
    token, _ = backend.accounts.issue_token(account.account_id, None, "bench")
    server = ApiServer(backend, "127.0.0.1", 0, access_log=False)

    async def kfn_start() -> int:
        await server.start()
        return server.port

    port = serve_in_thread(kfn_start)
    base = f"/v2/accounts/{account.account_id}/functions"
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    body = json.dumps(
        {"data": {"name": "b", "function_js": "return {module:'hangup',data:{}};"}}
    ).encode()
    doc_id, _ = backend.functions.create(
        account.account_id, {"name": "g", "function_js": "return {};"}
    )

    f_rps, f_p50, f_p99 = measure(floor_port, "GET", "/")
    g_rps, g_p50, g_p99 = measure(port, "GET", f"{base}/{doc_id}", headers=headers)
    c_rps, c_p50, c_p99 = measure(port, "PUT", base, body, headers, n=500)
    print(f"{'':28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'floor (aiohttp constant)':28}{f_rps:10.0f}{f_p50:10.3f}{f_p99:10.3f}")
    print(f"{'GET one function':28}{g_rps:10.0f}{g_p50:10.3f}{g_p99:10.3f}")
    print(f"{'PUT create (fsync)':28}{c_rps:10.0f}{c_p50:10.3f}{c_p99:10.3f}")
    print(
        f"GET req/s vs floor: {g_rps / f_rps:.2f}x (target >= 0.75)   GET p99 vs floor p99: {g_p99 / f_p99:.2f}x (target <= 2)"
    )

    print("\nlatency by number of stored functions (p50 ms, in-process service calls + HTTP)")
    results = {}
    for size in (10, 1_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            sized = Backend.open(Path(tmp))
            acct = sized.accounts.create_account("s")
            for n in range(size):
                sized.store.storage.fsync = False  # filling only; measured writes below fsync
                sized.functions.create(
                    acct.account_id, {"name": f"f{n}", "function_js": "return {};"}
                )
            sized.store.storage.fsync = True
            tok, _ = sized.accounts.issue_token(acct.account_id, None, "bench")
            srv = ApiServer(sized, "127.0.0.1", 0, access_log=False)

            async def start_sized(srv=srv) -> int:
                await srv.start()
                return srv.port

            sp = serve_in_thread(start_sized)
            path = f"/v2/accounts/{acct.account_id}/functions"
            some_id = next(iter(sized.functions._index[acct.account_id]))
            hdrs = {"X-Auth-Token": tok, "Content-Type": "application/json"}
            _, create_p50, _ = measure(sp, "PUT", path, body, hdrs, n=300)
            _, get_p50, _ = measure(sp, "GET", f"{path}/{some_id}", headers=hdrs, n=1000)
            results[size] = (create_p50, get_p50)
            print(f"  {size:>6} stored: create p50 {create_p50:.3f} ms   get p50 {get_p50:.3f} ms")
    c10, g10 = results[10]
    c10k, g10k = results[10_000]
    print(
        f"create at 10,000 vs 10: {c10k / c10:.2f}x (target <= 3)   get at 10,000 vs 10: {g10k / g10:.2f}x (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
