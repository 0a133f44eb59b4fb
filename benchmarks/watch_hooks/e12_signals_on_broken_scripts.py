"""What the prototype observer records on some broken scripts and their healthy twins, run in full
(no stop), statistics at every step: the raw signals the ND5xx checks would be computed from."""

import contextlib
import io
import itertools
import math
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from observer import Observer

ROOT = Path(__file__).resolve().parents[2] / "sample_models" / "scripts"


def observe(rel, *argv):
    path = ROOT / rel
    obs = Observer(every=1).install()
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        obs.uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path
    return obs


def total_grad_norm(sample):
    return math.sqrt(sum(g * g for g in sample["grad_norms"]))


def runs(labels):
    """Mean length of runs of equal consecutive labels."""
    count = 1 + sum(1 for a, b in itertools.pairwise(labels) if a != b)
    return len(labels) / count


# ND501: zero_grad calls between steps, and the gradient norm at the step
broken, twin = observe("broken/no_zero_grad.py", "--epochs", "1"), observe("healthy/cnn_classifier.py", "--epochs", "1")
for name, o in (("no_zero_grad", broken), ("cnn_classifier", twin)):
    norms = [total_grad_norm(s) for s in o.samples]
    print(
        f"ND501 {name:22s} zero_grad calls per step (first 5): {o.zero_grad_calls_per_step[:5]}; grad norm at steps "
        f"1/10/30/60: {[round(norms[i], 2) for i in (0, 9, 29, 59)]}"
    )

# ND504 flat: every .grad None at every step, although backward ran
o = observe("broken/zero_grad_before_step.py", "--epochs", "1")
n_params = len(o.samples[0]["param_norms"])
print(
    f"ND504 zero_grad_before_step  steps {o.step}; samples with all {n_params} grads None: "
    f"{sum(s['grads_missing'] == n_params for s in o.samples)}/{len(o.samples)}; zero_grad calls per step: "
    f"{sorted(set(o.zero_grad_calls_per_step))}; param norms first vs last sample equal: "
    f"{o.samples[0]['param_norms'] == o.samples[-1]['param_norms']}"
)

# ND502: scheduler calls per optimizer step and the LR each step used
for rel in ("broken/scheduler_stepped_per_batch.py", "healthy/mlp_classifier.py"):
    o = observe(rel, "--epochs", "2")
    print(
        f"ND502 {Path(rel).stem:28s} scheduler calls per step (steps 2-6): {o.scheduler_steps_per_step[1:6]}; "
        f"LR at steps 1/10/47/94: {[f'{o.lrs[i]:.1e}' for i in (0, 9, 46, 93)]}"
    )

# ND508: mode and grad state of the model's calls after the capture (validation passes included)
for rel in ("broken/val_without_eval.py", "broken/val_without_no_grad.py", "healthy/cnn_classifier.py"):
    o = observe(rel, "--epochs", "1")
    calls = {f"training={t} grad={g}": n for (t, g), n in sorted(o.model_calls.items())}
    print(f"ND508 {Path(rel).stem:22s} model calls after the first step: {calls}")

# ND509: runs of equal labels in the first epoch of the training loader
for rel in ("broken/unshuffled_sorted_classes.py", "healthy/mlp_classifier.py"):
    o = observe(rel, "--epochs", "1")
    labels = o.first_epoch_labels
    print(
        f"ND509 {Path(rel).stem:28s} first-epoch labels {len(labels)}, mean run of equal labels {runs(labels):.1f}, "
        f"first 12: {labels[:12]}"
    )

# ND510: DataLoader batches fetched between optimizer steps
o = observe("broken/same_batch_every_step.py", "--epochs", "1")
print(
    f"ND510 same_batch_every_step  batches fetched before steps 1-6: {o.batches_per_step[:6]}; "
    f"steps with no new batch: {sum(b == 0 for b in o.batches_per_step)}/{o.step}"
)

# ND511: the first step sees the same weights and micro-batches in both scripts; compare its gradient
broken, twin = (
    observe("broken/accumulation_not_averaged.py", "--epochs", "1"),
    observe("healthy/grad_accumulation.py", "--epochs", "1"),
)
ratio = total_grad_norm(broken.samples[0]) / total_grad_norm(twin.samples[0])
print(
    f"ND511 accumulation_not_averaged  grad norm at step 1: {total_grad_norm(broken.samples[0]):.4f} vs twin "
    f"{total_grad_norm(twin.samples[0]):.4f} (ratio {ratio:.3f}); batches per step {broken.batches_per_step[1:4]}"
)

# ND503: the first non-finite loss seen at an optimizer step
o = observe("broken/nan_mid_training.py")
losses = [s["loss"] for s in o.samples]
first_bad = next(i for i, v in enumerate(losses) if not math.isfinite(v))
print(
    f"ND503 nan_mid_training        first non-finite loss at step {o.samples[first_bad]['step']} of {o.step} "
    f"(epoch {o.samples[first_bad]['step'] // 94 + 1} at 94 steps per epoch); loss just before: {losses[first_bad - 1]:.4f}"
)
