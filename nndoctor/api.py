"""The Python API; the CLI calls the same `run_target` so both give the same report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nndoctor.errors import UsageError
from nndoctor.report.model import Report
from nndoctor.target import Target


@dataclass
class RunOptions:
    profile: str = "default"
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    device: str | None = None
    seed: int | None = None
    precision: str | None = None
    budget_s: float | None = None
    plugins: bool = True
    on_check: Callable[..., None] | None = None
    progress: Any = None  # an object with task(description, total) -> context manager
    extra_probe_settings: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_target(target: Target, options: RunOptions) -> Report:
    """Load the profile, select checks, build the context and run: the one path for CLI and API."""
    from nndoctor.context import Context, Settings
    from nndoctor.engine import Selection, run_checks
    from nndoctor.profiles import load_profile, validate_thresholds
    from nndoctor.registry import load_registry

    registry = load_registry(plugins=options.plugins)
    profile = load_profile(options.profile)
    validate_thresholds(profile, registry)
    chosen = registry.resolve(options.select or profile.select, "--select")
    chosen -= registry.resolve(list(profile.ignore) + list(options.ignore), "--ignore")
    config = target.check_settings
    settings_source = {**profile.settings, **{k: v for k, v in config.items() if k in ("seed", "device", "precision")}}
    precision = options.precision or settings_source.get("precision", "fp32")
    if precision not in ("fp32", "bf16", "fp16"):
        raise UsageError(f"--precision {precision!r} is not one of fp32, bf16, fp16.")
    probes = {k: dict(v) for k, v in profile.probes.items()}
    for name, values in options.extra_probe_settings.items():
        probes.setdefault(name, {}).update(values)
    settings = Settings(
        device=options.device or settings_source.get("device", "auto"),
        seed=options.seed if options.seed is not None else int(settings_source.get("seed", 0)),
        precision=precision,
        max_batches=int(profile.settings.get("max_batches", 32)),
        budget_s=options.budget_s if options.budget_s is not None else profile.settings.get("budget_s"),
        probe=probes,
    )
    selection = Selection(
        checks=[registry.checks[c] for c in sorted(chosen)], thresholds=profile.thresholds, profile=profile.name
    )
    with Context.from_target(target, settings) as ctx:
        ctx.progress = options.progress
        return run_checks(ctx, registry, selection, on_check=options.on_check)


def optimizer_factory_from(optimizer: Any, model: Any) -> Callable[[Iterable[Any]], Any] | None:
    """Turn an optimizer *instance* into a factory with the same class and per-group settings.

    The instance is never stepped: nndoctor builds its own optimizer over its private model copy,
    keeping each parameter in the group (and so with the learning rate) it had.
    """
    import torch

    if optimizer is None or (callable(optimizer) and not isinstance(optimizer, torch.optim.Optimizer)):
        return optimizer
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise UsageError(
            f"optimizer_fn must be a torch.optim.Optimizer or a callable params -> Optimizer, not {type(optimizer).__name__}."
        )
    names = {id(p): n for n, p in model.named_parameters()}
    groups = []
    for group in optimizer.param_groups:
        settings = {k: v for k, v in group.items() if k != "params"}
        groups.append((settings, [names.get(id(p)) for p in group["params"]]))
    cls = type(optimizer)

    def factory(params: Iterable[Any]) -> Any:
        params = list(params)
        # map the copy's parameters back by name; params come from model.parameters() order
        by_name = dict(zip((n for n, _ in model.named_parameters()), params, strict=False))
        param_groups = [
            {**settings, "params": [by_name[n] for n in members if n in by_name]} for settings, members in groups
        ]
        return cls([g for g in param_groups if g["params"]], **optimizer.defaults)

    return factory


def diagnose(
    model: Any,
    train_loader: Iterable[Any],
    val_loader: Iterable[Any] | None = None,
    loss_fn: Callable[..., Any] | None = None,
    optimizer_fn: Any = None,
    forward_fn: Callable[..., Any] | None = None,
    *,
    hints: dict[str, Any] | None = None,
    profile: str = "default",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    device: str = "auto",
    seed: int = 0,
    precision: str = "fp32",
    budget_s: float | None = None,
    plugins: bool = True,
    name: str | None = None,
) -> Report:
    """Run nndoctor's checks on `model` and its data and return the Report.

    Nothing passed in is modified: the model is deep-copied, an optimizer instance is only read
    for its class and settings, and the global RNG state is restored afterwards.
    """
    target = Target(
        name=name or f"{type(model).__name__} (python api)",
        model=model,
        train_data=train_loader,
        val_data=val_loader,
        loss_fn=loss_fn,
        optimizer_factory=optimizer_factory_from(optimizer_fn, model),
        forward_fn=forward_fn,
        hints=dict(hints or {}),
    )
    options = RunOptions(
        profile=profile,
        select=select,
        ignore=ignore,
        device=device,
        seed=seed,
        precision=precision,
        budget_s=budget_s,
        plugins=plugins,
    )
    return run_target(target, options)
