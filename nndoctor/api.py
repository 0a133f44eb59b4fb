"""The Python API. The CLI runs the same functions, so both give the same report.

Importing this module is cheap (no torch); the functions import what they need when called.
Every run goes: target -> `resolve_settings` (one precedence) -> `build_target` with the resolved
seed -> `open_context` -> `run_checks` -> Report.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nndoctor.errors import UsageError
from nndoctor.settings import Layer, RunSettings, SettingsRequest, resolve_settings
from nndoctor.targets import ReadTarget, Target, TargetSpec, build_target, read_target

if TYPE_CHECKING:
    from pathlib import Path

    from nndoctor.engine import ProgressCallback
    from nndoctor.observe.capture import Capture
    from nndoctor.progress import ProgressSink
    from nndoctor.report.model import Report


def run_target(
    target: Target,
    settings: RunSettings,
    *,
    progress: ProgressSink | None = None,
    on_check: ProgressCallback | None = None,
) -> Report:
    """Run the selected checks on a built target with resolved settings."""
    from nndoctor.context import open_context
    from nndoctor.engine import run_checks
    from nndoctor.registry import load_registry

    registry = load_registry(plugins=settings.plugins)
    chosen = registry.resolve(settings.select, "--select")
    chosen -= registry.resolve(settings.ignore, "--ignore")
    with open_context(target, settings, progress) as ctx:
        report = run_checks(
            ctx,
            registry,
            [registry.checks[c] for c in sorted(chosen)],
            on_check=on_check,
            locations=report_locations(target.locations),
        )
    if target.capture is not None:  # a captured script: what was captured and where
        report.artifacts["capture"] = dict(target.capture)
    return report


def report_locations(locations: Mapping[str, str]) -> dict[str, str]:
    """Builder sites as the report keeps them: relative to the working directory when inside it
    (what CI annotations and people read), absolute otherwise."""
    from pathlib import Path

    out = {}
    for name, site in locations.items():
        file, sep, line = site.rpartition(":")
        if not sep or not line.isdigit():
            file, line = site, ""
        path = Path(file)
        try:
            shown = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = str(path)
        out[name] = f"{shown}:{line}" if line else shown
    return out


def run_spec(
    spec: TargetSpec,
    request: SettingsRequest,
    *,
    project: Layer | None = None,
    progress: ProgressSink | None = None,
    on_check: ProgressCallback | None = None,
) -> Report:
    """Read the target, resolve the settings, build the target, run: the CLI's `check` path."""
    read = read_target(spec)
    settings = resolve_settings(request, config=read.layer, project=project)
    return run_target(build_target(read, settings), settings, progress=progress, on_check=on_check)


def prepare(spec: TargetSpec, request: SettingsRequest, project: Layer | None = None) -> tuple[Target, RunSettings]:
    """The target and its settings, for commands that run one experiment (lr-find)."""
    read: ReadTarget = read_target(spec)
    settings = resolve_settings(request, config=read.layer, project=project)
    return build_target(read, settings), settings


