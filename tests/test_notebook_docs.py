"""docs/notebook.md runs: its cells execute in one namespace, as in a notebook, and show what they say."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "notebook.md"


def cells() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def run_cell(code: str, namespace: dict[str, Any]) -> Any:
    """Execute a cell; like Jupyter, return the value of a last bare expression."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body = tree.body[:-1]
    exec(compile(tree, str(PAGE), "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), str(PAGE), "eval"), namespace)


def test_the_notebook_page_runs_and_shows_the_report_with_pictures() -> None:
    namespace: dict[str, Any] = {}
    shown = [run_cell(code, namespace) for code in cells()]
    assert len(shown) >= 5
    report = namespace["report"]
    html = shown[0]._repr_html_()  # what Jupyter displays for the first cell
    assert html.startswith('<div class="nndoctor-report">') and "<svg" in html
    assert "Gradient flow at init" in html and "Short training run: loss by step" in html
    assert report.root_causes  # the sigmoid stack has problems, and the diagnosis names them
    findings = shown[2]
    assert list(findings.columns) == ["name", "outcome", "root_cause"]
    assert findings.loc["ND301", "outcome"] == "warn"
    ratio = shown[3]
    assert ratio < 1e-3  # the first layer's gradient is orders of magnitude below the last one's
    assert "ND301 gradients at init" in shown[4]
    written = shown[-1]
    assert "gradient_flow.svg" in written and "loss_curve.svg" in written
