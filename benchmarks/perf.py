"""Every figure of issue 13, as ratios measured side by side in one run.

Sections (all by default; pick some with --only):

startup   wall time and peak RSS of `--help`, `checks`, `explain ND201`, `gate`, `diff` in fresh
          processes (median of --runs), and whether torch got imported (`-X importtime`).
threads   `check --profile quick` on the digits MLP, idle and beside two CPU-bound processes
          (`python -c "while 1: pass"` x2), under nndoctor's policy (passive OpenMP wait, one
          thread for a small model) and under torch's defaults (active wait, all cores), runs
          interleaved; plus one training step of MLPs of growing size on 1 vs all threads, idle
          and loaded (where one thread stops paying: nndoctor.threads.SMALL_WORK_MACS).
overhead  per bundled sample, the short run and the tiny-subset overfit (as `check` runs them)
          against a plain loop with the same steps, batches, optimizer and evaluation passes,
          alternated, medians compared.
memory    peak RSS (os.wait4) of `nndoctor check` (quick, default) against the model's own
          training step in a plain script (build, iterate the loader, 5 steps), for bundled
          samples and the models of benchmarks/perf_models.py (1M/10M/50M-parameter MLPs, a
          3x224x224 CNN). With --memory-steps N the default runs use the default profile with
          its three training experiments cut to N steps (peak memory is reached in the first
          steps; everything else is the default profile).
syncs     host reads (`.item()`, `.tolist()`, `.cpu()`, ...) per probe in one in-process default run
          on the digits MLP, counted by patching torch.Tensor (benchmarks/startup_and_quick.py).

    python benchmarks/perf.py                         # everything (long: ~15 min on 2 cores)
    python benchmarks/perf.py --only startup,threads
    python benchmarks/perf.py --only overhead --samples digits
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DIGITS = "sample_models/healthy/digits_mlp.py"
PERF_MODELS = "benchmarks/perf_models.py"
HOG = "while 1: pass"


def nndoctor_argv() -> list[str]:
    script = Path(sys.executable).with_name("nndoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nndoctor"]


def run_measured(argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one fresh process, via os.wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1) and os.environ.get("PERF_DEBUG"):
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def env_with(**values: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@contextlib.contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(count)]
    time.sleep(0.5)
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- start-up ---------------------------------------------------------------------------------
def torch_imported(args: list[str], env: dict[str, str]) -> bool:
    code = "import sys\nfrom nndoctor.cli import main\nsys.argv = ['nndoctor', *sys.argv[1:]]\nmain()\n"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return any(line.rstrip().endswith("| torch") for line in proc.stderr.splitlines())


def section_startup(runs: int) -> str:
    work = Path(tempfile.mkdtemp(prefix="nndoctor-perf-"))
    report = work / "report.json"
    # as an installed nndoctor runs: with its bytecode cached (the warm-up run below writes it; an
    # environment with PYTHONDONTWRITEBYTECODE=1 would recompile every module on every start)
    env = env_with(OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE=None)
    subprocess.run(
        [*nndoctor_argv(), "check", DIGITS, "--profile", "quick", "--json", str(report), "--exit-zero", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    commands = {
        "--help": ["--help"],
        "checks": ["checks"],
        "explain ND201": ["explain", "ND201"],
        "gate": ["gate", str(report)],
        "diff": ["diff", str(report), str(report)],
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so a slow moment hits every command alike
        for name, args in commands.items():
            wall, rss, _ = run_measured([*nndoctor_argv(), *args], env)
            samples[name].append((wall, rss))
    rows = []
    for name, args in commands.items():
        walls = [w for w, _ in samples[name]]
        rss = max(r for _, r in samples[name])
        rows.append(
            [
                name,
                f"{median(walls):.3f}",
                f"{median(walls) / median([w for w, _ in samples['--help']]):.2f}",
                f"{rss:.0f}",
                "yes" if torch_imported(args, env) else "no",
                "< 0.3 s" if name != "--help" else "-",
            ]
        )
    head = ["command", "wall s (median)", "x --help", "peak RSS MiB", "torch imported", "target"]
    return f"### Start-up (median of {runs} fresh processes)\n\n" + table(head, rows)


# -- threads ----------------------------------------------------------------------------------
POLICIES = {
    # nndoctor's own: passive wait, one thread for a small model (the user sets nothing)
    "nndoctor policy": {"OMP_NUM_THREADS": None, "OMP_WAIT_POLICY": None, "MKL_NUM_THREADS": None},
    # torch's defaults: all cores, OpenMP's active (spinning) wait
    "torch default (active, all cores)": {
        "OMP_NUM_THREADS": str(len(os.sched_getaffinity(0))),
        "OMP_WAIT_POLICY": "ACTIVE",
        "MKL_NUM_THREADS": None,
    },
    "passive, all cores": {
        "OMP_NUM_THREADS": str(len(os.sched_getaffinity(0))),
        "OMP_WAIT_POLICY": "PASSIVE",
        "MKL_NUM_THREADS": None,
    },
}

STEP_CODE = """
import os, sys, time, torch
from torch import nn
width, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(256, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10))
opt = torch.optim.Adam(model.parameters(), 1e-3)
x, y = torch.randn(64, 256), torch.randint(0, 10, (64,))
def step():
    opt.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
