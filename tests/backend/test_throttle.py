"""The failed-login throttle on its own, with an injected clock."""

from __future__ import annotations

from backend.throttle import Limit, LoginThrottle


def make(now: list[float], **kwargs) -> LoginThrottle:
    return LoginThrottle(
        {"account": Limit(2, 10.0), "address": Limit(3, 10.0)}, clock=lambda: now[0], **kwargs
    )


def test_failures_up_to_the_limit_then_a_wait_that_shrinks_with_time() -> None:
    now = [0.0]
    throttle = make(now)
    keys = [("account", "acme"), ("address", "10.0.0.1")]
    assert throttle.retry_after(keys) is None
    throttle.failed(keys)
    now[0] = 4.0
    throttle.failed(keys)
    assert throttle.retry_after(keys) == 6  # the oldest failure leaves the window at 10
    assert throttle.retry_after([("account", "other")]) is None
    now[0] = 10.0
    assert throttle.retry_after(keys) is None  # one failure left in the window
    now[0] = 13.9
    throttle.failed(keys)
    assert throttle.retry_after(keys) == 1  # 14.0 - 13.9, rounded up to a whole second


def test_the_address_limit_spans_account_names() -> None:
    now = [0.0]
    throttle = make(now)
    for name in ("a", "b", "c"):
        throttle.failed([("account", name), ("address", "x")])
    assert throttle.retry_after([("account", "d"), ("address", "x")]) == 10
    assert throttle.retry_after([("account", "d"), ("address", "y")]) is None


def test_memory_stays_bounded_forgetting_the_least_recent_keys() -> None:
    now = [0.0]
    throttle = make(now, max_keys=3)
    for name in ("a", "b", "c", "d"):
        throttle.failed([("account", name)])
        throttle.failed([("account", name)])
    assert throttle.retry_after([("account", "a")]) is None  # forgotten
    assert throttle.retry_after([("account", "d")]) == 10
