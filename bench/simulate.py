"""Callflow walk benchmark, run by hand: `.venv/bin/python bench/simulate.py`.

Prints, with medians over repeated runs in this one process:
- one isolated function run (call built, QuickJS in a fresh context, flow validated): the unit
  every function node costs;
- a 50-branch walk: a function whose flow is a callflow node back into the same callflow, so
  every one of KAZOO's 50 branches runs the function (each walk runs it once: the call is the
  same, so is the result) and walks a callflow;
- `all_paths` over a callflow of 10 two-way decisions in a row (fax_detect: 2^10 = 1,024
  paths), each path walked by replay;
and each as a ratio to the single run.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.callflow.evaluate import evaluate
from backend.callflow.execute import Environment, all_paths, execute
from backend.callflow.sources import Documents, FunctionDoc, MappingSource
from backend.runtime.sandbox import shared_sandbox
from backend.samples import sample_calls

CALL = sample_calls()["known_caller"]
BODY = "return {module: 'callflow', data: {id: 'loop'}};"


def median_ms(run: Callable[[], Any], rounds: int) -> float:
    run()  # warm: the sandbox pool, the compiled validators
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def decisions(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"module": "hangup", "data": {}}
    for _ in range(depth):
        node = {"module": "fax_detect", "data": {}, "children": {"ON_FAX": node, "ON_VOICE": node}}
    return {"flow": node}


def main() -> None:
    sandbox = shared_sandbox()
    single = median_ms(lambda: evaluate(BODY, CALL, sandbox=sandbox), 200)

    loop = {"id": "loop", "flow": {"module": "function", "data": {"id": "f"}}}
    docs = Documents(callflows={"loop": loop})
    functions = MappingSource({"f": FunctionDoc("f", BODY)})

    def fifty() -> None:
        sim = execute(loop, Environment(CALL, functions, docs, sandbox=sandbox))
        assert sim.branches == 50, sim.ended

    walk = median_ms(fifty, 30)
    tree = decisions(10)

    def every_path() -> None:
        found = all_paths(tree, Environment(CALL, MappingSource({})), limit=2048)
        assert len(found.paths) == 1024 and found.complete

    paths = median_ms(every_path, 5)
    print(f"one isolated function run         {single:8.2f} ms")
    print(f"a 50-branch walk                  {walk:8.2f} ms   {walk / single:7.1f}x one run")
    print(f"all paths, 10 decisions (1,024)   {paths:8.2f} ms   {paths / single:7.1f}x one run")


if __name__ == "__main__":
    main()
