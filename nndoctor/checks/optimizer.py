"""ND305: the optimizer itself, beyond its learning rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nndoctor.check import Verdict, check, failed, passed, warned

if TYPE_CHECKING:
    from nndoctor.probes.optimizer import ZeroGradStats


@check(
    "ND305",
    "zero-grad-ineffective",
    "The optimizer's zero_grad() clears the gradients",
    cost="backward",
    explains=["ND402", "ND403", "ND404", "ND405", "ND406"],
)
def zero_grad_ineffective(zero_grad_test: ZeroGradStats) -> Verdict:
    """An optimizer whose zero_grad() leaves the gradients in place.

    What it checks:
    After one backward pass fills the gradients, the optimizer built by the recipe is asked to
    clear them the way training loops do, with `zero_grad()` and, when its signature takes it,
    `zero_grad(set_to_none=False)`; afterwards every parameter it holds must have no gradient or
    an all-zero one.

    Why it matters:
    backward() adds into .grad; only zero_grad() stops gradients from piling up across steps. An
    optimizer subclass or wrapper that overrides zero_grad() (with `pass`, by clearing copies of the
    parameters, or by forwarding to an inner optimizer that holds other parameters) makes every
    step follow the sum of all gradients so far: the steps grow without bound, the loss oscillates
    or diverges, and lowering the learning rate only delays it. Nothing raises an error.

    Evidence:
    The optimizer class, the class whose zero_grad() it uses, how many parameters held a gradient
    before each call and which still do after it.

    How to fix:
    Do not override zero_grad(), or make the override clear every parameter of every param group
    (call super().zero_grad(set_to_none) or the wrapped optimizer's zero_grad()); a wrapper must
    pass set_to_none through. Until then, clear gradients with model.zero_grad() in the loop.
    """
    z = zero_grad_test
    evidence: dict[str, object] = {
        "optimizer": z.optimizer,
        "zero_grad_defined_in": z.defined_in,
        "torch_zero_grad": z.torch_zero_grad,
        "params_with_gradient": z.params,
        "calls": [{"call": c.call, "left_with_gradient": c.left[:20], "error": c.error} for c in z.calls],
    }
    for call in z.calls:
        if call.error is not None:
            return failed(
                f"{z.optimizer}.{call.call} raised {call.error}: gradients cannot be cleared between steps",
                evidence,
            )
    bad = [c for c in z.calls if c.left]
    if bad:
        first = bad[0]
        names = ", ".join(first.left[:3]) + (", ..." if len(first.left) > 3 else "")
        owner = f"torch's {z.defined_in}.zero_grad" if z.torch_zero_grad else f"the override in {z.defined_in}"
        message = (
            f"after {z.optimizer}.{first.call} ({owner}), {len(first.left)} of {z.params} parameters still hold "
            f"their gradient ({names}): gradients accumulate across steps, so each step follows the sum of all "
            "gradients so far"
        )
        if first is z.calls[0]:
            return failed(message, evidence)
        return warned(message + "; the plain zero_grad() works", evidence)
    calls = " and ".join(c.call for c in z.calls)
    return passed(f"{z.optimizer}.{calls} clear the gradients of all {z.params} parameters", evidence)
