"""How an output format declares itself: a renderer module defines `FORMAT = Format(...)` and
`render(report, options) -> str`; `nndoctor.report.formats` finds it (like checks are found)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderOptions:
    fail_on: str = "fail"  # the lowest outcome that gates (JUnit failures, the exit code)
    verbose: bool = False  # show passing findings in full
    details: bool = True  # panels with evidence for the findings that need action
    width: int | None = None  # terminal columns (rich); None: 100
    color: bool = False  # ANSI colours (rich)


@dataclass(frozen=True)
class Format:
    name: str  # --format NAME and --NAME FILE
    help: str  # "the JSON report ...": completes "Also write ... to FILE"
    stdout: bool = True  # selectable with --format
    file: bool = True  # writable with --NAME FILE
    order: int = 50  # position in --help
