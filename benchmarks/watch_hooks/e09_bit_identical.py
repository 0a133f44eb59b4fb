"""Which observations change results? Two real scripts (the CNN with BatchNorm, dropout and in-place
ReLU; the Transformer with dropout, F.cross_entropy and a per-batch schedule) run in-process, each
time from the same seed, with nothing installed, with the prototype observer, and with observers
that make one mistake each. Printed numbers (timings removed) and saved weights compared bit for bit."""

import contextlib
import io
import re
import runpy
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.overrides import TorchFunctionMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from observer import Observer

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "cnn_classifier": (ROOT / "sample_models/scripts/healthy/cnn_classifier.py", ["--epochs", "2"]),
    "tiny_transformer": (ROOT / "sample_models/scripts/healthy/tiny_transformer.py", ["--epochs", "2"]),
}
TIMING = re.compile(r"time=\S+|\[\S+s\]|\(\S+s\)")


class PassThrough(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def run(path, argv, extras=()):
    """Run the script as __main__; `extras` are (install, uninstall) pairs active for the whole run."""
    with tempfile.TemporaryDirectory() as tmp:
        weights = Path(tmp) / "w.pt"
        sys.argv = [str(path), *argv, "--save", str(weights)]
        out = io.StringIO()
        undo = [install() for install in extras]
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(str(path), run_name="__main__")
            error = None
        except RuntimeError as exc:
            error = f"{type(exc).__name__}: {str(exc).split(chr(10))[0][:90]}"
        finally:
            for u in reversed(undo):
                u()
        state = torch.load(weights) if weights.exists() else None
    return TIMING.sub("", out.getvalue()), state, error


def observer(every):
    def install():
        obs = Observer(every=every).install()
        return obs.uninstall

    return install


def step_hook(fn):
    def install():
        return register_optimizer_step_pre_hook(fn).remove

    return install


def clone_everything(opt, args, kwargs):
    for g in opt.param_groups:
        for p in g["params"]:
            p.detach().clone()
            if p.grad is not None:
                p.grad.clone()


def rng_sample(opt, args, kwargs):
    torch.randint(0, 10, (1,))  # e.g. "pick a random subset of units to inspect" from the global RNG


def norm_by_clipping(opt, args, kwargs):
    params = [p for g in opt.param_groups for p in g["params"]]
    torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)  # returns the norm ... and clips in place


def forward_returns_clone():
    return module_hooks.register_module_forward_hook(
        lambda m, a, out: out.clone() if torch.is_tensor(out) else None
    ).remove


def full_backward_noop():
    return module_hooks.register_module_full_backward_hook(lambda m, gi, go: None).remove


def function_mode_whole_run():
    mode = PassThrough()
    mode.__enter__()
    return lambda: mode.__exit__(None, None, None)


VARIANTS = {
    "prototype observer, stats every step": [observer(1)],
    "prototype observer, stats every 10 steps": [observer(10)],
    "+ clone every param and grad each step": [observer(1), step_hook(clone_everything)],
    "+ forward hook returning out.clone()": [observer(1), forward_returns_clone],
    "+ TorchFunctionMode for the whole run": [function_mode_whole_run],
    "+ global full backward hook (no-op)": [full_backward_noop],
    "MISTAKE: hook draws from the global RNG": [observer(1), step_hook(rng_sample)],
    "MISTAKE: 'norm' via clip_grad_norm_": [observer(1), step_hook(norm_by_clipping)],
}
warnings.filterwarnings("ignore", message="Full backward hook is firing")
saved_argv = sys.argv[:]
for name, (path, argv) in SCRIPTS.items():
    sys.path.insert(0, str(path.parent))
    base_out, base_state, base_error = run(path, argv)
    print(f"{name} {' '.join(argv)}: baseline final line: {base_out.strip().splitlines()[-1]}")
    for label, extras in VARIANTS.items():
        out, state, error = run(path, argv, extras)
        if error:
            print(f"   {label:42s} -> {error}")
            continue
        same_out = out == base_out
        same_w = state is not None and all(torch.equal(state[k], base_state[k]) for k in base_state)
        diff = max((state[k].double() - base_state[k].double()).abs().max().item() for k in base_state)
        note = "" if same_w else f" (max |dw| {diff:.1e})"
        print(f"   {label:42s} -> printed numbers identical: {same_out!s:5}  weights identical: {same_w}{note}")
    sys.path.remove(str(path.parent))
sys.argv = saved_argv
print(
    "torch",
    torch.__version__,
    "| nn.ReLU(inplace=True) in the CNN:",
    any(
        isinstance(m, nn.ReLU) and m.inplace
        for m in runpy.run_path(str(SCRIPTS["cnn_classifier"][0]))["StrokeCNN"]().modules()
    ),
)
