"""`nndoctor watch` on the sample training scripts, and the command's contract through the real CLI.

Every broken script in sample_models/scripts/broken fires its FIRES; every healthy script stays
quiet on ND5xx. The scripts run with small `--epochs` (enough for their bug to show) through
`watch_script` (what the command runs) in two worker processes. The CLI tests cover the exit
code, stdout and exception contract of the command, Ctrl-C, and the Python API.
"""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "sample_models" / "scripts"
SEVERITY = {"pass": 0, "skip": 0, "not_judged": 0, "warn": 1, "fail": 2, "error": 3}

# the epochs each script needs for its bug to show (healthy ones: a short run)
EPOCHS = {
    "broken/accumulation_not_averaged": 2,
    "broken/cosine_past_t_max": 2,  # T_max is one epoch: the LR climbs back in epoch 2
    "broken/dict_batches_unshuffled": 1,
    "broken/gan_generator_not_zeroed": 1,
    "broken/hf_kwargs_same_batch": 1,
    "broken/model_returns_loss_overfits": 12,
    "broken/trains_in_eval_mode": 1,
    "broken/lr_too_high_diverges": 5,
    "broken/nan_mid_training": 8,  # its cosine schedule spans --epochs: fewer epochs, no NaN
    "broken/no_zero_grad": 1,
    "broken/relus_die_high_lr": 3,
    "broken/same_batch_every_step": 1,
    "broken/scheduler_stepped_per_batch": 1,
    "broken/small_data_overfits": 25,
    "broken/step_lr_tiny_gamma": 4,
    "broken/unshuffled_sorted_classes": 1,
    "broken/val_without_eval": 1,
    "broken/val_without_no_grad": 1,
    "broken/zero_grad_before_step": 1,
    "healthy/autoencoder_functional_loss": 1,
    "healthy/binary_classifier": 2,
    "healthy/gru_variable_length": 1,
    "healthy/iterable_val_stream": 1,
    "healthy/cnn_classifier": 1,
    "healthy/grad_accumulation": 2,
    "healthy/lstm_sequence": 2,
    "healthy/mlp_classifier": 2,
    "healthy/regression_mlp": 3,
    "healthy/tiny_transformer": 1,
}
NAMES = sorted(EPOCHS)


def nndoctor_command() -> list[str]:
    script = Path(sys.executable).with_name("nndoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "nndoctor"]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "120"}


WORKER = r"""
import json, sys
from nndoctor.observe.api import watch_script
out = {}
for name, path, epochs in json.loads(sys.argv[1]):
    report, outcome = watch_script(path, ["--epochs", str(epochs)], stdout_to_stderr=True)
    out[name] = [outcome.exit_code, report.to_dict(), outcome.describe()]
sys.stdout.write(json.dumps(out))
"""
WORKERS = 2


@cache
def watched() -> dict[str, tuple[int, dict[str, Any], str]]:
    """Every sample script watched (`watch_script`, what the CLI runs) in WORKERS parallel
    processes, each importing torch once: name -> (exit code, report, how the script ended)."""
    jobs = [[name, str(SCRIPTS / f"{name}.py"), EPOCHS[name]] for name in NAMES]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(jobs[i::WORKERS])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            cwd=ROOT,
        )
        for i in range(WORKERS)
    ]
    out: dict[str, tuple[int, dict[str, Any], str]] = {}
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=900)
        assert proc.returncode == 0, stderr[-3000:]
        out.update({name: (code, report, how) for name, (code, report, how) in json.loads(stdout).items()})
    return out


