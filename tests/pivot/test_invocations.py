"""The invocation ring: bounded per function, newest first, on disk across restarts, and the
access log never holds a Pivot secret or a caller's details."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from backend.api.access_log import redact_path
from backend.pivot.invocations import InvocationLog


def _one(n: int, function_id: str = "f") -> dict[str, object]:
    return {"account_id": "a", "function_id": function_id, "call_id": f"c{n}"}


async def test_the_ring_is_bounded_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "pivot-invocations.json"
    log = InvocationLog(path, ring_size=3)
    log.start()
    for n in range(5):
        log.record(_one(n))
    log.record(_one(9, "g"))
    await log.stop()  # flushes
    again = InvocationLog(path, ring_size=3)
    assert [i["call_id"] for i in again.recent("a", "f")] == ["c4", "c3", "c2"]
    assert [i["call_id"] for i in again.recent("a", "g")] == ["c9"]
    assert again.recent("a", "nothing") == []


async def test_an_unwritable_log_keeps_the_rings_says_so_once_and_an_unreadable_one_starts_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("")
    log = InvocationLog(blocked / "log.json")  # its directory is a file: every write fails
    caplog.clear()  # (the read at the start said it too)
    with caplog.at_level(logging.WARNING, logger="kfn.pivot"):
        for number in (1, 2):
            log.record(_one(number))
            await log.flush()
        assert [i["call_id"] for i in log.recent("a", "f")] == ["c2", "c1"]
        blocked.unlink()  # the disk has room again
        await log.flush()
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 2 and "could not be written" in said[0] and "again" in said[1]
    assert [i["call_id"] for i in InvocationLog(blocked / "log.json").recent("a", "f")] == [
        "c2", "c1",
    ]  # fmt: skip
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert InvocationLog(broken).recent("a", "f") == []


def test_the_access_log_leaves_out_the_secret_and_the_caller() -> None:
    line = redact_path("/pivot/acct/fn/s3cr3t?Caller-ID-Number=%2B15550001")
    assert "s3cr3t" not in line and "15550001" not in line
    assert line.startswith("/pivot/acct/fn/")
    assert redact_path("/v2/accounts/a/functions?auth_token=t") == (
        "/v2/accounts/a/functions?auth_token=REDACTED"
    )
