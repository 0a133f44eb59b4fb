"""Capturing a plain training script at its first optimizer step (`nndoctor check train.py`).

The hooks (`nndoctor.observe.hooks`) and the runner (`nndoctor.observe.runner`) are tested on
small in-test programs; the capture on every script of sample_models/scripts (each names what it
must capture in EXPECT_CAPTURE) and on tmp scripts for the error paths; `check script.py` against
`check recipes/X.py` for the four recipe pairs; the CLI's stdout, exit codes and `--` arguments in
a subprocess.
"""

from __future__ import annotations

import ast
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import nndoctor
from nndoctor.errors import TargetError, UsageError
from nndoctor.observe.capture import CaptureError, capture
from nndoctor.observe.hooks import Listener, observing
from nndoctor.observe.runner import StopScript, run_script
from nndoctor.targets.script import is_script
from tests.helpers import run

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "sample_models" / "scripts"
ALL_SCRIPTS = sorted(SCRIPTS.glob("healthy/*.py")) + sorted(SCRIPTS.glob("broken/*.py"))
RECIPE_PAIRS = {
    "mlp_classifier": "healthy",
    "cnn_classifier": "healthy",
    "lr_too_high_diverges": "broken",
    "unshuffled_sorted_classes": "broken",
}


def module_constant(path: Path, name: str) -> Any:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert node.value is not None
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} defines no {name}")


def write_script(tmp_path: Path, body: str, name: str = "train.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


PRELUDE = """
import argparse
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--hidden", type=int, default=4)
parser.add_argument("--steps", type=int, default=3)
args = parser.parse_args()
torch.manual_seed(0)
x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
"""


# -- hooks ------------------------------------------------------------------------------------


class Recorder(Listener):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def module_created(self, module: nn.Module, site: str | None) -> None:
        self.events.append(("module", type(module).__name__, site))

    def optimizer_created(self, optimizer: Any, site: str | None) -> None:
        self.events.append(("optimizer", type(optimizer).__name__, site))

    def scheduler_created(self, scheduler: Any, site: str | None) -> None:
        self.events.append(("scheduler", type(scheduler).__name__, site))

    def loader_created(self, loader: Any, site: str | None) -> None:
        self.events.append(("loader", site))

    def forward(self, module: nn.Module, args: tuple[Any, ...], output: Any, depth: int) -> None:
        self.events.append(("forward", type(module).__name__, depth, torch.is_grad_enabled(), module.training))

    def functional_loss(self, name: str, output: Any) -> None:
        self.events.append(("functional_loss", name))

    def backward(self, tensor: torch.Tensor) -> None:
        self.events.append(("backward", type(tensor.grad_fn).__name__))

    def batch(self, loader: Any, batch: Any) -> None:
        self.events.append(("batch", loader is not None))

    def zero_grad(self, owner: Any, set_to_none: bool) -> None:
        self.events.append(("zero_grad", type(owner).__name__, set_to_none))

    def step_pre(self, optimizer: Any) -> None:
        self.events.append(("step_pre", type(optimizer).__name__))

    def step_post(self, optimizer: Any) -> None:
        self.events.append(("step_post", type(optimizer).__name__))

    def scheduler_step(self, scheduler: Any) -> None:
        self.events.append(("scheduler_step", type(scheduler).__name__))

    def mode_change(self, module: nn.Module, training: bool) -> None:
        self.events.append(("mode", type(module).__name__, training))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


class ClippedSGD(torch.optim.SGD):
    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        return super().step(closure)


def patched_attributes() -> list[Any]:
    from torch.optim import lr_scheduler
    from torch.utils.data import DataLoader
    from torch.utils.data import dataloader as dl

    return [
        torch.Tensor.__dict__["backward"],
        torch.autograd.__dict__["backward"],
        torch.optim.Optimizer.__dict__["zero_grad"],
        torch.optim.Optimizer.__dict__["__init__"],
        nn.Module.__dict__["zero_grad"],
        nn.Module.__dict__["__init__"],
        nn.Module.__dict__["train"],
        lr_scheduler.LRScheduler.__dict__["step"],
        lr_scheduler.StepLR.__dict__["__init__"],
        DataLoader.__dict__["__init__"],
        DataLoader.__dict__["__iter__"],
        dl._BaseDataLoaderIter.__dict__["__next__"],
    ]


def test_hooks_see_the_training_loop_and_are_removed() -> None:
    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_module

    before = patched_attributes()
    recorder = Recorder()
    with observing(recorder, strict=True) as observation:
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        optimizer = ClippedSGD(model.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1)
        data = torch.utils.data.TensorDataset(torch.randn(8, 4), torch.randint(0, 2, (8,)))
        loader = torch.utils.data.DataLoader(data, batch_size=4)
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            model(x)
        model.zero_grad(set_to_none=False)
        assert observation.steps == 2
    assert patched_attributes() == before
    assert not module_hooks._global_forward_hooks and not module_hooks._global_forward_pre_hooks
    assert not optimizer_module._global_optimizer_pre_hooks and not optimizer_module._global_optimizer_post_hooks
    assert torch.overrides._get_current_function_mode_stack() == []

    line = next(i for i, text in enumerate(Path(__file__).read_text().splitlines(), 1) if "ClippedSGD(model" in text)
    assert ("optimizer", "ClippedSGD", f"{__file__}:{line}") in recorder.events
    assert [e[1] for e in recorder.of("module")] == ["Linear", "ReLU", "Linear", "Sequential"]
    assert recorder.of("scheduler") and recorder.of("scheduler")[0][1] == "StepLR"
    # the subclass's super().step() is part of the same step: one pre and one post per step
    assert recorder.of("step_pre") == [("step_pre", "ClippedSGD")] * 2
    assert recorder.of("step_post") == [("step_post", "ClippedSGD")] * 2
    assert recorder.of("scheduler_step") == [("scheduler_step", "StepLR")]  # not the one in __init__
    assert recorder.of("batch") == [("batch", True)] * 2
    assert recorder.of("backward") == [("backward", "NllLossBackward0")] * 2
    # functional losses until the first step only
    assert recorder.of("functional_loss") == [("functional_loss", "cross_entropy")]
    outer = [e for e in recorder.of("forward") if e[2] == 0]
    assert outer == [("forward", "Sequential", 0, True, True)] * 2 + [("forward", "Sequential", 0, False, False)]
    assert {e[2] for e in recorder.of("forward")} == {0, 1}
    assert recorder.of("mode") == [("mode", "Sequential", True), ("mode", "Sequential", False)]
    assert recorder.of("zero_grad") == [("zero_grad", "ClippedSGD", True)] * 2 + [("zero_grad", "Sequential", False)]


def test_hooks_are_removed_when_the_program_raises_and_listener_errors_are_kept() -> None:
    class Broken(Listener):
        def step_pre(self, optimizer: Any) -> None:
            raise ValueError("a bug in the listener")

    before = patched_attributes()
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(RuntimeError, match="the program's own"), observing(Broken()) as observation:
        model(torch.randn(3, 2)).sum().backward()
        optimizer.step()  # the listener's error does not reach the program
        raise RuntimeError("the program's own")
    assert patched_attributes() == before
    assert [str(e) for e in observation.errors] == ["a bug in the listener"]
    with pytest.raises(ValueError, match="a bug in the listener"), observing(Broken(), strict=True):
        optimizer.step()


def test_forward_hooks_can_be_switched_to_the_model_alone() -> None:
    recorder = Recorder()
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with observing(recorder, strict=True) as observation:
        observation.set_forward_hooks(False)
        observation.watch_module(model)
        model(torch.randn(1, 2))
        observation.set_forward_hooks(True)
        model(torch.randn(1, 2))
    forwards = recorder.of("forward")
    assert forwards[0] == ("forward", "Sequential", 0, True, True)
    assert len(forwards) == 1 + 3  # then every module again, once each
    assert model._forward_hooks == {} and model._forward_pre_hooks == {}


def test_watched_module_is_reported_through_its_class_forward_and_restored() -> None:
    class Net(nn.Sequential):
        pass  # no forward of its own: the wrapper goes on Net and is deleted again on exit

    recorder = Recorder()
    model, other, loss = Net(nn.Linear(2, 2)), Net(nn.Linear(2, 2)), nn.MSELoss()
    original_mse = nn.MSELoss.__dict__["forward"]
    x = torch.randn(3, 2)
    with observing(recorder, strict=True) as observation:
        observation.set_forward_hooks(False)
        observation.watch_module(model)
        observation.watch_module(loss)
        assert model._forward_hooks == {} and loss._forward_hooks == {}  # torch's fast path
        out = model(x)
        other(x)  # same class, not watched: passes straight through
        loss(out, torch.zeros(3, 2)).backward()
    assert [(e[1], e[2]) for e in recorder.of("forward")] == [("Net", 0), ("MSELoss", 0)]
    assert "forward" not in Net.__dict__ and nn.MSELoss.__dict__["forward"] is original_mse
    assert torch.equal(model(x), nn.Sequential.forward(model, x))


# -- runner -----------------------------------------------------------------------------------


def test_runner_runs_as_main_with_argv_and_restores_them(tmp_path: Path) -> None:
    (tmp_path / "helper_mod.py").write_text("VALUE = 7\n")
    out = tmp_path / "out.json"
    script = write_script(
        tmp_path,
        f"""
        import json, sys
        import helper_mod
        if __name__ == "__main__":
            json.dump({{"argv": sys.argv, "value": helper_mod.VALUE}}, open({str(out)!r}, "w"))
        """,
    )
    argv, path = sys.argv[:], sys.path[:]
    outcome = run_script(script, ["--epochs", "2"])
    assert outcome.status == "finished" and outcome.ok
    assert json.loads(out.read_text()) == {"argv": [str(script), "--epochs", "2"], "value": 7}
    assert sys.argv == argv and sys.path == path


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("import sys\nsys.exit(3)\n", "exit", 3),
        ("import sys\nsys.exit('bad data')\n", "exit", 1),
        ("import sys\nsys.exit(0)\n", "finished", 0),
        ("raise KeyboardInterrupt\n", "interrupted", 130),
    ],
)
def test_runner_records_how_the_script_ended(tmp_path: Path, body: str, status: str, code: int) -> None:
    outcome = run_script(write_script(tmp_path, body), [])
    assert (outcome.status, outcome.exit_code) == (status, code)


