"""Experiment only: `nndoctor lr-find`'s sweep through the Python API with another `max_batches`.

The CLI keeps the first 32 batches of the training loader (profile setting `max_batches`) and the
sweep cycles through them; this runs the same probe and ND403 check with the default sweep but
`max_batches` distinct batches, so a 100-step sweep can see 100 different batches. Prints the JSON
report, like `nndoctor lr-find --format json`.

    LR_ORACLE_TASK=noisy-wide/nadam LR_ORACLE_SEED=0 python -m benchmarks.lr_oracle2.api_sweep 0 128
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from nndoctor.api import run_spec
from nndoctor.report.json_render import render_json
from nndoctor.settings import SettingsRequest
from nndoctor.targets import TargetSpec

RECIPE = Path(__file__).resolve().parent / "recipe.py"


def main(argv: list[str]) -> int:
    seed, max_batches = int(argv[0]), int(argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "oracle.yaml"
        profile.write_text(f"extends: default\nsettings:\n  max_batches: {max_batches}\n")
        request = SettingsRequest(profile=str(profile), select=["ND403"], seed=seed)
        report = run_spec(TargetSpec(recipe=str(RECIPE)), request)
    sys.stdout.write(render_json(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
