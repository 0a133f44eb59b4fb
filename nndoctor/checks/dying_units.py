"""ND406: hidden units that were alive at init and died during the short run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nndoctor.check import Skip, Table, Thresholds, Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.training import ShortRun
    from nndoctor.probes.units import UnitActivity


@check(
    "ND406",
    "units-die-during-training",
    "Hidden units alive at init stay alive while training",
    cost="train",
    thresholds={"max_died": 0.5},
    explains=["ND404", "ND405"],
)
def units_die_during_training(init_units: UnitActivity, short_run: ShortRun, limits: Thresholds) -> Verdict:
    """ReLU units killed by the first training steps.

    What it checks:
    For every Linear/Conv layer after the first, the share of its input units that are exactly
    zero for every sample of the same few training batches (eval mode), at init and again at the
    end of the short run with your optimizer; the units that were alive at init and are dead at
    the end died during training. Units dead from the start are ND203's finding, not this one's.

    Why it matters:
    A ReLU unit whose pre-activation is negative for every input outputs zero and gets zero
    gradient, so nothing can revive it. A few large steps early in training (a learning rate that
    is too high, or an unlucky large gradient) can push the biases and weights of many units there
    at once: the network keeps training with a fraction of its width, the loss plateaus higher
    than it should, and in the worst case a whole layer goes silent and learning stops.

    Evidence:
    Per layer: the units feeding it, the dead share at init and after the run, the share that died;
    the optimizer, its learning rate and the steps run.

    How to fix:
    Lower the learning rate (3-10x, or measure it with `nndoctor lr-find`) or add warm-up; use
    LeakyReLU, ELU or GELU, which keep a gradient below zero; initialize with Kaiming (He) init and
    zero biases; normalization layers (BatchNorm/LayerNorm) before the activation also keep
    pre-activations centred.
    """
    run = short_run
    if run.dead_units is None:
        raise Skip("the dead units could not be measured after the short run (its eval-mode forward failed)")
    if run.stop_reason in ("nonfinite", "diverged") or run.first_nonfinite is not None:
        raise Skip(f"the short run did not train normally ({run.stop_reason}); see ND404 first")
    start = {layer.layer: layer for layer in init_units.layers}
    pairs = [(start[end.layer], end) for end in run.dead_units if end.layer in start]
    if not pairs:
        raise Skip("no Linear/Conv layer after the first receives hidden units to follow")
    lr = f"{run.optimizer} lr {run.lr:g}" if run.lr is not None else run.optimizer
    rows = [
        [b.layer, b.units, round(b.dead, 4), round(e.dead, 4), round(max(0.0, e.dead - b.dead), 4)] for b, e in pairs
    ]
    table = Table(
        f"dead units feeding each layer (zero for every sample of {init_units.batches} batches)",
        ["layer", "units", "dead at init", "dead after the run", "died"],
        rows,
    )
    died = [(b, e, e.dead - b.dead) for b, e in pairs]
    worst_b, worst_e, worst = max(died, key=lambda d: d[2])
    evidence: dict[str, object] = {
        "optimizer": run.optimizer,
        "lr": run.lr,
        "steps": run.steps_run,
        "worst_layer": worst_e.layer,
        "dead_at_init": worst_b.dead,
        "dead_after": worst_e.dead,
        "died": worst,
        "layers_over_limit": [e.layer for b, e, d in died if d > limits.max_died],
    }
    if worst > limits.max_died:
        count = len(evidence["layers_over_limit"])  # type: ignore[arg-type]
        message = (
            f"{worst:.0%} of the {worst_e.units} units feeding {worst_e.layer} died during the short run ({lr}, "
            f"{run.steps_run} steps): {worst_b.dead:.0%} were dead at init, {worst_e.dead:.0%} after"
            + (f"; {count} layers lost more than {limits.max_died:.0%}" if count > 1 else "")
        )
        if worst_e.dead >= 0.999:
            verdict = failed(message + ": no signal passes that layer any more", evidence)
        else:
            verdict = warned(message, evidence)
    else:
        verdict = passed(
            f"at most {max(0.0, worst):.0%} of a layer's units died over {run.steps_run} steps ({worst_e.layer}: "
            f"{worst_b.dead:.0%} dead at init, {worst_e.dead:.0%} after)",
            evidence,
        )
    verdict.tables.append(table)
    return verdict
