"""Runs the selected checks over a context and assembles the report.

Probes run lazily, at most once, the first time a check asks for them; the probes a probe needs
run before it, and an experiment runs inside `ctx.experiment()`. A probe that fails turns every
check that needs it into an `error` finding (or `skip` / `not_judged`), and the rest still run.
Ctrl-C stops the run: the checks not yet judged say so, and the partial report comes out.
`run_checks_on_values` judges checks over probe values supplied by the caller instead (no
Context: the run `nndoctor watch` recorded).
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nndoctor.check import CheckSpec, Thresholds, Verdict
from nndoctor.context import Context
from nndoctor.diagnosis import confirm, link, with_confirmations
from nndoctor.errors import NndoctorError, NotJudged, Skip, UserCodeExit
from nndoctor.layers import is_leaf, layer_modules
from nndoctor.probe import ProbeSpec
from nndoctor.registry import Registry
from nndoctor.report.model import Finding, Outcome, Report
from nndoctor.settings import RunSettings
from nndoctor.version import __version__


class ProbeFailed(Exception):
    """A probe raised; carried to every check that needs it."""

    def __init__(self, probe: str, error: BaseException) -> None:
        super().__init__(f"probe '{probe}' failed: {type(error).__name__}: {error}")
        self.probe = probe
        self.error = error


class ProbeRunner:
    """Runs each probe once per run and remembers its result (or its exception)."""

    def __init__(self, ctx: Context, specs: dict[str, ProbeSpec]) -> None:
        self.ctx = ctx
        self.specs = specs
        self.results: dict[str, Any] = {}
        self.errors: dict[str, BaseException] = {}
        self.timings: dict[str, float] = {}
        self.planned: set[str] = set()  # every probe the selected checks need (see `plan`)

    def plan(self, checks: Sequence[CheckSpec]) -> None:
        self.planned = set()
        pending = [need for spec in checks for need in spec.needs]
        while pending:
            name = pending.pop()
            if name not in self.planned and name in self.specs:
                self.planned.add(name)
                pending.extend(self.specs[name].needs)

    def offers(self, name: str) -> bool:
        """Whether a check's optional probe (`CheckSpec.uses`) runs: only when it adds no experiment
        but its own, i.e. everything it needs is needed by the run anyway."""
        spec = self.specs.get(name)
        return spec is not None and all(need in self.planned for need in spec.needs)

    def get(self, name: str) -> Any:
        if name in self.results:
            return self.results[name]
        if name in self.errors:
            raise self.errors[name]
        spec = self.specs[name]
        try:
            kwargs: dict[str, Any] = {need: self.get(need) for need in spec.needs}
        except (Skip, NotJudged, NndoctorError, ProbeFailed) as exc:
            self.errors[name] = exc
            raise
        kwargs["ctx"] = self.ctx
        if spec.settings is not None and "settings" in _params(spec.func):
            kwargs["settings"] = self.ctx.settings.probe(name)
        started = time.perf_counter()
        try:
            if spec.experiment:
                with self.ctx.experiment() as model:
                    result = spec.func(model=model, **kwargs)
            else:
                result = spec.func(**kwargs)
        except (Skip, NotJudged, NndoctorError) as exc:
            self.errors[name] = exc
            raise
        except SystemExit as exc:
            # user code (a forward, a loss) tried to end the process: that ends the run, clearly
            raise UserCodeExit(
                f"Your code called sys.exit({exc.code!r}) while nndoctor ran the experiment '{name}' "
                "(in the forward pass, the loss or the optimizer). nndoctor calls these functions many "
                "times: make them return values instead of exiting."
            ) from None
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            wrapped = ProbeFailed(name, exc)
            self.errors[name] = wrapped
            raise wrapped from exc
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started
        self.results[name] = result
        return result


def _params(func: Callable[..., Any]) -> tuple[str, ...]:
    code = func.__code__
    return code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


ProgressCallback = Callable[[CheckSpec, int, int], None]


def run_checks(
    ctx: Context,
    registry: Registry,
    checks: Sequence[CheckSpec],
    on_check: ProgressCallback | None = None,
    locations: Mapping[str, str] | None = None,
) -> Report:
    """Run `checks` against `ctx` and return the report (the target is loaded already).

    `locations` are the target's builder definition sites (`Target.locations`), which the report
    carries so CI annotations can point at the recipe's lines."""
    runner = ProbeRunner(ctx, registry.probes)
    runner.plan(checks)
    started = time.perf_counter()
    judged = _judge(runner, checks, ctx.settings, on_check)
    settings = ctx.settings.to_dict()
    settings["thresholds"] = judged.applied
    return Report(
        target=ctx.target_name,
        locations=dict(locations or {}),
        findings=judged.findings,
        nndoctor_version=__version__,
        profile=ctx.settings.profile,
        environment=environment(ctx),
        model=model_summary(ctx),
        settings=settings,
        artifacts=judged.artifacts,
        timings=judged.timings(started, runner.timings),
        plugins=list(registry.plugins),
        interrupted=judged.interrupted,
        tracebacks=judged.tracebacks,
    )


