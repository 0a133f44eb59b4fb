"""The `watched_run` probe: the run `nndoctor watch` recorded, which the ND5xx checks judge.

A watch supplies its value directly (`engine.run_checks_on_values`); a pre-flight run over a
recipe has no real training loop to watch, so there the probe skips.
"""

from __future__ import annotations

from typing import Any

from nndoctor.errors import Skip
from nndoctor.probe import probe


@probe("watched_run", "The recorded run of your own training script", cost="static")
def watched_run(ctx: Any) -> Any:
    raise Skip(
        "it judges your real training loop: run `nndoctor watch train.py` (or the `nndoctor.watch` "
        "context manager) to record one"
    )
