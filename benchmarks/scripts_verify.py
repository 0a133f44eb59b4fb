"""Run every plain training script under sample_models/scripts and show what its own output says.

Each script runs as a user would run it (`python script.py`, its default arguments, a fresh process,
OMP_NUM_THREADS=1), and its printed `epoch ...` and `final ...` lines are parsed for `key=value`
pairs. Healthy scripts must learn: their validation metric clears a bar far above chance, the
training loss falls, every number is finite and evaluating the same weights twice gives the same
validation loss. Each broken script must show its bug in the numbers it prints, compared where that
helps with its healthy twin (the script it was copied from, with the one line that differs).

Two bugs do not show in a script's printed numbers, so two checks look a little further:
`val_without_no_grad` prints exactly the twin's numbers and differs in peak memory (the peak RSS of
the process, from os.wait4), and `relus_die_high_lr` is re-run with `--save` (after one epoch and
after all of them) so its final weights can be reloaded and its dead ReLU units counted on the
validation inputs. `lr_too_high_diverges` gets one control run at `--lr 0.15`, just under the
stability limit its docstring derives.

    python benchmarks/scripts_verify.py                 # all scripts, markdown table on stdout
    python benchmarks/scripts_verify.py --only nan_mid_training cnn_classifier
    python benchmarks/scripts_verify.py --markdown /tmp/table.md

Exit status 0 when every script shows what it should, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "sample_models" / "scripts"
PAIR = re.compile(r"(\w+)=(\S+)")
TIMING_KEYS = {"time"}  # wall-clock fields that legitimately differ between runs

# broken script -> the healthy script it was copied from
TWINS = {
    "no_zero_grad": "cnn_classifier",
    "zero_grad_before_step": "tiny_transformer",
    "scheduler_stepped_per_batch": "mlp_classifier",
    "step_lr_tiny_gamma": "lstm_sequence",
    "val_without_eval": "cnn_classifier",
    "val_without_no_grad": "cnn_classifier",
    "unshuffled_sorted_classes": "mlp_classifier",
    "same_batch_every_step": "lstm_sequence",
    "accumulation_not_averaged": "grad_accumulation",
    "nan_mid_training": "binary_classifier",
}

# healthy script -> (metric, the bar it must clear, chance level for the table)
LEARNS = {
    "mlp_classifier": ("val_acc", 0.70, 0.10),
    "cnn_classifier": ("val_acc", 0.90, 0.25),
    "lstm_sequence": ("val_acc", 0.95, 1 / 3),
    "tiny_transformer": ("val_acc", 0.95, 0.50),
    "regression_mlp": ("val_r2", 0.90, 0.0),
    "grad_accumulation": ("val_acc", 0.95, 1 / 3),
    "binary_classifier": ("val_acc", 0.95, 0.50),
    "iterable_val_stream": ("val_acc", 0.90, 0.50),
    "gru_variable_length": ("val_acc", 0.75, 1 / 3),
    "autoencoder_functional_loss": ("val_r2", 0.95, 0.0),
}

# broken scripts whose bug the printed numbers show only against the same script with the bug
# line fixed: (the line as written, the fix)
FIXED_COPIES = {
    "gan_generator_not_zeroed": ("# the bug: net_g.zero_grad() is missing here", "net_g.zero_grad()"),
    "trains_in_eval_mode": ("# ... and the bug: no model.train() here", "model.train()"),
}


@dataclass
class Run:
    name: str
    kind: str
    epochs: list[dict[str, float]] = field(default_factory=list)
    raw_epochs: list[dict[str, str]] = field(default_factory=list)
    final: dict[str, float] = field(default_factory=dict)
    raw_final: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    max_rss_mb: float = 0.0
    returncode: int = 0
    stderr: str = ""

    def series(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs if key in e]

    def raw_series(self, key: str) -> list[str]:
        return [e[key] for e in self.raw_epochs if key in e]


def _number(text: str) -> float:
    text = text.rstrip("s,;)")
    try:
        return float(text)
    except ValueError:
        return math.nan


def _parse(run: Run, text: str) -> None:
    for line in text.splitlines():
        run.lines.append(line)
        pairs = dict(PAIR.findall(line))
        if not pairs:
            continue
        if line.startswith("final"):
            run.raw_final = pairs
            run.final = {k: _number(v) for k, v in pairs.items()}
        elif line.startswith("epoch"):
            run.raw_epochs.append(pairs)
            run.epochs.append({k: _number(v) for k, v in pairs.items()})


def run_script(path: Path, *extra: str) -> Run:
    """Run the script in a fresh process; wait4 gives that child's own CPU time and peak RSS."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(path), *extra], stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        run = Run(name=path.stem, kind=path.parent.name, returncode=proc.returncode)
        run.seconds = time.perf_counter() - start
        run.cpu_seconds = usage.ru_utime + usage.ru_stime
        run.max_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
        out.seek(0)
        err.seek(0)
        _parse(run, out.read())
        run.stderr = err.read()
    return run


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.4g}"