def test_runner_keeps_the_exception_and_its_site(tmp_path: Path) -> None:
    script = write_script(tmp_path, "x = 1\n\ndef f():\n    raise ValueError('boom')\n\nf()\n")
    outcome = run_script(script, [])
    assert outcome.status == "error" and isinstance(outcome.exception, ValueError)
    assert outcome.error_site == f"{script}:4"
    assert outcome.traceback is not None and "runpy" not in outcome.traceback and "boom" in outcome.traceback
    assert "train.py raised ValueError" in outcome.describe()
    with pytest.raises(ValueError, match="boom"):
        outcome.reraise()


def test_an_observer_stops_the_script_through_its_except_exception(tmp_path: Path) -> None:
    class Stopper(Listener):
        def step_pre(self, optimizer: Any) -> None:
            raise StopScript("enough")

    marker = tmp_path / "finally.txt"
    script = write_script(
        tmp_path,
        PRELUDE
        + f"""
model = nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
try:
    for step in range(5):
        try:
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        except Exception:
            pass
        open({str(tmp_path / "steps.txt")!r}, "a").write("x")
finally:
    open({str(marker)!r}, "w").write("ran")
""",
    )
    outcome = run_script(script, [], until=Stopper())
    assert outcome.status == "stopped" and outcome.stop_reason == "enough"
    assert marker.read_text() == "ran" and not (tmp_path / "steps.txt").exists()


# -- the capture on the sample scripts ---------------------------------------------------------


