"""A callflow drawn as a tree: module and key data per node, branch keys on the edges."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

MAX_DATA_CHARS = 48


def describe(node: Any) -> Text:
    """`module  key=value …` for a node; anything that is not a node says what it is."""
    if not isinstance(node, dict):
        return Text(f"not a node: {json.dumps(node)[:MAX_DATA_CHARS]}", style="red")
    module = node.get("module")
    label = Text(str(module) if module else "(no module)", style="bold" if module else "bold red")
    data = node.get("data")
    if isinstance(data, dict) and data:
        shown = ", ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in data.items()
        )
        if len(shown) > MAX_DATA_CHARS:
            shown = shown[: MAX_DATA_CHARS - 1] + "…"
        label.append(f"  {shown}", style="dim")
    return label


class FlowTree(Tree[Any]):
    HELP = """\
## Flow
The callflow the function returned, as KAZOO would branch into it: each node is
a module with its key data; children hang under their branch key (`_` is the
default branch). **Enter** shows a node's whole data; **space** folds it.
"""

    class DetailRequested(Message):
        """Show the whole of `node` (a callflow node, as returned)."""

        def __init__(self, title: str, node: Any) -> None:
            super().__init__()
            self.title = title
            self.node = node

    def __init__(self, **kwargs: object) -> None:
        super().__init__("flow", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.auto_expand = False  # enter shows the data; space folds

    def on_focus(self) -> None:
        """The first node is picked as the tree takes the focus, so enter works at once."""
        if self.cursor_node is None and self.last_line >= 0:
            self.cursor_line = 0

    def on_tree_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        event.stop()
        if event.node.data is not None:
            module = event.node.data.get("module") if isinstance(event.node.data, dict) else None
            self.post_message(self.DetailRequested(f"node: {module or '?'}", event.node.data))

    def show_flow(self, flow: Any, title: str = "flow") -> None:
        self.clear()
        self.root.set_label(title)
        if flow is None:
            self.root.add_leaf(Text("no flow: the run failed or returned nothing", style="dim"))
        else:
            self._add(self.root, flow, None)
        self.root.expand_all()

    def _add(self, parent: TreeNode[Any], node: Any, branch: str | None) -> None:
        label = Text(f"{branch} ▸ ", style="cyan") if branch is not None else Text()
        label.append_text(describe(node))
        children = node.get("children") if isinstance(node, dict) else None
        if isinstance(children, dict) and children:
            added = parent.add(label, data=node)
            for key, child in children.items():
                self._add(added, child, key)
        else:
            parent.add_leaf(label, data=node)
