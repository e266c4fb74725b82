"""One instance per process of something that owns child processes (the sandbox's pool, the
checker): made on first use, from any thread, and closed at interpreter exit."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class PerProcess(Generic[C]):
    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self.instance: C | None = None  # None until first used

    def get(self) -> C:
        with self._lock:
            if self.instance is None:
                self.instance = self._make()
                atexit.register(self.instance.close)
            return self.instance