@pytest.mark.parametrize("script", ALL_SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_sample_script_captures_what_it_expects(script: Path) -> None:
    want = module_constant(script, "EXPECT_CAPTURE")
    # a script with two optimizers names the one to capture (what --optimizer / --model pick)
    pick = module_constant(script, "CAPTURE_PICK") if "CAPTURE_PICK =" in script.read_text() else {}
    got = capture(script, **pick)
    kinds = {c.kind: c for c in got.captured}
    assert {
        "model": type(got.target.model).__name__,
        "optimizer": kinds["optimizer"].description.split(" ")[0],
        "loss": kinds["loss"].description if "loss" in kinds else None,
        "val_loader": got.target.val_data is not None,
    } == want
    assert got.outcome.status == "stopped"
    text = script.read_text().splitlines()
    model_line = int(kinds["model"].site.rsplit(":", 1)[1])  # type: ignore[union-attr]
    assert f"{want['model']}(" in text[model_line - 1], "the model's site is the line that builds it"
    assert got.step_site is not None and ".step(" in text[int(got.step_site.rsplit(":", 1)[1]) - 1]
    assert got.target.locations["build_model"] == kinds["model"].site
    assert got.target.capture is not None and "Captured" in got.target.capture["description"]


def test_the_captured_model_is_its_state_before_the_first_step(tmp_path: Path) -> None:
    saved = tmp_path / "init.pt"
    script = write_script(
        tmp_path,
        PRELUDE
        + f"""
model = nn.Sequential(nn.Linear(3, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 2))
torch.save(model.state_dict(), {str(saved)!r})
criterion = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-4)
for step in range(args.steps):
    for xb, yb in loader:
        opt.zero_grad()
        criterion(model(xb), yb).backward()
        opt.step()
""",
    )
    got = capture(script, ["--hidden", "7"])
    model = got.target.model
    assert model[0].out_features == 7, "the script's own arguments reach it"
    initial = torch.load(saved)
    assert all(torch.equal(v, initial[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert got.target.optimizer_factory is not None
    rebuilt = got.target.optimizer_factory(nn.Sequential(nn.Linear(3, 7), nn.ReLU(), nn.Linear(7, 2)).parameters())
    assert isinstance(rebuilt, torch.optim.SGD)
    group = rebuilt.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.5, 0.9, 1e-4)
    assert got.target.hints == {"task": "classification", "num_classes": 2}


def test_the_capture_restores_the_callers_rng_and_sends_prints_to_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
import random
random.random(); torch.rand(5)
print("hello from the script")
model = nn.Linear(3, 2)
opt = torch.optim.Adam(model.parameters())
for xb, yb in loader:
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
""",
    )
    torch.manual_seed(123)
    random.seed(5)
    state, py_state = torch.get_rng_state(), random.getstate()
    got = capture(script)
    assert torch.equal(torch.get_rng_state(), state) and random.getstate() == py_state
    assert [c.description for c in got.captured if c.kind == "loss"] == ["F.cross_entropy"]
    out, err = capfd.readouterr()
    assert "hello from the script" in err and "hello" not in out


TWO_OPTIMIZERS = (
    PRELUDE
    + """
generator = nn.Linear(3, 2)
critic = nn.Sequential(nn.Linear(3, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 2))
opt_g = torch.optim.SGD(generator.parameters(), lr=0.1)
opt_c = torch.optim.Adam(critic.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
for xb, yb in loader:
    opt_c.zero_grad()
    loss_fn(critic(xb), yb).backward()
    opt_c.step()
    opt_g.zero_grad()
    loss_fn(generator(xb), yb).backward()
    opt_g.step()
"""
)


def test_two_optimizers_are_ambiguous_and_a_name_picks_one(tmp_path: Path) -> None:
    script = write_script(tmp_path, TWO_OPTIMIZERS)
    with pytest.raises(CaptureError) as info:
        capture(script)
    message = str(info.value)
    for needle in ("2 optimizers", "`opt_g` SGD", "`opt_c` Adam", "--optimizer", f"{script}:"):
        assert needle in message
    by_name = capture(script, optimizer="opt_g")
    assert type(by_name.target.model).__name__ == "Linear"
    by_class = capture(script, optimizer="Adam")
    assert type(by_class.target.model).__name__ == "Sequential"
    by_model = capture(script, model="generator")
    assert type(by_model.target.model).__name__ == "Linear"
    assert [c.names for c in by_model.captured if c.kind == "optimizer"] == [("opt_g",)]


def test_two_models_one_optimizer_are_ambiguous(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
encoder = nn.Linear(3, 2)
head = nn.Linear(3, 2)
opt = torch.optim.SGD([*encoder.parameters(), *head.parameters()], lr=0.1)
for xb, yb in loader:
    loss = nn.functional.cross_entropy(encoder(xb), yb) + nn.functional.cross_entropy(head(xb), yb)
    loss.backward()
    opt.step()
""",
    )
    with pytest.raises(CaptureError, match=r"2 models .*`encoder` Linear.*`head` Linear.*--model"):
        capture(script)
    picked = capture(script, model="head")
    assert picked.target.optimizer_factory is not None
    rebuilt = picked.target.optimizer_factory(nn.Linear(3, 2).parameters())
    assert sum(len(g["params"]) for g in rebuilt.param_groups) == 2, "only the picked model's parameters"
    with pytest.raises(CaptureError, match="--model decoder: no module"):
        capture(script, model="decoder")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (
            "import sys\nprint('usage')\nsys.exit(2)\n",
            ("called sys.exit(2) at ", "train.py:3 before its first optimizer step", "--"),
        ),
        (
            "import torch\n\ndef load():\n    raise FileNotFoundError('data.csv')\n\nload()\n",
            ("train.py raised FileNotFoundError", "train.py:4", "data.csv", "before its first optimizer step"),
        ),
        ("import torch\nx = torch.ones(2)\n", ("without calling optimizer.step()", "build_model()", "after `--`")),
    ],
    ids=["sys-exit", "exception", "no-step"],
)
def test_a_script_that_ends_before_its_first_step_is_a_clear_error(
    tmp_path: Path, body: str, needles: tuple[str, ...]
) -> None:
    with pytest.raises(CaptureError) as info:
        capture(write_script(tmp_path, body))
    for needle in needles:
        assert needle in str(info.value)
    assert "{" not in str(info.value), "an unformatted placeholder"


@pytest.mark.parametrize(
    ("batch", "feed"),
    [
        ("(x, mask, y)", "xb, mb, yb = batch\n    out = model(xb, mb)\n    loss = F.cross_entropy(out, yb)"),
        ("{'y': y, 'x': x, 'mask': mask}", "out = model(batch['x'], batch['mask'])\n    loss = crit(out, batch['y'])"),
    ],
    ids=["triple", "dict"],
)
def test_the_capture_learns_how_the_script_feeds_its_batches(tmp_path: Path, batch: str, feed: str) -> None:
    script = write_script(
        tmp_path,
        f"""
import torch
from torch import nn
import torch.nn.functional as F

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 32
    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x, mask, y = torch.randn(3, generator=g), torch.ones(3), i % 2
        return {batch}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
    def forward(self, x, mask):
        return self.fc(x * mask)

model, crit = Net(), nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for batch in torch.utils.data.DataLoader(Data(), batch_size=8):
    {feed}
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    assert got.target.forward_fn is not None
    first = next(iter(got.target.train_data))
    output, target = got.target.forward_fn(got.target.model, first)
    assert output.shape == (8, 2) and torch.equal(target, first[2] if isinstance(first, list) else first["y"])
    report = nndoctor.diagnose(got, select=["ND101", "ND102"], device="cpu")
    assert {f.check_id for f in report.findings} == {"ND101", "ND102"}
    assert all(f.outcome.value != "error" for f in report.findings), [f.message for f in report.findings]


@pytest.mark.parametrize(
    ("call", "returns"),
    [
        ("model(**batch)", "{'loss': loss, 'logits': logits}"),
        ("model(batch['x'], mask=batch['mask'], labels=batch['labels'])", "(loss, logits)"),
        ("model(**{k: v.clone() for k, v in batch.items()})", "{'loss': loss, 'logits': logits}"),
    ],
    ids=["kwargs-dict-output", "keywords-tuple-output", "moved-dict-batch"],
)
def test_a_huggingface_style_model_called_with_keywords_returning_its_loss(
    tmp_path: Path, call: str, returns: str
) -> None:
    script = write_script(
        tmp_path,
        f"""
import torch
from torch import nn
import torch.nn.functional as F

class Data(torch.utils.data.Dataset):
    def __len__(self):
        return 32
    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return {{"x": torch.randn(3, generator=g), "mask": torch.ones(3), "labels": i % 2}}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
    def forward(self, x, mask=None, labels=None):
        logits = self.fc(x * mask)
        loss = F.cross_entropy(logits, labels)
        return {returns}

model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for batch in torch.utils.data.DataLoader(Data(), batch_size=8):
    out = {call}
    loss = out["loss"] if isinstance(out, dict) else out[0]
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    assert got.target.forward_fn is not None
    first = next(iter(got.target.train_data))
    output, target = got.target.forward_fn(got.target.model, first)
    assert isinstance(output, torch.Tensor) and output.shape == (8, 2) and torch.equal(target, first["labels"])
    report = nndoctor.diagnose(got, select=["ND101", "ND102"], device="cpu")
    assert all(f.outcome.value != "error" for f in report.findings), [f.message for f in report.findings]


def test_a_bare_tensor_batch_is_input_and_target_of_a_loss_in_a_user_function(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """
import torch
from torch import nn
import torch.nn.functional as F

def criterion(out, x):
    return F.mse_loss(out, x)

model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 4))
opt = torch.optim.Adam(model.parameters())
for x in torch.utils.data.DataLoader(torch.randn(32, 4), batch_size=8):
    loss = criterion(model(x), x)
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    assert [c.description for c in got.captured if c.kind == "loss"] == ["F.mse_loss"]
    first = next(iter(got.target.train_data))
    output, target = got.target.forward_fn(got.target.model, first)  # type: ignore[misc]
    assert output.shape == (8, 4) and target is first


def test_a_bare_except_that_swallows_the_stop_meets_it_again(tmp_path: Path) -> None:
    counter = tmp_path / "steps.txt"
    script = write_script(
        tmp_path,
        PRELUDE
        + f"""
model = nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    for xb, yb in loader:
        try:
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
        except:  # noqa: E722
            pass
        open({str(counter)!r}, "a").write("x")
""",
    )
    got = capture(script)
    assert got.outcome.status == "stopped"
    # the first step is held while the second tells whether it starts an LR range test; the stop
    # at the second step is swallowed, and the next batch meets it again: not after the training
    assert counter.read_text() == "xx", "stopped at the next batch, not after the training"


TRAINER_CLASS = """
import argparse
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, SubsetRandomSampler


class Net(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, d), nn.GELU(), nn.Linear(d, 3))

    def forward(self, x):
        return self.body(x)


class FocalLoss(nn.Module):
    def forward(self, logits, y):
        ce = nn.functional.cross_entropy(logits, y, reduction="none")
        return ((1 - torch.exp(-ce)) ** 2 * ce).mean()


class Trainer:
    def __init__(self, args):
        device = "cuda" if torch.cuda.is_available() else "cpu"
        ds = TensorDataset(torch.randn(300, 8), torch.randint(0, 3, (300,)))
        idx = torch.randperm(300).tolist()
        self.train_loader = DataLoader(ds, batch_size=32, sampler=SubsetRandomSampler(idx[:240]))
        self.val_loader = DataLoader(ds, batch_size=64, sampler=SubsetRandomSampler(idx[240:]))
        self.model = Net(args.width).to(device)
        self.criterion = FocalLoss()
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=args.lr, weight_decay=0.05)
        self.scaler = torch.amp.GradScaler("cpu")
        self.device = device

    def fit(self, epochs):
        for _ in range(epochs):
            self.model.train()
            for x, y in self.train_loader:
                x, y = x.to(self.device), y.to(self.device)
                self.opt.zero_grad(set_to_none=True)
                loss = self.criterion(self.model(x), y)
                self.scaler.scale(loss).backward()
                self.scaler.unscale_(self.opt)
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                self.scaler.step(self.opt)
                self.scaler.update()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-4)
    args = p.parse_args()
    Trainer(args).fit(2)


