"""nndoctor's own checks and probes, exposed through the `nndoctor.checks` entry point.

Every module under nndoctor.checks (and, for a run, nndoctor.probes) is imported, so a new check
module is found without being listed anywhere. Check modules import no torch, so the catalogue
loads without it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _package_modules(package_name: str) -> list[ModuleType]:
    package = importlib.import_module(package_name)
    return [
        importlib.import_module(f"{package_name}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def modules(probes: bool = True) -> list[ModuleType]:
    """The built-in check modules, and the probe modules when a run needs them."""
    found = _package_modules("nndoctor.checks")
    if probes:
        found += _package_modules("nndoctor.probes")
    return found