def _numbers_equal(a: Run, b: Run) -> bool:
    """Every printed key=value of a and b is the same string, timings excepted."""

    def strip(d: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in d.items() if k not in TIMING_KEYS}

    return [strip(e) for e in a.raw_epochs] == [strip(e) for e in b.raw_epochs] and strip(a.raw_final) == strip(
        b.raw_final
    )


def _load_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"verify_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dead_fractions(module: Any, state: dict[str, torch.Tensor] | None, seed: int = 0) -> list[float]:
    """Fraction of hidden units of DeepMLP that are zero for every validation input."""
    torch.manual_seed(seed)
    model = module.DeepMLP()
    if state is not None:
        model.load_state_dict(state)
    _, val_set = module.make_datasets(seed=seed)
    x = val_set.tensors[0]
    with torch.no_grad():
        h1 = torch.relu(model.fc1(x))
        h2 = torch.relu(model.fc2(h1))
    return [((h > 0).sum(0) == 0).float().mean().item() for h in (h1, h2)]


# ---------------------------------------------------------------------------------------------
# per-script checks: each returns (passed, evidence)


def check_healthy(run: Run) -> tuple[bool, str]:
    metric, bar, chance = LEARNS[run.name]
    final = run.final.get(metric, math.nan)
    train = run.series("train_loss")
    finite = _finite(train + run.series("val_loss") + [final])
    falls = len(train) >= 2 and train[-1] < train[0]
    # the final line re-evaluates the weights the last epoch (or the restored best epoch) evaluated
    repeat = run.raw_final.get("val_loss") in run.raw_series("val_loss")
    ok = finite and falls and final >= bar and repeat
    evidence = (
        f"{metric} {_fmt(final)} >= {bar} (chance {chance:.2g}); train_loss {_fmt(train[0])} -> {_fmt(train[-1])}; "
        f"re-evaluation {'identical' if repeat else 'DIFFERS'}"
    )
    return ok, evidence


def check_no_zero_grad(run: Run, twin: Run) -> tuple[bool, str]:
    train = run.series("train_loss")
    acc = run.final["val_acc"]
    ok = min(train) > math.log(4) and acc < 0.4 and twin.final["val_acc"] > 0.9
    return ok, (
        f"train_loss every epoch > ln4=1.386 (min {_fmt(min(train))}, max {_fmt(max(train))}); "
        f"val_loss {_fmt(min(run.series('val_loss')))}..{_fmt(max(run.series('val_loss')))}; "
        f"val_acc {_fmt(acc)} vs twin {_fmt(twin.final['val_acc'])}"
    )


def check_zero_grad_before_step(run: Run, twin: Run) -> tuple[bool, str]:
    vals = set(run.raw_series("val_loss"))
    acc = run.final["val_acc"]
    ok = len(vals) == 1 and acc <= 0.55 and twin.final["val_acc"] > 0.9
    return ok, (
        f"val_loss identical in all {len(run.epochs)} epochs ({sorted(vals)[0]}): weights never move; "
        f"val_acc {_fmt(acc)} vs twin {_fmt(twin.final['val_acc'])}"
    )


def check_scheduler_per_batch(run: Run, twin: Run) -> tuple[bool, str]:
    lrs = run.series("lr")
    frozen = len(set(run.raw_series("val_loss")[1:])) == 1
    acc, twin_acc = run.final["val_acc"], twin.final["val_acc"]
    ok = lrs[0] < 1e-6 and frozen and acc < twin_acc - 0.3
    return ok, (
        f"lr after epoch 1 {_fmt(lrs[0])} (base 1e-3), at the end {_fmt(lrs[-1])}; val_loss frozen from epoch 2: "
        f"{frozen}; val_acc {_fmt(acc)} vs twin {_fmt(twin_acc)}"
    )


def check_tiny_gamma(run: Run, twin: Run) -> tuple[bool, str]:
    lrs = run.series("lr")
    frozen = len(set(run.raw_series("val_loss")[2:])) == 1
    acc, twin_acc = run.final["val_acc"], twin.final["val_acc"]
    ok = lrs[0] <= 3e-3 * 0.01 * 1.0001 and frozen and acc < twin_acc - 0.1
    return ok, (
        f"lr after epoch 1 {_fmt(lrs[0])} (x0.01 per epoch, {_fmt(lrs[-1])} at the end); val_loss frozen from "
        f"epoch 3: {frozen}; val_acc {_fmt(acc)} vs twin {_fmt(twin_acc)}"
    )


