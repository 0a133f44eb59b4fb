"""Verify every case with a plain PyTorch training loop, independently of nndoctor.

For each case file this script builds the recipe's own model, data, loss, optimizer and forward,
trains it with an ordinary loop (zero_grad, forward, loss, backward, step) for the case's budget
and measures a task metric on the held-out loader before and after. A broken case may also define
`VERIFY["fix"]`: replacement builder functions that repair the bug; the fixed setup is trained the
same way, from the same seed, as the control.

Each case's `VERIFY` dict says what to measure and what the docstring claims:

    VERIFY = {
        "metric": "accuracy" | "auc" | "binary_accuracy" | "r2" | "iou" | callable(outputs, targets) -> float,
        "epochs": 5,                      # training budget (passes over the training loader)
        "max_steps": None,                # optional cap on optimizer steps
        "min": 0.8,                       # healthy: the end metric must reach this
        "fix": {"build_model": fixed_model, ...},   # broken: the repaired builders
        "claims": ["worse_than_fix"],     # broken: what must be observed (all of them)
        "margin": 0.15,                   # for worse_than_fix: fixed end metric - broken end metric
    }

Broken-case claims: worse_than_fix, crash, nonfinite, negative_loss, frozen:<param-name-prefix>,
eval_nondeterministic, batch_dependent, single_class_batches, gap:<min train-val metric gap>.
Healthy cases must reach `min` on the validation metric, beat their start metric and lower the
validation loss.

    python benchmarks/cases/verify.py                 # all cases, writes VERIFIED.md
    python benchmarks/cases/verify.py --only mse      # cases whose path contains "mse"
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import math
import random
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
SPLITS = ("tuning", "holdout")
KINDS = ("broken", "healthy")
BUILDERS = ("build_model", "build_data", "build_loss", "build_optimizer", "forward")


# ----------------------------------------------------------------------------- discovery


def discover(split: str = "all", only: str | None = None) -> list[Path]:
    splits = SPLITS if split == "all" else (split,)
    paths: list[Path] = []
    for s in splits:
        for kind in KINDS:
            paths.extend(sorted((HERE / s / kind).glob("*.py")))
    if only:
        pattern = only if any(c in only for c in "*?[") else f"*{only}*"
        paths = [
            p for p in paths if any(fnmatch.fnmatch(str(p.relative_to(HERE)), pat) for pat in (pattern, f"*/{pattern}"))
        ]
    return paths


def load_module(path: Path) -> Any:
    name = f"case_{path.parent.parent.name}_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def seed_all(seed: int = 0) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ----------------------------------------------------------------------------- metrics


def _class_targets(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y.is_floating_point() and y.shape == out.shape:
        return y.argmax(1)  # one-hot or probability targets
    return y.long().reshape(out.shape[:1] + out.shape[2:])


def accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    return (out.argmax(1) == _class_targets(out, y)).float().mean().item()


def binary_accuracy(out: torch.Tensor, y: torch.Tensor, threshold: float = 0.0) -> float:
    return ((out.reshape(-1) > threshold) == (y.reshape(-1) > 0.5)).float().mean().item()


def r2(out: torch.Tensor, y: torch.Tensor) -> float:
    out, y = out.reshape(-1).double(), y.reshape(-1).double()
    sst = ((y - y.mean()) ** 2).sum().item()
    sse = ((y - out) ** 2).sum().item()
    return 1.0 - sse / max(sst, 1e-12)


def iou(out: torch.Tensor, y: torch.Tensor, threshold: float = 0.0) -> float:
    pred, true = out.reshape(-1) > threshold, y.reshape(-1) > 0.5
    union = (pred | true).sum().item()
    return (pred & true).sum().item() / union if union else 1.0


def auc(out: torch.Tensor, y: torch.Tensor) -> float:
    """ROC AUC of the scores (unchanged by any monotone squashing such as a final sigmoid)."""
    s, t = out.reshape(-1).double(), y.reshape(-1) > 0.5
    ranks = torch.empty_like(s)
    ranks[s.argsort()] = torch.arange(1, len(s) + 1, dtype=torch.double)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return 0.5
    return (ranks[t].sum().item() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {
    "accuracy": accuracy,
    "auc": auc,
    "binary_accuracy": binary_accuracy,
    "r2": r2,
    "iou": iou,
}


# ----------------------------------------------------------------------------- one run


def default_forward(model: torch.nn.Module, batch: Any) -> tuple[Any, Any]:
    x, y = batch
    return model(x), y


def split_data(data: Any) -> tuple[Any, Any]:
    if isinstance(data, dict):
        return data["train"], data.get("val")
    if isinstance(data, (tuple, list)):
        return data[0], (data[1] if len(data) > 1 else None)
    return data, None


class Setup:
    """The builders of one case, with the fix's replacements applied when asked."""

    def __init__(self, module: Any, fix: dict[str, Callable[..., Any]] | None = None) -> None:
        self.fns = {name: getattr(module, name, None) for name in BUILDERS}
        for name, fn in (fix or {}).items():
            assert name in BUILDERS, f"unknown builder in fix: {name}"
            self.fns[name] = fn

    def build(self) -> tuple[torch.nn.Module, Any, Any, Callable[..., Any], Any, Callable[..., Any]]:
        seed_all(0)
        model = self.fns["build_model"]()
        seed_all(0)
        train, val = split_data(self.fns["build_data"]())
        loss_fn = self.fns["build_loss"]()
        if self.fns["build_optimizer"] is not None:
            optimizer = self.fns["build_optimizer"](model.parameters())
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        forward = self.fns["forward"] or default_forward
        return model, train, val, loss_fn, optimizer, forward


