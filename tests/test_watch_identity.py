"""Safety: a watched run is bit-identical to the same run without nndoctor, on CPU.

Each sample script runs twice in fresh processes, once plainly (runpy, as `python script.py`)
and once under `watch_script` with statistics at EVERY step (the most intrusive sampling); the
printed losses, the final weights (`--save`) and the global RNG state at the end must be equal,
tensor for tensor (`torch.equal`). The Python API gets the same test on a loop with dropout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "sample_models" / "scripts"
CASES = ["healthy/cnn_classifier", "healthy/tiny_transformer", "healthy/grad_accumulation"]
TIMING = re.compile(r"\s*(time=\S+|\[[0-9.]+s\])")  # the wall time a script prints is the only thing allowed to differ

DRIVER = r"""
import runpy, sys, torch
mode, script, weights, rng = sys.argv[1:5]
argv = [*sys.argv[5:], "--save", weights]
if mode == "plain":
    sys.argv = [script, *argv]
    sys.path.insert(0, script.rsplit("/", 1)[0])
    runpy.run_path(script, run_name="__main__")
else:
    from nndoctor.observe.api import watch_script
    report, outcome = watch_script(script, argv, every=1)
    assert outcome.ok, outcome.describe()
    assert report.findings, "no findings"
torch.save(torch.get_rng_state(), rng)
"""


def run_pair(case: str, folder: Path) -> dict[str, tuple[str, Path, Path]]:
    """The script run plainly and watched, in parallel fresh processes: mode -> (stdout, weights, rng)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = {}
    for mode in ("plain", "watched"):
        weights, rng = folder / f"{mode}.pt", folder / f"{mode}.rng"
        argv = [sys.executable, "-c", DRIVER, mode, str(SCRIPTS / f"{case}.py"), str(weights), str(rng)]
        argv += ["--epochs", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        procs[mode] = (proc, weights, rng)
    out = {}
    for mode, (proc, weights, rng) in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{case} {mode}: {stderr[-3000:]}"
        out[mode] = (stdout, weights, rng)
    return out


@pytest.mark.parametrize("case", CASES)
def test_watched_script_is_bit_identical(case, tmp_path):
    runs = run_pair(case, tmp_path)
    plain_out, plain_w, plain_rng = runs["plain"]
    watched_out, watched_w, watched_rng = runs["watched"]
    assert "epoch 1" in plain_out
    assert TIMING.sub("", watched_out) == TIMING.sub("", plain_out)  # every printed loss and metric
    a, b = torch.load(plain_w), torch.load(watched_w)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert torch.equal(torch.load(plain_rng), torch.load(watched_rng))


def _train(watch: bool) -> tuple[list[float], dict[str, torch.Tensor], torch.Tensor]:
    import nndoctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    data = [(torch.randn(16, 6), torch.randint(0, 3, (16,))) for _ in range(8)]
    losses: list[float] = []

    def loop() -> None:
        for _ in range(4):
            model.train()
            for x, y in data:
                optimizer.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
            model.eval()
            with torch.no_grad():
                losses.append(nn.functional.cross_entropy(model(data[0][0]), data[0][1]).item())

    if watch:
        with nndoctor.watch(model, optimizer, every=1) as w:
            loop()
        assert w.report().findings
    else:
        loop()
    return losses, {k: v.clone() for k, v in model.state_dict().items()}, torch.get_rng_state()


def test_the_python_api_is_bit_identical():
    plain, watched = _train(False), _train(True)
    assert plain[0] == watched[0]
    assert all(torch.equal(plain[1][k], watched[1][k]) for k in plain[1])
    assert torch.equal(plain[2], watched[2])
