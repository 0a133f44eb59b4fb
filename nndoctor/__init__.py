"""nndoctor: pre-flight checks and babysitting for PyTorch training.

`import nndoctor` stays cheap (no torch); the functions import torch when called.
"""

from __future__ import annotations

__version__ = "0.2.0"

from nndoctor.api import capture, diagnose
from nndoctor.lr_find import LRFindResult, lr_find
from nndoctor.observe.api import watch

__all__ = ["LRFindResult", "__version__", "capture", "diagnose", "lr_find", "watch"]
