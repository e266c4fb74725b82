"""The key gate: keys taken while it is closed are handled in order when it opens; one that
closes it again (Enter in the next dialog) leaves the rest waiting behind it."""

from __future__ import annotations

from textual import events

from tui.key_gate import KeyGate


def _key(name: str) -> events.Key:
    return events.Key(name, name if len(name) == 1 else None)


async def test_held_keys_come_out_in_order_and_stop_at_the_next_hold() -> None:
    handled: list[str] = []
    gate: KeyGate

    async def handle(event: events.Event) -> None:
        assert isinstance(event, events.Key)
        handled.append(event.key)
        if event.key == "enter":
            gate.hold()  # the next dialog closing

    gate = KeyGate(handle)
    assert not gate.take(_key("a"))  # open: nothing is held
    gate.hold()
    for name in ("3", "enter", "x", "y"):
        assert gate.take(_key(name))
    assert not gate.take(events.Resize.from_dimensions((80, 24), None))  # only keys wait
    await gate.release()
    assert handled == ["3", "enter"] and gate.closed
    await gate.release()
    assert handled == ["3", "enter", "x", "y"] and not gate.closed