class SuppliedProbes:
    """Probe values handed in by the caller (e.g. the `watched_run` a watch recorded), for checks
    that judge something nndoctor observed rather than an experiment it runs: no Context, no
    target. A check that needs a probe not supplied is skipped."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.results: dict[str, Any] = dict(values)
        self.timings: dict[str, float] = {}

    def get(self, name: str) -> Any:
        if name not in self.results:
            raise Skip(f"it needs the probe '{name}', which this run does not measure")
        return self.results[name]

    def offers(self, name: str) -> bool:
        return name in self.results


def run_checks_on_values(
    values: Mapping[str, Any],
    registry: Registry,
    checks: Sequence[CheckSpec],
    settings: RunSettings,
    *,
    target: str,
    locations: Mapping[str, str] | None = None,
    environment: Mapping[str, Any] | None = None,
    model: Mapping[str, Any] | None = None,
) -> Report:
    """Run `checks` over supplied probe values (no Context, no experiments) into a Report: the
    path `nndoctor watch` takes with the run it recorded. Same verdict, confirmation and
    diagnosis logic as `run_checks`."""
    runner = SuppliedProbes(values)
    started = time.perf_counter()
    judged = _judge(runner, checks, settings, None)
    applied = settings.to_dict()
    applied["thresholds"] = judged.applied
    return Report(
        target=target,
        locations=dict(locations or {}),
        findings=judged.findings,
        nndoctor_version=__version__,
        profile=settings.profile,
        environment=dict(environment or {}),
        model=dict(model or {}),
        settings=applied,
        artifacts=judged.artifacts,
        timings=judged.timings(started, runner.timings),
        plugins=list(registry.plugins),
        interrupted=judged.interrupted,
        tracebacks=judged.tracebacks,
    )


class _Judged:
    """What judging the checks produced, before it becomes a Report."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.interrupted = False
        self.applied: dict[str, dict[str, float]] = {}
        self.tracebacks: dict[str, str] = {}
        self.artifacts: dict[str, Any] = {}

    def timings(self, started: float, probes: Mapping[str, float]) -> dict[str, float]:
        out = {"total": time.perf_counter() - started}
        out.update({f"probe.{name}": t for name, t in probes.items()})
        return out


def _judge(
    runner: ProbeRunner | SuppliedProbes,
    checks: Sequence[CheckSpec],
    settings: RunSettings,
    on_check: ProgressCallback | None,
) -> _Judged:
    judged = _Judged()
    findings = judged.findings
    specs = sorted(checks, key=lambda s: s.id)
    links: dict[str, tuple[str, ...]] = {}
    extreme: dict[str, bool] = {}
    asserted: set[str] = set()  # checks whose verdict named its consequences for this run
    for index, spec in enumerate(specs):
        limits = Thresholds({**spec.thresholds, **settings.thresholds.get(spec.id, {})})
        if limits:
            judged.applied[spec.id] = dict(limits)
        if judged.interrupted:
            findings.append(_finding(spec, Verdict(Outcome.NOT_JUDGED, "interrupted (Ctrl-C) before it ran"), 0.0))
            continue
        if on_check is not None:
            on_check(spec, index, len(specs))
        check_started = time.perf_counter()
        try:
            verdict = _run_one(spec, runner, limits, judged.tracebacks)
        except KeyboardInterrupt:
            judged.interrupted = True
            verdict = Verdict(Outcome.NOT_JUDGED, "interrupted (Ctrl-C) while it ran")
        findings.append(_finding(spec, verdict, time.perf_counter() - check_started))
        links[spec.id] = verdict.explains if verdict.explains is not None else spec.explains
        if verdict.explains is not None:
            asserted.add(spec.id)
        extreme[spec.id] = verdict.extreme
    confirmed = confirm(
        findings, {s.id: s.confirmed_by for s in specs}, extreme, {s.id for s in specs if s.stands_alone}, links
    )
    link(findings, with_confirmations(links, confirmed), asserted)
    for result in runner.results.values():
        collect = getattr(result, "artifacts", None)
        if callable(collect):
            judged.artifacts.update(collect())
    return judged


