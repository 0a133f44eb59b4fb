"""Overhead of `nndoctor watch`: per-step time of a script run plainly vs the same run watched.

Each bundled healthy script (sample_models/scripts/healthy, `--epochs 1` by default) and a
10M-parameter MLP script run in this one process through runpy, alternately plain and under the
same `Watcher` + `observing` that `nndoctor watch` installs (default sampling: every 10 steps),
in interleaved rounds (the order flips each round). Both modes time every optimizer step with the
same global step post-hook (`time.thread_time`, CPU time of this thread: the machine is shared
and its wall time jumps); a run's step time is the median over its steps, and the ratio is the
median over rounds of watched / plain. Two more ratios side by side: of the fastest run of each
mode (min over rounds: contention only ever adds time, so on a loaded machine the fastest runs
are the least disturbed), and of the total time of the steps (the mean: the sampled steps
included, which a median leaves out). The scripts' output is discarded.

    OMP_NUM_THREADS=1 python benchmarks/watch_overhead.py [--rounds 3] [--every 10] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import platform
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nndoctor.observe.hooks import observing  # noqa: E402
from nndoctor.observe.watcher import Watcher  # noqa: E402

BIG_MODEL = '''"""A 10M-parameter MLP on random data: the large-step case of the overhead benchmark."""
import argparse
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(64 * args.steps, 1024), torch.randint(0, 10, (64 * args.steps,)))
    loader = DataLoader(data, batch_size=64, shuffle=True)
    model = nn.Sequential(
        nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
        nn.Linear(2048, 10),
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()


if __name__ == "__main__":
    main()
'''


def run_once(path: Path, argv: list[str], watched: bool, every: int) -> tuple[float, float, int]:
    """Median and mean CPU time per optimizer step of one run, and the steps it made."""
    stamps: list[float] = []
    handle = register_optimizer_step_post_hook(lambda *a: stamps.append(time.thread_time()))
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if watched:
                watcher = Watcher(every, script=str(path))
                with observing(watcher) as observation:
                    watcher.attach(observation)
                    runpy.run_path(str(path), run_name="__main__")
                watcher.finish()
            else:
                runpy.run_path(str(path), run_name="__main__")
    finally:
        handle.remove()
        sys.argv, sys.path[:] = saved_argv, saved_path
    steps = [b - a for a, b in itertools.pairwise(stamps)]
    return statistics.median(steps), statistics.mean(steps), len(stamps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--big-steps", type=int, default=40)
    ap.add_argument("--markdown", type=Path, default=None, help="also write the table to FILE")
    args = ap.parse_args()
    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="nndoctor-watch-bench-"))
    big = tmp / "mlp_10m.py"
    big.write_text(BIG_MODEL, encoding="utf-8")
    cases = [(p, ["--epochs", str(args.epochs)]) for p in sorted((ROOT / "sample_models/scripts/healthy").glob("*.py"))]
    cases.append((big, ["--steps", str(args.big_steps)]))
    results: dict[str, dict[str, list[float]]] = {}
    means: dict[str, dict[str, list[float]]] = {}
    steps: dict[str, int] = {}
    for round_index in range(args.rounds):
        for path, argv in cases:
            order = (False, True) if round_index % 2 == 0 else (True, False)
            for watched in order:
                step_s, mean_s, n = run_once(path, argv, watched, args.every)
                mode = "watched" if watched else "plain"
                results.setdefault(path.stem, {"plain": [], "watched": []})[mode].append(step_s)
                means.setdefault(path.stem, {"plain": [], "watched": []})[mode].append(mean_s)
                steps[path.stem] = n
            print(f"round {round_index + 1}/{args.rounds} {path.stem} done", file=sys.stderr, flush=True)
    params = sum(p.numel() for p in torch.nn.Linear(1024, 2048).parameters()) + 2 * sum(
        p.numel() for p in torch.nn.Linear(2048, 2048).parameters()
    )
    lines = [
        f"torch {torch.__version__}, Python {platform.python_version()}, {platform.machine()}, 1 thread, "
        f"{args.rounds} interleaved rounds, sampling every {args.every} steps, CPU time per step (thread_time)",
        "",
        "| Script | Steps per run | Plain step (ms) | Watched step (ms) | Ratio (median over rounds) "
        "| Ratio, fastest runs | Ratio, total step time |",
        "|---|---|---|---|---|---|---|",
    ]
    ratios, fastest, totals = [], [], []
    for name, r in results.items():
        per_round = [w / p for p, w in zip(r["plain"], r["watched"], strict=True) if p > 0]
        ratio = statistics.median(per_round)
        ratios.append(ratio)
        fast = min(r["watched"]) / min(r["plain"])
        fastest.append(fast)
        m = means[name]
        total = statistics.median([w / p for p, w in zip(m["plain"], m["watched"], strict=True) if p > 0])
        totals.append(total)
        label = f"{name} ({params / 1e6:.1f}M params)" if name == "mlp_10m" else name
        lines.append(
            f"| {label} | {steps[name]} | {statistics.median(r['plain']) * 1e3:.3f} | "
            f"{statistics.median(r['watched']) * 1e3:.3f} | {ratio:.3f}x | {fast:.3f}x | {total:.3f}x |"
        )
    lines.append("")
    lines.append(f"median ratio over the scripts: {statistics.median(ratios):.3f}x; worst {max(ratios):.3f}x")
    lines.append(
        f"fastest runs: median {statistics.median(fastest):.3f}x, worst {max(fastest):.3f}x; "
        f"total step time (sampled steps included): median {statistics.median(totals):.3f}x, worst {max(totals):.3f}x"
    )
    text = "\n".join(lines)
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