def check_val_without_eval(run: Run, twin: Run) -> tuple[bool, str]:
    last, final = run.raw_series("val_loss")[-1], run.raw_final["val_loss"]
    twin_last, twin_final = twin.raw_series("val_loss")[-1], twin.raw_final["val_loss"]
    ok = last != final and twin_last == twin_final and run.final["val_loss"] > twin.final["val_loss"]
    return ok, (
        f"same weights evaluated twice: val_loss {last} vs {final} (twin {twin_last} vs {twin_final}); "
        f"val_loss {_fmt(run.final['val_loss'])} vs twin {_fmt(twin.final['val_loss'])}"
    )


def check_val_without_no_grad(run: Run, twin: Run, rss: list[float], twin_rss: list[float]) -> tuple[bool, str]:
    """Peak RSS of three runs each; the broken script's lowest peak must clear the twin's highest."""
    same = _numbers_equal(run, twin)
    ok = same and min(rss) > max(twin_rss) + 10
    return ok, (
        f"every printed number identical to the twin: {same}; peak RSS "
        f"{'/'.join(f'{r:.0f}' for r in rss)} MB vs twin {'/'.join(f'{r:.0f}' for r in twin_rss)} MB "
        f"(lowest minus highest: +{min(rss) - max(twin_rss):.0f} MB)"
    )


def check_unshuffled(run: Run, twin: Run) -> tuple[bool, str]:
    first = run.series("train_loss")[0]
    acc, twin_acc = run.final["val_acc"], twin.final["val_acc"]
    ok = first > math.log(10) and acc < twin_acc - 0.1
    return ok, (
        f"epoch-1 train_loss {_fmt(first)} > ln10=2.303 (twin {_fmt(twin.series('train_loss')[0])}); "
        f"val_acc {_fmt(acc)} vs twin {_fmt(twin_acc)}"
    )


def check_same_batch(run: Run, twin: Run) -> tuple[bool, str]:
    train, val = run.series("train_loss"), run.series("val_loss")
    acc, twin_acc = run.final["val_acc"], twin.final["val_acc"]
    ok = train[-1] < 0.01 and val[-1] > 1.5 * min(val) and acc < twin_acc - 0.15
    return ok, (
        f"train_loss {_fmt(train[-1])} (twin {_fmt(twin.series('train_loss')[-1])}); val_loss {_fmt(min(val))} -> "
        f"{_fmt(val[-1])}; val_acc {_fmt(acc)} vs twin {_fmt(twin_acc)}"
    )


def check_accumulation(run: Run, twin: Run) -> tuple[bool, str]:
    train = run.series("train_loss")
    acc, twin_acc = run.final["val_acc"], twin.final["val_acc"]
    jump = max(train[1:]) > train[0]
    ok = jump and acc < twin_acc - 0.2
    return ok, (
        f"train_loss jumps above epoch 1's ({_fmt(train[0])} -> max {_fmt(max(train[1:]))}), ends {_fmt(train[-1])} "
        f"(twin {_fmt(twin.series('train_loss')[-1])}); val_acc {_fmt(acc)} vs twin {_fmt(twin_acc)}"
    )


def check_nan_mid_training(run: Run, twin: Run) -> tuple[bool, str]:
    train = run.series("train_loss")
    first_nan = next((i + 1 for i, v in enumerate(train) if math.isnan(v)), None)
    ok = (
        first_nan is not None
        and first_nan >= 2
        and _finite(train[: first_nan - 1])
        and all(math.isnan(v) for v in train[first_nan - 1 :])
        and _finite(twin.series("train_loss"))
    )
    return ok, (
        f"train_loss finite for epochs 1-{(first_nan or 1) - 1}, nan from epoch {first_nan} on; "
        f"stopped after epoch {len(train)}; final val_loss {_fmt(run.final['val_loss'])} (restored best weights); "
        f"twin finite throughout"
    )


