"""The path tree on its own, fed a real walk: nested flows hang under the step that branched,
a step resumed from KAZOO's branch stack goes back beside its own flow's steps."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets.tree import TreeNode

from backend.callflow.execute import Environment, all_paths, execute
from backend.callflow.sources import Documents, FunctionDoc, MappingSource
from widgets.path_tree import PathTree

BRANCHING = "return {module: 'callflow', data: {id: 'inner'}};"
FLOW = {
    "module": "function",
    "data": {"id": "router"},
    "children": {"_": {"module": "tts", "data": {"text": "after"}}},
}
INNER = {"name": "Inner", "numbers": ["1"], "flow": {"module": "tts", "data": {"text": "in"}}}


class TreeApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.picked: list[tuple[str, int]] = []
        self.notes: list[str] = []

    def compose(self) -> ComposeResult:
        yield PathTree()

    def on_path_tree_picked(self, event: PathTree.Picked) -> None:
        self.picked.append((event.kind, event.index))
        if event.kind == "note":
            self.notes.append(event.text)


def _environment() -> Environment:
    functions = MappingSource({"router": FunctionDoc("router", BRANCHING)})
    return Environment({}, functions, Documents(callflows={"inner": INNER}))


def _shape(node: TreeNode[Any], depth: int = 0) -> list[tuple[int, str]]:
    rows = []
    for child in node.children:
        rows.append((depth, str(child.label).split("  (")[0].strip()))
        rows += _shape(child, depth + 1)
    return rows


async def test_a_walk_nests_branched_flows_and_resumes_beside_its_flow() -> None:
    walk = execute({"flow": FLOW}, _environment()).to_json()
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(PathTree)
        tree.show_walk(walk, "Main")
        await pilot.pause()
        assert _shape(tree.root) == [
            (0, "Main"),
            (1, "1 function router branched"),
            (2, "2 callflow inner branched"),
            (3, "3 tts stopped"),
            (1, "4 ↩ tts stopped"),
            (0, "■ " + walk["ended"] + " · 2 branch(es)"),
        ]
        # Only the function node's `_` waits on the stack (the returned callflow node has none).
        assert "waits on the branch stack" in str(tree.root.children[0].children[0].label)
        assert "waits" not in str(tree.root.children[0].children[0].children[0].label)
        assert app.picked[-1] == ("step", 0)  # the first step is shown at once
        tree.focus()
        await pilot.press("down", "down", "down")
        assert app.picked[-1] == ("step", 3)


async def test_a_line_wider_than_the_pane_is_given_whole_when_highlighted() -> None:
    walk = execute({"flow": FLOW}, _environment()).to_json()
    app = TreeApp()
    async with app.run_test(size=(30, 12)) as pilot:
        tree = app.query_one(PathTree)
        tree.show_walk(walk, "Main")
        await pilot.pause()
        tree.focus()
        await pilot.press("down", "down", "down", "down")  # past the last step, to the end
        assert app.notes == ["■ " + walk["ended"] + " · 2 branch(es)"]
        assert len(app.notes[0]) > 30  # the tree cuts it; the note carries all of it


async def test_every_path_is_a_node_with_its_steps_folded_inside() -> None:
    flow = {"module": "fax_detect", "data": {}, "children": {
        "ON_FAX": {"module": "receive_fax", "data": {}},
        "ON_VOICE": {"module": "tts", "data": {"text": "hello"}}}}  # fmt: skip
    found = all_paths({"flow": flow}, _environment()).to_json()
    app = TreeApp()
    async with app.run_test() as pilot:
        tree = app.query_one(PathTree)
        tree.show_paths(found)
        await pilot.pause()
        rows = _shape(tree.root)
        assert [row for row in rows if row[0] == 0][:2] == [
            (0, "1 fax_detect[ON_VOICE] → tts"),
            (0, "2 fax_detect[ON_FAX] → receive_fax"),
        ]
        assert (1, "1 fax_detect continued ▸ ON_VOICE") in rows
        assert not tree.root.children[0].is_expanded
        tree.focus()
        await pilot.press("down")
        assert app.picked[-1] == ("path", 1)
