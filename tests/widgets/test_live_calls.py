"""A Live call's label fits one line of the Live pane at 80 columns, whatever it holds."""

from __future__ import annotations

import pytest

from widgets.live_calls import LABEL_WIDTH, call_label

CALL = {"Caller-ID-Number": "+14155550123", "Request": "2000"}


@pytest.mark.parametrize(
    ("invocation", "shown"),
    [
        ({"time": "2026-12-01T16:59:28.120+00:00", "status": 200, "verdict": "valid",
          "duration_ms": 0.53, "revision": "1-ab", "call": CALL},
         "16:59:28 200 valid 0.5 ms +14155550123→2000 r1"),
        ({"time": "2026-12-01T16:59:28.120+00:00", "status": 422, "verdict": "out_of_memory",
          "duration_ms": 2300.0, "revision": "12-ab",
          "call": {"Caller-ID-Name": "A caller with a very long name indeed", "To": "2000"}},
         None),
        ({"status": 400, "verdict": "bad_request"}, "400 bad_request 0.0 ms ?→? r?"),
    ],
)  # fmt: skip
def test_a_label_is_one_line_that_fits(invocation: dict, shown: str | None) -> None:
    text = call_label(invocation).plain
    assert len(text) <= LABEL_WIDTH and "\n" not in text
    if shown is not None:
        assert text.strip() == shown
    else:
        assert text.startswith("16:59:28 422 out_of_memory 2300.0 ms A caller")
        assert "…" in text and text.endswith(" r12")
