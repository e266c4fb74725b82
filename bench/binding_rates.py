"""What the quickjs binding itself does per second, nothing else, printed as JSON; run by
bench/pivot.py on the server's core: `python -I bench/binding_rates.py BODIES.json CALL_JSON
SECONDS` (BODIES.json: {name: function body}).

- `bare`: a `quickjs.Context()` made and freed;
- `prelude`: a context with kfn's prelude, as the sandbox worker makes one per request;
- `isolated[name]`: a bare context, the function compiled and run in it with the call: the
  least a request isolated in its own context costs with the binding (no prelude, no HTTP, no
  IPC, no validation);
- `run[name]`: the function run again and again in one context, compiled once.

A req/s goal above `isolated` is out of reach of any server built on the binding with a fresh
context per request.
"""

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import quickjs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from backend.runtime import worker


def rate(step: Callable[[], object], seconds: float) -> float:
    step()
    made, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        step()
        made += 1
    return made / (time.perf_counter() - started)


# Functions may log: the least a console can be (kfn's keeps the lines, in the prelude).
CONSOLE = "var noop = function () {}, console = {log: noop, info: noop, warn: noop, error: noop};"


def isolated(body: str, call_json: str) -> Callable[[], object]:
    source = f"{CONSOLE}JSON.stringify((function (call) {{\n{body}\n}})({call_json}))"
    return lambda: quickjs.Context().eval(source)


def reused(body: str, call_json: str) -> Callable[[], object]:
    context = quickjs.Context()
    context.eval(f"{CONSOLE}var run = function (call) {{\n{body}\n}}, call = {call_json};")
    return lambda: context.eval("JSON.stringify(run(call))")


def main() -> None:
    bodies = json.loads(Path(sys.argv[1]).read_text())
    call_json, seconds = sys.argv[2], float(sys.argv[3])
    rates = {
        "bare": rate(quickjs.Context, seconds),
        "prelude": rate(worker.fresh_context, seconds),
        "isolated": {
            name: rate(isolated(body, call_json), seconds) for name, body in bodies.items()
        },
        "run": {name: rate(reused(body, call_json), seconds) for name, body in bodies.items()},
    }
    print(json.dumps(rates))


if __name__ == "__main__":
    main()