@torch.no_grad()
def evaluate(model, loader, forward, loss_fn, metric) -> tuple[float, float]:
    model.eval()
    outs, ys, total, count = [], [], 0.0, 0
    for batch in loader:
        out, y = forward(model, batch)
        loss = loss_fn(out, y)
        n = len(y)
        total += float(loss) * n
        count += n
        outs.append(out.detach().float())
        ys.append(y.detach())
    model.train()
    return total / max(count, 1), float(metric(torch.cat(outs), torch.cat(ys)))


@torch.no_grad()
def eval_nondeterministic(model, loader, forward) -> bool:
    model.eval()
    batch = next(iter(loader))
    a, _ = forward(model, batch)
    b, _ = forward(model, batch)
    model.train()
    return not torch.allclose(a, b)


@torch.no_grad()
def batch_dependent(model, loader, forward) -> bool:
    """Does the first or the last sample's output change when the other samples of its batch change?"""
    model.eval()
    batch = next(iter(loader))
    x, y = batch[0], batch[1]
    changed = False
    for keep in (0, len(x) - 1):
        others = torch.arange(len(x)) != keep
        x2 = x.clone()
        if x.is_floating_point():  # the others replaced by different values (not a permutation of them)
            noise = torch.randn(x[others].shape, generator=torch.Generator().manual_seed(0))
            x2[others] = 0.5 * x[others] + 0.5 * x[others].std() * noise
        else:  # token ids: shift the others' tokens
            x2[others] = (x[others] + 1) % (int(x.max()) + 1)
        a, _ = forward(model, (x, y, *batch[2:]))
        b, _ = forward(model, (x2, y, *batch[2:]))
        changed |= not torch.allclose(a[keep], b[keep], atol=1e-6)
    model.train()
    return changed


def single_class_batches(loader) -> float:
    """Share of the first epoch's batches whose labels are all one class."""
    same = total = 0
    for batch in loader:
        y = batch[1].reshape(len(batch[1]), -1)[:, 0]
        same += int(torch.unique(y).numel() == 1)
        total += 1
    return same / max(total, 1)


