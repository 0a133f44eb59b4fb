"""Watching training: the library side of `nndoctor watch` and the `nndoctor.watch` context manager.

- `watch_script(path, argv)`: run a script to its end under a `Watcher` and judge the recorded
  run (the CLI's `watch` command is a thin layer over it);
- `watch(model, optimizer)`: a context manager around the user's own loop (a notebook, a loop
  nndoctor does not launch); `w.report()` judges what ran inside it;
- `report_for_run(run)`: the ND5xx checks (profile `watch`) over a `WatchedRun`, as a `Report`.

The report is the same `Report` model as `nndoctor check`'s: every renderer, `gate` and `diff`
work on it.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nndoctor.errors import UsageError

if TYPE_CHECKING:
    from torch import nn
    from torch.optim import Optimizer

    from nndoctor.observe.runner import ScriptOutcome
    from nndoctor.observe.series import WatchedRun
    from nndoctor.observe.watcher import Watcher
    from nndoctor.report.model import Report

__all__ = ["WatchSession", "report_for_run", "watch", "watch_script"]

WATCH_PROFILE = "watch"


def _codes(value: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


def report_for_run(
    run: WatchedRun,
    *,
    target: str | None = None,
    profile: str | None = None,
    select: Sequence[str] | str | None = None,
    ignore: Sequence[str] | str | None = None,
    interrupted: bool = False,
) -> Report:
    """Judge a recorded run with the ND5xx checks (the `watch` profile unless `profile` says
    otherwise) and return the Report."""
    from nndoctor.api import report_locations
    from nndoctor.engine import run_checks_on_values
    from nndoctor.registry import load_registry
    from nndoctor.settings import SettingsRequest, resolve_settings

    request = SettingsRequest(
        profile=profile or WATCH_PROFILE, select=_codes(select), ignore=_codes(ignore), source="argument"
    )
    settings = resolve_settings(request)
    registry = load_registry(plugins=settings.plugins)
    chosen = registry.resolve(settings.select, "--select") - registry.resolve(settings.ignore, "--ignore")
    name = target or (f"{Path(run.script).name} (watched)" if run.script else f"{run.model or 'model'} (watched)")
    report = run_checks_on_values(
        {"watched_run": run},
        registry,
        [registry.checks[c] for c in sorted(chosen)],
        settings,
        target=name,
        locations=report_locations(run.sites),
        environment=_environment(run),
        model=_model(run),
    )
    report.artifacts["watched_run"] = {
        "status": run.status,
        "steps": run.steps,
        "every": run.every,
        "epochs": len(run.epochs()),
        "model": run.model,
        "optimizer": run.optimizer,
        "scheduler": run.scheduler,
        "loss": run.loss,
        "handovers": list(run.handovers),
    }
    report.interrupted = report.interrupted or interrupted
    return report


def _environment(run: WatchedRun) -> dict[str, Any]:
    import torch

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(terse=True),
        "device": run.device or "?",
        "device_name": platform.processor() or platform.machine(),
        "dtype": run.dtype or "?",
        "precision": "(the script's)",
        "seed": "(the script's)",
        "threads": torch.get_num_threads(),
    }


def _model(run: WatchedRun) -> dict[str, Any]:
    if run.model is None:
        return {}
    return {
        "class": run.model,
        "params": run.model_params,
        "trainable": run.model_trainable,
        "layers": run.model_layers,
    }


def watch_script(
    path: str | Path,
    argv: Sequence[str] = (),
    *,
    every: int = 10,
    profile: str | None = None,
    select: Sequence[str] | str | None = None,
    ignore: Sequence[str] | str | None = None,
    on_sample: Callable[[Watcher], None] | None = None,
    stdout_to_stderr: bool = False,
) -> tuple[Report, ScriptOutcome]:
    """Run the script at `path` with `argv` to its end under observation and judge the run.

    Returns the report and how the script ended; the script's exception (or Ctrl-C) is in the
    outcome, never swallowed: call `outcome.reraise()` after writing the report.
    """
    from nndoctor.observe.hooks import observing
    from nndoctor.observe.runner import run_script
    from nndoctor.observe.watcher import Watcher

    script = Path(path)
    if not script.is_file():
        raise UsageError(f"The script {script} does not exist (nndoctor watch runs a Python file: `watch train.py`).")
    if script.suffix != ".py":
        raise UsageError(f"{script} is not a .py file: nndoctor watch runs a Python training script.")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise UsageError(f"--every must be a positive number of steps, not {every!r}.")
    watcher = Watcher(every, script=str(script), on_sample=on_sample)
    with observing(watcher) as observation:
        watcher.attach(observation)
        outcome = run_script(script, list(argv), stdout_to_stderr=stdout_to_stderr)
    status = {"finished": "completed", "error": "exception", "interrupted": "interrupted"}.get(outcome.status, "exit")
    run = watcher.finish(status)
    outcome.listener_errors = list(observation.errors)
    report = report_for_run(
        run, profile=profile, select=select, ignore=ignore, interrupted=outcome.status == "interrupted"
    )
    if run.steps == 0:
        report.artifacts["watched_run"]["note"] = (
            f"{script.name} made no optimizer step: nothing to judge ({outcome.describe()})"
        )
    return report, outcome


class WatchSession:
    """What `nndoctor.watch(...)` yields: `report()` judges the run so far, `run` is the record."""

    def __init__(self, watcher: Watcher, profile: str | None) -> None:
        self.watcher = watcher
        self.profile = profile
        self._closed = False

    @property
    def run(self) -> WatchedRun:
        return self.watcher.result()

    @property
    def alerts(self) -> list[str]:
        return list(self.watcher.alerts)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.watcher.finish("completed")

    def report(self, *, select: Sequence[str] | str | None = None, ignore: Sequence[str] | str | None = None) -> Report:
        """The ND5xx report over what ran inside the `with` block (call it after the block)."""
        if not self._closed:
            raise UsageError(
                "Call w.report() after the `with nndoctor.watch(...) as w:` block has ended: the run is "
                "judged once it is complete."
            )
        return report_for_run(self.run, profile=self.profile, select=select, ignore=ignore)


@contextmanager
def watch(
    model: nn.Module,
    optimizer: Optimizer,
    *,
    every: int = 10,
    profile: str | None = None,
) -> Iterator[WatchSession]:
    """Watch the training loop inside the `with` block; `w.report()` afterwards gives the Report.

    ```python
    with nndoctor.watch(model, optimizer) as w:
        for x, y in loader:
            ...  # your loop, unchanged
    print(w.report())
    ```

    `every`: sample the gradient/weight statistics every N optimizer steps. Nothing in your
    training changes (same losses, weights and RNG draws as without the watch).
    """
    import torch

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"nndoctor.watch needs the model (an nn.Module) first, not {type(model).__name__}.")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise UsageError(
            f"nndoctor.watch needs the torch.optim.Optimizer that trains the model, not {type(optimizer).__name__}."
        )
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise UsageError(f"every must be a positive number of steps, not {every!r}.")
    watcher = Watcher(every, model=model, optimizer=optimizer)
    session = WatchSession(watcher, profile)
    with observing(watcher) as observation:
        watcher.attach(observation)
        try:
            yield session
        finally:
            session.close()