if __name__ == "__main__":
    main()
"""


def test_a_trainer_class_with_a_custom_loss_and_subset_samplers(tmp_path: Path) -> None:
    got = capture(write_script(tmp_path, TRAINER_CLASS), ["--width", "24"])
    kinds = {c.kind: c for c in got.captured}
    assert kinds["model"].names[0] == "self.model" and got.target.model.body[0].out_features == 24
    assert kinds["loss"].description == "FocalLoss", "a parameter-free module applied to the output"
    assert kinds["optimizer"].description == "AdamW (lr 0.0003)"
    assert kinds["train loader"].names == ("self.train_loader",) and "shuffled" in kinds["train loader"].description
    assert kinds["val loader"].names == ("self.val_loader",), "same dataset, another subset"
    assert got.target.forward_fn is None, "x.to(device) on the CPU is the batch's own tensor: default forward"
    again = capture(write_script(tmp_path, TRAINER_CLASS, "again.py"), optimizer="opt", model="model")
    assert type(again.target.model).__name__ == "Net"


def test_a_frozen_backbone_feeding_a_trained_head(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
backbone = nn.Sequential(nn.Linear(3, 6), nn.Tanh())
for p in backbone.parameters():
    p.requires_grad_(False)
head = nn.Linear(6, 2)
opt = torch.optim.Adam(head.parameters(), lr=0.01)
for xb, yb in loader:
    with torch.no_grad():
        features = backbone(xb)
    loss = nn.functional.softmax(head(features), dim=1).log()
    loss = nn.functional.nll_loss(loss, yb)
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    assert type(got.target.model).__name__ == "Linear" and got.target.model.in_features == 6
    assert got.target.forward_fn is not None, "the head's input is the backbone's output"
    xb, yb = next(iter(got.target.train_data))
    output, target = got.target.forward_fn(got.target.model, (xb, yb))
    assert output.shape == (16, 2) and target is yb
    report = nndoctor.diagnose(got, select=["ND101", "ND102", "ND301"], device="cpu")
    assert all(f.outcome.value in ("pass", "warn", "skip") for f in report.findings), [
        (f.check_id, f.message) for f in report.findings
    ]


def test_a_multi_task_loss_is_captured_by_its_first_part_and_the_other_head_is_not_unused(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
z = torch.randn(64, 1)
loader = DataLoader(TensorDataset(x, y, z), batch_size=16, shuffle=True)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 8)
        self.cls = nn.Linear(8, 2)
        self.reg = nn.Linear(8, 1)

    def forward(self, xb):
        h = torch.relu(self.body(xb))
        return self.cls(h), self.reg(h)


model = TwoHeads()
ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for xb, yb, zb in loader:
    opt.zero_grad()
    logits, value = model(xb)
    loss = ce(logits, yb) + 0.5 * mse(value, zb)
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    assert type(got.target.loss_fn).__name__ == "CrossEntropyLoss"
    assert any("combines 2 losses" in note for note in got.notes)
    xb, yb, zb = next(iter(got.target.train_data))
    output, target = got.target.forward_fn(got.target.model, (xb, yb, zb))
    assert output.shape == (16, 2) and target is yb
    assert got.target.script_gradients >= {"reg.weight", "reg.bias", "cls.weight"}
    report = nndoctor.diagnose(got, select=["ND302", "ND103"], device="cpu")
    nd302 = report.finding("ND302")
    assert nd302.outcome.value == "pass" and "do not replay (another loss" in nd302.message, nd302.message
    assert nd302.evidence["trained_by_the_scripts_other_losses"] == ["reg.weight", "reg.bias"]
    assert report.finding("ND103").outcome.value == "pass"


def test_an_optimizer_over_a_replaced_model_is_named_as_the_bug(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
import copy
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
model = copy.deepcopy(model)  # the bug: opt still holds the first copy's parameters
for xb, yb in loader:
    opt.zero_grad()
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
""",
    )
    with pytest.raises(CaptureError) as info:
        capture(script)
    message = str(info.value)
    assert "holds the parameters of another module of the same shapes" in message and "Sequential" in message
    assert "Write a recipe" not in message


