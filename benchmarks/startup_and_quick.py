"""Start-up and quick-profile cost, and host syncs per probe.

Measures the two speed targets of the CLI and the "one host sync per probe" rule:

(a) `nndoctor --help` wall time (median of N fresh processes) and whether torch got imported;
(b) `nndoctor check --profile quick` on the bundled digits MLP, wall time in a fresh process
    (torch import included), median of M runs;
(c) per probe, the calls that move a tensor value to the host (`.item()`, `.cpu()`, `.tolist()`,
    `.numpy()`, `bool()/float()/int()` of a tensor) during one in-process quick run, split by
    who made them: nndoctor's own code, or torch/user code called from a probe (e.g. Adam's
    per-parameter `step.item()` on CPU).

Run:  python benchmarks/startup_and_quick.py [--help-runs 5] [--quick-runs 3] [--cprofile]
Targets: --help < 0.5 s with torch not imported; quick < 5 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import io
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HELP_TARGET_S = 0.5
QUICK_TARGET_S = 5.0
SYNC_METHODS = ("item", "cpu", "tolist", "numpy", "__bool__", "__float__", "__int__")


def nndoctor_command() -> list[str]:
    script = Path(sys.executable).with_name("nndoctor")
    if script.exists():
        return [str(script)]
    found = shutil.which("nndoctor")
    return [found] if found else [sys.executable, "-m", "nndoctor"]


def wall_times(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + sys) seconds of `runs` fresh processes; CPU time is less sensitive to load."""
    walls, cpus = [], []
    for _ in range(runs):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr[-2000:]}")
    return walls, cpus


def help_imports() -> list[str]:
    """Heavy modules present after `nndoctor --help` in a fresh interpreter."""
    code = (
        "import sys\nfrom nndoctor.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(m for m in ('torch', 'pandas', 'sklearn', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("HEAVY:"))
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


# -- (c) host syncs per probe --------------------------------------------------------------------


HOST = "_nndoctor_bench_host"  # attribute marking a tensor that already lives on the host


class SyncCounter:
    """Counts host-transfer calls on tensors, attributed to the innermost running probe.

    A call is a device sync only when its tensor still lives on the compute device. Tensors that
    were copied to the host (`.cpu()`, `.numpy()`) and everything computed from them only are
    marked by a dispatch mode, so reading `host[3]` after one `.cpu()` is not counted as a sync.
    This holds on a CPU-only machine too, where `.cpu()` is a no-op: the count is what a CUDA run
    of the same code would sync.
    """

    def __init__(self) -> None:
        import nndoctor

        self.package = str(Path(nndoctor.__file__).resolve().parent)
        self.stack: list[str] = []
        self.syncs: collections.Counter[str] = collections.Counter()  # nndoctor code, device tensors
        self.host_side: collections.Counter[str] = collections.Counter()  # nndoctor code, host tensors
        self.other: collections.Counter[str] = collections.Counter()  # torch or user code
        self.by_method: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def where(self) -> str:
        return self.stack[-1] if self.stack else "(checks, report)"

    def record(self, method: str, tensor: Any) -> None:
        caller = sys._getframe(2).f_code.co_filename
        where = self.where()
        if not caller.startswith(self.package):
            self.other[where] += 1
        elif getattr(tensor, HOST, False):
            self.host_side[where] += 1
        else:
            self.syncs[where] += 1
            self.by_method[where][method] += 1

    @contextlib.contextmanager
    def patched(self, registry: Any) -> Iterator[None]:
        import torch
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_flatten

        originals = {name: getattr(torch.Tensor, name) for name in SYNC_METHODS}
        counter = self

        class HostTracker(TorchDispatchMode):
            """Marks the outputs of ops whose tensor inputs are all host copies."""

            def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
                out = func(*args, **(kwargs or {}))
                inputs = [a for a in tree_flatten((args, kwargs))[0] if isinstance(a, torch.Tensor)]
                if inputs and all(getattr(t, HOST, False) for t in inputs):
                    for value in tree_flatten(out)[0]:
                        if isinstance(value, torch.Tensor):
                            setattr(value, HOST, True)
                return out

        def wrap_method(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
                counter.record(name, self)
                result = original(self, *args, **kwargs)
                if name == "cpu" and isinstance(result, torch.Tensor):
                    if result is self:  # a no-op on CPU: mark an alias, not the device tensor itself
                        result = self.view_as(self)
                    setattr(result, HOST, True)
                return result

            return counted

        def wrap_probe(spec: Any) -> Any:
            @functools.wraps(spec.func)
            def run(ctx: Any) -> Any:
                counter.stack.append(spec.name)
                try:
                    return spec.func(ctx)
                finally:
                    counter.stack.pop()

            return dataclasses.replace(spec, func=run)

        saved_probes = dict(registry.probes) if registry is not None else {}
        try:
            for name, original in originals.items():
                setattr(torch.Tensor, name, wrap_method(name, original))
            if registry is not None:
                registry.probes.update({name: wrap_probe(spec) for name, spec in saved_probes.items()})
            with HostTracker():
                yield
        finally:
            for name, original in originals.items():
                setattr(torch.Tensor, name, original)
            if registry is not None:
                registry.probes.clear()
                registry.probes.update(saved_probes)


def quick_run_in_process(profile: str, device: str) -> tuple[Any, SyncCounter, float]:
    from nndoctor import engine
    from nndoctor.api import prepare, run_target
    from nndoctor.settings import SettingsRequest
    from nndoctor.targets import TargetSpec

    counter = SyncCounter()
    target, settings = prepare(TargetSpec(recipe=None), SettingsRequest(profile=profile, device=device))
    original_get = engine.ProbeRunner.get

    def get(self: Any, name: str) -> Any:  # attribute host reads to the innermost running probe
        counter.stack.append(name)
        try:
            return original_get(self, name)
        finally:
            counter.stack.pop()

    started = time.perf_counter()
    engine.ProbeRunner.get = get  # type: ignore[method-assign]
    try:
        with counter.patched(None):
            report = run_target(target, settings)
    finally:
        engine.ProbeRunner.get = original_get  # type: ignore[method-assign]
    return report, counter, time.perf_counter() - started


def import_breakdown(argv: list[str], top: int) -> list[tuple[float, str]]:
    """Top-level imports of a fresh process by cumulative seconds (`python -X importtime`)."""
    result = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, cwd=ROOT)
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("  "):  # depth 0: imported by the program, not by another import
            rows.append((int(cumulative) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:top]


def cprofile_quick(profile: str, device: str, top: int) -> str:
    """Where a fresh `nndoctor check` process spends its time, imports included."""
    check = ["-m", "nndoctor", "check", "--profile", profile, "--device", device, "--quiet"]
    out = io.StringIO()
    out.write("top-level imports (python -X importtime, cumulative s):\n")
    for seconds, name in import_breakdown(check, 10):
        out.write(f"  {seconds:6.3f}  {name}\n")
    with tempfile.TemporaryDirectory() as folder:
        stats_file = Path(folder) / "quick.prof"
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats_file), *check], capture_output=True, cwd=ROOT)
        out.write("\ncProfile, nndoctor functions and torch's lazy dynamo import (cumulative):\n")
        stats = pstats.Stats(str(stats_file), stream=out).sort_stats("cumulative")
        stats.print_stats(r"nndoctor/(cli|api|engine|target|probes)|_compile\.py", top)
    return out.getvalue()