for _ in range(5):
    step()
n, started = 0, time.perf_counter()
while n < 20 or time.perf_counter() - started < 1.0:
    step(); n += 1
print((time.perf_counter() - started) / n)
"""


def step_time(width: int, threads: int, policy: str) -> float:
    env = env_with(OMP_WAIT_POLICY=policy, OMP_NUM_THREADS=None)
    out = subprocess.run(
        [sys.executable, "-c", STEP_CODE, str(width), str(threads)], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


# What any script training the digits MLP pays before nndoctor does anything: start Python, import
# torch, load the recipe's data, build the model and its Adam (whose first use imports torch._dynamo)
# and take one training step. The quick check cannot be faster than this on the same machine.
FLOOR_CODE = """
import importlib.util, sys
import torch
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location("recipe", sys.argv[1])
recipe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)
model = recipe.build_model()
train, _ = recipe.build_data()
optimizer = recipe.build_optimizer(model.parameters())
x, y = next(iter(train))
recipe.build_loss()(model(x), y).backward()
optimizer.step()
"""
FLOOR = "plain script: import torch, build, one step"


def section_threads(runs: int) -> str:
    quick = [*nndoctor_argv(), "check", DIGITS, "--profile", "quick", "--format", "json"]
    floor = [sys.executable, "-c", FLOOR_CODE, str(ROOT / DIGITS)]
    results: dict[tuple[str, str], list[float]] = {}
    for load in ("idle", "2 CPU hogs"):
        with cpu_hogs(2 if load != "idle" else 0):
            for _ in range(runs):
                for name, values in POLICIES.items():
                    wall, _, _ = run_measured(quick, env_with(**values))
                    results.setdefault((name, load), []).append(wall)
                wall, _, _ = run_measured(floor, env_with(OMP_NUM_THREADS="1"))
                results.setdefault((FLOOR, load), []).append(wall)
    rows = []
    base = median(results[("nndoctor policy", "idle")])
    for name in [*POLICIES, FLOOR]:
        idle, loaded = median(results[(name, "idle")]), median(results[(name, "2 CPU hogs")])
        rows.append([name, f"{idle:.2f}", f"{loaded:.2f}", f"{loaded / idle:.2f}", f"{loaded / base:.2f}"])
    own = [
        median(results[("nndoctor policy", load)]) - median(results[(FLOOR, load)]) for load in ("idle", "2 CPU hogs")
    ]
    text = (
        f"### Threads: `check --profile quick` on the digits MLP (median of {runs}, interleaved)\n\n"
        + table(["policy", "idle s", "beside 2 hogs s", "loaded / idle", "loaded / nndoctor idle"], rows)
        + "\n\nTargets: nndoctor policy idle < 2.0 s and loaded / idle <= 1.5. "
        + f"nndoctor's own part (quick minus the plain script): {own[0]:.2f} s idle, {own[1]:.2f} s loaded.\n\n"
    )
    cores = len(os.sched_getaffinity(0))
    rows = []
    for width in (128, 512, 1024, 2048):
        macs = 64 * (256 * width + width * width + width * 10)
        row = [str(width), f"{macs / 1e6:.0f}"]
        for load in ("idle", "2 CPU hogs"):
            with cpu_hogs(2 if load != "idle" else 0):
                one = step_time(width, 1, "PASSIVE")
                many_passive = step_time(width, cores, "PASSIVE")
                many_active = step_time(width, cores, "ACTIVE")
            row += [f"{one * 1e3:.2f}", f"{many_passive * 1e3:.2f}", f"{many_active * 1e3:.2f}"]
        rows.append(row)
    head = ["MLP width", "forward MMACs"]
    for load in ("idle", "loaded"):
        head += [f"{load}: 1 thread ms", f"{load}: {cores} passive ms", f"{load}: {cores} active ms"]
    text += (
        "One Adam step of a 256-W-W-10 MLP on a batch of 64 (ms per step):\n\n"
        + table(head, rows)
        + "\n\nnndoctor uses one thread below nndoctor.threads.SMALL_WORK_MACS forward multiply-adds per batch."
    )
    return text


# -- probe overhead ---------------------------------------------------------------------------
def bundled_samples(pattern: str | None) -> list[str]:
    found = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sample_models").glob("*/*.py"))
    found = [f for f in found if "/zoo/" not in f and "/scripts/" not in f and not Path(f).name.startswith("_")]
    return [f for f in found if pattern is None or any(part in f for part in pattern.split(","))]


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(ctx: Any, batches: list[Any] | None, steps: int, eval_batches: list[list[Any]]) -> float:
    """The bare loop from the same initial weights, as a user writes it: build the optimizer, train
    on the same batches (`batches`, cycled; None: fresh batches from the training loader, as the
    short run draws them), plus the same eval passes."""
    import itertools

    import torch

    with ctx.experiment() as start:
        model = copy.deepcopy(start)
    _sync(ctx.device)
    started = time.perf_counter()
    optimizer = ctx.make_optimizer(model)
    source = ctx.train_stream() if batches is None else contextlib.nullcontext(itertools.cycle(batches))
    with source as feed:
        for batch in itertools.islice(feed, steps):
            optimizer.zero_grad(set_to_none=True)
            output, target = ctx.forward(model, batch)
            ctx.loss(output, target).backward()
            optimizer.step()
    if eval_batches:
        model.eval()
        with torch.no_grad():
            for group in eval_batches:
                for batch in group:
                    ctx.loss(*ctx.forward(model, batch))
        model.train()
    _sync(ctx.device)
    return time.perf_counter() - started


def overhead_rows(recipe: str, repeats: int) -> list[list[str]]:
    from nndoctor.api import prepare
    from nndoctor.batches import take_samples
    from nndoctor.context import open_context
    from nndoctor.engine import ProbeRunner
    from nndoctor.errors import NotJudged, Skip
    from nndoctor.registry import load_registry
    from nndoctor.settings import SettingsRequest
    from nndoctor.targets import TargetSpec

    registry = load_registry()
    target, settings = prepare(TargetSpec(recipe=recipe), SettingsRequest(profile="default", device="cpu"))
    rows = []
    with open_context(target, settings) as ctx:
        runner = ProbeRunner(ctx, registry.probes)
        try:
            runner.get("setup")
        except (Exception, Skip, NotJudged) as exc:  # noqa: BLE001 - a broken sample: nothing to train
            return [[Path(recipe).stem, "-", "-", "-", "-", f"setup: {type(exc).__name__}"]]
        for name in ("short_run", "overfit_tiny"):
            probe_times, plain_times = [], []
            result = None
            for i in range(repeats + 1):
                runner.results.pop(name, None)
                runner.errors.pop(name, None)
                _sync(ctx.device)
                started = time.perf_counter()
                try:
                    result = runner.get(name)
                except (Exception, Skip, NotJudged) as exc:  # noqa: BLE001 - e.g. a Skip: nothing to compare
                    rows.append([Path(recipe).stem, name, "-", "-", "-", f"{type(exc).__name__}"])
                    result = None
                    break
                seconds = time.perf_counter() - started
                if name == "short_run":
                    batches = None  # fresh batches from the loader, as the short run trains on
                    s = settings.probe("short_run")
                    train_eval = ctx.train_batches()[: s.eval_batches]
                    val = ctx.val_batches()
                    groups = [train_eval + (val[: s.eval_batches] if val else []) for _ in result.evals]
                else:
                    batches = [take_samples(ctx.train_batches(), result.samples)]
                    groups = []
                plain = plain_loop(ctx, batches, result.steps_run, groups)
                if i:  # the first pair warms up allocators and autograd
                    probe_times.append(seconds)
                    plain_times.append(plain)
            if result is None:
                continue
            p, q = median(probe_times), median(plain_times)
            fastest = min(probe_times) / min(plain_times)  # each side's least disturbed run
            rows.append(
                [
                    Path(recipe).stem,
                    name,
                    str(result.steps_run),
                    f"{p:.3f}",
                    f"{q:.3f}",
                    f"{p / q:.3f}",
                    f"{fastest:.3f}",
                ]
            )
    return rows


def section_overhead(pattern: str | None, repeats: int) -> str:
    import torch

    torch.set_num_threads(1)
    rows = []
    for recipe in bundled_samples(pattern):
        rows.extend(overhead_rows(recipe, repeats))
    measured = [r for r in rows if len(r) == 7]
    ratios = [float(r[5]) for r in measured]
    fastest = [float(r[6]) for r in measured]
    head = ["sample", "probe", "steps", "probe s", "plain loop + same evals s", "ratio of medians", "ratio of fastest"]
    rows = [r + [""] * (7 - len(r)) for r in rows]

    def summary(values: list[float]) -> str:
        if not values:
            return "-"
        within = sum(v <= 1.10 for v in values)
        return f"median {median(values):.3f}, worst {max(values):.3f}, {within}/{len(values)} rows <= 1.10"

    return (
        f"### Training probes vs a plain loop (CPU, 1 thread, {repeats} alternated pairs)\n\n"
        + table(head, rows)
        + f"\n\nRatio of medians: {summary(ratios)}. Ratio of fastest runs: {summary(fastest)} (target <= 1.10)."
    )


# -- memory -----------------------------------------------------------------------------------
OWN_STEP = """
import importlib.util, os, sys, torch
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("recipe", path)
mod = importlib.util.module_from_spec(spec); sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
spec.loader.exec_module(mod)
torch.manual_seed(0)
model = mod.build_model()
data = mod.build_data()
train = data[0] if isinstance(data, (tuple, list)) else data
loss_fn = mod.build_loss() if hasattr(mod, "build_loss") else torch.nn.CrossEntropyLoss()
opt = mod.build_optimizer(model.parameters()) if hasattr(mod, "build_optimizer") else torch.optim.Adam(model.parameters(), 1e-3)
for step, (x, y) in enumerate(train):
    opt.zero_grad(set_to_none=True)
    loss_fn(model(x), y).backward()
    opt.step()
    if step == 4:
        break