def run(setup: Setup, cfg: dict[str, Any]) -> dict[str, Any]:
    metric = cfg["metric"] if callable(cfg["metric"]) else METRICS[cfg["metric"]]
    model, train, val, loss_fn, optimizer, forward = setup.build()
    val = val if val is not None else train
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    res: dict[str, Any] = {"crash": None, "nonfinite_step": None, "min_loss": math.inf, "steps": 0}
    t0 = time.perf_counter()
    try:
        res["val_loss_start"], res["metric_start"] = evaluate(model, val, forward, loss_fn, metric)
    except Exception as exc:  # noqa: BLE001 (a recipe may raise anything; a crash at the first forward counts too)
        res["crash"] = f"{type(exc).__name__}: {exc}"
        res["val_loss_start"] = res["metric_start"] = math.nan
    if res["crash"] is None:
        try:
            model.train()
            for _epoch in range(cfg.get("epochs", 5)):
                for batch in train:
                    optimizer.zero_grad()
                    out, y = forward(model, batch)
                    loss = loss_fn(out, y)
                    loss.backward()
                    optimizer.step()
                    value = float(loss.detach())
                    res["steps"] += 1
                    res["min_loss"] = min(res["min_loss"], value)
                    if not math.isfinite(value) and res["nonfinite_step"] is None:
                        res["nonfinite_step"] = res["steps"]
                    if cfg.get("max_steps") and res["steps"] >= cfg["max_steps"]:
                        break
                if res["nonfinite_step"] is not None or (cfg.get("max_steps") and res["steps"] >= cfg["max_steps"]):
                    break
        except Exception as exc:  # noqa: BLE001 (a crash during training is a result: the `crash` claim)
            res["crash"] = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
    res["train_seconds"] = time.perf_counter() - t0
    try:
        res["val_loss_end"], res["metric_end"] = evaluate(model, val, forward, loss_fn, metric)
        res["train_loss_end"], res["train_metric_end"] = evaluate(model, train, forward, loss_fn, metric)
    except Exception as exc:  # noqa: BLE001 (the broken model may not even evaluate)
        res["val_loss_end"] = res["metric_end"] = res["train_metric_end"] = math.nan
        res["crash"] = res["crash"] or f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
    res["changed"] = {n: not torch.equal(before[n], p.detach()) for n, p in model.named_parameters()}
    res["model"], res["val"], res["train"], res["forward"] = model, val, train, forward
    return res


# ----------------------------------------------------------------------------- verdicts


def _finite(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x)


def check_claim(claim: str, res: dict[str, Any], fixed: dict[str, Any] | None, cfg: dict[str, Any]) -> tuple[bool, str]:
    name, _, arg = claim.partition(":")
    if name == "worse_than_fix":
        if fixed is None:
            return False, "no fix to compare with"
        margin = cfg.get("margin", 0.1)
        b, f = res["metric_end"], fixed["metric_end"]
        b_eff = b if _finite(b) else -math.inf
        ok = _finite(f) and f - b_eff >= margin and fixed["crash"] is None
        return ok, f"fixed {f:.3f} vs broken {b:.3f} (margin {margin})"
    if name == "crash":
        return res["crash"] is not None, res["crash"] or "no crash"
    if name == "nonfinite":
        step = res["nonfinite_step"]
        ok = step is not None or not _finite(res["val_loss_end"])
        return ok, f"non-finite loss at step {step}" if step else f"val loss end {res['val_loss_end']}"
    if name == "negative_loss":
        return res["min_loss"] < 0, f"min training loss {res['min_loss']:.3f}"
    if name == "frozen":
        names = [n for n in res["changed"] if n.startswith(arg)]
        unchanged = [n for n in names if not res["changed"][n]]
        return bool(names) and len(unchanged) == len(names), f"{len(unchanged)}/{len(names)} '{arg}*' params unchanged"
    if name == "eval_nondeterministic":
        ok = eval_nondeterministic(res["model"], res["val"], res["forward"])
        return ok, "two eval passes differ" if ok else "eval passes agree"
    if name == "batch_dependent":
        ok = batch_dependent(res["model"], res["train"], res["forward"])
        return ok, "a sample's output depends on its batch-mates" if ok else "no cross-sample dependence"
    if name == "single_class_batches":
        share = single_class_batches(res["train"])
        return share >= float(arg or 0.5), f"{share:.0%} of training batches hold one class"
    if name == "gap":
        gap = res["train_metric_end"] - res["metric_end"]
        return gap >= float(arg), f"train {res['train_metric_end']:.3f} - val {res['metric_end']:.3f} = {gap:.3f}"
    raise ValueError(f"unknown claim {claim!r}")