def check_relus_die(run: Run, path: Path) -> tuple[bool, str]:
    module = _load_module(path)
    init = _dead_fractions(module, None)
    with tempfile.TemporaryDirectory() as tmp:
        after_one = Path(tmp) / "one.pt"
        after_all = Path(tmp) / "all.pt"
        run_script(path, "--epochs", "1", "--save", str(after_one))
        run_script(path, "--save", str(after_all))
        one = _dead_fractions(module, torch.load(after_one))
        end = _dead_fractions(module, torch.load(after_all))
    val_loss = run.series("val_loss")
    ok = init[1] == 0.0 and one[1] > 0.3 and end[1] > one[1] and end[1] > 0.5 and _finite(val_loss)
    return ok, (
        f"dead fc2 units on validation inputs: {init[1]:.2f} at init, {one[1]:.2f} after epoch 1, {end[1]:.2f} at "
        f"the end (fc1: {end[0]:.2f}); val_acc {_fmt(run.series('val_acc')[0])} -> {_fmt(run.final['val_acc'])}"
    )


def check_small_data(run: Run) -> tuple[bool, str]:
    val, train = run.series("val_loss"), run.series("train_loss")
    best = min(range(len(val)), key=val.__getitem__)
    ok = best + 1 <= len(val) // 2 and val[-1] > 1.2 * val[best] and train[-1] < 0.1
    return ok, (
        f"val_loss lowest at epoch {best + 1}/{len(val)} ({_fmt(val[best])}), {_fmt(val[-1])} at the end "
        f"(+{(val[-1] / val[best] - 1) * 100:.0f}%); train_loss {_fmt(train[-1])}, train_acc "
        f"{_fmt(run.series('train_acc')[-1])} vs val_acc {_fmt(run.final['val_acc'])}"
    )


def fixed_copy(path: Path) -> Run:
    """Run the script with its bug line replaced by the fix (FIXED_COPIES), from a temporary copy."""
    old, new = FIXED_COPIES[path.stem]
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer has the line {old!r}"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(text.replace(old, new), encoding="utf-8")
        return run_script(copy)


def check_same_batch_kwargs(run: Run) -> tuple[bool, str]:
    train, val = run.series("train_loss"), run.series("val_loss")
    ok = train[-1] < 0.01 and val[-1] > 1.5 * min(val)
    return ok, f"train_loss {_fmt(train[0])} -> {_fmt(train[-1])}; val_loss {_fmt(min(val))} -> {_fmt(val[-1])}"


def check_model_loss_overfits(run: Run) -> tuple[bool, str]:
    val, train = run.series("val_loss"), run.series("train_loss")
    best = min(range(len(val)), key=val.__getitem__)
    ok = best + 1 <= len(val) // 2 and val[-1] > 1.2 * val[best] and train[-1] < 0.1
    return ok, (
        f"val_loss (the model's own out['loss']) lowest at epoch {best + 1}/{len(val)} ({_fmt(val[best])}), "
        f"{_fmt(val[-1])} at the end (+{(val[-1] / val[best] - 1) * 100:.0f}%); train_loss {_fmt(train[-1])}"
    )


def check_sorted_dicts(run: Run) -> tuple[bool, str]:
    first = run.series("train_loss")[0]
    return first > math.log(10), f"epoch-1 train_loss {_fmt(first)} > ln10=2.303 (chasing one class at a time)"


def check_against_fixed(run: Run, fixed: Run, key: str, lower_by: float) -> tuple[bool, str]:
    """The bug costs at least `lower_by` of `key` against the fixed copy (0: the numbers differ)."""
    mine, theirs = run.final.get(key, math.nan), fixed.final.get(key, math.nan)
    ok = mine <= theirs - lower_by if lower_by else run.raw_final != fixed.raw_final
    return ok, f"final {key} {_fmt(mine)} vs {_fmt(theirs)} with the bug line fixed"


def check_cosine_past_t_max(run: Run) -> tuple[bool, str]:
    lrs, val = run.series("lr"), run.series("val_loss")
    base = max(lrs)
    alternates = all((lr < 0.01 * base) == (i % 2 == 0) for i, lr in enumerate(lrs))
    ok = len(lrs) >= 2 and alternates and val[1] > val[0]
    return ok, (
        f"lr at the end of each epoch {', '.join(run.raw_series('lr'))} (T_max = one epoch); "
        f"val_loss {_fmt(val[0])} -> {_fmt(val[1])} in epoch 2 at the climbing LR"
    )


