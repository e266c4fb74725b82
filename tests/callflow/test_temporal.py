"""Temporal rules as cf_temporal_route evaluates them: next_rule_date against KAZOO's own unit
test vectors, and which rule holds at a moment, in a time zone, in a walk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.callflow.execute import Environment, execute
from backend.callflow.sources import Documents, MappingSource
from backend.callflow.temporal import RuleError, first_rule, next_rule_date, normalize
from backend.samples import sample_callflows, sample_calls

# (rule, start date, today, the next date) from cf_temporal_route_tests.erl in KAZOO
# (applications/callflow/test/): every 18th of its 717 next_rule_date cases, all cycles.
# kfn's port passes all 717 (checked against that file; not kept here).
KAZOO_VECTORS: list[
    tuple[dict[str, Any], tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
] = [
    ({"cycle": "daily"}, (2011, 1, 1), (2011, 1, 1), (2011, 1, 2)),
    ({"cycle": "daily", "interval": 7}, (2011, 1, 1), (2011, 1, 1), (2011, 1, 8)),
    ({"cycle": "weekly", "wdays": ["tuesday"]}, (2011, 1, 1), (2011, 1, 2), (2011, 1, 4)),
    ({"cycle": "weekly", "wdays": ["saturday"]}, (2010, 1, 1), (2010, 12, 26), (2011, 1, 1)),
    (
        {
            "cycle": "weekly",
            "wdays": ["monday", "tuesday", "wensday", "thursday", "friday", "saturday"],
        },
        (2011, 1, 1),
        (2011, 1, 2),
        (2011, 1, 3),
    ),
    (
        {"cycle": "weekly", "interval": 3, "wdays": ["tuesday"]},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 1, 18),
    ),
    (
        {"cycle": "weekly", "interval": 37, "wdays": ["monday"]},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 9, 12),
    ),
    (
        {"cycle": "weekly", "interval": 2, "wdays": ["monday", "wensday", "friday"]},
        (2011, 1, 1),
        (2011, 1, 10),
        (2011, 1, 10),
    ),
    (
        {"cycle": "weekly", "interval": 5, "wdays": ["monday"]},
        (2004, 1, 1),
        (2011, 1, 1),
        (2011, 1, 31),
    ),
    (
        {
            "cycle": "weekly",
            "interval": 1,
            "wdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
        },
        (1983, 4, 11),
        (2018, 1, 15),
        (2018, 1, 15),
    ),
    ({"cycle": "weekly", "wdays": ["tuesday"]}, (2011, 1, 5), (2011, 1, 3), (2011, 1, 11)),
    ({"cycle": "weekly", "wdays": ["thursday"]}, (2011, 1, 7), (2011, 1, 3), (2011, 1, 13)),
    ({"cycle": "weekly", "wdays": ["saturday"]}, (2011, 1, 9), (2011, 1, 3), (2011, 1, 15)),
    (
        {"cycle": "monthly", "ordinal": "every", "wdays": ["tuesday"]},
        (2011, 1, 1),
        (2011, 1, 11),
        (2011, 1, 18),
    ),
    (
        {"cycle": "monthly", "ordinal": "every", "wdays": ["saturday"]},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 1, 8),
    ),
    (
        {"cycle": "monthly", "ordinal": "every", "wdays": ["friday"]},
        (2008, 1, 1),
        (2008, 2, 28),
        (2008, 2, 29),
    ),
    (
        {"cycle": "monthly", "interval": 2, "ordinal": "every", "wdays": ["thursday"]},
        (2011, 1, 1),
        (2011, 1, 27),
        (2011, 3, 3),
    ),
    (
        {"cycle": "monthly", "interval": 5, "ordinal": "every", "wdays": ["tuesday"]},
        (2005, 2, 1),
        (2011, 1, 1),
        (2011, 5, 3),
    ),
    (
        {"cycle": "monthly", "ordinal": "last", "wdays": ["friday"]},
        (2011, 6, 1),
        (2011, 6, 1),
        (2011, 6, 24),
    ),
    (
        {"cycle": "monthly", "ordinal": "last", "wdays": ["tuesday"]},
        (2008, 1, 1),
        (2008, 2, 1),
        (2008, 2, 26),
    ),
    (
        {"cycle": "monthly", "interval": 2, "ordinal": "last", "wdays": ["saturday"]},
        (2011, 1, 1),
        (2011, 1, 31),
        (2011, 3, 26),
    ),
    (
        {"cycle": "monthly", "interval": 37, "ordinal": "last", "wdays": ["wensday"]},
        (2011, 1, 1),
        (2011, 1, 31),
        (2014, 2, 26),
    ),
    (
        {"cycle": "monthly", "interval": 5, "ordinal": "last", "wdays": ["sunday"]},
        (1983, 4, 11),
        (2011, 1, 1),
        (2011, 3, 27),
    ),
    (
        {"cycle": "monthly", "ordinal": "third", "wdays": ["thursday"]},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 1, 20),
    ),
    (
        {"cycle": "monthly", "ordinal": "first", "wdays": ["monday"]},
        (2011, 1, 1),
        (2011, 1, 3),
        (2011, 2, 7),
    ),
    (
        {"cycle": "monthly", "ordinal": "third", "wdays": ["monday"]},
        (2008, 1, 1),
        (2008, 2, 1),
        (2008, 2, 18),
    ),
    (
        {"cycle": "monthly", "ordinal": "fifth", "wdays": ["friday"]},
        (2008, 1, 1),
        (2008, 2, 1),
        (2008, 2, 29),
    ),
    (
        {"cycle": "monthly", "interval": 2, "ordinal": "second", "wdays": ["tuesday"]},
        (2011, 1, 1),
        (2011, 1, 31),
        (2011, 3, 8),
    ),
    (
        {"cycle": "monthly", "interval": 2, "ordinal": "fourth", "wdays": ["saturday"]},
        (2011, 1, 1),
        (2011, 1, 31),
        (2011, 3, 26),
    ),
    (
        {"cycle": "monthly", "interval": 3, "ordinal": "second", "wdays": ["sunday"]},
        (2011, 1, 1),
        (2011, 1, 31),
        (2011, 4, 10),
    ),
    (
        {"cycle": "monthly", "interval": 5, "ordinal": "second", "wdays": ["tuesday"]},
        (2005, 2, 1),
        (2011, 1, 1),
        (2011, 5, 10),
    ),
    ({"cycle": "monthly", "days": [1]}, (2008, 1, 1), (2008, 2, 29), (2008, 3, 1)),
    ({"cycle": "monthly", "days": [5, 10, 15, 20, 25]}, (2011, 1, 1), (2011, 1, 15), (2011, 1, 20)),
    ({"cycle": "monthly", "interval": 3, "days": [2]}, (2011, 1, 1), (2011, 4, 2), (2011, 7, 2)),
    ({"cycle": "yearly", "month": 4, "days": [11]}, (2011, 1, 1), (2011, 2, 1), (2011, 4, 11)),
    (
        {"cycle": "yearly", "month": 4, "days": [11, 12, 13]},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 4, 11),
    ),
    (
        {"cycle": "yearly", "ordinal": "second", "wdays": ["sunday"], "month": 4},
        (2011, 1, 1),
        (2011, 1, 1),
        (2011, 4, 10),
    ),
    (
        {"cycle": "yearly", "ordinal": "fifth", "wdays": ["thursday"], "month": 4},
        (2011, 1, 1),
        (2011, 1, 1),
        (2015, 4, 30),
    ),
    (
        {"cycle": "yearly", "interval": 2, "ordinal": "first", "wdays": ["wensday"], "month": 4},
        (2011, 1, 1),
        (2011, 5, 1),
        (2013, 4, 3),
    ),
    (
        {"cycle": "yearly", "interval": 2, "ordinal": "third", "wdays": ["sunday"], "month": 4},
        (2011, 1, 1),
        (2011, 5, 1),
        (2013, 4, 21),
    ),
]


@pytest.mark.parametrize(("rule", "start", "today", "expected"), KAZOO_VECTORS)
def test_next_rule_date_as_kazoos_tests_expect(
    rule: dict[str, Any], start: tuple[int, int, int], today: tuple[int, int, int], expected: Any
) -> None:
    assert next_rule_date(rule, start, today) == expected


def test_normalize_carries_days_and_months() -> None:
    assert normalize(2011, 1, 32) == (2011, 2, 1)
    assert normalize(2011, 13, 1) == (2012, 1, 1)
    assert normalize(2011, 24, 1) == (2012, 12, 1)  # month 24: two years on, month 0
    assert normalize(2012, 3, 0) == (2012, 2, 29)
    assert normalize(2011, 0, 5) == (2010, 12, 5)


WEEKDAYS_9_TO_5 = {
    "cycle": "weekly",
    "wdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
    "time_window_start": 9 * 3600,
    "time_window_stop": 17 * 3600,
}


@pytest.mark.parametrize(
    ("moment", "holds"),
    [
        ("2026-11-25T15:00:00Z", True),  # a Wednesday, 10:00 in New York
        ("2026-11-25T13:59:59Z", False),  # 08:59:59 there
        ("2026-11-25T22:00:00Z", True),  # 17:00:00 there: the window's end is inclusive
        ("2026-11-25T22:00:01Z", False),
        ("2026-11-28T15:00:00Z", False),  # a Saturday
    ],
)
def test_a_weekday_window_in_a_time_zone(moment: str, holds: bool) -> None:
    now = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    found, notes = first_rule(["biz"], {"biz": WEEKDAYS_9_TO_5}, now, "America/New_York")
    assert (found == "biz") is holds, notes


def test_enabled_forces_disabled_skips_future_waits_unknown_is_noted() -> None:
    now = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # a Saturday: the weekday rule is off
    rules = {
        "off": {**WEEKDAYS_9_TO_5, "enabled": False},
        "on": {**WEEKDAYS_9_TO_5, "enabled": True},
        "later": {**WEEKDAYS_9_TO_5, "enabled": True, "start_date": 64000000000},  # in 2028
    }
    assert first_rule(["off", "later", "on"], rules, now)[0] == "on"
    found, notes = first_rule(["missing", "off"], rules, now)
    assert found is None and notes == ["missing: no such temporal rule here", "off: disabled"]


def test_a_rule_kazoo_cannot_evaluate_raises() -> None:
    with pytest.raises(RuleError):
        next_rule_date(
            {"cycle": "monthly", "wdays": ["monday", "friday"]}, (2011, 1, 1), (2011, 2, 1)
        )


def test_the_office_hours_sample_routes_by_the_calls_clock() -> None:
    docs = Documents.samples()
    flow = sample_callflows()["office_hours"]
    call = dict(sample_calls()["known_caller"])  # kfn.now: Wednesday 15:00 UTC
    day = execute(flow, Environment(call, MappingSource({}), docs))
    assert day.steps[0].child == "office_hours_rule" and day.steps[1].module == "callflow"
    night = {**call, "kfn": {"now": "2026-11-26T03:00:00Z"}}  # 22:00 in New York
    evening = execute(flow, Environment(night, MappingSource({}), docs))
    assert evening.steps[0].child == "_" and evening.steps[1].module == "voicemail"
    assert "office_hours_rule: not now" in evening.steps[0].note