def _clone_setting(value: Any) -> Any:
    """A group setting copied so the rebuilt optimizer shares no tensor with the user's (a tensor lr
    that the range test fills must not change the user's optimizer)."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return copy.deepcopy(value)


def optimizer_factory_from(
    optimizer: Any, model: Any, argument: str = "optimizer"
) -> Callable[[Iterable[Any]], Any] | None:
    """Turn an optimizer *instance* into a factory with the same class and per-group settings.

    The instance is never stepped: nndoctor builds its own optimizer over its private model copy,
    keeping each parameter in the group (and so with the learning rate) it had. Constructor
    arguments are the instance's defaults that the class's `__init__` accepts (torch adds keys to
    `defaults` that some constructors reject); every other group setting travels in the groups.
    """
    import torch

    if optimizer is None:
        return None
    if not isinstance(optimizer, torch.optim.Optimizer):
        if callable(optimizer):
            return optimizer
        raise UsageError(
            f"{argument} must be a torch.optim.Optimizer or a callable params -> Optimizer, not "
            f"{type(optimizer).__name__}."
        )
    order = [name for name, _ in model.named_parameters()]
    names = {id(p): name for name, p in model.named_parameters()}
    groups = []
    for index, group in enumerate(optimizer.param_groups):
        strangers = [p for p in group["params"] if id(p) not in names]
        if strangers:
            raise UsageError(
                f"The optimizer's param group {index} holds {len(strangers)} tensor(s) that are not parameters of "
                "the model passed with it: build the optimizer from model.parameters() of that same model."
            )
        settings = {k: _clone_setting(v) for k, v in group.items() if k != "params"}
        groups.append((settings, [names[id(p)] for p in group["params"]]))
    cls = type(optimizer)
    accepted = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    defaults = {k: _clone_setting(v) for k, v in optimizer.defaults.items() if takes_any or k in accepted}

    def factory(params: Iterable[Any]) -> Any:
        by_name = dict(zip(order, list(params), strict=False))
        param_groups = [
            {**{k: _clone_setting(v) for k, v in settings.items()}, "params": [by_name[n] for n in members]}
            for settings, members in groups
        ]
        return cls([g for g in param_groups if g["params"]], **defaults)

    return factory


def _request(
    profile: str | None,
    select: Sequence[str] | str | None,
    ignore: Sequence[str] | str | None,
    device: str | None,
    seed: int | None,
    precision: str | None,
    budget_s: float | None,
    plugins: bool | None,
    probes: Mapping[str, Mapping[str, Any]] | None = None,
) -> SettingsRequest:
    def codes(value: Sequence[str] | str | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        return (value,) if isinstance(value, str) else tuple(value)

    return SettingsRequest(
        profile=profile,
        select=codes(select),
        ignore=codes(ignore),
        device=device,
        seed=seed,
        precision=precision,
        budget_s=budget_s,
        plugins=plugins,
        probes=dict(probes or {}),
        source="argument",
    )


def capture(
    path: str | Path,
    argv: Iterable[str] = (),
    *,
    model: str | None = None,
    optimizer: str | None = None,
    seed: int | None = 0,
) -> Capture:
    """Run a training script until its first optimizer step and capture its model, optimizer,
    loss and loaders (`nndoctor check train.py` does the same); `diagnose(capture)` checks them.

    Args:
        path: the script; it runs as `__main__` with `sys.argv = [path, *argv]`, its output on stderr.
        model, optimizer: pick one when the script builds several (a variable name or a class name).
        seed: seeds torch, `random` and NumPy before the script runs (None: leave them); the
            caller's RNG state is restored afterwards.

    Returns a `Capture`: `.target` (what `diagnose` runs on), `.describe()` (what was captured and
    from which file:line). Raises `nndoctor.errors.TargetError` with a clear message when the
    script exits or raises before its first step, or when the capture is ambiguous.
    """
    from nndoctor.observe.capture import capture as run_capture

    return run_capture(path, argv, model=model, optimizer=optimizer, seed=seed)


def diagnose(
    model: Any,
    train_loader: Iterable[Any] | None = None,
    val_loader: Iterable[Any] | None = None,
    loss_fn: Callable[..., Any] | None = None,
    optimizer: Any = None,
    forward_fn: Callable[..., Any] | None = None,
    *,
    hints: Mapping[str, Any] | None = None,
    profile: str | None = None,
    select: Sequence[str] | str | None = None,
    ignore: Sequence[str] | str | None = None,
    device: str | None = None,
    seed: int | None = None,
    precision: str | None = None,
    budget_s: float | None = None,
    plugins: bool | None = None,
    probes: Mapping[str, Mapping[str, Any]] | None = None,
    name: str | None = None,
    optimizer_fn: Any = None,
) -> Report:
    """Run nndoctor's checks on `model` and its data and return the Report.

    Args:
        model: the `nn.Module` to examine; it is deep-copied, never changed. Or a `Capture`
            (`nndoctor.capture("train.py")`): its model, loaders, loss and optimizer are used, and
            only the keyword options may be given with it.
        train_loader: a DataLoader or any iterable of batches (`(inputs, targets)` by default).
        val_loader: optional validation batches (enables the train/val gap check).
        loss_fn: `loss(output, target) -> scalar tensor`; inferred from the targets when None.
        optimizer: an optimizer instance (only read for its class and per-group settings) or a
            callable `params -> Optimizer`; Adam at lr 1e-3 when None. `optimizer_fn` is an alias.
        forward_fn: `forward(model, batch) -> (output, target)` for batches that are not pairs.
        hints: `{"task": "classification", "num_classes": 10}` when inference needs help.
        profile, select, ignore, device, seed, precision, budget_s, plugins: as the CLI options;
            None lets the profile (default: "default") decide.
        probes: per-probe settings, e.g. `{"short_run": {"steps": 400}}`.

    Nothing passed in is modified: the model is deep-copied, an optimizer instance is only read,
    and the global RNG state and the loaders' shuffle generators are restored afterwards.
    """
    from nndoctor.targets.model import validate_hints

    request = _request(profile, select, ignore, device, seed, precision, budget_s, plugins, probes)
    captured = getattr(model, "target", None) if not hasattr(model, "parameters") else None
    if isinstance(captured, Target):
        given = [
            name
            for name, value in (
                ("train_loader", train_loader),
                ("val_loader", val_loader),
                ("loss_fn", loss_fn),
                ("optimizer", optimizer),
                ("forward_fn", forward_fn),
                ("hints", hints),
                ("optimizer_fn", optimizer_fn),
            )
            if value is not None
        ]
        if given:
            raise UsageError(
                f"diagnose(capture) takes the model, data, loss and optimizer from the capture; leave out "
                f"{', '.join(given)} (or pass capture.target.model and your own pieces instead)."
            )
        if name is not None:
            captured.name = name
        return run_target(captured, resolve_settings(request))
    if train_loader is None:
        raise UsageError("diagnose(model, train_loader, ...) needs the training batches: pass train_loader.")
    if optimizer is not None and optimizer_fn is not None:
        raise UsageError("Pass the optimizer once: `optimizer` or its alias `optimizer_fn`, not both.")
    target = Target(
        name=name or f"{type(model).__name__} (python api)",
        model=model,
        train_data=train_loader,
        val_data=val_loader,
        loss_fn=loss_fn,
        optimizer_factory=optimizer_factory_from(
            optimizer if optimizer is not None else optimizer_fn,
            model,
            "optimizer" if optimizer is not None else "optimizer_fn",
        ),
        forward_fn=forward_fn,
        hints=validate_hints(dict(hints or {}), "the hints passed to diagnose"),
    )
    return run_target(target, resolve_settings(request))
