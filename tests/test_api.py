"""The Python API leaves every user object exactly as it was, and its report is reproducible.

Also the two non-recipe targets through the CLI: a YAML config and a tabular file.
"""

from __future__ import annotations

import copy
import json
import random
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from typer.testing import CliRunner

import nndoctor
from nndoctor.cli import app
from nndoctor.errors import TargetError, UsageError
from nndoctor.report.model import Report


def make_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)
    )


def make_loaders() -> tuple[DataLoader, DataLoader]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(96, 6, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    # shuffle=True without a generator: the loader draws its order from the global torch RNG
    train = DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True)
    val = DataLoader(TensorDataset(x[64:], y[64:]), batch_size=16)
    return train, val


def trained_setup() -> tuple[nn.Module, torch.optim.Optimizer, DataLoader, DataLoader, nn.Module]:
    """A model a user has already trained a little: Adam has state, BN has running stats, grads exist."""
    model = make_model()
    train, val = make_loaders()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    for step, (x, y) in enumerate(train):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        if step == 2:
            break
    model[6].bias.requires_grad_(False)  # a frozen parameter
    model[3].eval()  # a mixed-mode model: dropout off, the rest in train mode
    return model, optimizer, train, val, loss_fn


def snapshot(model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    return {
        "params": {n: p.detach().clone() for n, p in model.named_parameters()},
        "grads": {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()},
        "requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
        "buffers": {n: b.clone() for n, b in model.named_buffers()},
        "training": {n: m.training for n, m in model.named_modules()},
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "torch_rng": torch.get_rng_state(),
        "python_rng": random.getstate(),
        "numpy_rng": np.random.get_state()[1].copy(),
    }


def assert_same_tensors(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert before.keys() == after.keys()
    for key, value in before.items():
        if value is None:
            assert after[key] is None, key
        else:
            assert after[key].dtype == value.dtype and torch.equal(after[key], value), key


def assert_same_state_dict(before: Any, after: Any, where: str = "optimizer") -> None:
    """Nested structures compared exactly, tensors with torch.equal."""
    if isinstance(before, torch.Tensor):
        assert isinstance(after, torch.Tensor) and before.dtype == after.dtype and torch.equal(before, after), where
    elif isinstance(before, dict):
        assert before.keys() == after.keys(), where
        for key in before:
            assert_same_state_dict(before[key], after[key], f"{where}.{key}")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), where
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert_same_state_dict(b, a, f"{where}[{i}]")
    else:
        assert before == after, where


def comparable(report: Report) -> list[dict[str, Any]]:
    """Findings without their wall-clock durations."""
    return [{k: v for k, v in f.to_dict().items() if k != "duration_s"} for f in report.findings]


def test_diagnose_leaves_model_optimizer_and_rng_bit_identical() -> None:
    model, optimizer, train, val, loss_fn = trained_setup()
    assert optimizer.state_dict()["state"], "Adam must have state for this test to mean anything"
    assert model[1].num_batches_tracked.item() > 0
    torch.manual_seed(1234)
    random.seed(5)
    np.random.seed(6)
    before = snapshot(model, optimizer)

    report = nndoctor.diagnose(model, train, val, loss_fn, optimizer, profile="quick")

    after = snapshot(model, optimizer)
    for key in ("params", "grads", "buffers"):
        assert_same_tensors(before[key], after[key])
    assert after["requires_grad"] == before["requires_grad"]
    assert after["training"] == before["training"]
    assert_same_state_dict(before["optimizer"], after["optimizer"])
    assert torch.equal(after["torch_rng"], before["torch_rng"])
    assert after["python_rng"] == before["python_rng"]
    assert np.array_equal(after["numpy_rng"], before["numpy_rng"])
    # the run did real work on its copy: every quick check produced a finding
    assert {f.check_id for f in report.findings} >= {"ND101", "ND201", "ND301", "ND303"}
    # the optimizer instance's class and learning rate were used for the update-ratio probe
    nd303 = report.finding("ND303")
    assert nd303 is not None and "Adam" in nd303.message and "0.005" in nd303.message


def test_report_is_strict_json_and_round_trips() -> None:
    model, optimizer, train, val, loss_fn = trained_setup()
    report = nndoctor.diagnose(model, train, val, loss_fn, optimizer, profile="quick")
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["schema_version"] == 1
    assert Report.from_dict(json.loads(text)).to_dict() == data


def test_same_seed_gives_identical_findings() -> None:
    runs = []
    for _ in range(2):
        model, optimizer, train, val, loss_fn = trained_setup()
        runs.append(comparable(nndoctor.diagnose(model, train, val, loss_fn, optimizer, profile="quick", seed=3)))
    assert runs[0] == runs[1]
    assert any(f["evidence"] for f in runs[0])  # evidence with measured numbers was compared


def test_a_finding_does_not_depend_on_which_other_checks_run() -> None:
    """Probes share one working model: a probe run on demand must not reset another's results."""
    model, optimizer, train, val, loss_fn = trained_setup()
    together = nndoctor.diagnose(model, train, val, loss_fn, optimizer, profile="quick")
    for check_id in ("ND301", "ND303"):
        alone = nndoctor.diagnose(model, train, val, loss_fn, optimizer, select=[check_id])
        assert comparable(alone) == [f for f in comparable(together) if f["id"] == check_id]
        assert alone.findings[0].outcome.value == "pass", alone.findings[0].message


def test_shuffled_loader_order_is_unchanged_by_diagnose() -> None:
    model, optimizer, train, val, loss_fn = trained_setup()

    def epoch_order() -> list[list[int]]:
        return [y.tolist() for _, y in train]

    torch.manual_seed(42)
    expected = [epoch_order(), epoch_order()]
    torch.manual_seed(42)
    nndoctor.diagnose(model, train, val, loss_fn, optimizer, profile="quick")
    got = [epoch_order(), epoch_order()]
    assert got == expected
    assert expected[0] != expected[1]  # the loader really shuffles, so the check can fail


def test_diagnose_accepts_an_optimizer_factory() -> None:
    model = make_model()
    train, val = make_loaders()
    report = nndoctor.diagnose(
        model,
        train,
        val,
        nn.CrossEntropyLoss(),
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
        select=["ND303"],
    )
    nd303 = report.finding("ND303")
    assert nd303 is not None
    assert "SGD" in nd303.message and "0.05" in nd303.message


def test_diagnose_rejects_a_non_optimizer() -> None:
    with pytest.raises(UsageError, match="optimizer_fn"):
        nndoctor.diagnose(make_model(), make_loaders()[0], optimizer_fn=0.01)


def binary_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    return [(x[i : i + 8], (x[i : i + 8, :1] > 0).float()) for i in range(0, 32, 8)]


def test_diagnose_uses_hints() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    inferred = nndoctor.diagnose(model, binary_data(), select=["ND201"])
    hinted = nndoctor.diagnose(model, binary_data(), select=["ND201"], hints={"task": "regression"})
    assert inferred.model["task"]["kind"] == "binary" and not inferred.model["task"]["hinted"]
    assert hinted.model["task"]["kind"] == "regression" and hinted.model["task"]["hinted"]
    assert hinted.model["task"]["loss"] == "mse"


def test_diagnose_rejects_an_unknown_task_hint() -> None:
    model = nn.Sequential(nn.Linear(4, 1))
    with pytest.raises(TargetError, match="classification, binary, multilabel, regression"):
        nndoctor.diagnose(model, binary_data(), select=["ND201"], hints={"task": "ranking"})


# -- YAML config and tabular targets through the CLI -----------------------------------------


def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_yaml_config_target(tmp_path: Path) -> None:
    (tmp_path / "mymodels.py").write_text(
        textwrap.dedent(
            """
            import torch
            from torch import nn

            def mlp(width, classes):
                return nn.Sequential(nn.Linear(5, width), nn.ReLU(), nn.Linear(width, classes))

            def loaders(n, batch_size):
                g = torch.Generator().manual_seed(0)
                x = torch.randn(n, 5, generator=g)
                y = (x[:, 0] > 0).long()
                batches = [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, n, batch_size)]
                return {"train": batches[:-1], "val": batches[-1:]}
            """
        ),
        encoding="utf-8",
    )
    config = tmp_path / "nndoctor.yaml"
    config.write_text(
        textwrap.dedent(
            """
            model: {factory: "mymodels.py:mlp", kwargs: {width: 12, classes: 2}}
            data: {factory: "mymodels.py:loaders", kwargs: {n: 80, batch_size: 16}}
            loss: {factory: "torch.nn:CrossEntropyLoss", kwargs: {label_smoothing: 0.0}}
            optimizer: {factory: "torch.optim:SGD", kwargs: {lr: 0.02}}
            hints: {task: classification}
            check: {profile: quick, select: [ND1, ND201, ND303]}
            """
        ),
        encoding="utf-8",
    )
    result = invoke("check", "--config", config, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    assert report["target"] == str(config)
    assert report["profile"] == "quick"  # from the config's `check:` block
    ids = {f["id"] for f in report["findings"]}
    assert ids == {"ND101", "ND102", "ND103", "ND104", "ND105", "ND106", "ND107", "ND108", "ND109", "ND201", "ND303"}
    assert report["model"]["params"] == 5 * 12 + 12 + 12 * 2 + 2  # the kwargs reached the factory
    nd303 = next(f for f in report["findings"] if f["id"] == "ND303")
    assert "SGD" in nd303["message"] and "0.02" in nd303["message"]


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_tabular_target(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, 120),
            "income": rng.normal(5e4, 1.5e4, 120),
            "city": rng.choice(["a", "b", "c"], 120),
        }
    )
    if kind == "classification":
        frame["label"] = np.where(frame["age"] > 40, "old", "young")
    else:
        frame["label"] = frame["age"] * 0.3 + rng.normal(0, 1, 120)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    result = invoke("check", "--data", path, "--target", "label", "--profile", "quick", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    task = report["model"]["task"]
    if kind == "classification":
        assert task["kind"] == "classification" and task["num_classes"] == 2
    else:
        assert task["kind"] == "regression" and task["loss"] == "mse"
    # raw income in the tens of thousands: the input-normalization check must notice
    nd101 = next(f for f in report["findings"] if f["id"] == "ND101")
    assert nd101["outcome"] in ("warn", "fail")
