"""Temporal rules as KAZOO's `cf_temporal_route` evaluates them: which rule holds at a moment.

A port of `applications/callflow/src/module/cf_temporal_route.erl` (`process_rules/3`,
`next_rule_date/2` and its helpers, `get_temporal_rules/6`) and the date arithmetic of
`core/kazoo_stdlib/src/kz_date.erl` (`normalize/1`, `from_iso_week/1`, `find_next_weekday/2`),
kept close to the original, quirks included: a rule is "now" when the moment falls inside its
time window on the next date the rule produces after *yesterday* (after *today* for weekly
rules), which is how KAZOO finds today's occurrence.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Los_Angeles"  # kzd_accounts:timezone/1's default
GREGORIAN_UNIX_OFFSET = 62167219200  # seconds from year 0 (Erlang's calendar) to 1970
DAY = 86400
WEEKDAYS = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "wensday": 3,  # KAZOO's schema accepts the misspelling too
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
}
POSITIONS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}
Ymd = tuple[int, int, int]


class RuleError(ValueError):
    """A rule KAZOO's module cannot evaluate (it crashes, and the call goes to `_`)."""


def _dim(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def normalize(year: int, month: int, day: int) -> Ymd:
    """kz_date:normalize/1: carry day and month overflow into the next month and year."""
    while True:
        if month == 0:
            year, month = year - 1, 12
        elif day == 0:
            year, month, _ = normalize(year, month - 1, 1)
            day = _dim(year, month)
        elif month > 12:
            year, month = year + month // 12, month % 12
        elif day > _dim(year, month):
            day, month = day - _dim(year, month), month + 1
        else:
            return year, month, day


def _days(ymd: Ymd) -> int:
    return date(*ymd).toordinal()


def _date(days: int) -> Ymd:
    found = date.fromordinal(days)
    return found.year, found.month, found.day


def _dow(ymd: Ymd) -> int:
    return date(*ymd).isoweekday()


def _weekday(name: str) -> int:
    try:
        return WEEKDAYS[name]
    except KeyError:
        raise RuleError(f"unknown weekday {name!r}") from None


def from_iso_week(year: int, week: int) -> Ymd:
    jan4 = (year, 1, 4)
    return _date(_days(jan4) - (_dow(jan4) - 1) + (week - 1) * 7)


def _iso_week(ymd: Ymd) -> tuple[int, int]:
    iso = date(*ymd).isocalendar()
    return iso[0], iso[1]


def find_next_weekday(ymd: Ymd, weekday: str) -> Ymd:
    wanted, today = _weekday(weekday), _dow(ymd)
    y, m, d = ymd
    if today == wanted:
        return normalize(y, m, d + 7)
    if wanted > today:
        return normalize(y, m, d + wanted - today)
    return normalize(y, m, d + (7 - today) + wanted)


def _date_of_dow(year: int, month: int, weekday: str, ordinal: str) -> Ymd:
    if month == 1:
        year, month = year - 1, 13
    reference = (year, month - 1, _dim(year, month - 1))
    base, wanted = _days(reference), _weekday(weekday)
    if ordinal not in POSITIONS:
        raise RuleError(f"no position for ordinal {ordinal!r}")
    occurrence = POSITIONS[ordinal]
    ref_dow = _dow(reference)
    if wanted == ref_dow:
        days = base + 7 + 7 * occurrence
    elif wanted < ref_dow:
        days = base + wanted + (7 - ref_dow) + 7 * occurrence
    else:
        days = base + (wanted - ref_dow) + 7 * occurrence
    return normalize(*_date(days))


def _proper_month(year: int, month: int) -> tuple[int, int]:
    """What find_ordinal_weekday/4 and find_last_weekday/2 do to a month past 12: a year on
    for each 12 months."""
    while month > 12:
        year, month = year + 1, month - 12
    return year, month


def _find_ordinal_weekday(year: int, month: int, weekday: str, ordinal: str) -> Ymd:
    for _ in range(240):  # KAZOO recurses month by month until a date exists
        year, month = _proper_month(year, month)
        try:
            return _date_of_dow(year, month, weekday, ordinal)
        except (RuleError, ValueError):
            month += 1
    raise RuleError(f"no {ordinal} {weekday} found")


def _find_last_weekday(year: int, month: int, weekday: str) -> Ymd:
    year, month = _proper_month(year, month)
    fifth = _date_of_dow(year, month, weekday, "fifth")
    if fifth[:2] == (year, month):
        return fifth
    return _date_of_dow(year, month, weekday, "fourth")


def _iso_week_difference(start: Ymd, today: Ymd) -> int:
    first = _days(from_iso_week(*_iso_week(start)))
    second = _days(from_iso_week(*_iso_week(today)))
    return math.trunc(abs(first - second) / 7)


def _offset(distance: int, interval: int) -> int:
    return math.trunc(distance / interval) * interval


def _sorted_wdays(wdays: Sequence[str]) -> list[str]:
    if not wdays:
        return ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    return sorted(wdays, key=_weekday)


def next_rule_date(rule: Mapping[str, Any], start: Ymd, today: Ymd) -> Ymd:
    """cf_temporal_route:next_rule_date/2: the first date the rule produces after `today`."""
    cycle = rule.get("cycle")
    interval = max(1, int(rule.get("interval", 1)))
    y0, m0, d0 = start
    y1, m1, d1 = today
    days = [int(day) for day in rule.get("days", [])]
    wdays = _sorted_wdays(rule.get("wdays", []))
    ordinal = str(rule.get("ordinal", "first"))
    month = int(rule.get("month", 1))
    if cycle == "date":
        return start
    if cycle == "daily":
        offset = _offset(_days(today) - _days(start), interval)
        return normalize(y0, m0, d0 + offset + interval)
    if cycle == "weekly":
        dow0 = _dow(today)
        distance = _iso_week_difference(start, today)
        offset = _offset(distance, interval)
        ahead = [_weekday(w) for w in wdays if _weekday(w) >= dow0]
        if ahead and today < start and distance == offset:
            return next_rule_date(rule, start, start)
        if ahead and today == start and ahead[0] == dow0 and distance == offset:
            return start
        if ahead and distance == offset:
            return normalize(y1, m1, d1 + ahead[0] - dow0)
        week_year, week = _iso_week(start)
        y2, m2, d2 = from_iso_week(week_year, week + offset + interval)
        return normalize(y2, m2, (d2 - 1) + _weekday(wdays[0]))
    if cycle == "monthly":
        distance = (y1 - y0) * 12 - m0 + m1
        offset = _offset(distance, interval)
        active = distance == offset
        if days:
            later = [day for day in days if day > d1]
            if later and active:
                m01 = m0 + offset
                return normalize(y0 + m01 // 12, m01 % 12, later[0])
            m01 = m0 + offset + interval
            return normalize(y0 + m01 // 12, m01 % 12, days[0])
        if len(wdays) != 1:
            raise RuleError("a monthly rule needs days, or exactly one weekday")
        weekday = wdays[0]
        if ordinal == "every":
            if active:
                found = find_next_weekday(today, weekday)
                if found[:2] == (y1, m1) or interval == 1:
                    return found
            return _find_ordinal_weekday(y0, m0 + offset + interval, weekday, "first")
        if ordinal == "last":
            if active:
                found = _find_last_weekday(y1, m1, weekday)
                if d1 < found[2]:
                    return found
            return _find_last_weekday(y0, m0 + offset + interval, weekday)
        if active:
            found = _find_ordinal_weekday(y1, m1, weekday, ordinal)
            if found[1] == m1 and d1 < found[2] and interval > 1:
                return found
            if interval == 1 and (d1 < found[2] or m1 < found[1]):
                return found
        return _find_ordinal_weekday(y0, m0 + offset + interval, weekday, ordinal)
    if cycle == "yearly":
        distance = y1 - y0
        offset = _offset(distance, interval)
        active = distance == offset
        if days:
            if not active or m1 > month:
                return (y0 + offset + interval, month, days[0])
            if m1 < month:
                return (y1, month, days[0])
            remaining = _dropwhile_not_after(days, d1)
            if remaining:
                return (y1, month, remaining[0])
            return (y0 + offset + interval, month, days[0])
        if len(wdays) != 1:
            raise RuleError("a yearly rule needs days, or exactly one weekday")
        weekday = wdays[0]
        if ordinal == "every":
            if active:
                found = find_next_weekday((y1, month, d1), weekday)
                if found[:2] == (y1, month) and (m1 < month or (m1 == month and d1 < found[2])):
                    return found
            return _find_ordinal_weekday(y0 + offset + interval, month, weekday, "first")
        if ordinal == "last":
            if active:
                found = _find_last_weekday(y1, month, weekday)
                if found[0] == y1 and (m1 < month or (m1 == month and d1 < found[2])):
                    return found
            return _find_last_weekday(y0 + offset + interval, month, weekday)
        if active:
            found = _find_ordinal_weekday(y1, month, weekday, ordinal)
            if found[:2] == (y1, month) and (m1 < month or (m1 == month and d1 < found[2])):
                return found
        year = y0 + offset + interval
        for _ in range(100):  # find_next_yearly_ordinal_weekday: a fifth may not exist
            found = _find_ordinal_weekday(year, month, weekday, ordinal)
            if found[1] == month:
                return found
            year += interval
        raise RuleError(f"no {ordinal} {weekday} in month {month}")
    raise RuleError(f"unknown cycle {cycle!r}")


def _dropwhile_not_after(days: list[int], today: int) -> list[int]:
    """lists:dropwhile(fun(D) -> D1 >= D end, Days): drop the leading days not after today."""
    for index, day in enumerate(days):
        if not today >= day:
            return days[index:]
    return []


def timezone_of(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def first_rule(
    routes: Sequence[str | tuple[str, str]],
    rules: Mapping[str, Mapping[str, Any]],
    now: datetime,
    timezone: str | None = None,
) -> tuple[str | None, list[str]]:
    """The child key of the first route whose rule holds at `now`
    (cf_temporal_route:process_rules/3), or None for KAZOO's `default`; and a note per rule
    saying what it was. A route is a rule id (its own child key) or (rule id, child key), as a
    rule set's rules lead to the set's child."""
    zone = timezone_of(timezone or DEFAULT_TIMEZONE)
    local = now.astimezone(zone).replace(tzinfo=None)
    today: Ymd = (local.year, local.month, local.day)
    local_sec = _days(today) * DAY + local.hour * 3600 + local.minute * 60 + local.second
    notes: list[str] = []
    for route in routes:
        rule_id, child = (route, route) if isinstance(route, str) else route
        rule = rules.get(rule_id)
        if rule is None:
            notes.append(f"{rule_id}: no such temporal rule here")
            continue
        start_secs = int(rule.get("start_date", 62586115200))
        start_moment = datetime.fromtimestamp(start_secs - GREGORIAN_UNIX_OFFSET, UTC)
        start_local = start_moment.astimezone(zone)
        start: Ymd = (start_local.year, start_local.month, start_local.day)
        if _days(start) * DAY > local_sec:
            notes.append(f"{rule_id}: starts in the future")
            continue
        if rule.get("enabled") is False:
            notes.append(f"{rule_id}: disabled")
            continue
        if rule.get("enabled") is True:
            notes.append(f"{rule_id}: forced on")
            return child, notes
        if not rule.get("cycle"):
            notes.append(f"{rule_id}: no cycle")
            continue
        search = today if rule["cycle"] == "weekly" else normalize(today[0], today[1], today[2] - 1)
        base = _days(normalize(*next_rule_date(rule, start, search))) * DAY
        window = (base + int(rule.get("time_window_start", 0)),
                  base + int(rule.get("time_window_stop", DAY)))  # fmt: skip
        if window[0] <= local_sec <= window[1]:
            notes.append(f"{rule_id}: holds now")
            return child, notes
        notes.append(f"{rule_id}: not now")
    return None, notes
