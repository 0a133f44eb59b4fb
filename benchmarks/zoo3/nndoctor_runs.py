"""Run `nndoctor check` (default profile, one thread) once on each zoo3 recipe and tabulate it:
benchmarks/zoo2/nndoctor_runs.py pointed at this folder (same options, reports in zoo3/reports/).

    OMP_NUM_THREADS=1 python benchmarks/zoo3/nndoctor_runs.py            # every recipe
    python benchmarks/zoo3/nndoctor_runs.py --summarize                  # tables from the JSON
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ZOO3 = Path(__file__).resolve().parent


def _zoo2_runs() -> ModuleType:
    """zoo2's script, loaded by path: benchmarks/ is not a package."""
    spec = importlib.util.spec_from_file_location("zoo2_nndoctor_runs", ZOO3.parent / "zoo2" / "nndoctor_runs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    _zoo2_runs().main(ZOO3)
