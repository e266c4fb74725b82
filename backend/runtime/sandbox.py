"""Isolated, limited runs of function bodies in QuickJS worker processes.

Why processes: QuickJS's regex engine ignores the time limit (`/^(a+)+$/` on 32 a's plus "b"
ran 162 s under a 0.2 s limit), so a runaway must be stoppable from outside: the parent waits
with a wall-clock deadline and kills the worker, then starts a replacement. Why a pool of warm
workers holding a fresh context: creating a context is ~95% of a trivial isolated run, so each
worker makes the next run's context right after replying, and the critical path is one pipe
round trip plus the run itself.

`Sandbox.run()` blocks; call it from a thread (the TUI uses thread workers). It is thread-safe.
On an event loop, use `async_sandbox.AsyncSandbox` (Pivot does): the same workers, awaited.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.runtime import worker as worker_module
from backend.runtime.shared import PerProcess

WORKER_SCRIPT = Path(worker_module.__file__)
BODY_LINE_OFFSET = 2  # `new Function` puts the body on line 3 of the source it compiles
_LINE_IN_STACK = re.compile(r"<input>:(\d+)")


@dataclass(frozen=True)
class Limits:
    time_s: float = 1.0
    memory_bytes: int = 32 * 1024 * 1024
    stack_bytes: int = 512 * 1024
    # How long past the CPU limit the parent waits before it kills the worker.
    kill_grace_s: float = 0.3


@dataclass
class RunError:
    kind: str  # a key of KIND_TITLES
    message: str
    line: int | None = None
    column: int | None = None
    stack: str = ""

    def describe(self) -> str:
        where = (
            f" (line {self.line}{f', column {self.column}' if self.column else ''})"
            if self.line
            else ""
        )
        return f"{KIND_TITLES.get(self.kind, self.kind)}: {self.message}{where}"


KIND_TITLES = {
    "syntax": "Syntax error",
    "thrown": "Uncaught exception",
    "timeout": "Time limit exceeded",
    "out_of_memory": "Memory limit exceeded",
    "stack_overflow": "Stack overflow (recursion too deep)",
    "bad_return": "Bad return value",
    "crashed": "The sandbox crashed",
    "cancelled": "Cancelled",
    "call_encoding": "KAZOO cannot encode this call",
    "bad_call": "The call file's kfn settings are wrong",
}


@dataclass
class RunOutcome:
    result: Any = None
    duration_ms: float = 0.0
    logs: list[tuple[str, str]] = field(default_factory=list)
    error: RunError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# Deeper values are refused: parsing, validating and drawing them would exhaust Python's
# recursion limit, and no flow needs it (the validator stops children at 64 levels).
MAX_NESTING = 200
TOO_DEEP = f"the returned value is nested more than {MAX_NESTING} levels deep"


def _nested_deeper_than(value: Any, limit: int, text: bytes) -> bool:
    """Whether a parsed reply nests deeper than `limit`; `text` is its JSON, which cannot
    nest deeper than it has brackets, so the walk is skipped for all ordinary replies."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return False


BAD_RETURN = (
    "the function returned {}; it must return a callflow object like {{module: ..., data: {{...}}}}"
)
RETURNED = {"array": "an array", "undefined": "undefined (no return statement?)", "null": "null"}


# QuickJS reports its limits as an InternalError with these messages.
ENGINE_LIMITS = {
    "stack overflow": "stack_overflow",
    "interrupted": "timeout",
    "out of memory": "out_of_memory",
}


