"""A sandbox worker process: runs one function body per request in a fresh QuickJS context.

Started by `sandbox.py` as `python -I worker.py`; it imports nothing of kfn, so it starts fast
and carries no host objects. The next run's context is created right after a reply is sent, so
isolation costs nothing on the critical path. A run the engine cannot interrupt (a catastrophic
regex, a built-in looping over a huge sparse array) is ended by the parent killing us.

Wire format, chosen so neither side re-encodes what the other already encoded:
- request: REQUEST header (limits, the pinned clock if any, lengths of body and call JSON), then
  those two byte strings. The call arrives as the JSON text the sandbox will parse inside JS.
- reply: REPLY header (length, run time in ms), then the JSON text the prelude's `run` produced:
  `{"result": <the value>, "logs": [[level, text], ...]}` or `{"error": {...}, "logs": ...}`.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import struct
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import quickjs

# time limit (s), memory limit, stack limit, clock pinned?, pinned clock (ms), body and call sizes
REQUEST = struct.Struct(">dQQ?qII")
REPLY = struct.Struct(">Id")
READY = b"kfn-worker-ready\n"
ADDRESS_SPACE_LIMIT = 2 * 1024**3  # a backstop only: QuickJS's own memory limit acts first

# Installed in every fresh context, so it is parsed on every rebuild: keep it short (QuickJS
# compiles some 40 us per KiB, more than half of a rebuild). It captures console output and
# serialises the result inside JS with references taken before user code runs; pinning the
# clock is PIN_CLOCK's, for the runs that ask. Error texts are written in Python (sandbox.py);
# this only classifies.
PRELUDE = r"""
(function () {
  var stringify = JSON.stringify, parse = JSON.parse, isArray = Array.isArray;
  var logs = [], logged = 0, preparedBody = null, preparedFn = null, preparedCall = null;
  function text(v) {
    if (typeof v === 'string') return v;
    try { var s = stringify(v); return s === undefined ? '' + v : s; } catch (e) { return '' + v; }
  }
  function logger(level) {
    return function () {
      var parts = [];
      for (var i = 0; i < arguments.length; i++) parts[i] = text(arguments[i]);
      var line = parts.join(' ');
      if (logged < 262144) { logs[logs.length] = [level, line]; logged += line.length; }
      else if (logged !== Infinity) { logs[logs.length] = ['warn', '(further output dropped)']; logged = Infinity; }
    };
  }
  globalThis.console = { log: logger('log'), info: logger('info'), warn: logger('warn'),
                         error: logger('error'), debug: logger('debug') };
  function reply(key, value) { return '{"' + key + '":' + value + ',"logs":' + stringify(logs) + '}'; }
  function fail(kind, e) {
    var err = (e !== null && typeof e === 'object') ? e : { message: text(e) };
    return reply('error', stringify({ kind: kind, name: '' + (err.name || ''),
      message: '' + (err.message === undefined ? text(e) : err.message), stack: '' + (err.stack || '') }));
  }
  // Compiling and JSON.parse run no user code, so the previous run's body and call, prepared
  // ahead in this fresh context by the worker, carry nothing of that run over.
  function prepare(body, callJson) {
    try { preparedFn = new Function('call', body); preparedBody = body; } catch (e) { preparedFn = null; }
    preparedCall = parse(callJson);
  }
  function __kfn_wrapper__(body, callJson) {
    var fn = body === null ? preparedFn : null, result, out;
    if (fn === null) {
      try { fn = new Function('call', body === null ? preparedBody : body); } catch (e) { return fail('syntax', e); }
    }
    try { result = fn(callJson === null ? preparedCall : parse(callJson)); } catch (e) { return fail(e === null ? 'null_thrown' : 'thrown', e); }
    var kind = result === null ? 'null' : isArray(result) ? 'array' : typeof result;
    if (kind !== 'object') return fail('bad_return', { name: 'BadReturn', message: kind });
    try { out = stringify(result); } catch (e) { return fail('not_json', e); }
    if (typeof out !== 'string') return fail('bad_return', { name: 'BadReturn', message: 'undefined' });
    if (out.length > 1048576) return fail('too_big', { name: 'BadReturn', message: '' + out.length });
    return reply('result', out);
  }
  Object.defineProperty(globalThis, '__kfn_run__', { value: __kfn_wrapper__ });
  Object.defineProperty(globalThis, '__kfn_prepare__', { value: prepare });
})();
"""


# The test clock (a test call's `"kfn": {"now": …}`), installed only in contexts made for such
# runs, so that other contexts never parse it: like the prepared body, it goes into the fresh
# context after a pinned run, before any user code; each pinned run then only sets the time.
PIN_CLOCK = r"""
(function () {
  var RealDate = Date, ms = 0;
  function now() { return ms; }
  // A trap, not an assignment: setting `now` on the proxy would set it on the real Date,
  // which stays in use until a run pins the clock.
  var Fixed = new Proxy(RealDate, {
    construct: function (target, args, newTarget) {
      return Reflect.construct(target, args.length ? args : [ms], newTarget);
    },
    apply: function () { return new RealDate(ms).toString(); },
    get: function (target, key, receiver) {
      return key === 'now' ? now : Reflect.get(target, key, receiver);
    }
  });
  Object.defineProperty(globalThis, '__kfn_pin_clock__',
                        { value: function (at) { ms = at; globalThis.Date = Fixed; } });
})();
"""


def pins_clock(request: Request | None) -> bool:
    return request is not None and request.settings.get("now_ms") is not None


def same_limits(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return all(one[key] == other[key] for key in ("time_limit", "memory_limit", "stack_limit"))


def apply_limits(context: quickjs.Context, settings: dict[str, Any]) -> None:
    context.set_memory_limit(int(settings["memory_limit"]))
    context.set_max_stack_size(min(int(settings["stack_limit"]), stack_ceiling()))
    context.set_time_limit(float(settings["time_limit"]))


class Request(NamedTuple):
    settings: dict[str, Any]
    body: str
    call_json: str


def fresh_context(previous: Request | None = None) -> quickjs.Context:
    """A new context with the prelude; with `previous` (a run that ended cleanly), its body is
    compiled and its call parsed into it too, under its limits, so that a repeat run (the
    common case: the same function tried again and again) skips both."""
    context = quickjs.Context()
    context.eval(PRELUDE)
    if pins_clock(previous):
        context.eval(PIN_CLOCK)
    if previous is not None:
        apply_limits(context, previous.settings)
        context.set("__kfn_body__", previous.body)
        context.set("__kfn_call__", previous.call_json)
        context.eval("__kfn_prepare__(__kfn_body__, __kfn_call__)")
    return context


ERROR_PREFIX = '{"error":'
_DECODER = json.JSONDecoder()


def _blew_a_limit(reply: str) -> bool:
    """After these the body is not worth compiling ahead: it does not compile, or it hit an
    engine limit (QuickJS reports those as InternalError, or as a thrown null). Only the
    error object is parsed: a result may nest deeper than Python's recursion limit."""
    if not reply.startswith(ERROR_PREFIX):
        return False
    try:
        error, _ = _DECODER.raw_decode(reply, len(ERROR_PREFIX))
    except ValueError:
        return True
    return (
        error.get("kind")
        in (
            "syntax",
            "null_thrown",
            "stack_overflow",
            "timeout",
            "out_of_memory",
        )
        or error.get("name") == "InternalError"
    )