def check_diverges(run: Run, control: Run) -> tuple[bool, str]:
    train = run.series("train_loss")
    rising = all(b > a for a, b in itertools.pairwise(train))
    ok = rising and _finite(train) and train[-1] / train[0] > 1e4 and control.final["train_loss"] < 0.05
    return ok, (
        f"train_loss rises every epoch {_fmt(train[0])} -> {_fmt(train[-1])} (x{train[-1] / train[0]:.1e}), finite; "
        f"control run --lr 0.15: final train_loss {_fmt(control.final['train_loss'])}"
    )


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="script names (stems) to run")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    paths = sorted(SCRIPTS.glob("healthy/*.py")) + sorted(SCRIPTS.glob("broken/*.py"))
    wanted = set(args.only) if args.only else None
    if wanted:
        twins = {TWINS[n] for n in wanted if n in TWINS}
        paths = [p for p in paths if p.stem in wanted or p.stem in twins]

    runs: dict[str, Run] = {}
    for path in paths:
        runs[path.stem] = run = run_script(path)
        status = "ok" if run.returncode == 0 else f"exit {run.returncode}"
        print(
            f"ran {path.parent.name}/{path.name}: {run.seconds:.1f}s wall, {run.cpu_seconds:.1f}s CPU, "
            f"{run.max_rss_mb:.0f} MB peak, {len(run.epochs)} epochs, {status}",
            file=sys.stderr,
        )

    rows = []
    failures = 0
    for path in paths:
        name = path.stem
        if wanted and name not in wanted:
            continue
        run = runs[name]
        if run.returncode != 0 or not run.final:
            ok, evidence = False, f"exit {run.returncode}: {run.stderr.strip().splitlines()[-1:] or 'no final line'}"
        elif run.kind == "healthy":
            ok, evidence = check_healthy(run)
        else:
            twin = runs.get(TWINS.get(name, ""))
            if name == "no_zero_grad":
                ok, evidence = check_no_zero_grad(run, twin)
            elif name == "zero_grad_before_step":
                ok, evidence = check_zero_grad_before_step(run, twin)
            elif name == "scheduler_stepped_per_batch":
                ok, evidence = check_scheduler_per_batch(run, twin)
            elif name == "step_lr_tiny_gamma":
                ok, evidence = check_tiny_gamma(run, twin)
            elif name == "val_without_eval":
                ok, evidence = check_val_without_eval(run, twin)
            elif name == "val_without_no_grad":
                twin_path = SCRIPTS / "healthy" / f"{TWINS[name]}.py"
                # alternate the two, twice, and keep each side's lowest peak: other processes cannot lower it
                broken_rss, twin_rss = [run.max_rss_mb], [twin.max_rss_mb]
                for _ in range(2):
                    broken_rss.append(run_script(path).max_rss_mb)
                    twin_rss.append(run_script(twin_path).max_rss_mb)
                ok, evidence = check_val_without_no_grad(run, twin, broken_rss, twin_rss)
            elif name == "unshuffled_sorted_classes":
                ok, evidence = check_unshuffled(run, twin)
            elif name == "same_batch_every_step":
                ok, evidence = check_same_batch(run, twin)
            elif name == "accumulation_not_averaged":
                ok, evidence = check_accumulation(run, twin)
            elif name == "nan_mid_training":
                ok, evidence = check_nan_mid_training(run, twin)
            elif name == "relus_die_high_lr":
                ok, evidence = check_relus_die(run, path)
            elif name == "small_data_overfits":
                ok, evidence = check_small_data(run)
            elif name == "lr_too_high_diverges":
                ok, evidence = check_diverges(run, run_script(path, "--lr", "0.15"))
            elif name == "hf_kwargs_same_batch":
                ok, evidence = check_same_batch_kwargs(run)
            elif name == "model_returns_loss_overfits":
                ok, evidence = check_model_loss_overfits(run)
            elif name == "dict_batches_unshuffled":
                ok, evidence = check_sorted_dicts(run)
            elif name == "gan_generator_not_zeroed":
                ok, evidence = check_against_fixed(run, fixed_copy(path), "g_loss", 0.0)
            elif name == "trains_in_eval_mode":
                ok, evidence = check_against_fixed(run, fixed_copy(path), "val_acc", 0.05)
            elif name == "cosine_past_t_max":
                ok, evidence = check_cosine_past_t_max(run)
            else:
                ok, evidence = False, "no check written for this script"
        failures += not ok
        module_fires = ""
        if run.kind == "broken":
            text = path.read_text(encoding="utf-8")
            match = re.search(r"^FIRES = (\{.*\})$", text, re.M)
            module_fires = match.group(1).replace('"', "") if match else "?"
        final = " ".join(f"{k}={v}" for k, v in run.raw_final.items())
        rows.append(
            f"| `{run.kind}/{name}.py` | {module_fires or '-'} | {run.cpu_seconds:.1f} | {final} | {evidence} | "
            f"{'yes' if ok else '**NO**'} |"
        )

    table = "\n".join(
        [
            "| Script | FIRES | CPU s | Final line | Evidence from its output | Shows it |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    print(f"\n{len(rows) - failures}/{len(rows)} scripts show what they should (torch {torch.__version__}).")
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