def test_a_data_parallel_wrapper_is_unwrapped(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
model = nn.DataParallel(net)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in loader:
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
""",
    )
    got = capture(script)
    assert type(got.target.model).__name__ == "Sequential"
    assert any("DataParallel wrapper" in n for n in got.notes)
    assert got.target.optimizer_factory is not None
    rebuilt = got.target.optimizer_factory(got.target.model.parameters())
    assert len(rebuilt.param_groups[0]["params"]) == 4


def test_a_script_that_never_steps_an_optimizer_is_stopped_early(tmp_path: Path) -> None:
    counter = tmp_path / "updates.txt"
    script = write_script(
        tmp_path,
        PRELUDE
        + f"""
w = torch.zeros(3, 2, requires_grad=True)
for epoch in range(1000):
    for xb, yb in loader:
        loss = nn.functional.cross_entropy(xb @ w, yb)
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            w.grad = None
        open({str(counter)!r}, "a").write("x")
""",
    )
    with pytest.raises(CaptureError, match=r"backward\(\) 256 times without a torch\.optim optimizer step"):
        capture(script)
    assert len(counter.read_text()) == 256


def test_a_loader_free_script_and_a_missing_file_are_clear_errors(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "import torch\nfrom torch import nn\nm = nn.Linear(2, 1)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "m(torch.randn(4, 2)).sum().backward()\nopt.step()\n",
    )
    with pytest.raises(CaptureError, match="without a torch DataLoader"):
        capture(script)
    with pytest.raises(CaptureError, match="does not exist"):
        capture(tmp_path / "missing.py")


HAND_FED = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
X = torch.randn(400, 6)
Y = (X[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 2))
torch.save(model.state_dict(), {saved!r})
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range({steps}):
    ix = torch.randint(0, X.shape[0], (32,))
    logits = model(X[ix])
    loss = F.cross_entropy(logits, Y[ix])
    opt.zero_grad()
    loss.backward()
    opt.step()
    open({counter!r}, "a").write("x")
    if step % 5 == 0:
        with torch.no_grad():
            model(X[:100])  # an evaluation under no_grad: not a training batch
"""


@pytest.mark.parametrize(("steps", "collected"), [(200, 32), (6, 6)])
def test_a_script_that_slices_its_own_batches_is_captured_from_its_first_steps(
    tmp_path: Path, steps: int, collected: int
) -> None:
    saved, counter = tmp_path / "init.pt", tmp_path / "steps.txt"
    script = write_script(tmp_path, HAND_FED.format(saved=str(saved), counter=str(counter), steps=steps))
    got = capture(script)
    batches = got.target.train_data
    assert isinstance(batches, list) and len(batches) == collected
    assert all(x.shape == (32, 6) and y.shape == (32,) and y.dtype == torch.long for x, y in batches)
    assert not torch.equal(batches[0][0], batches[1][0]), "each step's own batch"
    assert len(counter.read_text()) == min(steps, collected - 1 if steps > collected else steps)
    initial = torch.load(saved)
    assert all(torch.equal(v, initial[k]) for k, v in got.target.model.state_dict().items()), "the state before step 1"
    train = next(c for c in got.captured if c.kind == "train loader")
    assert f"{collected} batches of Tensor[32, 6]" in train.description and "by hand" in train.description
    assert any("slices itself" in note for note in got.notes)
    report = nndoctor.diagnose(got, select=["ND101", "ND102", "ND201"], device="cpu")
    assert {f.check_id: f.outcome.value for f in report.findings} == {"ND101": "pass", "ND102": "pass", "ND201": "pass"}


RESHAPED = """
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset



class SeqFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 8)  # sequence-first: the script transposes its batch-first data
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.rnn(x)[0][-1])


torch.manual_seed(0)
{data}
loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
model = {model}
criterion = {loss}
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for xb, yb in loader:
    out = model({feed})
    loss = criterion(out, {target})
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


@pytest.mark.parametrize(
    ("data", "model", "loss", "feed", "target"),
    [
        (  # the MNIST-tutorial flatten
            "x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))",
            "nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))",
            "nn.CrossEntropyLoss()",
            "xb.view(-1, 28 * 28)",
            "yb",
        ),
        (  # uint8 pixels cast, integer labels made float columns for BCE
            "x, y = torch.randint(0, 2, (64, 6), dtype=torch.uint8), torch.randint(0, 2, (64,))",
            "nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))",
            "nn.BCEWithLogitsLoss()",
            "xb.float()",
            "yb.unsqueeze(1).float()",
        ),
        (  # batch-first data into a sequence-first GRU
            "x, y = torch.randn(64, 5, 3), torch.randint(0, 2, (64,))",
            "SeqFirst()",
            "nn.CrossEntropyLoss()",
            "xb.transpose(0, 1)",
            "yb",
        ),
        (  # raw pixels scaled and centred with scalar statistics
            "x, y = torch.randint(0, 256, (64, 1, 4, 4), dtype=torch.uint8), torch.randint(0, 3, (64,))",
            "nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))",
            "nn.CrossEntropyLoss()",
            "(xb.float() / 255.0 - 0.5) / 0.25",
            "yb",
        ),
        (  # class labels one-hot encoded in the loop for an MSE loss
            "x, y = torch.randn(64, 6), torch.randint(0, 4, (64,))",
            "nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4), nn.Softmax(dim=1))",
            "nn.MSELoss()",
            "xb",
            "torch.nn.functional.one_hot(yb, 4).float()",
        ),
    ],
    ids=["flatten", "cast", "transpose", "scaled", "one-hot"],
)
def test_inputs_and_targets_reshaped_or_cast_before_the_call_are_replayed(
    tmp_path: Path, data: str, model: str, loss: str, feed: str, target: str
) -> None:
    script = write_script(tmp_path, RESHAPED.format(data=data, model=model, loss=loss, feed=feed, target=target))
    got = capture(script)
    forward = got.target.forward_fn
    assert forward is not None
    batch = next(iter(got.target.train_data))
    xb, yb = batch
    out, replayed_target = forward(got.target.model, batch)
    namespace = {"xb": xb, "yb": yb, "torch": torch}
    expected_target = eval(target, namespace)  # the test's own expression
    assert torch.equal(replayed_target, expected_target)
    assert torch.allclose(out, got.target.model(eval(feed, namespace)), atol=1e-6)
    partial = (xb[:5], yb[:5])  # a last, smaller batch replays too
    assert forward(got.target.model, partial)[0].shape[0] == 5
    report = nndoctor.diagnose(got, select=["ND102", "ND103", "ND201"], device="cpu")
    quiet = ("pass", "skip") if "one_hot" not in target else ("pass", "skip", "warn", "fail")  # MSE on one-hot: ND103's
    assert all(f.outcome.value in quiet for f in report.findings), [f.message for f in report.findings]


@pytest.mark.parametrize(
    ("data", "model", "loss", "call"),
    [
        (  # the one-logit head squeezed for BCE / MSE against [N] targets
            "x = torch.randn(64, 5); y = (x[:, 0] > 0).float()",
            "nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))",
            "nn.BCEWithLogitsLoss()",
            "criterion(model(xb).squeeze(1), yb)",
        ),
        (  # a language model's logits and targets flattened for cross-entropy
            "x = torch.randint(0, 7, (64, 6)); y = torch.roll(x, 1, 1)",
            "nn.Sequential(nn.Embedding(7, 8), nn.Linear(8, 7))",
            "nn.CrossEntropyLoss()",
            "criterion(model(xb).view(-1, 7), yb.view(-1))",
        ),
        (  # a sigmoid outside the model, into nn.BCELoss
            "x = torch.randn(64, 5); y = (x[:, 0] > 0).float().unsqueeze(1)",
            "nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))",
            "nn.BCELoss()",
            "criterion(torch.sigmoid(model(xb)), yb)",
        ),
    ],
    ids=["squeeze", "flatten-lm", "sigmoid-bce"],
)
def test_a_prediction_reshaped_before_the_loss_is_replayed(
    tmp_path: Path, data: str, model: str, loss: str, call: str
) -> None:
    body = RESHAPED.format(data=data, model=model, loss=loss, feed="xb", target="yb").replace(
        "    out = model(xb)\n    loss = criterion(out, yb)\n", f"    loss = {call}\n"
    )
    assert call in body
    got = capture(write_script(tmp_path, body))
    batch = next(iter(got.target.train_data))
    out, target = got.target.forward_fn(got.target.model, batch)
    assert out.shape[0] == target.shape[0] and out.dim() == target.dim() + (loss == "nn.CrossEntropyLoss()")
    report = nndoctor.diagnose(got, select=["ND103", "ND108", "ND201"], device="cpu")
    assert all(f.outcome.value in ("pass", "skip") for f in report.findings), [f.message for f in report.findings]


OWN_LM_LOSS = """
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

torch.manual_seed(0)
V = 11
rows = [{{"input_ids": torch.randint(0, V, (9,)), "labels": None}} for _ in range(64)]
for r in rows:
    r["labels"] = r["input_ids"].clone()
    r["labels"][:2] = -100  # a prompt left out of the loss


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 16)
        self.head = nn.Linear(16, V)

    def forward(self, input_ids, labels=None):
        logits = self.head(self.emb(input_ids))
        loss = None
        if labels is not None:
            {loss}
        return {{"loss": loss, "logits": logits}}


