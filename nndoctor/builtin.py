"""nndoctor's own checks and probes, exposed through the `nndoctor.checks` entry point.

Every module under nndoctor.probes and nndoctor.checks is imported, so a new check module is
found without being listed anywhere.
"""

from __future__ import annotations

import importlib
import pkgutil

import nndoctor.checks
import nndoctor.probes

__all__ = ["MODULES"]

MODULES = [
    importlib.import_module(f"{package.__name__}.{info.name}")
    for package in (nndoctor.probes, nndoctor.checks)
    for info in pkgutil.iter_modules(package.__path__)
    if not info.name.startswith("_")
]
