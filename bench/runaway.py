"""A runaway function beside a fine one, run by hand: `.venv/bin/python bench/runaway.py`.

`kfn serve` (pinned to one core, as in bench/pivot.py) serves two functions: one loops until its
time limit, one answers at once. 16 callers call the runaway one as fast as they are answered;
meanwhile one caller calls the fine one every 50 ms. Printed: the fine function's latency and
failures, and how the runaway's calls were answered. What it shows is backend/pivot/turns.py:
without a share per function, the runaway's calls fill every worker and the queue in front of
them, and the fine function's calls wait behind them past Pivot's 5 s.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from pivot import start_kfn, voice_paths  # noqa: E402  (bench/pivot.py)

BODIES = {"runaway": "while (true) {}", "fine": "return {module: 'hangup', data: {}};"}
HOSTILE_CALLERS = 16
SECONDS = 8.0


async def measure(base: str, paths: dict[str, str]) -> None:
    stop = time.monotonic() + SECONDS
    answers: Counter[str] = Counter()
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=HOSTILE_CALLERS + 4)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:

        async def hostile() -> None:
            while time.monotonic() < stop:
                try:
                    answer = await http.get(f"{paths['runaway']}?Caller-ID-Number=1")
                    answers[str(answer.status_code)] += 1
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1

        callers = [asyncio.create_task(hostile()) for _ in range(HOSTILE_CALLERS)]
        await asyncio.sleep(1)  # the runaway's calls are in
        while time.monotonic() < stop - 1:
            started = time.monotonic()
            try:
                answer = await http.get(f"{paths['fine']}?Caller-ID-Number=1")
                failed += answer.status_code != 200
            except httpx.HTTPError:
                failed += 1
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
        await asyncio.gather(*callers)
    print(f"the fine function, while {HOSTILE_CALLERS} callers call a runaway one: "
          f"{len(latencies)} calls, p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.0f} ms, {failed} failed")  # fmt: skip
    print(f"the runaway function's answers: {dict(answers)}")


def main() -> None:
    server, api_key = start_kfn(Path(tempfile.mkdtemp()) / "data")
    try:
        paths = voice_paths(server.port, api_key, BODIES)
        asyncio.run(measure(f"http://127.0.0.1:{server.port}", paths))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