def test_every_sample_script_has_epochs_here():
    found = sorted(f"{p.parent.name}/{p.stem}" for p in SCRIPTS.glob("*/*.py") if p.parent.name != "recipes")
    assert found == NAMES


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("broken/")])
def test_broken_script_fires_what_it_names(name):
    code, report, stderr = watched()[name]
    assert code == 0, stderr[-2000:]
    fires = runpy.run_path(str(SCRIPTS / f"{name}.py"), run_name="not_main")["FIRES"]
    outcomes = {f["id"]: f for f in report["findings"]}
    for check_id, minimum in fires.items():
        finding = outcomes[check_id]
        assert SEVERITY[finding["outcome"]] >= SEVERITY[minimum], (
            f"{check_id}: {finding['outcome']} {finding['message']}"
        )
        assert finding["outcome"] != "error" and finding["recommendation"], finding


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("healthy/")])
def test_healthy_script_is_quiet(name):
    code, report, stderr = watched()[name]
    assert code == 0, stderr[-2000:]
    loud = [f"{f['id']} {f['outcome']}: {f['message']}" for f in report["findings"] if SEVERITY[f["outcome"]] > 0]
    assert not loud, "\n".join(loud)
    assert {f["id"] for f in report["findings"]} == {f"ND5{n:02d}" for n in range(1, 12)}
    assert report["profile"] == "watch"


def test_the_report_says_what_ran_and_where():
    _, report, _ = watched()["broken/no_zero_grad"]
    assert report["target"] == "no_zero_grad.py (watched)"
    assert report["locations"]["model"].endswith("no_zero_grad.py:" + report["locations"]["model"].rsplit(":", 1)[1])
    assert {"model", "optimizer", "train_loader"} <= set(report["locations"])
    assert report["model"]["class"] == "SmallCNN" or report["model"]["params"] > 0
    assert report["artifacts"]["watched_run"]["steps"] > 0


def _run(args: list[str], timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*nndoctor_command(), *args], capture_output=True, text=True, timeout=timeout, env=_env(), cwd=ROOT, **kwargs
    )


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "train.py"
    path.write_text(
        "import sys, torch\n"
        "from torch import nn\n"
        "torch.manual_seed(0)\n"
        "model = nn.Linear(4, 2)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))\n"
        "def step():\n"
        "    opt.zero_grad()\n"
        "    loss = nn.functional.cross_entropy(model(x), y)\n"
        "    loss.backward()\n"
        "    opt.step()\n" + body,
        encoding="utf-8",
    )
    return path


def test_the_scripts_own_output_and_exit_code(tmp_path):
    path = _script(tmp_path, "for _ in range(30):\n    step()\nprint('trained', sys.argv[1:])\nsys.exit(3)\n")
    rich = _run(["watch", str(path), "-q", "--", "--flag", "v"])
    assert rich.returncode == 3, rich.stderr
    assert "trained ['--flag', 'v']" in rich.stdout and "ND501" in rich.stdout
    machine = _run(["watch", str(path), "--format", "json", "--", "--flag", "v"])
    assert machine.returncode == 3
    assert json.loads(machine.stdout)["profile"] == "watch"  # the script's print went to stderr
    assert "trained" in machine.stderr


def test_a_script_that_never_steps_gets_a_report_not_a_crash(tmp_path):
    path = _script(tmp_path, "model(x).sum().backward()\nprint('no step')\n")
    result = _run(["watch", str(path), "--format", "json"])
    assert result.returncode == 0, result.stderr
    assert "made no optimizer step" in result.stderr and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["artifacts"]["watched_run"]["steps"] == 0
    assert {f["outcome"] for f in report["findings"]} == {"skip"}


def test_os_exit_in_the_script_still_gives_the_report_and_its_code(tmp_path):
    # a forked child (what a DataLoader worker is) ends with the real os._exit, not the script's
    body = (
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0)\n"
        "assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0\n"
        "print('child', file=sys.stderr)\n"
        "for _ in range(12):\n"
        "    step()\n"
        "os._exit(4)\n"
    )
    result = _run(["watch", str(_script(tmp_path, body)), "--format", "json"])
    assert result.returncode == 4, result.stderr
    assert json.loads(result.stdout)["artifacts"]["watched_run"]["steps"] == 12
    assert result.stderr.count("child") >= 1 and "Traceback" not in result.stderr