model = TinyLM()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for batch in DataLoader(rows, batch_size=8):
    out = model(**batch)
    out["loss"].backward()
    opt.step()
    opt.zero_grad()
"""


@pytest.mark.parametrize(
    ("loss", "tokens"),
    [
        ("loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1))", 8 * 7),
        ("loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1))", 8 * 7),
    ],
    ids=["causal-shifted", "per-token"],
)
def test_a_language_models_own_loss_is_compared_per_token(tmp_path: Path, loss: str, tokens: int) -> None:
    got = capture(write_script(tmp_path, OWN_LM_LOSS.format(loss=loss)))
    batch = next(iter(got.target.train_data))
    logits, labels = got.target.forward_fn(got.target.model, batch)
    assert logits.shape == (tokens, 11) and labels.shape == (tokens,) and bool((labels >= 0).all())
    report = nndoctor.diagnose(got, select=["ND102", "ND201"], device="cpu")
    assert {f.check_id: f.outcome.value for f in report.findings} == {"ND102": "pass", "ND201": "pass"}


def test_a_softmax_between_the_model_and_cross_entropy_reaches_nd103(tmp_path: Path) -> None:
    body = RESHAPED.format(
        data="x = torch.randn(64, 5); y = x[:, :3].argmax(1)",
        model="nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))",
        loss="nn.CrossEntropyLoss()",
        feed="xb",
        target="yb",
    ).replace("loss = criterion(out, yb)", "loss = criterion(torch.softmax(out, dim=1), yb)")
    report = nndoctor.diagnose(capture(write_script(tmp_path, body)), select=["ND103"], device="cpu")
    assert report.findings[0].outcome.value == "fail", report.findings[0].message


def test_a_batch_changed_in_a_way_that_cannot_be_redone_is_noted_or_named(tmp_path: Path) -> None:
    noisy = RESHAPED.format(
        data="x, y = torch.randn(64, 6), torch.randint(0, 2, (64,))",
        model="nn.Linear(6, 2)",
        loss="nn.CrossEntropyLoss()",
        feed="xb + 0.01 * torch.randn_like(xb)",  # an augmentation: the batch as it comes is close enough
        target="yb",
    )
    got = capture(write_script(tmp_path, noisy))
    assert any("cannot redo" in note for note in got.notes)
    report = nndoctor.diagnose(got, select=["ND101", "ND201"], device="cpu")
    assert {f.outcome.value for f in report.findings} == {"pass"}
    computed = noisy.replace("xb + 0.01 * torch.randn_like(xb)", "xb[:, :3]").replace(
        "nn.Linear(6, 2)", "nn.Linear(3, 2)"
    )
    with pytest.raises(TargetError, match="changes its batch before calling Linear in a way nndoctor cannot redo"):
        nndoctor.diagnose(capture(write_script(tmp_path, computed, "computed.py")), select=["ND201"], device="cpu")


def test_a_hand_fed_script_whose_batches_cannot_be_paired_is_a_clear_error(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        "import torch\nfrom torch import nn\nm = nn.Bilinear(2, 2, 1)\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "a, b, t = torch.randn(4, 2), torch.randn(4, 2), torch.randn(4, 1)\n"
        "nn.functional.mse_loss(m(a, b), t).backward()\nopt.step()\n",
    )
    with pytest.raises(CaptureError, match="cannot be collected as \\(input, target\\) pairs"):
        capture(script)


def test_is_script_tells_scripts_from_recipes(tmp_path: Path) -> None:
    assert is_script(SCRIPTS / "healthy" / "mlp_classifier.py")
    assert not is_script(SCRIPTS / "recipes" / "mlp_classifier.py")
    assert not is_script(write_script(tmp_path, "def build_data():\n    return []\n", "r1.py"))
    assert not is_script(write_script(tmp_path, "from recipes import build_model\n", "r2.py"))
    assert not is_script(write_script(tmp_path, "def broken(:\n", "r3.py"))
    assert is_script(write_script(tmp_path, "def main():\n    pass\n", "s.py"))


# -- the same report as the recipe ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RECIPE_PAIRS))
def test_a_captured_script_gives_the_recipes_findings(name: str) -> None:
    script = SCRIPTS / RECIPE_PAIRS[name] / f"{name}.py"
    recipe = SCRIPTS / "recipes" / f"{name}.py"
    options = {"profile": "quick", "device": "cpu"}
    from_recipe = run(recipe, **options)
    from_script = nndoctor.diagnose(nndoctor.capture(script), **options)
    outcomes = {f.check_id: f.outcome for f in from_script.findings}
    assert outcomes == {f.check_id: f.outcome for f in from_recipe.findings}
    for check_id, minimum in module_constant(recipe, "FIRES").items():
        if check_id in outcomes:  # the quick profile runs no training experiment
            assert outcomes[check_id].value in (minimum, "fail")
    assert from_script.model["task"] == from_recipe.model["task"]
    assert from_script.artifacts["capture"]["captured"][0]["kind"] == "model"
    assert from_script.locations["build_model"].endswith(".py:" + from_script.locations["build_model"].rsplit(":")[1])


def test_diagnose_of_a_capture_takes_options_only(tmp_path: Path) -> None:
    got = capture(SCRIPTS / "healthy" / "mlp_classifier.py")
    with pytest.raises(UsageError, match="leave out train_loader"):
        nndoctor.diagnose(got, got.target.train_data)
    with pytest.raises(UsageError, match="needs the training batches"):
        nndoctor.diagnose(nn.Linear(2, 2))


# -- the CLI --------------------------------------------------------------------------------------


def cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "300", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nndoctor", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
        check=False,
    )


def test_cli_check_script_json_stdout_stays_clean_and_args_pass_after_dashes() -> None:
    script = SCRIPTS / "healthy" / "regression_mlp.py"
    result = cli("check", script, "--format", "json", "--select", "ND101,ND102", "--", "--batch-size", "32")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"].startswith(str(script)) and "captured" in report["target"]
    capture_info = report["artifacts"]["capture"]
    assert capture_info["argv"] == ["--batch-size", "32"]
    loader = next(c for c in capture_info["captured"] if c["kind"] == "train loader")
    assert "batch 32" in loader["description"]
    assert {"build_model", "build_optimizer", "build_data", "build_loss"} <= set(report["locations"])
    assert "Captured regression_mlp.py" in result.stderr


def test_cli_errors_for_scripts_exit_2_with_a_message() -> None:
    result = cli("check", SCRIPTS / "healthy" / "mlp_classifier.py", "--", "--epochs", "not-a-number")
    assert result.returncode == 2
    assert "invalid int value" in result.stderr, "the script's own argparse message"
    assert "called sys.exit(2)" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("extra", [["--", "--epochs", "1"], ["--model", "MLP"], ["--optimizer", "Adam"]])
def test_script_options_with_a_recipe_are_a_usage_error(extra: list[str]) -> None:
    from typer.testing import CliRunner

    from nndoctor.cli import app

    recipe = SCRIPTS / "recipes" / "mlp_classifier.py"
    result = CliRunner().invoke(app, ["check", str(recipe), *extra], env={"COLUMNS": "300", "NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "apply to a training script" in " ".join(result.output.split())


def test_capture_error_is_a_target_error() -> None:
    assert issubclass(CaptureError, TargetError)


@pytest.mark.parametrize("name", ["gru_variable_length", "iterable_val_stream"])
def test_padded_batches_of_changing_length_and_an_iterable_val_loader_are_checked(name: str) -> None:
    got = capture(SCRIPTS / "healthy" / f"{name}.py", ["--epochs", "1"])
    report = nndoctor.diagnose(got, select=["ND101", "ND201", "ND204"], device="cpu")
    errors = [f"{f.check_id}: {f.message}" for f in report.findings if f.outcome.value == "error"]
    assert not errors and len(report.findings) == 3, errors


def test_input_sums_pool_a_dim_1_that_changes_between_batches() -> None:
    from nndoctor.probes.data import _InputSums

    a, b = torch.randn(4, 7, 3), torch.randn(4, 5, 3) + 1.0
    sums = _InputSums()
    sums.add(a)
    sums.add(b)
    both = torch.cat([a.reshape(-1), b.reshape(-1)]).double()
    stats = sums.scalars()
    assert stats["feature_mean"].shape == (1,)
    assert torch.allclose(stats["feature_mean"][0], both.mean())
    assert torch.allclose(stats["feature_std"][0], both.std())


def test_a_models_own_loss_and_the_labels_of_dict_batches_are_found() -> None:
    from dataclasses import dataclass

    from nndoctor.batches import batch_labels, output_loss, output_prediction

    loss, logits = torch.tensor(0.5), torch.randn(4, 3)

    @dataclass
    class Output:
        loss: torch.Tensor | None
        logits: torch.Tensor

    for out in ({"loss": loss, "logits": logits}, Output(loss, logits), (loss, logits)):
        assert output_loss(out) is loss and output_prediction(out) is logits
    for out in (logits, (logits, logits), {"logits": logits}, Output(None, logits)):
        assert output_loss(out) is None and output_prediction(out) is out
    y = torch.tensor([0, 1, 2, 1])
    for key in ("labels", "label", "y", "target"):
        assert batch_labels({"x": logits, key: y}) is y
    assert batch_labels((logits, y)) is y and batch_labels({"x": logits}) is None


def test_a_model_fed_from_outside_the_batch_is_one_clear_error() -> None:
    """A GAN's generator eats noise, not the loader's batch: the pre-flight cannot feed it."""
    got = capture(SCRIPTS / "broken" / "gan_generator_not_zeroed.py", ["--epochs", "1"], optimizer="opt_g")
    assert type(got.target.model).__name__ == "Generator"
    with pytest.raises(TargetError) as info:
        nndoctor.diagnose(got, select=["ND101"], device="cpu")
    assert "not elements of its training batch" in str(info.value) and "GAN" in str(info.value)


CLOSURE_SCRIPT = """
import torch
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(256, 8), torch.randn(256, 1)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
for xb, yb in loader:
    def closure():
        optimizer.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        return loss
    optimizer.step(closure)
