"""Work for an async worker whose coroutine is made only when the worker starts.

`run_worker(coroutine, exclusive=True)` makes the coroutine at once; when a newer worker of the
group replaces this one before it starts, that coroutine is never awaited (a RuntimeWarning).
A `deferred(...)` is awaitable, and calls its function only when awaited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class deferred(Awaitable[T]):
    def __init__(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> None:
        self.work, self.args, self.kwargs = work, args, kwargs

    def __await__(self) -> Generator[Any, None, T]:
        return self.work(*self.args, **self.kwargs).__await__()