def test_gate_fails_on_findings_and_passes_a_clean_run(tmp_path):
    broken = _script(tmp_path, "for _ in range(30):\n    opt.zero_grad = lambda *a, **k: None\n    step()\n")
    bad = tmp_path / "bad.py"
    bad.write_text(broken.read_text(encoding="utf-8").replace("    opt.zero_grad()\n", "    pass\n"), encoding="utf-8")
    gated = _run(["watch", str(bad), "--format", "json", "--gate"])
    assert gated.returncode == 1, gated.stderr
    assert {f["id"]: f["outcome"] for f in json.loads(gated.stdout)["findings"]}["ND501"] == "fail"
    assert _run(["watch", str(bad), "--format", "json"]).returncode == 0  # without --gate: the script's own
    clean = _script(tmp_path, "for _ in range(30):\n    step()\n")
    assert _run(["watch", str(clean), "--format", "json", "--gate"]).returncode == 0


def test_a_script_exception_comes_after_the_report(tmp_path):
    path = _script(
        tmp_path, "for i in range(30):\n    step()\n    if i == 20:\n        raise RuntimeError('boom at 20')\n"
    )
    result = _run(["watch", str(path), "--format", "json"])
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["artifacts"]["watched_run"]["status"] == "exception"
    assert report["artifacts"]["watched_run"]["steps"] == 21
    assert "RuntimeError: boom at 20" in result.stderr and "train.py" in result.stderr


def test_ctrl_c_writes_the_partial_report_and_exits_130(tmp_path):
    path = _script(
        tmp_path,
        "import time\nfor i in range(100000):\n    step()\n    if i == 20:\n        print('ready', flush=True)\n"
        "    time.sleep(0.001)\n",
    )
    proc = subprocess.Popen(
        [*nndoctor_command(), "watch", str(path), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "ready" in line or not line:
            break
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    report = json.loads(stdout)
    assert report["interrupted"] is True and report["artifacts"]["watched_run"]["status"] == "interrupted"
    assert report["artifacts"]["watched_run"]["steps"] > 20


def test_bad_input_is_one_clear_error(tmp_path):
    missing = _run(["watch", str(tmp_path / "nope.py")])
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    text = tmp_path / "notes.txt"
    text.write_text("hi", encoding="utf-8")
    assert _run(["watch", str(text)]).returncode == 2


def test_python_api_watches_a_loop_and_reports():
    import torch
    from torch import nn

    import nndoctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(10)]
    with nndoctor.watch(model, optimizer, every=5) as w:
        for _ in range(5):
            for x, y in data:  # never zeroed
                loss_fn(model(x), y).backward()
                optimizer.step()
    report = w.report()
    assert report.finding("ND501").outcome.value == "fail"
    assert w.run.steps == 50 and w.run.model == "Sequential"
    with pytest.raises(nndoctor.errors.UsageError), nndoctor.watch("model", optimizer):
        pass


@pytest.mark.parametrize("bug", ["zero_grad_after_backward", "optimizer_of_a_copy", ""])
def test_nd501_names_why_every_gradient_is_none(bug):
    """All-None gradients at the step: a zero_grad() between backward() and step() is named only
    when one was called there; an optimizer over another copy of the model is named otherwise."""
    import copy

    import torch
    from torch import nn

    import nndoctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    trained = copy.deepcopy(model) if bug == "optimizer_of_a_copy" else model
    loss_fn = nn.CrossEntropyLoss()
    data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(12)]
    with nndoctor.watch(model, optimizer, every=4) as w:
        for x, y in data:
            if bug != "zero_grad_after_backward":
                optimizer.zero_grad()
            loss_fn(trained(x), y).backward()
            if bug == "zero_grad_after_backward":
                optimizer.zero_grad()
            optimizer.step()
    finding = w.report().finding("ND501")
    if not bug:
        assert finding.outcome.value == "pass"
        return
    assert finding.outcome.value == "warn" and finding.evidence["steps_with_every_gradient_none"] == 12
    if bug == "zero_grad_after_backward":
        assert "between backward() and step()" in finding.message
    else:
        assert "never reaches the parameters" in finding.message and "between backward()" not in finding.message
        assert finding.evidence["steps_zeroed_after_backward"] == 0


