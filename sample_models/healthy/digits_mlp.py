"""Healthy: the bundled default sample (a ReLU MLP on standardized digits), run by path.

The same recipe `nndoctor check` runs with no target; see `nndoctor/samples/digits_mlp.py`.
Must stay quiet: every check passes or skips.
"""

from nndoctor.samples.digits_mlp import (
    NNDOCTOR,
    build_data,
    build_loss,
    build_model,
    build_optimizer,
)

__all__ = ["FIRES", "NNDOCTOR", "build_data", "build_loss", "build_model", "build_optimizer"]

FIRES: dict[str, str] = {}
