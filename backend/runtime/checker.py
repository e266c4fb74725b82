"""Syntax and ES5 checks (`es5.check`) in a process of their own, for the app.

`es5.check` parses with esprima, in pure Python: its import builds Unicode tables (~0.8 s of
CPU) and a long body takes tens of milliseconds to parse. In a thread of the app that time is
taken from the event loop, which shares the GIL: the editor's first seconds were sluggish, and
opening the first function took ~150 ms longer. In a process of its own it runs on another core.

One process (`serve()` below), started on first use and kept for the life of the app; it reads
one body per line (JSON) and answers one report per line. When it dies or hangs, it is killed
and the next check starts another; if none can be started, the check runs here, as before.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from backend.runtime import es5
from backend.runtime.shared import PerProcess

CHECK_TIMEOUT_S = 30.0  # esprima on a body of several MB; past that the process is replaced
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _report_from_json(data: dict[str, Any]) -> es5.CheckReport:
    """The inverse of `dataclasses.asdict`, which `serve` sends."""
    error = data.get("syntax_error")
    return es5.CheckReport(
        es5.Finding(**error) if error else None, [es5.Finding(**f) for f in data["es5"]]
    )


def serve(requests: IO[str] = sys.stdin, replies: IO[str] = sys.stdout) -> None:
    """The checking process: a body per line in, a report per line out, until stdin closes."""
    for line in requests:
        replies.write(json.dumps(asdict(es5.check(json.loads(line)))) + "\n")
        replies.flush()


class Checker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), path]))}
        return subprocess.Popen(
            [sys.executable, "-c", "from backend.runtime.checker import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            close_fds=True,
        )

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def _ask(self, body: str) -> es5.CheckReport:
        if self._process is None or self._process.poll() is not None:
            self._stop()
            self._process = self._start()
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(body) + "\n")
        process.stdin.flush()
        deadline = time.monotonic() + CHECK_TIMEOUT_S
        while not select.select([process.stdout], [], [], 0.5)[0]:
            if process.poll() is not None or time.monotonic() > deadline:
                raise OSError("the checking process died or hung")
        line = process.stdout.readline()
        if not line:
            raise OSError("the checking process died")
        return _report_from_json(json.loads(line))

    def check(self, body: str) -> es5.CheckReport:
        with self._lock:
            for _attempt in range(2):  # a process that died is replaced once
                try:
                    return self._ask(body)
                except (OSError, ValueError, KeyError, TypeError):  # died, hung, no start, garbled
                    self._stop()
        return es5.check(body)

    def worker_pid(self) -> int:
        """The checking process's id, once it is up (tests kill it)."""
        self.check("")
        assert self._process is not None
        return self._process.pid

    def close(self) -> None:
        with self._lock:
            self._stop()


_shared = PerProcess(Checker)


def shared_checker() -> Checker:
    """One checking process for the app; stopped at interpreter exit."""
    return _shared.get()