"""


def test_a_step_taken_with_a_closure_is_captured(tmp_path):
    """`optimizer.step(closure)`: the forward runs inside the step; the capture runs the closure once."""
    from nndoctor.observe.capture import capture

    script = tmp_path / "closure_train.py"
    script.write_text(CLOSURE_SCRIPT, encoding="utf-8")
    captured = capture(script)
    kinds = {c.kind: c.description for c in captured.captured}
    assert kinds["model"] == "Sequential" and kinds["loss"] == "MSELoss"
    assert kinds["optimizer"].startswith("SGD")


# -- a model called more than once per step, and a recurrent state beside the input ------------

SIAMESE = """
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
a, b = torch.randn(96, 5), torch.randn(96, 5)
same = (torch.rand(96) < 0.5).float()
loader = DataLoader(TensorDataset(a, b, same), batch_size=32)
embed = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4))

class Contrastive(nn.Module):
    def forward(self, e1, e2, y):
        d = F.pairwise_distance(e1, e2)
        return (y * d.pow(2) + (1 - y) * torch.clamp(1.0 - d, min=0).pow(2)).mean()

crit = Contrastive()
opt = torch.optim.Adam(embed.parameters(), lr=1e-3)
for x1, x2, y in loader:
    opt.zero_grad()
    loss = {loss}
    print("LOSS", float(loss))
    loss.backward()
    opt.step()
"""


def test_a_model_called_on_several_batch_elements_per_step_is_replayed_call_by_call(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    got = capture(write_script(tmp_path, SIAMESE.format(loss="crit(embed(x1), embed(x2), y)")))
    script_loss = float(capfd.readouterr().err.split("LOSS", 1)[1].split()[0])
    assert any("calls Sequential 2 times per step" in note for note in got.notes), got.notes
    assert got.target.forward_fn is not None and got.target.loss_fn is not None
    first = next(iter(got.target.train_data))  # the loader does not shuffle: the script's first batch
    outputs, target = got.target.forward_fn(got.target.model, first)
    assert isinstance(outputs, tuple) and len(outputs) == 2 and outputs[0].shape == (32, 4)
    assert torch.equal(target, first[2])
    assert float(got.target.loss_fn(outputs, target)) == pytest.approx(script_loss, rel=1e-5)
    report = nndoctor.diagnose(got, device="cpu", profile="quick")
    outcomes = {f.check_id: f.outcome.value for f in report.findings}
    assert "error" not in outcomes.values() and "fail" not in outcomes.values(), report.findings
    assert outcomes["ND302"] == "pass" and outcomes["ND204"] == "pass"
    skipped = next(f for f in report.findings if f.check_id == "ND201")
    assert "Contrastive on 2 model outputs" in skipped.message


def test_a_second_call_on_a_computed_input_is_not_replayed(tmp_path: Path) -> None:
    got = capture(write_script(tmp_path, SIAMESE.format(loss="crit(embed(x1), embed(x2.flip(0)), y)")))
    assert not any("times per step" in note for note in got.notes)


def test_a_triplet_loss_without_targets_gets_a_placeholder_target_the_checks_see_unread(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        SIAMESE.replace(
            "a, b = torch.randn(96, 5), torch.randn(96, 5)", "a, b, c = (torch.randn(96, 5) for _ in range(3))"
        )
        .replace("TensorDataset(a, b, same)", "TensorDataset(a, b, c)")
        .replace("for x1, x2, y in loader:", "for x1, x2, x3 in loader:")
        .format(loss="F.triplet_margin_loss(embed(x1), embed(x2), embed(x3))"),
    )
    got = capture(script)
    assert any("calls Sequential 3 times per step" in note for note in got.notes), got.notes
    first = next(iter(got.target.train_data))
    outputs, target = got.target.forward_fn(got.target.model, first)  # type: ignore[misc]
    assert len(outputs) == 3 and target.shape == (32,) and not target.any()
    report = nndoctor.diagnose(got, device="cpu", select=["ND102", "ND204", "ND302"])
    assert {f.check_id: f.outcome.value for f in report.findings} == {"ND102": "pass", "ND204": "pass", "ND302": "pass"}


RECURRENT = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
V, B, T = 12, 8, 6
stream = torch.randint(0, V, (B * T * 40 + 1,))
data = stream[: B * T * 40 + 1 - 1].view(B, -1).t().contiguous()  # [time, batch], as batchify does
nxt = stream[1:].view(B, -1).t().contiguous()

class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.rnn, self.out = nn.Embedding(V, 16), nn.LSTM(16, 10), nn.Linear(10, V)
    def forward(self, x, hidden):
        h, hidden = self.rnn(self.emb(x), hidden)
        return self.out(h), hidden

model = LM()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
hidden = (torch.zeros(1, B, 10), torch.zeros(1, B, 10))
for i in range(0, data.size(0) - T, T):
    x, y = data[i : i + T], nxt[i : i + T].reshape(-1)
    hidden = tuple(h.detach() for h in hidden)
    opt.zero_grad()
    logits, hidden = model(x, hidden)
    loss = F.cross_entropy(logits.view(-1, V), y)
    loss.backward()
    opt.step()
"""


