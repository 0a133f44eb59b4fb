"""The layout's promises: no import cycles, torch only where experiments run, one format table.

These read the source (imports) or run a fresh interpreter, so they hold for the package as a
whole, not for one code path.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

PACKAGE = Path(__file__).resolve().parent.parent / "nndoctor"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every nndoctor module `path` imports, at any depth, except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nndoctor"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nndoctor"))
    return found & modules


def test_the_package_has_no_import_cycle() -> None:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycle = [*path[path.index(other) :], other]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, [*path, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


TORCH_FREE_COMMANDS = [
    ["--help"],
    ["checks"],
    ["checks", "--format", "json"],
    ["explain", "ND201"],
    ["check", "--help"],
    ["lr-find", "--help"],
]


@pytest.mark.parametrize("args", TORCH_FREE_COMMANDS, ids=lambda a: " ".join(a))
def test_commands_that_run_no_experiment_never_import_torch(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from nndoctor.cli import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_check_declarations_load_without_torch() -> None:
    code = (
        "import sys\n"
        "from nndoctor.registry import load_registry\n"
        "registry = load_registry(probes=False)\n"
        "assert len(registry.checks) >= 19 and not registry.probes\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_every_file_format_in_the_table_is_a_check_option_and_renders(tmp_path: Path) -> None:
    from nndoctor.cli import app
    from nndoctor.report.formats import FORMATS, RenderOptions
    from nndoctor.report.model import Finding, Outcome, Report

    help_text = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["check", "--help"]).output
    report = Report(target="t", findings=[Finding("ND201", "x", "t", Outcome.WARN, "m [/] \x1b")])
    for name, fmt in FORMATS.items():
        if fmt.file:
            assert f"--{name}" in help_text, name
        text = fmt.render(report, RenderOptions())  # colourless: no escape byte may appear
        assert text and "\x1b" not in text, name
