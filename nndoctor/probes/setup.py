"""The setup probe: what the first batch revealed (loss, task, label range), for the checks.

The context resolved it before any probe ran (`nndoctor.setup.resolve_setup`); this probe only
hands it to checks that declare `setup` as a need.
"""

from __future__ import annotations

from nndoctor.context import Context
from nndoctor.probe import probe
from nndoctor.setup import Setup


@probe("setup", "load one batch, run forward and loss", cost="static")
def setup(ctx: Context) -> Setup:
    return ctx.setup
