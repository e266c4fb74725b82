"""Ending the app when its terminal goes away (a closed window, a dropped SSH session).

The kernel sends SIGHUP only to the terminal's session: its leader, and its foreground jobs
once the leader has gone. Under `make run`, make waits for kfn and kfn hears nothing, while
Textual's input thread spins on the dead terminal (textual 8.2, LinuxDriver.run_input_thread:
an empty read ends only the inner loop; Textual PR #6690). So the terminal is also looked at
every CHECK_S.

Once it is gone, nothing can be shown or typed, and Textual's own shutdown would block: its
writer thread dies on the first EIO, its bounded queue fills, and `WriterThread.stop` waits for
room for ever. So the app keeps its drafts and ends the process at once, as `kill -9` would
(which the store survives: tests/e2e/test_crash.py); the data dir's lock and the API's port go
with it. A SIGHUP while the terminal is still there (`kill -HUP`) quits as ctrl+q does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType

CHECK_S = 1.0
EXIT_HANGUP = 128 + signal.SIGHUP


def terminal_fd() -> int | None:
    """The app's terminal (its standard input), or None when it runs without one (tests)."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError):  # replaced or closed (a test runner's)
        return None
    return fd if fd >= 0 and os.isatty(fd) else None


class TerminalWatch:
    def __init__(self, fd: int, *, lost: Callable[[], None], hangup: Callable[[], None]) -> None:
        self.fd = fd
        self.lost = lost  # the terminal is gone: must not return to Textual
        self.hangup = hangup  # SIGHUP, terminal still there: quit as usual
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take SIGHUP (a plain handler, not the loop's: when Textual is blocked writing to the
        dead terminal, the loop never runs again; a lock's wait is interrupted by it)."""
        self._loop = loop
        signal.signal(signal.SIGHUP, self._on_sighup)

    def alive(self) -> bool:
        return os.isatty(self.fd)

    def check(self) -> None:
        if not self.alive():
            self.lost()

    def _on_sighup(self, _signum: int, _frame: FrameType | None) -> None:
        if self.alive() and self._loop is not None:
            self._loop.call_soon_threadsafe(self.hangup)
        else:
            self.lost()
