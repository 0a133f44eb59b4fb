"""What nndoctor needs from the user, already built, and how the user named it."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nndoctor.errors import TargetError

TASKS = ("classification", "binary", "multilabel", "regression")
HINT_KEYS = ("task", "num_classes", "clip_grad_norm", "clip_grad_value")


@dataclass
class Target:
    """Everything nndoctor needs from the user, already built."""

    name: str
    model: Any
    train_data: Iterable[Any]
    val_data: Iterable[Any] | None = None
    loss_fn: Callable[..., Any] | None = None
    optimizer_factory: Callable[..., Any] | None = None
    forward_fn: Callable[..., Any] | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    # where each piece was defined ("build_model" -> "recipe.py:12"), for messages and annotations
    locations: dict[str, str] = field(default_factory=dict)
    # the user's own model state is the initial state (True), or it must be snapshotted (False:
    # e.g. a captured script goes on training the model after nndoctor looked)
    model_is_frozen_snapshot: bool = True
    # a target captured from a training script: what was captured and where (Capture.to_dict());
    # the report carries it in its artifacts ("capture")
    capture: dict[str, Any] | None = None
    # parameters the script's own loss gave a gradient at its first step (set when the script
    # combines several losses and the checks use one of them: the rest train the others' heads)
    script_gradients: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TargetSpec:
    """How the user pointed at the target: exactly one of recipe, config, data file (or none)."""

    recipe: str | None = None
    config: Path | None = None
    data: Path | None = None
    label: str | None = None
    # a training script given as TARGET: its own arguments (after `--`) and the picks among
    # several models or optimizers (--model NAME, --optimizer NAME)
    script_args: tuple[str, ...] = ()
    pick_model: str | None = None
    pick_optimizer: str | None = None

    @property
    def given(self) -> list[str]:
        return [n for n, v in (("TARGET", self.recipe), ("--config", self.config), ("--data", self.data)) if v]


def validate_hints(hints: Any, where: str) -> dict[str, Any]:
    """The recipe's NNDOCTOR hints, checked: a typo or a wrong type is a clear error, not a crash."""
    if hints is None:
        return {}
    if not isinstance(hints, Mapping):
        raise TargetError(
            f"NNDOCTOR in {where} must be a dict of hints, e.g. {{'task': 'classification', 'num_classes': 10}}, "
            f"not {type(hints).__name__}."
        )
    for key in hints:
        if key not in HINT_KEYS:
            close = difflib.get_close_matches(str(key), HINT_KEYS, n=1)
            raise TargetError(
                f"NNDOCTOR in {where} has the unknown hint {key!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; known hints: {', '.join(HINT_KEYS)}."
            )
    task = hints.get("task")
    if task is not None and task not in TASKS:
        raise TargetError(f"NNDOCTOR['task'] in {where} is {task!r}; use one of {', '.join(TASKS)}.")
    classes = hints.get("num_classes")
    if classes is not None and (isinstance(classes, bool) or not isinstance(classes, int) or classes < 1):
        raise TargetError(
            f"NNDOCTOR['num_classes'] in {where} is {classes!r}; it must be a positive integer (the number of "
            "classes the model predicts), e.g. 10."
        )
    for key in ("clip_grad_norm", "clip_grad_value"):
        limit = hints.get(key)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0):
            raise TargetError(
                f"NNDOCTOR[{key!r}] in {where} is {limit!r}; it must be a positive number (what your training loop "
                f"passes to torch.nn.utils.{key}_), e.g. 1.0."
            )
    if hints.get("clip_grad_norm") is not None and hints.get("clip_grad_value") is not None:
        raise TargetError(
            f"NNDOCTOR in {where} gives both clip_grad_norm and clip_grad_value; keep the one your loop uses."
        )
    return dict(hints)