@pytest.mark.parametrize("zero_g", ["module", "optimizer", ""])
def test_every_optimizer_is_followed_and_zero_grad_goes_to_its_owner(zero_g):
    """Two optimizers (a GAN's shape): `net_d.zero_grad()` zeroes D only; G's gradients are
    kept unless G's own module or optimizer is zeroed."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    net_g, net_d = nn.Linear(4, 2), nn.Linear(2, 1)
    opt_d = torch.optim.SGD(net_d.parameters(), lr=0.01)
    opt_g = torch.optim.SGD(net_g.parameters(), lr=0.01)
    watcher = Watcher(every=5)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for _ in range(12):
            fake = net_g(torch.randn(8, 4))
            net_d.zero_grad()
            net_d(fake.detach()).mean().backward()
            opt_d.step()
            if zero_g:
                (net_g if zero_g == "module" else opt_g).zero_grad()
            net_d(fake).mean().backward()
            opt_g.step()
    run = watcher.finish()
    assert run.optimizer == "SGD" and run.grad_pattern[1:] == ["fresh"] * 11  # D: zeroed each step
    [other] = run.other_optimizers
    assert other["steps"] == 12
    # counted from its first step on: the 11 calls before its steps 2-12
    assert other["kept"] == (0 if zero_g else 11) and other["zero_grads"] == (11 if zero_g else 0)
    assert run.zero_grads[1:] == [1] * 11  # opt_g / net_g zeroing is not counted for D
    # G's backward also reaches D's weights, but opt_g's step consumed it: D's steps see one backward
    assert run.backwards[1:] == [1] * 11 and run.discarded_steps == 0


def test_a_batch_passed_as_keywords_is_fingerprinted():
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    class KwNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, input_ids=None, labels=None):
            logits = self.fc(input_ids)
            return {"loss": nn.functional.cross_entropy(logits, labels), "logits": logits}

    torch.manual_seed(0)
    model = KwNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader([{"input_ids": torch.randn(3), "labels": i % 2} for i in range(64)], 8)
    watcher = Watcher(every=2)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for _ in range(2):
            for batch in loader:
                opt.zero_grad()
                model(**batch)["loss"].backward()
                opt.step()
            with torch.no_grad():
                for batch in loader:
                    model(**batch)
    run = watcher.finish()
    prints = [s.fingerprint for s in run.samples][1:]  # the first step comes before the model is known
    assert len(prints) == 7 and None not in prints and len(set(prints)) == 4  # 4 batches, unshuffled
    assert [vp.loss is not None for vp in run.val_passes] == [True, True]  # the model's own loss
    assert run.label_runs is not None and run.label_runs.labels == 64  # labels read from the dict batches


@pytest.mark.parametrize("loss_call", ["functional", "crit"])
def test_the_labels_are_the_batch_element_the_loss_compares_with(loss_call):
    """(x, label, sample_id) batches, class-sorted: the labels are what the loss was given, not the
    last integer column."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    x, ids, y = torch.randn(256, 4), torch.randperm(256), torch.arange(256) // 64  # 4 classes in order
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y, ids), batch_size=16)
    model, crit = nn.Linear(4, 4), nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    watcher = Watcher(every=5)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for batch in loader:
            opt.zero_grad()
            out = model(batch[0])
            loss = crit(out, batch[1]) if loss_call == "crit" else nn.functional.cross_entropy(out, batch[1])
            loss.backward()
            opt.step()
    run = watcher.finish()
    assert run.label_runs is not None and run.label_runs.classes == 4 and run.label_runs.longest_run == 64


