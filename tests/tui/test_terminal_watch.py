"""The app's watch on its terminal, on a real pseudo-terminal: a live one is left alone, a
SIGHUP on a live one quits as usual, a hung-up one (its other end closed, as when an SSH session
drops) is lost, with or without a signal."""

from __future__ import annotations

import asyncio
import os
import signal

from tui.terminal_watch import TerminalWatch


def watch_on_a_pty() -> tuple[TerminalWatch, int, list[str]]:
    master, slave = os.openpty()
    said: list[str] = []
    watch = TerminalWatch(
        slave, lost=lambda: said.append("lost"), hangup=lambda: said.append("hup")
    )
    return watch, master, said


def test_a_live_terminal_is_left_alone_and_a_hung_up_one_is_lost() -> None:
    watch, master, said = watch_on_a_pty()
    try:
        watch.check()
        assert said == []
        os.close(master)  # the terminal's other end goes: the slave is hung up
        watch.check()
        assert said == ["lost"]
    finally:
        os.close(watch.fd)


async def test_sighup_quits_as_usual_while_the_terminal_lives_and_loses_it_after() -> None:
    watch, master, said = watch_on_a_pty()
    before = signal.getsignal(signal.SIGHUP)
    try:
        watch.install(asyncio.get_running_loop())
        os.kill(os.getpid(), signal.SIGHUP)
        while not said:  # the quit is scheduled on the loop, not run in the handler
            await asyncio.sleep(0.01)
        assert said == ["hup"]
        os.close(master)
        os.kill(os.getpid(), signal.SIGHUP)
        assert said == ["hup", "lost"]  # at once, in the handler: the loop may never run again
    finally:
        signal.signal(signal.SIGHUP, before)
        os.close(watch.fd)
