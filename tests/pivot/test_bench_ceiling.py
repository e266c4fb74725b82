"""bench/pivot.py's ceiling server answers as kfn's Pivot URL does (it is run by hand, so a
change to the Pivot service that breaks it would otherwise go unseen until the next bench)."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.conftest import REPO, free_port


def test_the_ceiling_server_answers_a_pivot_request_with_its_fixed_flow() -> None:
    port = free_port(start=18680)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "pivot.py"), "--serve-without-runs", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None and "serving" in process.stdout.readline()
        answer = httpx.get(f"http://127.0.0.1:{port}/pivot/a/f/secret?Caller-ID-Name=Ann")
        assert answer.status_code == 200 and answer.json() == {"module": "hangup", "data": {}}
        refused = httpx.get(f"http://127.0.0.1:{port}/pivot/a/f/other?Caller-ID-Name=Ann")
        assert refused.status_code == 404
    finally:
        process.terminate()
        process.wait(10)
