"""The function list on its own: filtering, and marks updated without rebuilding the list."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from widgets.function_list import FunctionEntry, FunctionList


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FunctionList()


async def test_marks_update_in_place_and_the_filter_still_applies() -> None:
    app = ListApp()
    async with app.run_test() as pilot:
        functions = app.query_one(FunctionList)
        functions.set_entries([FunctionEntry(f"id{i}", f"fn {i:03}") for i in range(300)])
        await pilot.pause()
        options = functions.options
        first = options.get_option_at_index(0)
        functions.set_dirty("id0", True)
        assert options.get_option_at_index(0) is first  # the row was redrawn, not rebuilt
        assert str(first.prompt).startswith("●")
        functions.upsert(FunctionEntry("id1", "fn 001", enabled=False))
        assert "off" in str(options.get_option("id1").prompt)
        functions.query_one("Input").value = "fn 29"
        await pilot.pause()
        visible = functions.visible_ids()
        assert "id295" in visible and "id5" not in visible
        functions.set_dirty("id5", True)  # filtered out: no error, and shown once visible
        functions.query_one("Input").value = ""
        await pilot.pause()
        assert str(options.get_option("id5").prompt).startswith("●")


def test_a_label_is_one_row_with_its_state_styled() -> None:
    label = FunctionEntry("f1", "two\nlines", enabled=False, disable_reason="bad\tjs", dirty=True)
    assert label.label().plain == "● two lines off (bad js)"
    styles = {
        label.label().plain[span.start : span.end]: str(span.style) for span in label.label().spans
    }
    assert styles == {
        "● ": "bold ansi_yellow",
        "two lines": "dim strike",
        " off": "bold ansi_red",
        " (bad js)": "dim",
    }
    assert FunctionEntry("f2", "").label().plain == "  f2"  # no name: the id


class StyledListApp(ListApp):
    CSS_PATH = str(Path(__file__).parents[2] / "tui" / "styles" / "widgets.tcss")


async def test_long_names_stay_one_row_and_wrap_only_where_the_list_wraps() -> None:
    long_names = [FunctionEntry(f"id{i}", f"fn {i} " + "x" * 200) for i in range(50)]
    # kfn's style: rows do not wrap, they end in an ellipsis, and each is measured as one line.
    app = StyledListApp()
    async with app.run_test(size=(40, 20)) as pilot:
        functions = app.query_one(FunctionList)
        functions.set_entries(long_names)
        await pilot.pause()
        assert functions.options.virtual_size.height == 50
        assert functions.options.render_line(0).text.rstrip().endswith("…")
    # Without that style a label is measured like any Content, and a long one wraps.
    app = ListApp()
    async with app.run_test(size=(40, 20)) as pilot:
        functions = app.query_one(FunctionList)
        functions.set_entries(long_names)
        await pilot.pause()
        assert functions.options.virtual_size.height > 50


async def test_a_filter_that_matches_nothing_says_so_and_esc_clears_it() -> None:
    app = ListApp()
    async with app.run_test() as pilot:
        functions = app.query_one(FunctionList)
        functions.set_entries([FunctionEntry("a", "alpha"), FunctionEntry("b", "beta")])
        field = functions.query_one("Input")
        field.focus()
        await pilot.press(*"zzz")
        await pilot.pause()
        assert functions.visible_ids() == []
        shown = functions.options.get_option_at_index(0)
        assert shown.disabled and "no function matches 'zzz'" in str(shown.prompt)
        await pilot.press("escape")
        await pilot.pause()
        assert field.value == "" and functions.visible_ids() == ["a", "b"]
        assert functions.options.has_focus
