"""Score learning-rate suggestions against the oracle's ground truth (ground_truth.json).

For each task x seed a suggestion is obtained and scored:
- call hit: the grid lr nearest to the suggestion (in log space) is in that seed's good set;
- task hit: the seed-median suggestion's nearest grid lr is in the seed-averaged good set;
- seed spread: max - min of log10(suggestion) over the seeds (decades).

Suggestion sources (`--method`, comma-separated, default all):
- `nndoctor`: `nndoctor lr-find RECIPE --format json --seed SEED` in a subprocess (RECIPE is
  recipe.py, told the task by LR_ORACLE_TASK / LR_ORACLE_SEED), reading
  artifacts.lr_range.suggestion.lr;
- `peers`: every rule in the same JSON's artifacts.lr_range.peers (fastai valley/minimum/...,
  torch-lr-finder steepest, lightning steepest), each scored as its own method;
- `configured`: the task's configured lr (the baseline).

The nndoctor calls are cached per (task, seed) in --runs (JSON with the suggestion, the peers and
the raw curve); `--fresh` reruns them. Only `lr_find()` knows how nndoctor is called.

    OMP_NUM_THREADS=1 python -m benchmarks.lr_oracle2.score                   # all methods, all tasks
    python -m benchmarks.lr_oracle2.score --method nndoctor --split HOLDOUT --fresh
    python -m benchmarks.lr_oracle2.score --tasks lstm --verbose
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.lr_oracle2.tasks import BY_NAME, TASKS, split_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RECIPE = HERE / "recipe.py"
GROUND_TRUTH = HERE / "ground_truth.json"
RUNS = HERE / "lr_find_runs.json"


# -- the one place that knows how nndoctor is called --------------------------------------------
def lr_find(
    task_name: str, seed: int, max_batches: int | None = None, extra: list[str] | None = None, timeout: float = 600.0
) -> dict[str, Any]:
    """Run nndoctor's LR range test on a task/seed; its suggestion, the peers' and the raw curve.

    Normally `nndoctor lr-find RECIPE --format json --seed SEED`; with `max_batches` (an experiment)
    the same sweep through the API with that many distinct training batches (api_sweep.py). `extra`
    are more `lr-find` options (e.g. ["--val"]).
    """
    env = {**os.environ, "LR_ORACLE_TASK": task_name, "LR_ORACLE_SEED": str(seed), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "nndoctor", "lr-find", str(RECIPE), "--format", "json", "--seed", str(seed)]
    if max_batches is not None:
        cmd = [sys.executable, "-m", "benchmarks.lr_oracle2.api_sweep", str(seed), str(max_batches)]
    cmd += extra or []
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
    seconds = time.perf_counter() - t0
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}", "seconds": seconds}
    rng = report.get("artifacts", {}).get("lr_range", {}) or {}
    curve = report.get("artifacts", {}).get("lr_curve", []) or []
    suggestion = rng.get("suggestion") or {}
    return {
        "suggestion": suggestion.get("lr"),
        "suggestion_detail": suggestion,
        "peers": rng.get("peers") or {},
        "stop_reason": rng.get("stop_reason"),
        "steps": rng.get("steps"),
        "lrs": [p["lr"] for p in curve],
        "losses": [p["loss"] for p in curve],
        "exit_code": proc.returncode,
        "seconds": round(seconds, 2),
    }


# -- scoring ------------------------------------------------------------------------------------
def nearest(grid: list[float], lr: float) -> int:
    return min(range(len(grid)), key=lambda i: abs(math.log(grid[i]) - math.log(lr)))


def _valid(lr: Any) -> bool:
    return isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0


def score_task(record: dict[str, Any], grid: list[float], suggestions: dict[int, float | None]) -> dict[str, Any]:
    """Hits per seed, the task hit (seed-median suggestion vs the seed-averaged good set), spread."""
    per_seed = {}
    for seed, lr in suggestions.items():
        good = record["good"][str(seed)]["indices"]
        i = nearest(grid, lr) if _valid(lr) else None
        per_seed[seed] = {"lr": lr, "grid_index": i, "hit": i is not None and i in good, "off": _offset(i, good)}
    valid = [lr for lr in suggestions.values() if _valid(lr)]
    logs = sorted(math.log10(lr) for lr in valid)
    median = 10 ** statistics.median(logs) if logs else None
    mean_good = record["good"]["mean"]["indices"]
    i_med = nearest(grid, median) if median else None
    return {
        "seeds": per_seed,
        "median": median,
        "median_index": i_med,
        "task_hit": i_med is not None and i_med in mean_good and len(valid) == len(suggestions),
        "task_off": _offset(i_med, mean_good),
        "spread": (logs[-1] - logs[0]) if len(logs) == len(suggestions) and logs else None,
    }


def _offset(i: int | None, good: list[int]) -> int | None:
    """Signed grid steps to the nearest good lr (0 inside, + above it, - below it); None without one."""
    if i is None or not good:
        return None
    nearest_good = min(good, key=lambda g: (abs(i - g), g))
    return i - nearest_good


def fmt_lr(lr: float | None) -> str:
    return f"{lr:.2g}" if _valid(lr) else "none"


def good_range(record: dict[str, Any], grid: list[float], key: str = "mean") -> str:
    idx = record["good"][key]["indices"]
    if not idx:
        return "-"
    gaps = "" if max(idx) - min(idx) + 1 == len(idx) else "*"
    return f"{grid[min(idx)]:.2g}..{grid[max(idx)]:.2g}{gaps}"


def collect(
    methods: list[str],
    names: list[str],
    seeds: list[int],
    runs_path: Path,
    fresh: bool,
    quiet: bool,
    max_batches: int | None = None,
    extra: list[str] | None = None,
) -> dict[str, dict[str, dict[int, float | None]]]:
    """method -> task -> seed -> suggested lr."""
    out: dict[str, dict[str, dict[int, float | None]]] = {}
    runs: dict[str, Any] = json.loads(runs_path.read_text()) if runs_path.exists() and not fresh else {}
    need_cli = any(m in ("nndoctor", "peers") for m in methods)
    for name in names:
        task = BY_NAME[name]
        for seed in seeds:
            if "configured" in methods:
                out.setdefault("configured lr", {}).setdefault(name, {})[seed] = task.lr
            if not need_cli:
                continue
            key = f"{name}|{seed}"
            if key not in runs:
                runs[key] = lr_find(name, seed, max_batches, extra)
                runs_path.write_text(json.dumps(runs, indent=1))
                if not quiet:
                    r = runs[key]
                    print(
                        f"  lr-find {name} seed {seed}: {fmt_lr(r.get('suggestion'))} "
                        f"({r.get('seconds')}s{', ' + r['error'] if 'error' in r else ''})",
                        file=sys.stderr,
                    )
            run = runs[key]
            if "nndoctor" in methods:
                out.setdefault("nndoctor", {}).setdefault(name, {})[seed] = run.get("suggestion")
            if "peers" in methods:
                for peer, lr in (run.get("peers") or {}).items():
                    out.setdefault(peer, {}).setdefault(name, {})[seed] = lr
    return out


def report(
    gt: dict[str, Any], found: dict[str, dict[str, dict[int, float | None]]], names: list[str], verbose: bool
) -> dict[str, Any]:
    grid = gt["grid"]
    results: dict[str, Any] = {}
    splits = [
        ("TUNING", [n for n in names if split_of(n) == "TUNING"]),
        ("HOLDOUT", [n for n in names if split_of(n) == "HOLDOUT"]),
        ("ALL", names),
    ]
    totals_rows = []
    for method, per_task in found.items():
        scored = {name: score_task(gt["tasks"][name], grid, per_task[name]) for name in names if name in per_task}
        results[method] = scored
        if verbose or method in ("nndoctor", "configured lr"):
            print(f"\n## {method}\n")
            print(
                "| task | split | b/ep | good lr (seed mean) | per-seed good | suggestions (seed 0,1,2) | calls | "
                "median | task | spread |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|")
            for name in names:
                if name not in scored:
                    continue
                s, rec = scored[name], gt["tasks"][name]
                sugg = ", ".join(
                    fmt_lr(v["lr"]) + ("" if v["hit"] else f" ({v['off']:+d})" if v["off"] is not None else "")
                    for v in s["seeds"].values()
                )
                hits = sum(v["hit"] for v in s["seeds"].values())
                per_seed_good = " / ".join(good_range(rec, grid, str(k)) for k in s["seeds"])
                task_cell = (
                    "hit" if s["task_hit"] else f"MISS ({s['task_off']:+d})" if s["task_off"] is not None else "MISS"
                )
                spread = f"{s['spread']:.2f}" if s["spread"] is not None else "-"
                print(
                    f"| {name} | {split_of(name)} | {rec['batches_per_epoch']} | {good_range(rec, grid)} | "
                    f"{per_seed_good} | {sugg} | {hits}/{len(s['seeds'])} | {fmt_lr(s['median'])} | {task_cell} | "
                    f"{spread} |"
                )
        for split, members in splits:
            members = [n for n in members if n in scored]
            if not members:
                continue
            task_hits = sum(scored[n]["task_hit"] for n in members)
            calls = [v["hit"] for n in members for v in scored[n]["seeds"].values()]
            spreads = [scored[n]["spread"] for n in members if scored[n]["spread"] is not None]
            tight = sum(1 for s in spreads if s < 0.3)
            totals_rows.append(
                (
                    method,
                    split,
                    f"{task_hits}/{len(members)}",
                    f"{sum(calls)}/{len(calls)}",
                    f"{statistics.median(spreads):.2f}" if spreads else "-",
                    f"{max(spreads):.2f}" if spreads else "-",
                    f"{tight}/{len(members)}",
                )
            )
    print("\n## totals\n")
    print("| method | split | tasks hit | calls hit | median spread | max spread | tasks spread < 0.3 |")
    print("|---|---|---|---|---|---|---|")
    order = {m: i for i, m in enumerate(found)}
    for row in sorted(totals_rows, key=lambda r: (["TUNING", "HOLDOUT", "ALL"].index(r[1]), order[r[0]])):
        print("| " + " | ".join(row) + " |")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="nndoctor,peers,configured", help="nndoctor, peers, configured")
    parser.add_argument("--tasks", default="", help="comma-separated substrings of task names")
    parser.add_argument("--split", choices=["TUNING", "HOLDOUT", "ALL"], default="ALL")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--ground-truth", type=Path, default=GROUND_TRUTH)
    parser.add_argument("--runs", type=Path, default=RUNS, help="cache of the lr-find results (JSON)")
    parser.add_argument("--fresh", action="store_true", help="rerun nndoctor instead of reading --runs")
    parser.add_argument("--verbose", action="store_true", help="a per-task table for every method")
    parser.add_argument("--save", type=Path, help="write the scored results as JSON")
    parser.add_argument(
        "--cli-args", default="", help="more lr-find options, e.g. '--val' (cached in lr_find_runs_<args>.json)"
    )
    parser.add_argument(
        "--max-batches",
        type=int,
        help="experiment: sweep through the API with this many distinct batches (default: the CLI, 32); "
        "caches in lr_find_runs_mbN.json unless --runs is given",
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    unknown = set(methods) - {"nndoctor", "peers", "configured"}
    if unknown:
        parser.error(f"unknown method(s) {sorted(unknown)}")
    gt = json.loads(args.ground_truth.read_text())
    wanted = [w.strip() for w in args.tasks.split(",") if w.strip()]
    names = [
        t.name
        for t in TASKS
        if t.name in gt["tasks"]
        and (not wanted or any(w in t.name for w in wanted))
        and (args.split == "ALL" or split_of(t.name) == args.split)
    ]
    seeds = [int(s) for s in args.seeds.split(",")]
    missing = [f"{n} seed {s}" for n in names for s in seeds if str(s) not in gt["tasks"][n]["good"]]
    if missing:
        parser.error(f"ground truth lacks {missing[:5]}...; run benchmarks/lr_oracle2/ground_truth.py first")
    extra = shlex.split(args.cli_args)
    if extra and args.max_batches is not None:
        parser.error("--cli-args applies to the CLI; --max-batches runs the API")
    runs = args.runs
    if runs == RUNS and (args.max_batches is not None or extra):
        tag = f"mb{args.max_batches}" if args.max_batches is not None else re.sub(r"[^A-Za-z0-9]+", "_", args.cli_args)
        runs = HERE / f"lr_find_runs_{tag.strip('_')}.json"
    found = collect(methods, names, seeds, runs, args.fresh, args.quiet, args.max_batches, extra)
    results = report(gt, found, names, args.verbose)
    if args.save:
        args.save.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