def _explain(error: dict[str, Any], limits: Limits) -> tuple[str, str]:
    """(kind, message) for an error the worker's prelude classified."""
    kind, name = error.get("kind", "thrown"), error.get("name", "")
    message = str(error.get("message", ""))
    if kind == "thrown" and name == "InternalError":
        for marker, engine_kind in ENGINE_LIMITS.items():
            if marker in message:
                kind = engine_kind
    if kind == "timeout":
        return kind, f"the function used more than {limits.time_s:g} s of CPU time and was stopped"
    if kind in ("out_of_memory", "null_thrown"):
        # When QuickJS cannot even allocate its "out of memory" error it throws null; a
        # function that throws null itself is reported the same way (the message says so).
        suffix = " (or threw null)" if kind == "null_thrown" else ""
        mib = limits.memory_bytes // (1024 * 1024)
        return "out_of_memory", f"the function used more than {mib} MiB of memory{suffix}"
    if kind == "stack_overflow":
        return kind, "recursion went too deep (stack limit reached)"
    if kind == "bad_return":
        return kind, BAD_RETURN.format(RETURNED.get(message, f"a {message}"))
    if kind == "not_json":
        return "bad_return", f"the returned value cannot be turned into JSON: {message}"
    if kind == "too_big":
        return (
            "bad_return",
            f"the returned value is {message} characters of JSON, over the 1 MiB limit",
        )
    if kind == "thrown" and name and not message.startswith(name):
        message = f"{name}: {message}"
    return kind, message


_FRAME = re.compile(r"^\s*at (?P<name>.*?) \((?P<where>[^)]*)\)\s*$")
WRAPPER_FRAME = "__kfn_wrapper__"  # the prelude's function that calls the user's (worker.py)


def user_stack(stack: str) -> str:
    """The stack as the user's code sees it: the frames above kfn's wrapper, each line as a
    line of the body (`new Function` compiles the body two lines down), the body itself
    named as such."""
    frames: list[str] = []
    for raw in (stack or "").splitlines():
        found = _FRAME.match(raw)
        if found is None:
            continue
        name, where = found.group("name"), found.group("where")
        if name == WRAPPER_FRAME:
            break  # kfn's own frames from here down
        if name == "anonymous":
            name = "the function body"
        line = _LINE_IN_STACK.fullmatch(where)
        if line is not None:
            frames.append(f"    at {name} (line {int(line.group(1)) - BODY_LINE_OFFSET})")
        elif where == "<input>":  # QuickJS knows no line for this frame
            frames.append(f"    at {name}")
        else:
            frames.append(f"    at {name} ({where})")  # native code
    return "\n".join(frames)


def _line_from_stack(stack: str) -> int | None:
    """The first line of the user's code the stack names."""
    found = re.search(r"\(line (\d+)\)", user_stack(stack))
    line = int(found.group(1)) if found else 0
    return line if line >= 1 else None


def settings_for(limits: Limits, now_ms: int | None) -> dict[str, Any]:
    return {
        "time_limit": limits.time_s,
        "memory_limit": limits.memory_bytes,
        "stack_limit": limits.stack_bytes,
        "now_ms": now_ms,
    }


def timed_out(limits: Limits) -> RunOutcome:
    return RunOutcome(
        duration_ms=(limits.time_s + limits.kill_grace_s) * 1000,
        error=RunError(
            "timeout",
            f"the function ran longer than {limits.time_s:g} s and was stopped "
            "(a loop that never ends, a regular expression that backtracks forever, or a "
            "built-in working through a huge array?)",
        ),
    )


def crashed(exc: BaseException) -> RunOutcome:
    return RunOutcome(
        error=RunError(
            "crashed",
            f"the worker process died ({exc}); it was restarted. QuickJS itself fails "
            "on some inputs, such as a value nested tens of thousands of levels deep",
        )
    )


def finish(reply: bytes, duration_ms: float, limits: Limits) -> RunOutcome:
    """The outcome of a worker's reply: the result or the error explained, and the logs."""
    try:
        parsed = json.loads(reply)
    except RecursionError:
        parsed = None
    if parsed is None or _nested_deeper_than(parsed, MAX_NESTING, reply):
        return RunOutcome(duration_ms=duration_ms, error=RunError("bad_return", TOO_DEEP))
    logs = [(str(level), str(text)) for level, text in parsed.get("logs", [])]
    outcome = RunOutcome(duration_ms=duration_ms, logs=logs)
    error = parsed.get("error")
    if error:
        kind, message = _explain(error, limits)
        stack = error.get("stack", "")
        outcome.error = RunError(kind, message, _line_from_stack(stack), None, user_stack(stack))
        return outcome
    outcome.result = parsed["result"]
    return outcome


