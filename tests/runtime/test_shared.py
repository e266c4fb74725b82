"""The per-process instance: made once, whichever thread asks first."""

from __future__ import annotations

import threading
import time

from backend.runtime.shared import PerProcess


class Slow:
    made = 0

    def __init__(self) -> None:
        time.sleep(0.05)  # long enough for every thread to be asking meanwhile
        Slow.made += 1
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_threads_asking_at_once_get_one_instance() -> None:
    shared = PerProcess(Slow)
    assert shared.instance is None
    got: list[Slow] = []
    threads = [threading.Thread(target=lambda: got.append(shared.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Slow.made == 1 and len(got) == 8 and all(item is got[0] for item in got)
    assert shared.instance is got[0] and not got[0].closed
