"""nndoctor: pre-flight checks for PyTorch training.

`import nndoctor` stays cheap (no torch); `diagnose` imports torch when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from nndoctor.report.model import Report


def diagnose(*args: Any, **kwargs: Any) -> Report:
    """Run nndoctor's checks on a model and its data; see `nndoctor.api.diagnose`."""
    from nndoctor.api import diagnose as _diagnose

    return _diagnose(*args, **kwargs)


__all__ = ["__version__", "diagnose"]