@pytest.mark.parametrize("adversarial", [True, False])
def test_the_mode_of_a_step_is_the_mode_of_its_last_training_forward(adversarial):
    """Eval-mode forwards with gradients before a train-mode one (adversarial examples) leave the
    step in training mode; a model left in eval mode counts every step."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    watcher = Watcher(every=5)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        model.eval()
        for _ in range(10):
            x, y = torch.randn(8, 4, requires_grad=True), torch.randint(0, 2, (8,))
            if adversarial:
                model.eval()
                nn.functional.cross_entropy(model(x), y).backward()  # the attack's gradient
                x = (x + 0.1 * x.grad.sign()).detach()
                model.train()
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    run = watcher.finish()
    assert run.mode_sensitive
    assert (run.train_mode_steps, run.eval_mode_steps) == ((9, 0) if adversarial else (0, 9))


def test_a_functional_validation_loss_is_seen_after_the_first_step():
    """F.cross_entropy in validation: the loss mode is back on for the validation passes only."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(64, 4), torch.arange(64) % 3), 16)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(32, 4), torch.arange(32) % 3), 16)
    watcher = Watcher(every=5)
    during_training = []
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for _ in range(3):
            for x, y in train:
                opt.zero_grad()
                nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
                during_training.append(obs.functional_losses)
            with torch.no_grad():
                for x, y in val:
                    nn.functional.cross_entropy(model(x), y)
    run = watcher.finish()
    assert run.loss == "F.cross_entropy" and not any(during_training)
    assert len(run.val_passes) == 3 and all(vp.loss is not None for vp in run.val_passes)


def _watch_tensor_loop(validate, epochs: int = 6, steps: int = 20, train_loader: bool = False, loss_fn=None):
    """A loop that trains on tensors (or a loader) with `loss_fn` (CrossEntropyLoss by default) and
    calls `validate(model, loss_fn)` after each epoch, watched; returns the run."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    x, y = torch.randn(32, 8), torch.arange(32) % 3
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), 8)
    watcher = Watcher(every=5)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for _ in range(epochs):
            model.train()
            for xb, yb in loader if train_loader else [(x, y)] * steps:
                opt.zero_grad()
                loss_fn(model(xb), yb).backward()
                opt.step()
                with torch.no_grad():  # an accuracy read in training mode: not a validation pass
                    (model(xb).argmax(1) == yb).float().mean()
            validate(model, loss_fn)
    return watcher.finish()


@pytest.mark.parametrize("train_loader", [False, True])
def test_a_validation_on_tensors_is_a_validation_pass(train_loader):
    import torch

    x_val, y_val = torch.randn(16, 8), torch.arange(16) % 3

    def validate(model, loss_fn):
        model.eval()
        with torch.no_grad():
            loss_fn(model(x_val), y_val)

    run = _watch_tensor_loop(validate, train_loader=train_loader)
    assert len(run.val_passes) == 6 and all(vp.loss is not None and vp.without_loader for vp in run.val_passes)
    assert [epoch for epoch, _ in run.val_losses_per_epoch()] == [1, 2, 3, 4, 5, 6]
    assert len(run.epochs()) == 6


def test_a_validation_loss_summed_over_its_batch_is_read_per_element():
    """`reduction="sum"` in the validation loop (a script that divides by the dataset size itself)
    reads as the mean reduction would: the per-epoch validation loss compares with training."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    x_val, y_val = torch.randn(16, 8), torch.arange(16) % 3
    readings = {}
    for name, train_loss, val_loss in (  # val_loss builds the validation's loss (a module: built while watched)
        ("module mean", nn.CrossEntropyLoss(), None),  # the training's own loss module
        ("module sum", nn.CrossEntropyLoss(), lambda: nn.CrossEntropyLoss(reduction="sum")),
        ("functional mean", F.cross_entropy, lambda: F.cross_entropy),
        ("functional sum", F.cross_entropy, lambda: lambda out, y: F.cross_entropy(out, y, reduction="sum")),
    ):

        def validate(model, loss_fn, build=val_loss):
            loss = build() if build is not None else loss_fn
            model.eval()
            with torch.no_grad():
                loss(model(x_val), y_val)

        run = _watch_tensor_loop(validate, epochs=3, steps=5, loss_fn=train_loss)
        readings[name] = [v for _, v in run.val_losses_per_epoch()]
    assert all(len(values) >= 2 for values in readings.values()), readings
    assert readings["module sum"] == pytest.approx(readings["module mean"], rel=1e-5)
    assert readings["functional sum"] == pytest.approx(readings["functional mean"], rel=1e-5)
    assert readings["functional mean"] == pytest.approx(readings["module mean"], rel=1e-5)