# -- output --------------------------------------------------------------------------------------


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--help-runs", type=int, default=5)
    parser.add_argument("--quick-runs", type=int, default=3)
    parser.add_argument("--profile", default="quick", help="check profile for (b) and (c)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--cprofile", action="store_true", help="also cProfile a fresh in-process quick run")
    args = parser.parse_args()

    command = nndoctor_command()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"nndoctor benchmark · {cores} CPU cores · load average {load} · python {sys.version.split()[0]} · "
        f"{' '.join(command)}\n"
    )

    help_times, help_cpu = wall_times([*command, "--help"], args.help_runs)
    heavy = help_imports()
    quick_argv = [*command, "check", "--profile", args.profile, "--device", args.device, "--quiet"]
    quick_times, quick_cpu = wall_times(quick_argv, args.quick_runs)
    help_median, quick_median = statistics.median(help_times), statistics.median(quick_times)
    rows = [
        [
            "nndoctor --help",
            f"{help_median:.3f}",
            " ".join(f"{t:.3f}" for t in help_times),
            f"{statistics.median(help_cpu):.3f}",
            f"< {HELP_TARGET_S}",
            "ok" if help_median < HELP_TARGET_S and "torch" not in heavy else "MISSED",
            f"imported: {', '.join(heavy) or 'none of torch/pandas/sklearn/numpy'}",
        ],
        [
            f"nndoctor check --profile {args.profile}",
            f"{quick_median:.3f}",
            " ".join(f"{t:.3f}" for t in quick_times),
            f"{statistics.median(quick_cpu):.3f}",
            f"< {QUICK_TARGET_S}",
            "ok" if quick_median < QUICK_TARGET_S else "MISSED",
            "bundled digits MLP, fresh process, torch import included",
        ],
    ]
    print(table(rows, ["command", "median wall s", "runs wall s", "median cpu s", "target", "", "note"]))

    report, counter, run_s = quick_run_in_process(args.profile, args.device)
    print(
        f"\nhost syncs per probe (one in-process {args.profile} run, {run_s:.2f} s after imports, "
        f"device {report.environment.get('device', '?')}):"
    )
    names = sorted(set(counter.syncs) | set(counter.host_side) | set(counter.other), key=lambda n: (n[0] == "(", n))
    sync_rows = [
        [
            name,
            str(counter.syncs[name]),
            ", ".join(f"{m} {c}" for m, c in counter.by_method[name].most_common()) or "-",
            str(counter.host_side[name]),
            str(counter.other[name]),
            f"{report.timings['probe.' + name]:.3f}" if "probe." + name in report.timings else "",
        ]
        for name in names
    ]
    header = ["probe", "device syncs", "syncs by method", "host-side reads", "torch/user calls", "probe s"]
    print(table(sync_rows, header))
    print(
        "\ndevice syncs: nndoctor's own reads of a tensor still on the compute device (each one a GPU sync on "
        "CUDA); host-side reads: reads of values already copied to the host (free); torch/user calls: "
        "reads made inside torch or user code the probe calls (e.g. Adam's per-parameter step.item() on "
        "its CPU step counters)."
    )
    if args.cprofile or quick_median > QUICK_TARGET_S:
        print("\nwhere a fresh quick run spends its time:")
        print(cprofile_quick(args.profile, args.device, top=30))


if __name__ == "__main__":
    main()