@functools.cache
def stack_ceiling() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    real = soft if soft not in (resource.RLIM_INFINITY, -1) else 8 * 1024 * 1024
    # At or above the thread's real stack QuickJS segfaults the process: stay far below it.
    return max(64 * 1024, real // 4)


def engine_error(kind: str, message: str, stack: str = "") -> str:
    error = {"kind": kind, "name": "InternalError", "message": message, "stack": stack}
    return json.dumps({"error": error, "logs": []}, separators=(",", ":"))


def run_one(
    context: quickjs.Context, request: Request, prepared: Request | None
) -> tuple[str, float]:
    """Run one request in `context`; `prepared` is the request the context was prepared
    with, if any (`fresh_context(previous)`).

    Returns the reply's JSON text and the run's duration in ms.
    """
    settings = request.settings
    if prepared is None or not same_limits(prepared.settings, settings):
        apply_limits(context, settings)
    # Inputs go in as JS strings through the binding, not pasted into source to be re-parsed;
    # null stands for "the one prepared".
    same_body = prepared is not None and request.body == prepared.body
    if not same_body:
        context.set("__kfn_body__", request.body)
    same_call = prepared is not None and request.call_json == prepared.call_json
    if not same_call:
        context.set("__kfn_call__", request.call_json)
    now_ms = settings.get("now_ms")
    call = (
        f"__kfn_run__({'null' if same_body else '__kfn_body__'}, "
        f"{'null' if same_call else '__kfn_call__'})"
    )
    if now_ms is not None:
        pin = f"__kfn_pin_clock__({int(now_ms)});"
        call = (pin if pins_clock(prepared) else PIN_CLOCK + pin) + call
    started = time.perf_counter()
    try:
        reply = context.eval(call)
    except quickjs.StackOverflow as exc:
        reply = engine_error("stack_overflow", "stack overflow", str(exc))
    except quickjs.JSException as exc:
        # Raised when the prelude itself could not finish: the engine stopped it.
        text = str(exc)
        if "interrupted" in text:
            reply = engine_error("timeout", "interrupted", text)
        elif text.strip() in ("", "null") or "out of memory" in text:
            reply = engine_error("out_of_memory", "out of memory", text)
        else:
            reply = engine_error("thrown", text.split("\n", 1)[0], text)
    except MemoryError:
        reply = engine_error("out_of_memory", "out of memory")
    return reply, (time.perf_counter() - started) * 1000


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from `fd`, or None at end of file."""
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, missing)
        if not chunk:
            return None
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_framed(
    fd: int, header: struct.Struct, size_of: Callable[[tuple[Any, ...]], int]
) -> tuple[tuple[Any, ...], memoryview] | None:
    """One message: its unpacked header and the payload after it, or None at end of file.
    Small messages (nearly all) take a single read."""
    data = os.read(fd, 1 << 16)
    if len(data) < header.size:
        rest = read_exactly(fd, header.size - len(data)) if data else None
        if rest is None:
            return None
        data += rest
    fields = header.unpack_from(data)
    missing = header.size + size_of(fields) - len(data)
    if missing > 0:
        rest = read_exactly(fd, missing)
        if rest is None:
            return None
        data += rest
    return fields, memoryview(data)[header.size :]


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def pack_request(settings: dict[str, Any], body: bytes, call_json: bytes) -> bytes:
    now_ms = settings.get("now_ms")
    header = REQUEST.pack(
        float(settings["time_limit"]),
        int(settings["memory_limit"]),
        int(settings["stack_limit"]),
        now_ms is not None,
        int(now_ms or 0),
        len(body),
        len(call_json),
    )
    return header + body + call_json


def read_request(fd: int) -> Request | None:
    message = read_framed(fd, REQUEST, lambda fields: fields[5] + fields[6])
    if message is None:
        return None
    (time_limit, memory, stack, pinned, now_ms, body_size, _), payload = message
    settings = {
        "time_limit": time_limit,
        "memory_limit": memory,
        "stack_limit": stack,
        "now_ms": now_ms if pinned else None,
    }
    return Request(settings, str(payload[:body_size], "utf-8"), str(payload[body_size:], "utf-8"))


def main() -> None:
    os.environ["TZ"] = "UTC"  # a function's local time is UTC, whatever the host's zone
    time.tzset()
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    # A crash (QuickJS overflowing its C stack) must end the process at once, not after
    # writing a core file of up to 2 GiB while the parent waits.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    stdin, stdout = 0, 1
    context, prepared = fresh_context(), None
    write_all(stdout, READY)
    while (request := read_request(stdin)) is not None:
        reply, duration_ms = run_one(context, request, prepared)
        data = reply.encode()
        write_all(stdout, REPLY.pack(len(data), duration_ms) + data)
        # The parent is waiting for that reply; on a shared core, let it run before the
        # rebuild below (~0.5 ms of CPU) does.
        os.sched_yield()
        # The next run's context, made after the reply: off the critical path.
        clean = not _blew_a_limit(reply)
        prepared = request if clean else None
        context = fresh_context(prepared)


if __name__ == "__main__":
    main()