def test_an_overfitting_run_validated_on_tensors_warns_nd507():
    import torch

    from nndoctor.check import Thresholds
    from nndoctor.checks.live import train_val_gap_over_epochs

    g = torch.Generator().manual_seed(1)
    x_val, y_val = torch.randn(64, 8, generator=g), torch.randint(0, 3, (64,), generator=g)  # labels unrelated

    def validate(model, loss_fn):
        model.eval()
        with torch.no_grad():
            loss_fn(model(x_val), y_val)

    run = _watch_tensor_loop(validate, epochs=8, steps=40)
    verdict = train_val_gap_over_epochs(run, Thresholds({"max_val_rise": 0.2, "min_epochs": 4}))
    assert verdict.outcome.value == "warn", verdict.message


def test_the_dead_share_of_each_relu_counts_units_with_no_positive_output():
    """Channels of a conv ReLU (N, C, H, W) and units of a linear one (N, units) that are never
    positive over the batch are dead; a NaN in an otherwise positive channel leaves it alive, as
    `(x > 0).any()` does (the watcher reduces with a sum that ignores NaNs)."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    conv = nn.Conv2d(1, 4, 3, padding=1)
    linear = nn.Linear(4 * 36, 8)
    with torch.no_grad():
        conv.bias[:2], conv.bias[2:] = -1e4, 1e4  # channels 0 and 1 never positive: 2 of 4 dead
        linear.bias[:3], linear.bias[3:] = -1e6, 1e6  # 3 of 8 units dead

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.linear, self.head = conv, linear, nn.Linear(8, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.conv(x))
            return self.head(torch.relu(self.linear(h.flatten(1))))

    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(5, 1, 6, 6)
    x_nan = x.clone()
    x_nan[0, 0, 0, 0] = float("nan")  # a NaN reaches every channel and unit it touches
    watcher = Watcher(every=1)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for batch in (x, x_nan):
            optimizer.zero_grad()
            loss_fn(model(batch), torch.zeros(5, dtype=torch.long)).backward()
            optimizer.step()
    run = watcher.finish()
    first, second = (list(s.dead.values()) for s in run.samples)
    assert first == pytest.approx([0.5, 3 / 8], abs=1e-6)
    # with the NaN: the conv's channels 0-1 hold NaN and zeros only (dead), 2-3 NaN and positives
    # (alive); the linear layer's outputs are all NaN for sample 0, positive elsewhere for 5 units
    assert second == pytest.approx([0.5, 3 / 8], abs=1e-6)
    healthy = Watcher(every=1)
    with observing(healthy, strict=True) as obs:
        healthy.attach(obs)
        plain = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(144, 2))
        opt = torch.optim.SGD(plain.parameters(), lr=0.0)
        loss_fn(plain(x), torch.zeros(5, dtype=torch.long)).backward()
        opt.step()
    assert list(healthy.finish().samples[0].dead.values()) == [0.0]


@pytest.mark.parametrize("functional", [False, True])
def test_module_relus_are_measured_without_the_mode_after_the_first_step(functional):
    """The first step runs under the ReLU mode; when every ReLU it saw was an `nn.ReLU` module,
    the later sampled forwards measure them through `nn.ReLU.forward` (no TorchFunctionMode),
    with the same values; a functional relu keeps the mode on for every sampled forward."""
    import torch
    from torch import nn

    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.act, self.b = nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.act(self.a(x))
            return self.b(torch.relu(h - 0.1) if functional else h)

    model = Net()
    expected: list[list[float]] = []
    modes: list[int] = []

    def probe(module: nn.Module, args: Any, output: torch.Tensor) -> None:
        alive = (output.detach() > 0).reshape(-1, output.shape[-1]).any(0)
        expected.append([1.0 - alive.float().mean().item()])
        modes.append(len(torch.overrides._get_current_function_mode_stack()))

    model.act.register_forward_hook(probe)
    original = nn.ReLU.__dict__["forward"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    watcher = Watcher(every=2)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        for _ in range(6):
            optimizer.zero_grad()
            loss_fn(model(torch.randn(8, 6)), torch.randint(0, 2, (8,))).backward()
            optimizer.step()
    run = watcher.finish()
    assert nn.ReLU.__dict__["forward"] is original
    dead = [list(s.dead.values()) for s in run.samples]
    assert [s.step for s in run.samples] == [0, 2, 4]
    assert [d[0] for d in dead] == pytest.approx([e[0] for e in expected[::2]], abs=1e-6)
    assert any(d[0] > 0 for d in dead)  # some units dead: the values are not all zero
    if functional:
        assert all(len(d) == 2 for d in dead) and all(m > 0 for m in modes[::2])
    else:
        assert all(len(d) == 1 for d in dead)
        assert modes[0] > 0 and modes[2] == 0 and modes[4] == 0  # steps 2 and 4: no mode


def test_a_relu_module_is_one_site_whichever_line_calls_the_model():
    """A helper's first steps (a hand-written LR sweep) and the training loop call the same model
    from two lines: its ReLU modules are named by their place in the model, so units that die
    between the two are seen dying (ND506), not as two sites of which the second starts dead."""
    import torch
    from torch import nn

    from nndoctor.check import Thresholds
    from nndoctor.checks.live import units_die_in_training
    from nndoctor.observe.hooks import observing
    from nndoctor.observe.watcher import Watcher

    torch.manual_seed(0)
    x, y = torch.randn(64, 6), torch.arange(64) % 3
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def sweep(steps):
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()  # another line than step()'s
            opt.step()

    watcher = Watcher(every=5)
    with observing(watcher, strict=True) as obs:
        watcher.attach(obs)
        sweep(30)
        with torch.no_grad():
            model[0].bias[:12] = -1e3  # 12 of 16 units die (the user's own loop does this)
        for _ in range(30):
            step()
    run = watcher.finish()
    keys = {key for sample in run.samples for key in sample.dead}
    assert keys == {"module 1"}, keys
    verdict = units_die_in_training(run, Thresholds({"max_died": 0.4}))
    assert verdict.outcome.value == "warn" and "module 1" in verdict.message, verdict.message


@pytest.mark.parametrize("evaluated", ["ema_copy", "model"])
def test_a_validation_on_an_ema_copy_keeps_its_loss_and_leaves_the_mode_unjudged(evaluated):
    import copy

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    import nndoctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
    ema = copy.deepcopy(model).eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    train = DataLoader(TensorDataset(torch.randn(128, 8, generator=g), torch.randint(0, 3, (128,), generator=g)), 16)
    val = DataLoader(TensorDataset(torch.randn(64, 8, generator=g), torch.randint(0, 3, (64,), generator=g)), 32)
    with nndoctor.watch(model, optimizer, every=4) as w:
        for _ in range(3):
            model.train()
            for x, y in train:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
                with torch.no_grad():
                    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
                        e.mul_(0.9).add_(p, alpha=0.1)
            judged = ema if evaluated == "ema_copy" else model.eval()
            with torch.no_grad():
                for x, y in val:
                    loss_fn(judged(x), y)
    assert len(w.run.val_passes) == 3 and all(vp.loss is not None for vp in w.run.val_passes)
    mode = w.report().finding("ND508")
    if evaluated == "ema_copy":
        assert mode.outcome.value == "skip" and "EMA" in mode.message
    else:
        assert mode.outcome.value == "pass"


def _small_classifier(batches: int):
    """A seeded 8-16-3 MLP, SGD 0.05, cross-entropy and `batches` random batches of 16."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(batches)]
    return model, torch.optim.SGD(model.parameters(), lr=0.05), nn.CrossEntropyLoss(), data


