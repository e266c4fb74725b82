"""The path of a callflow walk as a tree: the steps of each flow the call entered (a function's
returned flow, a callflow branched into) hang under the step that branched into it; a step KAZOO
resumes from its branch stack goes back beside the steps of the flow it belongs to. Or every
path, one node each."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

OUTCOME_STYLES = {
    "branched": "bold green",
    "continued": "yellow",
    "stopped": "bold magenta",
    "ended": "bold red",
    "skipped": "dim",
}


def flow_of(where: str) -> str:
    """The flow a step belongs to: its position up to the first child key."""
    return where.split(" ▸ ", 1)[0]


def step_label(step: dict[str, Any], index: int, pushed: bool) -> Text:
    resumed = step.get("resumed") is True
    data = step.get("data") or {}
    subject = data.get("id") if step["module"] in ("function", "callflow", "menu") else None
    return Text.assemble(
        (f"{index + 1:>2} ", "dim"),
        ("↩ " if resumed else "", "bold cyan"),
        (f"{step['module'] or '(none)'} ", "bold"),
        (f"{subject} " if isinstance(subject, str) else "", ""),
        (step["outcome"], OUTCOME_STYLES.get(step["outcome"], "")),
        (f" ▸ {step['child']}" if step.get("child") else "", "bold"),
        ("  (its _ waits on the branch stack)" if pushed else "", "cyan"),
    )


class PathTree(Tree[tuple[str, int] | None]):
    """Node data: ("step", index) or ("path", index); None for flows and notes."""

    class Picked(Message):
        """The highlighted node is step (or path) `index`; or kind "note", with its whole
        `text`: a line such as why the walk ended is often wider than the pane."""

        def __init__(self, kind: str, index: int, text: str = "") -> None:
            super().__init__()
            self.kind = kind
            self.index = index
            self.text = text

    def __init__(self, **kwargs: object) -> None:
        super().__init__("path", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2

    def show_walk(self, result: dict[str, Any], title: str) -> None:
        steps = list(result.get("steps") or [])
        self.clear()
        top = self.root.add(Text(title, style="bold"), expand=True)
        flows: list[tuple[str, TreeNode[tuple[str, int] | None]]] = []
        last: TreeNode[tuple[str, int] | None] | None = None
        for index, step in enumerate(steps):
            label = flow_of(step["where"])
            if last is not None and steps[index - 1]["outcome"] == "branched":
                last.allow_expand = True
                last.expand()
                flows.append((label, last))
            elif not flows:
                flows.append((label, top))
            else:
                depth = next(
                    (i for i in range(len(flows) - 1, -1, -1) if flows[i][0] == label), None
                )
                if depth is not None:
                    del flows[depth + 1 :]
            following = steps[index + 1] if index + 1 < len(steps) else None
            pushed = following is not None and len(following.get("stack") or []) > len(
                step.get("stack") or []
            )
            last = flows[-1][1].add(
                step_label(step, index, pushed), data=("step", index), allow_expand=False
            )
        ended = f"■ {result.get('ended', '')} · {result.get('branches', 0)} branch(es)"
        self.root.add_leaf(Text(ended, style="italic"))
        self._dead_branches(result)
        self._select_first("step")

    def show_paths(self, found: dict[str, Any]) -> None:
        paths = list(found.get("paths") or [])
        self.clear()
        for index, path in enumerate(paths):
            route = " → ".join(
                step["module"]
                + (f"[{step['child']}]" if step.get("child") not in (None, "_") else "")
                for step in path["steps"]
            )
            node = self.root.add(
                Text.assemble((f"{index + 1:>2} ", "dim"), route), data=("path", index)
            )
            for number, step in enumerate(path["steps"]):
                node.add_leaf(step_label(step, number, False), data=("path", index))
        bound = "" if found.get("complete", True) else " (more exist: stopped at the bound)"
        self.root.add_leaf(Text(f"■ {len(paths)} path(s){bound}", style="italic"))
        self._dead_branches(found)
        self._select_first("path")

    def _dead_branches(self, result: dict[str, Any]) -> None:
        """The children KAZOO can never take, then the documents the walk could not read."""
        for dead in result.get("dead_branches") or []:
            self.root.add_leaf(Text(f"dead branch: {dead}", style="dim red"))
        for reference in result.get("references") or []:
            if reference.get("found") is not True:
                label = f"uses {reference['kind']} {reference['id']}: {reference['note']}"
                style = "yellow" if reference.get("found") is False else "dim"
                self.root.add_leaf(Text(label, style=style))

    def _select_first(self, kind: str) -> None:
        """Put the cursor on the first step (or path) and say so."""
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and node.data is not None and node.data[0] == kind:
                self.move_cursor(node)
                self.post_message(self.Picked(kind, node.data[1]))
                return

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[tuple[str, int] | None]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.Picked(*event.node.data))
        elif event.node is not self.root:  # hidden; highlighted as the tree is cleared
            self.post_message(self.Picked("note", -1, str(event.node.label)))
