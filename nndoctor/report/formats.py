"""The output formats, in one table with one signature.

Each format is a module with `render(report, options) -> str`; this table names it, says whether
it can go to stdout (`--format NAME`) and to a file (`--NAME FILE`), and the CLI builds its
options from the table. A new format is one module and one entry here.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nndoctor.errors import UsageError

if TYPE_CHECKING:
    from nndoctor.report.model import Report


@dataclass(frozen=True)
class RenderOptions:
    fail_on: str = "fail"  # the lowest outcome that gates (JUnit failures, the exit code)
    verbose: bool = False  # show passing findings in full
    details: bool = True  # panels with evidence for the findings that need action
    width: int | None = None  # terminal columns (rich); None: 100
    color: bool = False  # ANSI colours (rich)


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    help: str
    stdout: bool = True  # selectable with --format
    file: bool = True  # writable with --NAME FILE

    def render(self, report: Report, options: RenderOptions) -> str:
        render = importlib.import_module(self.module).render
        text: str = render(report, options)
        return text


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("rich", "nndoctor.report.rich_render", "the terminal report", file=False),
        Format("json", "nndoctor.report.json_render", "the JSON report (schema: nndoctor/report/schema.json)"),
        Format("markdown", "nndoctor.report.markdown", "a Markdown report (e.g. $GITHUB_STEP_SUMMARY)"),
        Format("junit", "nndoctor.report.junit", "JUnit XML, one test case per check"),
    )
}


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, so a failed write never
    leaves a truncated or empty report behind."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_reports(report: Report, files: Mapping[str, Path], options: RenderOptions) -> None:
    """Every requested file, each from the same report; the first failure is raised after the others
    were written."""
    problem: UsageError | None = None
    for name, path in files.items():
        try:
            write_atomic(path, FORMATS[name].render(report, options))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            problem = problem or UsageError(f"Cannot write the {name} report to {path}: {reason}.")
    if problem is not None:
        raise problem