class WorkerProcess:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            bufsize=0,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.request_fd = self.process.stdin.fileno()
        self.reply_fd = self.process.stdout.fileno()
        self.ready = False

    def send(self, settings: dict[str, Any], body: str, call_json: str) -> None:
        request = worker_module.pack_request(settings, body.encode(), call_json.encode())
        worker_module.write_all(self.request_fd, request)

    def wait_readable(self, deadline: float | None, cancel: threading.Event | None) -> None:
        """Return once the worker has written; raise TimeoutError at the deadline,
        InterruptedError on cancel."""
        while True:
            wait = 0.05 if cancel is not None else None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                wait = remaining if wait is None else min(wait, remaining)
            readable, _, _ = select.select([self.reply_fd], [], [], wait)
            if readable:
                return
            if cancel is not None and cancel.is_set():
                raise InterruptedError

    def wait_ready(self, cancel: threading.Event | None) -> None:
        self.wait_readable(time.monotonic() + 30, cancel)
        line = worker_module.read_exactly(self.reply_fd, len(worker_module.READY))
        if line != worker_module.READY:
            raise EOFError("the worker did not start")
        self.ready = True

    def receive(self, deadline: float, cancel: threading.Event | None) -> tuple[bytes, float]:
        """The reply's JSON and the run's duration in ms."""
        self.wait_readable(deadline, cancel)
        message = worker_module.read_framed(self.reply_fd, worker_module.REPLY, lambda f: f[0])
        if message is None:
            raise EOFError("the worker exited")
        (_, duration_ms), reply = message
        return bytes(reply), duration_ms

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]


DEFAULT_WORKERS = 3


class Sandbox:
    """A pool of warm worker processes. Each run gets a context no other run has touched."""

    def __init__(self, workers: int = DEFAULT_WORKERS, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()  # C, no Condition
        self._closed = False
        self.replacements = 0
        for _ in range(max(1, workers)):
            self._idle.put(WorkerProcess())

    def run(
        self,
        body: str,
        call: dict[str, Any],
        *,
        limits: Limits | None = None,
        now_ms: int | None = None,
        cancel: threading.Event | None = None,
    ) -> RunOutcome:
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        limits = limits or self.limits
        worker = self._idle.get()
        try:
            if not worker.ready:
                worker.wait_ready(cancel)
            worker.send(settings_for(limits, now_ms), body, json.dumps(call))
            reply, duration_ms = worker.receive(
                time.monotonic() + limits.time_s + limits.kill_grace_s, cancel
            )
        except TimeoutError:
            self._replace(worker)
            return timed_out(limits)
        except InterruptedError:
            self._replace(worker)
            return RunOutcome(error=RunError("cancelled", "the run was cancelled"))
        except (EOFError, OSError, ValueError) as exc:
            self._replace(worker)
            return crashed(exc)
        except BaseException:
            self._replace(worker)
            raise
        self._idle.put(worker)
        return finish(reply, duration_ms, limits)

    def _replace(self, worker: WorkerProcess) -> None:
        worker.kill()
        self.replacements += 1
        if not self._closed:
            self._idle.put(WorkerProcess())

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def worker_count() -> int:
    """How many workers a pool starts: KFN_WORKERS, or DEFAULT_WORKERS."""
    return int(os.environ.get("KFN_WORKERS", str(DEFAULT_WORKERS)))


def _make_pool() -> Sandbox:
    # Three, so that in a burst of runs (a simulation, a script against the API) the next
    # worker in line has finished rebuilding its context: each rebuild takes ~0.5 ms of CPU,
    # longer than a run's round trip.
    return Sandbox(workers=worker_count())


_shared = PerProcess(_make_pool)


def shared_sandbox() -> Sandbox:
    """One process-wide pool for the CLI and the app; closed at interpreter exit."""
    return _shared.get()