def test_nd503_says_a_nan_gradient_between_sampled_steps_likely_came_first():
    import torch

    import nndoctor

    model, optimizer, loss_fn, data = _small_classifier(30)
    with nndoctor.watch(model, optimizer, every=10) as w:
        for step, (x, y) in enumerate(data):
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            if step == 13:  # a finite loss (sqrt(0) = 0) whose gradient is NaN (0 * inf)
                loss = loss + torch.sqrt(model[0].weight.sum() * 0)
            loss.backward()
            optimizer.step()
    finding = w.report().finding("ND503")
    assert finding.outcome.value == "fail" and finding.evidence["first_bad_step"] == 15
    assert "likely a gradient of steps 12-14, whose loss was still finite" in finding.message  # sampled: 1, 11, 21


RESUME_SCRIPT = """
import torch
from torch import nn

def build():
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    return net, torch.optim.SGD(net.parameters(), lr=0.05)

torch.manual_seed(0)
model, optimizer = build()
loss_fn = nn.CrossEntropyLoss()
data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(30)]
for epoch in range(2):
    for x, y in data:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    if epoch == 0:  # checkpoint, then resume into fresh objects (the old ones are dropped)
        state = (model.state_dict(), optimizer.state_dict())
        model, optimizer = build()
        model.load_state_dict(state[0])
        optimizer.load_state_dict(state[1])
"""


