"""A sandbox worker process: runs one function body per request in a fresh QuickJS context.

Started by `sandbox.py` as `python -I worker.py`; speaks length-prefixed JSON on stdin/stdout.
It imports nothing of kfn, so a worker starts fast and carries no host objects. The next run's
context is created right after a reply is sent, so isolation costs nothing on the critical path.
A run the engine cannot interrupt (a catastrophic regex) is ended by the parent killing us.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import sys
import time

import quickjs

HEADER = struct.Struct(">I")
ADDRESS_SPACE_LIMIT = 2 * 1024**3  # a backstop only: QuickJS's own memory limit acts first

# Installed in every fresh context. Captures console output, can pin the clock for tests, and
# serialises the result inside JS (as CouchDB does) with references taken before user code runs.
PRELUDE = r"""
(function () {
  var stringify = JSON.stringify, parse = JSON.parse, RealDate = Date;
  var logs = [], logBytes = 0, MAX_LOG_BYTES = 262144, MAX_RESULT = 1048576;
  function text(v) {
    if (typeof v === 'string') return v;
    try { var s = stringify(v); return s === undefined ? '' + v : s; } catch (e) { return '' + v; }
  }
  function logger(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts[parts.length] = text(arguments[i]);
      var line = parts.join(' ');
      if (logBytes < MAX_LOG_BYTES) { logs[logs.length] = [level, line]; logBytes += line.length; }
      else if (logBytes !== Infinity) { logs[logs.length] = ['warn', '(further output dropped)']; logBytes = Infinity; }
    };
  }
  globalThis.console = { log: logger('log'), info: logger('info'), warn: logger('warn'),
                         error: logger('error'), debug: logger('debug') };
  function pinClock(ms) {
    var Fixed = new Proxy(RealDate, {
      construct: function (target, args, newTarget) {
        return args.length ? Reflect.construct(target, args, newTarget)
                           : Reflect.construct(target, [ms], newTarget);
      },
      apply: function () { return new RealDate(ms).toString(); }
    });
    Fixed.now = function () { return ms; };
    globalThis.Date = Fixed;
  }
  function fail(kind, e) {
    var err = (e !== null && typeof e === 'object') ? e : { message: text(e) };
    return stringify({ error: { kind: kind, name: err.name || '', message: '' + (err.message === undefined ? text(e) : err.message),
                                stack: '' + (err.stack || '') }, logs: logs });
  }
  // The worker compiles the previous run's body into the next fresh context while it waits
  // (compiling runs no user code, so nothing of the previous run carries over); a repeated run
  // of the same body then skips the parse.
  var preparedBody = null, preparedFn = null;
  function prepare(body) {
    try { preparedFn = new Function('call', body); preparedBody = body; } catch (e) { preparedFn = null; }
  }
  function run(body, callJson, nowMs) {
    if (nowMs !== null) pinClock(nowMs);
    var fn = body === null ? preparedFn : null;
    if (fn === null) {
      try { fn = new Function('call', body === null ? preparedBody : body); } catch (e) { return fail('syntax', e); }
    }
    var result;
    try { result = fn(parse(callJson)); } catch (e) {
      if (e instanceof InternalError && /stack overflow/.test(e.message)) return fail('stack_overflow', e);
      if (e instanceof InternalError && /interrupted/.test(e.message)) return fail('timeout', e);
      if (e instanceof InternalError && /out of memory/.test(e.message)) return fail('out_of_memory', e);
      // When QuickJS cannot even allocate its "out of memory" error it throws null; a function
      // that throws null itself is reported the same way (the message says so).
      if (e === null) return fail('out_of_memory', { name: 'InternalError', message: 'null thrown' });
      return fail('thrown', e);
    }
    var kind = result === null ? 'null' : typeof result;
    if (kind !== 'object' || Array.isArray(result)) {
      var what = Array.isArray(result) ? 'an array' : kind === 'undefined' ? 'undefined (no return statement?)' : kind === 'null' ? 'null' : 'a ' + kind;
      return fail('bad_return', { name: 'BadReturn', message: 'the function returned ' + what + '; it must return a callflow object like {module: ..., data: {...}}' });
    }
    var out;
    try { out = stringify(result); } catch (e) {
      return fail('bad_return', { name: 'BadReturn', message: 'the returned value cannot be turned into JSON: ' + e.message });
    }
    if (out.length > MAX_RESULT) {
      return fail('bad_return', { name: 'BadReturn', message: 'the returned value is ' + out.length + ' characters of JSON, over the 1 MiB limit' });
    }
    return stringify({ result: out, logs: logs });
  }
  Object.defineProperty(globalThis, '__kfn_run__', { value: run, writable: false, configurable: false, enumerable: false });
  Object.defineProperty(globalThis, '__kfn_prepare__', { value: prepare, writable: false, configurable: false, enumerable: false });
})();
"""


def apply_limits(context: quickjs.Context, request: dict) -> None:
    context.set_memory_limit(int(request["memory_limit"]))
    context.set_max_stack_size(min(int(request["stack_limit"]), stack_ceiling()))
    context.set_time_limit(float(request["time_limit"]))


def fresh_context(previous: dict | None = None) -> quickjs.Context:
    """A new context with the prelude; with `previous` (a request that ran cleanly), its body is
    compiled into it too, under that request's limits, for a repeat run to skip the parse."""
    context = quickjs.Context()
    context.eval(PRELUDE)
    if previous is not None:
        apply_limits(context, previous)
        context.set("__kfn_body__", previous["body"])
        context.eval("__kfn_prepare__(__kfn_body__)")
    return context


