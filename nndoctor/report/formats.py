"""The output formats, found in the renderer modules, with one signature.

Each format is a module of `nndoctor.report` that declares `FORMAT = Format(...)` (its name,
whether it can go to stdout with `--format NAME` and to a file with `--NAME FILE`) and defines
`render(report, options) -> str`. The CLI builds its options from this table, so a new format is
one module.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nndoctor.errors import UsageError
from nndoctor.report.format import Format, RenderOptions

__all__ = ["FORMATS", "Format", "RenderOptions", "write_atomic", "write_reports"]

if TYPE_CHECKING:
    from nndoctor.report.model import Report


@dataclass(frozen=True)
class RegisteredFormat:
    """A format found in a renderer module."""

    declared: Format
    module: str

    @property
    def name(self) -> str:
        return self.declared.name

    @property
    def help(self) -> str:
        return self.declared.help

    @property
    def stdout(self) -> bool:
        return self.declared.stdout

    @property
    def file(self) -> bool:
        return self.declared.file

    def render(self, report: Report, options: RenderOptions) -> str:
        text: str = importlib.import_module(self.module).render(report, options)
        return text


def discover() -> dict[str, RegisteredFormat]:
    """Every module of `nndoctor.report` that declares a `FORMAT`, in declared order."""
    import nndoctor.report as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        declared = getattr(module, "FORMAT", None)
        if isinstance(declared, Format):
            found.append(RegisteredFormat(declared, module.__name__))
    found.sort(key=lambda f: (f.declared.order, f.name))
    return {f.name: f for f in found}


FORMATS: dict[str, RegisteredFormat] = discover()


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