"""


def memory_profile(steps: int | None, work: Path) -> str:
    if steps is None:
        return "default"
    path = work / "default_short.yaml"
    path.write_text(
        "extends: default\nprobes:\n"
        f"  short_run: {{steps: {max(steps, 2)}}}\n  overfit_tiny: {{steps: {steps}}}\n"
        f"  lr_range: {{steps: {max(steps, 20)}}}\n",
        encoding="utf-8",
    )
    return str(path)


def section_memory(pattern: str | None, memory_steps: int | None, models: list[str]) -> str:
    work = Path(tempfile.mkdtemp(prefix="nndoctor-perf-"))
    default = memory_profile(memory_steps, work)
    targets: list[tuple[str, str, dict[str, str]]] = [(Path(r).stem, r, {}) for r in bundled_samples(pattern)]
    targets += [(m, PERF_MODELS, {"NNDOCTOR_PERF_MODEL": m}) for m in models]
    rows = []
    for label, recipe, extra in targets:
        env = env_with(OMP_NUM_THREADS="1", **extra)
        _, own, _ = run_measured([sys.executable, "-c", OWN_STEP, recipe], env)
        line = [label, f"{own:.0f}"]
        for profile in ("quick", default):
            wall, rss, code = run_measured(
                [*nndoctor_argv(), "check", recipe, "--profile", profile, "--format", "json"], env
            )
            line += [f"{rss:.0f}", f"{rss / own:.2f}", f"{wall:.1f}" + ("" if code in (0, 1) else f" (exit {code})")]
        rows.append(line)
    head = [
        "target",
        "own step MiB",
        "quick MiB",
        "quick / own",
        "quick s",
        "default MiB",
        "default / own",
        "default s",
    ]
    note = (
        ""
        if memory_steps is None
        else f" Default runs: the default profile with short run, overfit and LR range cut to {memory_steps} steps."
    )
    return (
        "### Peak memory: `nndoctor check` vs the model's own training step (peak RSS, CPU, 1 thread)\n\n"
        + table(head, rows)
        + f"\n\nTargets: quick / own <= 1.3, default / own <= 1.5.{note}"
    )


# -- host syncs -------------------------------------------------------------------------------
SYNC_METHODS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


def section_syncs() -> str:
    """Counts the calls that read a tensor's value on the host, per probe (the innermost running
    one), made by nndoctor's code or by torch/user code it called. The `.tolist()` of a tensor
    that `.cpu()` produced is not counted again (on a GPU that is one transfer)."""
    import collections
    import functools
    import weakref

    import torch

    import nndoctor
    from nndoctor import api, engine
    from nndoctor.settings import SettingsRequest
    from nndoctor.targets import TargetSpec

    torch.set_num_threads(1)
    package = str(Path(nndoctor.__file__).resolve().parent)
    stack: list[str] = []
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    host_copies: weakref.WeakSet[Any] = weakref.WeakSet()
    originals = {name: getattr(torch.Tensor, name) for name in SYNC_METHODS}
    original_get = engine.ProbeRunner.get

    def wrap(name: str, original: Any) -> Any:
        @functools.wraps(original)
        def counted(self: Any, *a: Any, **k: Any) -> Any:
            if self not in host_copies:
                caller = sys._getframe(1).f_code.co_filename
                who = "nndoctor" if caller.startswith(package) else "other"
                counts[stack[-1] if stack else "(checks)"][who] += 1
            result = original(self, *a, **k)
            if name == "cpu" and isinstance(result, torch.Tensor):
                result = result.view_as(result) if result is self else result
                host_copies.add(result)
            return result

        return counted

    def get(self: Any, name: str) -> Any:
        stack.append(name)
        try:
            return original_get(self, name)
        finally:
            stack.pop()

    target, settings = api.prepare(TargetSpec(recipe=DIGITS), SettingsRequest(profile="default", device="cpu"))
    started = time.perf_counter()
    try:
        for name, original in originals.items():
            setattr(torch.Tensor, name, wrap(name, original))
        engine.ProbeRunner.get = get  # type: ignore[method-assign]
        api.run_target(target, settings)
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)
        engine.ProbeRunner.get = original_get  # type: ignore[method-assign]
    seconds = time.perf_counter() - started
    rows = [[probe, str(c["nndoctor"]), str(c["other"])] for probe, c in sorted(counts.items())]
    return (
        f"### Host reads per probe (default profile, digits MLP, CPU, in process, {seconds:.1f} s)\n\n"
        + table(["probe", "by nndoctor", "by torch/user code"], rows)
        + "\n\nCounted: .item(), .tolist(), .cpu(), .numpy(), bool()/float()/int() of a tensor; a .cpu()"
        " copy read again is one transfer. (checks): reads made outside any probe."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="startup,threads,overhead,memory,syncs")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per start-up/quick figure")
    parser.add_argument("--repeats", type=int, default=3, help="probe/plain pairs per sample")
    parser.add_argument("--samples", default=None, help="comma-separated substrings of bundled sample paths")
    parser.add_argument("--memory-samples", default="healthy", help="bundled samples in the memory table")
    parser.add_argument("--memory-steps", type=int, default=None, help="cut the default runs' experiments")
    parser.add_argument(
        "--memory-models", default="mlp1m,mlp10m,mlp50m,image224", help="benchmarks/perf_models.py models"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the sections as JSON")
    args = parser.parse_args()
    only = set(args.only.split(","))
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"# nndoctor perf, {time.strftime('%Y-%m-%d %H:%M')} UTC, {len(os.sched_getaffinity(0))} CPUs, load {load}")
    print(f"command: python benchmarks/perf.py {' '.join(sys.argv[1:])}\n")
    sections = {}
    for name, run in (
        ("startup", lambda: section_startup(args.runs)),
        ("threads", lambda: section_threads(args.runs)),
        ("overhead", lambda: section_overhead(args.samples, args.repeats)),
        (
            "memory",
            lambda: section_memory(
                args.memory_samples, args.memory_steps, [m for m in args.memory_models.split(",") if m]
            ),
        ),
        ("syncs", section_syncs),
    ):
        if name in only:
            started = time.perf_counter()
            sections[name] = run()
            print(sections[name] + f"\n\n({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps(sections, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