def test_a_truncated_bptt_loop_without_a_loader_is_captured_with_zero_initial_states(tmp_path: Path) -> None:
    got = capture(write_script(tmp_path, RECURRENT))
    batches = got.target.train_data
    assert isinstance(batches, list) and len(batches) == 32
    assert all(x.shape == (6, 8) and y.shape == (48,) for x, y in batches)
    logits, labels = got.target.forward_fn(got.target.model, batches[0])  # type: ignore[misc]
    assert logits.shape == (48, 12) and torch.equal(labels, batches[0][1])
    half = (batches[0][0][:, :3], batches[0][1][:18])  # a cut batch: the zero state follows its batch size
    assert got.target.forward_fn(got.target.model, half)[0].shape == (18, 12)  # type: ignore[misc]
    report = nndoctor.diagnose(got, device="cpu", profile="quick")
    outcomes = {f.check_id: f.outcome.value for f in report.findings}
    assert "error" not in outcomes.values() and "fail" not in outcomes.values(), report.findings
    assert outcomes["ND201"] == "pass" and outcomes["ND302"] == "pass"


def test_a_nonzero_state_beside_the_input_is_still_refused_for_a_loader_free_script(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        RECURRENT.replace("torch.zeros(1, B, 10), torch.zeros(1, B, 10)", "torch.ones(1, B, 10), torch.ones(1, B, 10)"),
    )
    with pytest.raises(CaptureError, match=r"cannot be\s+collected"):
        capture(script)


TWO_LOADERS = """
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
loader_a = DataLoader(TensorDataset(torch.randn(64, 4), torch.randint(0, 3, (64,))), batch_size=16)
loader_b = DataLoader(TensorDataset(torch.randn(64, 4) + 2, torch.randint(0, 3, (64,))), batch_size=16)

class TwoSites(nn.Module):
    def __init__(self):
        super().__init__()
        self.adapters = nn.ModuleList([nn.Linear(4, 8), nn.Linear(4, 8)])
        self.unused = nn.Linear(8, 8)
        self.head = nn.Linear(8, 3)
    def forward(self, x, site=0):
        return self.head(torch.relu(self.adapters[site](x)))

model = TwoSites()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for (xa, ya), (xb, yb) in zip(loader_a, loader_b):
    loss = F.cross_entropy(model(xa, 0), ya) + F.cross_entropy(model(xb, 1), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def test_a_second_model_call_on_another_loaders_batch_is_no_unused_parameter(tmp_path: Path) -> None:
    got = capture(write_script(tmp_path, TWO_LOADERS))
    assert got.target.forward_fn is not None, "the site argument is replayed as the constant it was"
    xb, yb = next(iter(got.target.train_data))
    out, target = got.target.forward_fn(got.target.model, (xb, yb))
    assert out.shape == (16, 3) and torch.equal(target, yb)
    report = nndoctor.diagnose(got, select=["ND302"], device="cpu")
    (finding,) = report.findings
    assert finding.outcome.value == "warn", "a layer the script's step never used is still reported"
    assert finding.evidence["no_gradient"] == ["unused.weight", "unused.bias"]
    assert set(finding.evidence["trained_by_the_scripts_other_losses"]) == {"adapters.0.weight", "adapters.0.bias"}


def test_a_captured_scripts_verdicts_do_not_depend_on_the_process_rng() -> None:
    """The capture gives the global RNG back as it was before the script ran (random in a fresh
    process); the batches nndoctor holds are drawn from the run's seed, not from that state."""
    from nndoctor.api import diagnose

    captured = nndoctor.capture(str(SCRIPTS / "healthy" / "mlp_classifier.py"))
    losses = []
    for state in (1, 2):
        torch.manual_seed(state)  # what a fresh process's unseeded generator would hold
        report = diagnose(captured, select=["ND201"], device="cpu")
        losses.append(report.finding("ND201").evidence["initial_loss"])
    assert losses[0] == losses[1]


def test_a_loop_that_accumulates_micro_batches_is_checked_on_the_steps_real_batch() -> None:
    captured = nndoctor.capture(str(SCRIPTS / "healthy" / "grad_accumulation.py"))
    loader = captured.target.train_data
    assert loader.batch_size == 64  # 8 micro-batches of 8 per optimizer step
    assert any("accumulates gradients over 8 micro-batches of 8" in note for note in captured.notes)
    plain = nndoctor.capture(str(SCRIPTS / "healthy" / "mlp_classifier.py"))
    assert not any("accumulates" in note for note in plain.notes)


SWEEP_SCRIPT = """
import copy, sys
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(256, 6)
y = (x[:, 0] > 0).long()
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
mode = sys.argv[1]
if mode == "sweep":  # a hand-written LR range test, weights restored after it
    saved = copy.deepcopy(model.state_dict())
    lr = 1e-4
    for step, (xb, yb) in zip(range(30), iter(lambda: next(iter(loader)), None)):
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()
        lr *= 1.3
    model.load_state_dict(saved)
    for g in optimizer.param_groups:
        g["lr"] = 0.05
scheduler = None
if mode == "warmup":
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=20)
for epoch in range(2):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
"""


@pytest.mark.parametrize("mode", ["sweep", "warmup", "plain"])
def test_a_hand_written_lr_range_test_is_skipped_by_the_capture(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "train_sweep.py"
    script.write_text(SWEEP_SCRIPT)
    captured = nndoctor.capture(str(script), [mode])
    optimizer = captured.target.optimizer_factory(list(captured.target.model.parameters()))
    lr = optimizer.param_groups[0]["lr"]
    swept = [n for n in captured.notes if "LR range test" in n]
    if mode == "sweep":
        assert lr == 0.05 and swept and "30 steps" in swept[0]
    else:  # a warm-up rises too, but ever more slowly: the first step is the one
        assert lr == pytest.approx(1e-4) and not swept


def test_backward_passes_cleared_before_the_step_are_no_accumulation(tmp_path: Path) -> None:
    """zero_grad() before every backward and one step after the batch loop (a dedented step):
    only the last batch's gradient reaches the step, so the checks keep the loader's batch."""
    script = write_script(
        tmp_path,
        PRELUDE
        + """
model = nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(2):
    for xb, yb in loader:
        opt.zero_grad()
        nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()
""",
    )
    got = capture(script)
    assert not any("accumulates" in note for note in got.notes)
    assert got.target.train_data.batch_size == 16


def test_a_sum_of_functional_losses_is_captured_by_its_first_term(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        PRELUDE
        + """
model = nn.Linear(3, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for xb, yb in loader:
    opt.zero_grad()
    out = model(xb)
    aux = nn.functional.smooth_l1_loss(model.weight, torch.zeros_like(model.weight))
    loss = nn.functional.cross_entropy(out, yb) + 0.1 * nn.functional.mse_loss(out.softmax(1), nn.functional.one_hot(yb, 2).float()) + aux
    loss.backward()
    opt.step()
""",
    )
    got = capture(script)
    loss = next(c for c in got.captured if c.kind == "loss")
    # the regularizer on the weights comes first, but the first term on the model's output is the loss
    assert loss.description == "F.cross_entropy", loss.text()
