"""What the quickjs binding itself does per second, nothing else, printed as JSON; run by
bench/pivot.py on the server's core: `python -I bench/binding_rates.py BODY CALL_JSON SECONDS`.

- `bare`: a `quickjs.Context()` made and freed, the least any request isolated by the binding
  costs;
- `prelude`: a context with kfn's prelude, as the sandbox worker makes one per request;
- `heavy_run`: BODY run again and again in one context, compiled once: the least its run
  costs, with no context made at all.

A req/s goal above these is out of reach of any server built on the binding with a fresh
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


def main() -> None:
    body, call_json, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    context = quickjs.Context()
    context.set("__kfn_body__", body)
    context.set("__kfn_call__", call_json)
    context.eval("var run = new Function('call', __kfn_body__), call = JSON.parse(__kfn_call__)")
    rates = {
        "bare": rate(quickjs.Context, seconds),
        "prelude": rate(worker.fresh_context, seconds),
        "heavy_run": rate(lambda: context.eval("JSON.stringify(run(call))"), seconds),
    }
    print(json.dumps(rates))


if __name__ == "__main__":
    main()
