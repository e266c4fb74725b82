"""kill -9 mid-write: every function the server acknowledged is there, intact, afterwards."""

from __future__ import annotations

import os
import random
import signal
import threading
from pathlib import Path

import httpx

from backend.store import DocumentStore
from tests.conftest import kfn, start_serve, wait_until


def test_sigkill_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """The kill comes after a seeded number of acknowledged writes, while three writers are
    mid-request: KFN_CRASH_SEED=<the printed seed> replays the same moment."""
    from tests.conftest import free_port

    seed = int(os.environ.get("KFN_CRASH_SEED") or random.randrange(1 << 32))
    print(f"KFN_CRASH_SEED={seed}")
    kill_after = random.Random(seed).randint(20, 300)

    data_dir = tmp_path / "data"
    made = kfn("accounts", "create", "Crash", "--json", "--data-dir", str(data_dir))
    assert made.returncode == 0, made.stderr
    import json

    account = json.loads(made.stdout)
    port = free_port(start=18000)
    server, _ = start_serve(data_dir, port)
    base = f"http://127.0.0.1:{port}"
    token = httpx.put(f"{base}/v2/api_auth", json={"data": {"api_key": account["api_key"]}}).json()[
        "auth_token"
    ]
    acknowledged: dict[str, str] = {}
    stop = threading.Event()

    def writer() -> None:
        with httpx.Client(headers={"X-Auth-Token": token}, timeout=5) as client:
            n = 0
            while not stop.is_set():
                body = f"return {{module:'tts', data:{{text:'call {n}'}}}};"
                try:
                    reply = client.put(
                        f"{base}/v2/accounts/{account['account_id']}/functions",
                        json={"data": {"name": f"fn {n}", "function_js": body}},
                    )
                except httpx.HTTPError:
                    return
                if reply.status_code == 201:
                    acknowledged[reply.json()["data"]["id"]] = body
                n += 1

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_until(
        lambda: len(acknowledged) >= kill_after or not any(t.is_alive() for t in threads),
        timeout=60,
        what=f"{kill_after} acknowledged writes (seed {seed})",
    )
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acknowledged) >= kill_after, f"the writers stopped early (seed {seed})"
    with DocumentStore(data_dir) as store:
        for doc_id, body in acknowledged.items():
            doc = store.get("functions", doc_id)
            assert doc is not None, f"acknowledged {doc_id} was lost"
            assert doc["function_js"] == body