def verify_case(path: Path) -> dict[str, Any]:
    module = load_module(path)
    case, cfg = module.CASE, dict(module.VERIFY)
    row: dict[str, Any] = {"case": f"{path.parent.parent.name}/{path.parent.name}/{path.stem}", "kind": case["kind"]}
    row["metric"] = cfg["metric"] if isinstance(cfg["metric"], str) else cfg["metric"].__name__
    t0 = time.perf_counter()
    res = run(Setup(module), cfg)
    fixed = run(Setup(module, cfg["fix"]), cfg) if cfg.get("fix") else None
    row.update(start=res["metric_start"], end=res["metric_end"], fixed=fixed["metric_end"] if fixed else None)
    row.update(loss_start=res["val_loss_start"], loss_end=res["val_loss_end"], steps=res["steps"])
    notes: list[str] = []
    if case["kind"] == "healthy":
        minimum = cfg["min"]
        checks = [
            (res["crash"] is None, f"crash: {res['crash']}"),
            (_finite(res["metric_end"]) and res["metric_end"] >= minimum, f"end {res['metric_end']:.3f} >= {minimum}"),
            (_finite(res["metric_end"]) and res["metric_end"] > res["metric_start"], "metric improved"),
            (_finite(res["val_loss_end"]) and res["val_loss_end"] < res["val_loss_start"], "val loss fell"),
        ]
        ok = all(c for c, _ in checks)
        notes = [m for c, m in checks if not c] or [f"end {res['metric_end']:.3f} >= {minimum}"]
    else:
        results = [check_claim(c, res, fixed, cfg) for c in cfg["claims"]]
        ok = all(r for r, _ in results)
        notes = [m for _, m in results]
        if fixed is not None and fixed["crash"]:
            notes.append(f"fix crashed: {fixed['crash']}")
        if res["crash"] and not any(c == "crash" for c in cfg["claims"]):
            notes.append(f"crash: {res['crash']}")
    row["verdict"] = "confirmed" if ok else "NOT CONFIRMED"
    row["note"] = "; ".join(notes)
    row["seconds"] = time.perf_counter() - t0
    return row


# ----------------------------------------------------------------------------- report


def fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return "nan" if math.isnan(x) else f"{x:.3f}" if abs(x) < 1e4 else f"{x:.3g}"
    return str(x)


def markdown(rows: list[dict[str, Any]], command: str, seconds: float) -> str:
    ok = sum(r["verdict"] == "confirmed" for r in rows)
    lines = [
        "# Verification of the cases with a plain PyTorch loop",
        "",
        f"Produced by `{command}` (torch {torch.__version__}, one thread) in {seconds:.0f} s: "
        f"{ok}/{len(rows)} cases behave as their docstrings claim.",
        "",
        "Each case is trained with its own model, data, loss and optimizer by an ordinary loop "
        "(`benchmarks/cases/verify.py`), independent of nndoctor. *start*/*end*: the task metric on the "
        "validation loader before and after training; *fixed*: the same budget with the bug repaired "
        "(`VERIFY['fix']`); *loss*: the recipe's own loss on the validation loader.",
        "",
        "| case | kind | metric | start | end | fixed | loss start -> end | verdict | evidence |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['kind']} | {r['metric']} | {fmt(r['start'])} | {fmt(r['end'])} | {fmt(r['fixed'])} "
            f"| {fmt(r['loss_start'])} -> {fmt(r['loss_end'])} | {r['verdict']} | {r['note'].replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split",
        choices=("tuning", "holdout", "all", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8"),
        default="all",
    )
    parser.add_argument("--only", help="substring or glob on the case path (e.g. 'holdout/broken/*')")
    parser.add_argument(
        "--out", default=str(HERE / "VERIFIED.md"), help="markdown table (written for --split all without --only)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # the broken cases trigger PyTorch's own warnings by design
    t0 = time.perf_counter()
    rows = []
    for path in discover(args.split, args.only):
        try:
            row = verify_case(path)
        except Exception as exc:  # noqa: BLE001 (one faulty case file must not stop the table)
            traceback.print_exc()
            row = {
                "case": str(path.relative_to(HERE))[:-3],
                "kind": "?",
                "metric": "?",
                "start": None,
                "end": None,
                "fixed": None,
                "loss_start": None,
                "loss_end": None,
                "verdict": "ERROR",
                "note": repr(exc)[:200],
                "seconds": 0.0,
            }
        rows.append(row)
        print(
            f"{row['verdict']:13} {row['case']:58} {row['metric']:15} {fmt(row['start']):>7} -> {fmt(row['end']):>7} "
            f"fixed {fmt(row['fixed']):>7}  {row['seconds']:5.1f}s  {row['note']}",
            flush=True,
        )
    seconds = time.perf_counter() - t0
    ok = sum(r["verdict"] == "confirmed" for r in rows)
    print(f"\n{ok}/{len(rows)} confirmed in {seconds:.0f}s")
    if args.split == "all" and not args.only:
        command = "python benchmarks/cases/verify.py"
        Path(args.out).write_text(markdown(rows, command, seconds))
        print(f"wrote {args.out}")
    return 0 if ok == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
