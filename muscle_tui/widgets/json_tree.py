"""A collapsible tree of a JSON value: keys, strings, numbers and literals told apart by style.

Values are shown literally (never read as markup; control characters as escapes); strings in
quotes as JSON writes them, cut after STRING_CHARS characters. Children are added when a node is
first expanded, so a large json_data costs nothing until it is opened.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from muscle_tui.text import escape_controls

STRING_CHARS = 400
KEY_STYLE = "bold"
STYLES = {"string": "green", "number": "cyan", "literal": "magenta italic", "summary": "dim"}


def _scalar(value: Any) -> Text:
    if isinstance(value, str):
        shown = value if len(value) <= STRING_CHARS else value[:STRING_CHARS] + "…"
        text = Text(escape_controls(json.dumps(shown, ensure_ascii=False)), style=STYLES["string"])
        if len(value) > STRING_CHARS:
            text.append(f" ({len(value):,} characters)", style=STYLES["summary"])
        return text
    if value is None or isinstance(value, bool):
        return Text(json.dumps(value), style=STYLES["literal"])
    if isinstance(value, int | float):
        return Text(
            escape_controls(repr(value) if isinstance(value, float) else str(value)), style=STYLES["number"]
        )
    return Text(escape_controls(str(value)))


def _summary(value: dict[Any, Any] | list[Any]) -> Text:
    if isinstance(value, dict):
        return Text(f"{{…}} {len(value):,} key{'s' if len(value) != 1 else ''}", style=STYLES["summary"])
    return Text(f"[…] {len(value):,} item{'s' if len(value) != 1 else ''}", style=STYLES["summary"])


def node_label(key: str | None, value: Any) -> Text:
    """One node's label: `key: value` (or the value alone), containers summarised."""
    label = Text()
    if key is not None:
        label.append(escape_controls(key), style=KEY_STYLE)
        label.append(": ")
    label.append(_summary(value) if isinstance(value, dict | list) else _scalar(value))
    return label


class JsonTree(Tree[Any]):
    """Shows one JSON value (`show_json`); containers expand on demand."""

    def __init__(self, label: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text(label), id=id, classes=classes)
        self.show_root = True
        self.guide_depth = 3
        self._filled: set[int] = set()
        self.shown = False  # whether show_json was called

    def show_json(self, label: str, value: Any, *, expand_levels: int = 2) -> None:
        """Show `value` under a root labelled `label`, its first `expand_levels` levels open."""
        self.clear()
        self._filled.clear()
        root = self.root
        root.set_label(node_label(label, value))
        root.data = value
        self._fill(root, expand_levels)
        root.expand()
        self.shown = True

    def _fill(self, node: TreeNode[Any], levels: int) -> None:
        value = node.data
        if not isinstance(value, dict | list) or node.id in self._filled:
            return
        self._filled.add(node.id)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            label = node_label(str(key) if isinstance(value, dict) else f"[{key}]", child)
            if isinstance(child, dict | list) and child:
                branch = node.add(label, data=child)
                if levels > 1:
                    self._fill(branch, levels - 1)
                    branch.expand()
            else:
                node.add_leaf(label, data=child)

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        self._fill(event.node, 1)
