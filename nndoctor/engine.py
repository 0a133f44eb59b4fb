"""Runs the selected checks over a context and assembles the report.

Probes run lazily, at most once, the first time a check asks for them; a probe that fails turns
every check that needs it into an `error` (or `skip`) finding, and the rest still run. Ctrl-C
stops the run and keeps what finished.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nndoctor import __version__
from nndoctor.errors import NndoctorError, Skip
from nndoctor.registry import CheckSpec, Limits, ProbeSpec, Registry, Verdict
from nndoctor.report.model import Finding, Outcome, Report


class ProbeFailed(Exception):
    """A probe raised; carried to every check that needs it."""

    def __init__(self, probe: str, error: BaseException) -> None:
        super().__init__(f"probe '{probe}' failed: {type(error).__name__}: {error}")
        self.probe = probe
        self.error = error


class ProbeCache:
    """Runs each probe once per run and remembers its result (or its exception)."""

    def __init__(self, specs: dict[str, ProbeSpec], ctx: Any) -> None:
        self.specs = specs
        self.ctx = ctx
        self.results: dict[str, Any] = {}
        self.errors: dict[str, BaseException] = {}
        self.timings: dict[str, float] = {}

    def get(self, name: str) -> Any:
        if name in self.results:
            return self.results[name]
        if name in self.errors:
            raise self.errors[name]
        spec = self.specs.get(name)
        if spec is None:
            raise KeyError(f"no probe named {name!r} is registered")
        started = time.perf_counter()
        try:
            result = spec.func(self.ctx)
        except (Skip, NndoctorError) as exc:
            self.errors[name] = exc
            raise
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            wrapped = ProbeFailed(name, exc)
            self.errors[name] = wrapped
            raise wrapped from exc
        finally:
            self.timings[name] = time.perf_counter() - started
        self.results[name] = result
        return result


def attach_probes(ctx: Any, registry: Registry | None = None) -> ProbeCache:
    """Give a context its probe cache (`ctx.probe(name)`): every probe then runs at most once."""
    if registry is None:
        from nndoctor.registry import load_registry

        registry = load_registry()
    cache = ProbeCache(registry.probes, ctx)
    ctx.probe = cache.get
    return cache


@dataclass
class Selection:
    """The checks to run and the thresholds a profile gave them."""

    checks: Sequence[CheckSpec]
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    profile: str = "default"

    def limits_for(self, spec: CheckSpec) -> Limits:
        return Limits({**spec.thresholds, **self.thresholds.get(spec.id, {})})


ProgressCallback = Callable[[CheckSpec, int, int], None]


def run_checks(
    ctx: Any,
    registry: Registry,
    selection: Selection,
    on_check: ProgressCallback | None = None,
) -> Report:
    """Run `selection` against `ctx` and return the report (the target is loaded already)."""
    cache = attach_probes(ctx, registry)
    started = time.perf_counter()
    ctx.probe("setup")  # a target that cannot even run one batch is a usage error, not a finding
    findings: list[Finding] = []
    interrupted = False
    specs = sorted(selection.checks, key=lambda s: s.id)
    for index, spec in enumerate(specs):
        if interrupted:
            findings.append(_finding(spec, Verdict(Outcome.SKIP, "interrupted before it ran"), 0.0))
            continue
        if on_check is not None:
            on_check(spec, index, len(specs))
        check_started = time.perf_counter()
        try:
            verdict = _run_one(spec, ctx, selection.limits_for(spec))
        except KeyboardInterrupt:
            interrupted = True
            verdict = Verdict(Outcome.SKIP, "interrupted while it ran")
        findings.append(_finding(spec, verdict, time.perf_counter() - check_started))
    timings = {"total": time.perf_counter() - started}
    timings.update({f"probe.{name}": t for name, t in cache.timings.items()})
    return Report(
        target=ctx.target_name,
        findings=findings,
        nndoctor_version=__version__,
        profile=selection.profile,
        environment=environment(ctx),
        model=model_summary(ctx),
        artifacts=dict(getattr(ctx, "artifacts", {})),
        timings=timings,
        plugins=list(registry.plugins),
        interrupted=interrupted,
    )


def _run_one(spec: CheckSpec, ctx: Any, limits: Limits) -> Verdict:
    try:
        kwargs = {need: ctx.probe(need) for need in spec.needs}
        if "limits" in spec.func.__code__.co_varnames[: spec.func.__code__.co_argcount]:
            kwargs["limits"] = limits
        verdict = spec.func(**kwargs)
    except Skip as exc:
        return Verdict(Outcome.SKIP, str(exc))
    except ProbeFailed as exc:
        return Verdict(Outcome.ERROR, str(exc), {"probe": exc.probe})
    except NndoctorError as exc:
        return Verdict(Outcome.ERROR, str(exc))
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a crashing check must not sink the report
        return Verdict(Outcome.ERROR, f"the check crashed: {type(exc).__name__}: {exc}")
    if not isinstance(verdict, Verdict):
        return Verdict(Outcome.ERROR, f"the check returned {type(verdict).__name__}, not a Verdict")
    return verdict


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


def environment(ctx: Any) -> dict[str, Any]:
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
    }


def model_summary(ctx: Any) -> dict[str, Any]:
    model = ctx.user_model
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    leaves = [m for m in model.modules() if not list(m.children())]
    summary: dict[str, Any] = {
        "class": type(model).__name__,
        "params": params,
        "trainable": trainable,
        "layers": sum(1 for m in leaves if any(True for _ in m.parameters(recurse=False))),
    }
    setup = ctx.probe("setup") if hasattr(ctx, "probe") else None
    if setup is not None:
        summary["task"] = setup.task.to_dict()
    return summary