# After these the body is not worth compiling ahead: it does not compile, or it blew a limit.
NOT_PREPARED_AFTER = {"syntax", "timeout", "out_of_memory", "stack_overflow"}


def stack_ceiling() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    real = soft if soft not in (resource.RLIM_INFINITY, -1) else 8 * 1024 * 1024
    # At or above the thread's real stack QuickJS segfaults the process: stay far below it.
    return max(64 * 1024, real // 4)


def run_one(context: quickjs.Context, request: dict, prepared: str | None = None) -> dict:
    """Run one request in `context`; `prepared` is the body already compiled into it, if any."""
    apply_limits(context, request)
    # Inputs go in as JS strings through the binding, not pasted into source to be re-parsed.
    same = prepared is not None and request["body"] == prepared
    if not same:
        context.set("__kfn_body__", request["body"])
    context.set("__kfn_call__", json.dumps(request["call"]))
    now_ms = request.get("now_ms")
    body_arg = "null" if same else "__kfn_body__"
    now_arg = "null" if now_ms is None else int(now_ms)
    call = f"__kfn_run__({body_arg}, __kfn_call__, {now_arg})"
    started = time.perf_counter()
    try:
        outcome = json.loads(context.eval(call))
    except quickjs.StackOverflow as exc:
        outcome = {
            "error": {
                "kind": "stack_overflow",
                "name": "InternalError",
                "message": "stack overflow",
                "stack": str(exc),
            }
        }
    except quickjs.JSException as exc:
        text = str(exc)
        if "interrupted" in text:
            kind, message = "timeout", "interrupted"
        elif text.strip() in ("", "null") or "out of memory" in text:
            kind, message = "out_of_memory", "out of memory"
        else:
            kind, message = "thrown", text.split("\n", 1)[0]
        outcome = {
            "error": {"kind": kind, "name": "InternalError", "message": message, "stack": text}
        }
    except MemoryError:
        outcome = {
            "error": {
                "kind": "out_of_memory",
                "name": "InternalError",
                "message": "out of memory",
                "stack": "",
            }
        }
    outcome["duration_ms"] = (time.perf_counter() - started) * 1000
    outcome.setdefault("logs", [])
    return outcome


def read_message(stream) -> dict | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    return json.loads(stream.read(size))


def write_message(stream, message: dict) -> None:
    payload = json.dumps(message).encode()
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def main() -> None:
    os.environ["TZ"] = "UTC"  # a function's local time is UTC, whatever the host's zone
    time.tzset()
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    context, prepared = fresh_context(), None
    write_message(stdout, {"ready": True})
    while (request := read_message(stdin)) is not None:
        outcome = run_one(context, request, prepared)
        write_message(stdout, outcome)
        # The next run's context, made after the reply: off the critical path.
        clean = (outcome.get("error") or {}).get("kind") not in NOT_PREPARED_AFTER
        context = fresh_context(request if clean else None)
        prepared = request["body"] if clean else None


if __name__ == "__main__":
    main()