def test_the_watch_follows_a_script_that_resumes_into_new_model_and_optimizer_objects(tmp_path):
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT, encoding="utf-8")
    out = tmp_path / "report.json"
    result = _run(["watch", str(script), "--json", str(out)])
    assert result.returncode == 0, result.stderr
    run = json.loads(out.read_text())["artifacts"]["watched_run"]
    assert run["steps"] == 60 and run["handovers"] == [30]
    nd501 = next(f for f in json.loads(out.read_text())["findings"] if f["id"] == "ND501")
    assert nd501["outcome"] == "pass"  # one run: no second optimizer whose gradients are judged


def test_the_watch_api_hands_over_to_an_optimizer_that_trains_alone():
    """The objects given to nndoctor.watch stay alive in its frame: a new optimizer over other
    parameters takes over once it made HANDOVER_STEPS steps alone."""
    import nndoctor
    from nndoctor.observe.watcher import HANDOVER_STEPS

    model, optimizer, loss_fn, data = _small_classifier(30)
    with nndoctor.watch(model, optimizer, every=5) as w:
        for epoch in range(2):
            for x, y in data:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            if epoch == 0:
                state = (model.state_dict(), optimizer.state_dict())
                model, optimizer, _, _ = _small_classifier(0)
                model.load_state_dict(state[0])
                optimizer.load_state_dict(state[1])
    run = w.run
    assert run.handovers == [30] and run.steps == 60 - HANDOVER_STEPS + 1
    assert not run.other_optimizers
    assert w.report().finding("ND501").outcome.value == "pass"


@pytest.mark.parametrize("how", ["eval", "attribute"])
def test_nd508_reads_the_submodules_mode_in_validation(how):
    """`model.training = False` sets the outermost module's attribute only: its BatchNorm and
    dropout stay in training mode during the validation."""
    import torch
    from torch import nn

    import nndoctor

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    data = [(torch.randn(16, 8), torch.randint(0, 3, (16,))) for _ in range(10)]
    with nndoctor.watch(model, optimizer, every=5) as w:
        for _ in range(3):
            model.train()
            for x, y in data:
                optimizer.zero_grad()
                loss_fn(model(x), y).backward()
                optimizer.step()
            if how == "eval":
                model.eval()
            else:
                model.training = False
            with torch.no_grad():
                for x, y in data[:3]:
                    loss_fn(model(x), y)
    finding = w.report().finding("ND508")
    if how == "eval":
        assert finding.outcome.value == "pass"
    else:
        assert finding.outcome.value == "warn" and "assigning `model.training`" in finding.message