def _run_one(
    spec: CheckSpec, runner: ProbeRunner | SuppliedProbes, limits: Thresholds, tracebacks: dict[str, str]
) -> Verdict:
    try:
        kwargs: dict[str, Any] = {need: runner.get(need) for need in spec.needs}
        for use in spec.uses:
            kwargs[use] = _optional(runner, use, tracebacks)
        if spec.wants_limits:
            kwargs["limits"] = limits
        verdict = spec.func(**kwargs)
    except Skip as exc:
        return Verdict(Outcome.SKIP, str(exc))
    except NotJudged as exc:
        return Verdict(Outcome.NOT_JUDGED, str(exc))
    except ProbeFailed as exc:
        tracebacks.setdefault(f"probe {exc.probe}", "".join(traceback.format_exception(exc.error)))
        return Verdict(Outcome.ERROR, str(exc), {"probe": exc.probe})
    except UserCodeExit:
        raise
    except NndoctorError as exc:
        return Verdict(Outcome.ERROR, str(exc))
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a crashing check must not sink the report
        tracebacks[f"check {spec.id}"] = "".join(traceback.format_exception(exc))
        return Verdict(Outcome.ERROR, f"the check crashed: {type(exc).__name__}: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict(Outcome.ERROR, f"the check returned {type(verdict).__name__}, not a Verdict")
    return verdict


def _optional(runner: ProbeRunner | SuppliedProbes, name: str, tracebacks: dict[str, str]) -> Any:
    """An optional probe's value, or None when the run does not offer it or it could not run (its
    failure is kept in the tracebacks; the check judges without it)."""
    if not runner.offers(name):
        return None
    try:
        return runner.get(name)
    except (Skip, NotJudged, NndoctorError):
        return None
    except ProbeFailed as exc:
        tracebacks.setdefault(f"probe {exc.probe}", "".join(traceback.format_exception(exc.error)))
        return None


def _finding(spec: CheckSpec, verdict: Verdict, duration: float) -> Finding:
    recommendation = verdict.recommendation
    if recommendation is None and verdict.outcome in (Outcome.WARN, Outcome.FAIL):
        recommendation = spec.default_recommendation
    return Finding(
        check_id=spec.id,
        name=spec.name,
        title=spec.title,
        outcome=verdict.outcome,
        message=verdict.message,
        evidence=verdict.evidence,
        tables=verdict.tables,
        recommendation=recommendation,
        docs=f"nndoctor explain {spec.id}",
        duration_s=duration,
    )


def environment(ctx: Context) -> dict[str, Any]:
    import torch

    device = ctx.device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "platform": platform.platform(terse=True),
        "device": str(device),
        "device_name": name or platform.machine(),
        "dtype": str(next((p.dtype for p in ctx.model.parameters()), torch.float32)).replace("torch.", ""),
        "precision": ctx.settings.precision,
        "seed": ctx.seed,
        "threads": torch.get_num_threads(),
    }


def model_summary(ctx: Context) -> dict[str, Any]:
    model = ctx.user_model
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    leaves = [m for m in layer_modules(model) if is_leaf(m)]
    return {
        "class": type(model).__name__,
        "params": params,
        "trainable": trainable,
        "layers": sum(1 for m in leaves if any(True for _ in m.parameters(recurse=False))),
        "task": ctx.setup.task.to_dict(),
        "user_hooks_removed": ctx.user_hooks_removed,
    }
