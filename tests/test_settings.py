"""One settings path: declared settings, one precedence, the same seed and device from CLI and API.

Precedence, per setting: explicit (CLI option / API argument) > a config's `check:` block >
the profile > the declared default. The report records what was applied and where it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import run, settings
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from typer.testing import CliRunner

import nndoctor
from nndoctor.api import optimizer_factory_from
from nndoctor.cli import app
from nndoctor.errors import SettingsError, UsageError
from nndoctor.settings import Layer, SettingsRequest, resolve_settings

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "sample_models" / "healthy" / "digits_mlp.py"
RUNNER = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def tiny_data() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, generator=g)
    y = (x[:, 0] > 0).long()
    return DataLoader(TensorDataset(x, y), batch_size=32)


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))


def test_precedence_explicit_over_config_over_profile_over_default(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("extends: quick\nsettings: {seed: 7, precision: bf16, max_batches: 5}\n", encoding="utf-8")
    config = Layer("config", "`check:` in c.yaml", {"seed": 5, "max_batches": 6})
    resolved = resolve_settings(SettingsRequest(profile=str(profile), seed=3), config=config)
    assert (resolved.seed, resolved.max_batches, resolved.precision, resolved.device) == (3, 6, "bf16", "auto")
    assert resolved.sources["seed"] == "cli" and resolved.sources["max_batches"] == "config"
    assert resolved.sources["precision"] == "profile" and resolved.sources["device"] == "default"
    without = resolve_settings(SettingsRequest(profile=str(profile)), config=config)
    assert without.seed == 5


def test_diagnose_applies_the_profiles_settings(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("extends: quick\nsettings: {seed: 7, precision: bf16}\n", encoding="utf-8")
    report = nndoctor.diagnose(tiny_model(), tiny_data(), profile=str(profile), select=["ND201"])
    assert report.environment["seed"] == 7 and report.environment["precision"] == "bf16"
    assert report.settings["sources"]["seed"] == "profile"
    cli = RUNNER.invoke(app, ["check", str(DIGITS), "--profile", str(profile), "--select", "ND201", "--format", "json"])
    assert cli.exit_code == 0, cli.output
    data = json.loads(cli.stdout)
    assert data["environment"]["seed"] == 7 and data["environment"]["precision"] == "bf16"


def test_a_config_seed_seeds_the_model_build(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import torch\nfrom torch import nn\n"
        "def make():\n    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))\n"
        "def data():\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    x = torch.randn(96, 6, generator=g)\n"
        "    return [(x[i:i+32], (x[i:i+32, 0] > 0).long()) for i in range(0, 96, 32)]\n",
        encoding="utf-8",
    )
    (tmp_path / "c.yaml").write_text(
        "model: m.py:make\ndata: m.py:data\ncheck: {seed: 5, profile: quick}\n", encoding="utf-8"
    )
    result = RUNNER.invoke(
        app, ["check", "--config", str(tmp_path / "c.yaml"), "--select", "ND202", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environment"]["seed"] == 5 and data["settings"]["sources"]["seed"] == "config"
    torch.manual_seed(5)
    expected = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))[0].weight.std().item()
    rows = data["findings"][0]["tables"][0]["rows"]
    assert rows[0][3] == pytest.approx(expected, rel=1e-3)  # the weight std of the layer built with seed 5


def test_lr_find_seed_changes_the_model_and_the_header_says_so() -> None:
    curves = {}
    for seed in ("0", "3"):
        result = RUNNER.invoke(app, ["lr-find", str(DIGITS), "--seed", seed, "--steps", "20", "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["environment"]["seed"] == int(seed)
        curves[seed] = [p["loss"] for p in data["artifacts"]["lr_curve"]]
    assert curves["0"] != curves["3"]


def test_cli_and_api_give_the_same_report_for_the_same_seed_and_profile() -> None:
    cli = RUNNER.invoke(app, ["check", str(DIGITS), "--profile", "quick", "--seed", "2", "--format", "json"])
    assert cli.exit_code == 0, cli.output
    from helpers import load

    target = load(DIGITS, seed=2)
    api = nndoctor.diagnose(
        target.model,
        target.train_data,
        target.val_data,
        target.loss_fn,
        target.optimizer_factory,
        hints=target.hints,
        profile="quick",
        seed=2,
    )

    def comparable(findings: list[dict]) -> list[tuple]:
        return [(f["id"], f["outcome"], f["message"], json.dumps(f["evidence"], sort_keys=True)) for f in findings]

    assert comparable(json.loads(cli.stdout)["findings"]) == comparable(api.to_dict()["findings"])


def test_the_report_records_applied_probe_settings_and_thresholds(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "extends: default\nprobes:\n  short_run: {steps: 30}\nthresholds:\n  ND404: {min_drop: 0.01}\n",
        encoding="utf-8",
    )
    report = run(DIGITS, profile=str(profile), select=["ND404"])
    assert report.settings["probes"]["short_run"]["steps"] == 30
    assert report.settings["probes"]["short_run"]["eval_points"] == 3  # the declared default, recorded
    assert report.settings["thresholds"]["ND404"]["min_drop"] == 0.01
    assert report.finding("ND404").evidence["step_budget"] == 30


@pytest.mark.parametrize(
    ("request_values", "needle"),
    [
        ({"budget_s": -1.0}, "--budget is -1.0"),
        ({"budget_s": 0.0}, "--budget is 0.0"),
        ({"budget_s": float("nan")}, "finite"),
        ({"seed": -2}, "--seed is -2"),
        ({"precision": "fp8"}, "one of fp32, bf16, fp16"),
        ({"device": "tpu"}, "--device is 'tpu'"),
        ({"probes": {"short_run": {"stpes": 5}}}, "did you mean steps"),
        ({"probes": {"no_such": {"x": 1}}}, "No probe named 'no_such'"),
    ],
)
def test_bad_explicit_values_name_the_option(request_values: dict, needle: str) -> None:
    with pytest.raises(SettingsError) as info:
        settings(**request_values)
    assert needle in str(info.value)


def test_api_arguments_are_named_as_arguments() -> None:
    with pytest.raises(SettingsError, match="the argument seed is -1"):
        nndoctor.diagnose(tiny_model(), tiny_data(), seed=-1)


# -- rebuilding an optimizer from an instance ------------------------------------------------------
OPTIMIZERS = sorted(
    name
    for name in dir(torch.optim)
    if isinstance(getattr(torch.optim, name), type)
    and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)
    and name != "Optimizer"
)


def _instance(name: str, model: nn.Module) -> torch.optim.Optimizer:
    cls = getattr(torch.optim, name)
    if name == "Muon":  # 2-D weights only
        return cls([p for p in model.parameters() if p.dim() == 2], lr=0.02)
    if name == "SparseAdam":
        return cls(list(model.parameters()), lr=1e-3)
    if name == "LBFGS":
        return cls(model.parameters(), lr=0.5, max_iter=2)
    return cls(model.parameters(), lr=1e-3)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_torch_optimizer_instance_can_be_rebuilt(name: str) -> None:
    assert {"SGD", "Adam", "AdamW", "LBFGS", "RMSprop"} <= set(OPTIMIZERS)
    model = tiny_model()
    user = _instance(name, model)
    before = {k: v for k, v in user.param_groups[0].items() if k != "params"}
    factory = optimizer_factory_from(user, model)
    assert factory is not None
    copy = __import__("copy").deepcopy(model)
    rebuilt = factory(copy.parameters())
    assert type(rebuilt) is type(user)
    assert rebuilt.param_groups[0]["lr"] == user.param_groups[0]["lr"]
    assert all(p is not q for p in model.parameters() for g in rebuilt.param_groups for q in g["params"])
    assert {k: v for k, v in user.param_groups[0].items() if k != "params"} == before
    if name in ("SparseAdam", "Muon"):
        return  # they train only sparse or 2-D parameters: stepping a dense MLP is not their use
    report = nndoctor.diagnose(model, tiny_data(), optimizer=user, profile="quick", select=["ND3"])
    errors = [f"{f.check_id}: {f.message}" for f in report.findings if f.outcome.value == "error"]
    assert not errors, errors


def test_param_groups_keep_their_learning_rates() -> None:
    model = tiny_model()
    user = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}], lr=0.01)
    factory = optimizer_factory_from(user, model)
    assert factory is not None
    rebuilt = factory(__import__("copy").deepcopy(model).parameters())
    assert [g["lr"] for g in rebuilt.param_groups] == [0.1, 0.01]


def test_an_optimizer_of_another_model_is_a_usage_error() -> None:
    other = torch.optim.Adam(tiny_model().parameters())
    with pytest.raises(UsageError, match="not parameters of the model"):
        nndoctor.diagnose(tiny_model(), tiny_data(), optimizer=other)


# -- user hooks ------------------------------------------------------------------------------------
def test_user_hooks_do_not_run_on_nndoctors_copy() -> None:
    model = tiny_model()
    calls = {"forward": 0, "pre": 0}
    model[0].register_forward_hook(lambda *_: calls.__setitem__("forward", calls["forward"] + 1))
    model.register_forward_pre_hook(lambda *_: calls.__setitem__("pre", calls["pre"] + 1))
    weight_normed = torch.nn.utils.weight_norm(nn.Linear(16, 2))  # torch's own hook must keep working
    model[2] = weight_normed
    report = nndoctor.diagnose(model, tiny_data(), profile="quick")
    assert calls == {"forward": 0, "pre": 0}
    assert report.model["user_hooks_removed"] == 2
    assert all(f.outcome.value != "error" for f in report.findings), [f.message for f in report.findings]


def test_a_profile_edited_between_runs_is_read_again(tmp_path: Path) -> None:
    import os

    profile = tmp_path / "mine.yaml"
    profile.write_text("extends: quick\nsettings: {max_batches: 3}\n", encoding="utf-8")
    assert resolve_settings(SettingsRequest(profile=str(profile))).max_batches == 3
    profile.write_text("extends: quick\nsettings: {max_batches: 5}\n", encoding="utf-8")
    stat = profile.stat()
    os.utime(profile, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a coarse clock cannot hide the edit
    assert resolve_settings(SettingsRequest(profile=str(profile))).max_batches == 5
    profile.write_text("extends: quick\nsettings: {max_batches: -1}\n", encoding="utf-8")
    os.utime(profile, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2 * 10**9))
    with pytest.raises(SettingsError, match="max_batches"):
        resolve_settings(SettingsRequest(profile=str(profile)))
    with pytest.raises(SettingsError, match="max_batches"):  # an invalid file stays an error on every run
        resolve_settings(SettingsRequest(profile=str(profile)))
