"""The engine's contracts: selection, plugins, probe caching, error isolation, profiles."""

from __future__ import annotations

import types

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from helpers import run
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nndoctor.check import check, passed
from nndoctor.errors import Skip, UsageError
from nndoctor.probe import probe
from nndoctor.probes.backward import weighted_depth
from nndoctor.profiles import load_profile
from nndoctor.registry import Registry, load_registry
from nndoctor.report.model import Outcome
from nndoctor.targets import Target
from nndoctor.tasks import identify_loss


def small_target(**kwargs) -> Target:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(128, 6, generator=generator)
    y = (x[:, 0] > 0).long()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
    loader = DataLoader(TensorDataset(x, y), batch_size=32)
    return Target(name="small", model=model, train_data=loader, **kwargs)


def test_select_by_prefix_name_and_all():
    registry = load_registry()
    assert registry.resolve(["ND2"], "--select") == {"ND201", "ND202", "ND203", "ND204"}
    assert registry.resolve(["implausible-initial-loss"], "--select") == {"ND201"}
    assert registry.resolve(["ALL"], "--select") == set(registry.checks)
    with pytest.raises(UsageError, match="ND999"):
        registry.resolve(["ND999"], "--select")


def test_builtins_come_through_the_entry_point():
    registry = load_registry()
    assert "nndoctor" in registry.plugins
    assert {"setup", "init_forward", "init_backward"} <= set(registry.probes)


def _plugin_module() -> types.ModuleType:
    """A third-party plugin: one probe counting its runs, two checks sharing it, one crashing."""
    module = types.ModuleType("fake_plugin")
    calls = {"n": 0}

    @probe("fake_count", "counts its runs", cost="static")
    def fake_count(ctx):
        calls["n"] += 1
        return calls["n"]

    @check("XX901", "first-user", "uses the probe", cost="static")
    def first_user(fake_count):
        """Test plugin check.

        What it checks:
        That a plugin check can read a plugin probe's result through the shared cache.

        Why it matters:
        Checks that share an experiment must share its cost: the probe must run only once.

        Evidence:
        The number of times the probe ran, which must stay one for both users of it.

        How to fix:
        Nothing to fix: this exists for the engine's tests and is never shipped to users.
        """
        return passed(f"probe ran {fake_count} time(s)", {"runs": fake_count})

    @check("XX902", "second-user", "uses the probe too", cost="static")
    def second_user(fake_count):
        """Test plugin check.

        What it checks:
        That the second reader of a probe gets the cached result rather than a fresh run.

        Why it matters:
        Checks that share an experiment must share its cost: the probe must run only once.

        Evidence:
        The number of times the probe ran, which must stay one for both users of it.

        How to fix:
        Nothing to fix: this exists for the engine's tests and is never shipped to users.
        """
        return passed(f"probe ran {fake_count} time(s)", {"runs": fake_count})

    @check("XX903", "always-crashes", "crashes", cost="static")
    def always_crashes(setup):
        """Test plugin check.

        What it checks:
        That an exception inside a check becomes an error finding and not a crashed run.

        Why it matters:
        One broken check (ours or a plugin's) must never hide the findings of all the others.

        Evidence:
        The exception type and message, reported as the finding's message.

        How to fix:
        Nothing to fix: this exists for the engine's tests and is never shipped to users.
        """
        raise ZeroDivisionError("boom")

    @check("XX904", "skips-itself", "skips", cost="static")
    def skips_itself(setup):
        """Test plugin check.

        What it checks:
        That raising Skip from a check produces a skip finding with the reason as message.

        Why it matters:
        Checks that do not apply must say why, and must not count as failures in CI.

        Evidence:
        The reason given to Skip, reported as the finding's message.

        How to fix:
        Nothing to fix: this exists for the engine's tests and is never shipped to users.
        """
        raise Skip("not applicable here")

    module.fake_count = fake_count
    module.first_user = first_user
    module.second_user = second_user
    module.always_crashes = always_crashes
    module.skips_itself = skips_itself
    return module


def test_plugin_checks_share_probes_and_errors_are_isolated(monkeypatch):
    import nndoctor.registry as registry_module

    base = load_registry()
    registry = Registry(checks=dict(base.checks), probes=dict(base.probes), plugins=list(base.plugins))
    registry.add_module(_plugin_module(), "fake-plugin")
    monkeypatch.setattr(registry_module, "_CACHE", {(True, True): registry, (False, True): base})
    report = run(small_target(), profile="quick", select=["XX9", "ND201"])
    outcomes = {f.check_id: f for f in report.findings}
    assert outcomes["XX901"].evidence["runs"] == 1
    assert outcomes["XX902"].evidence["runs"] == 1  # cached, not re-run
    assert outcomes["XX903"].outcome == Outcome.ERROR
    assert "ZeroDivisionError: boom" in outcomes["XX903"].message
    assert outcomes["XX904"].outcome == Outcome.SKIP
    assert outcomes["XX904"].message == "not applicable here"
    assert outcomes["ND201"].outcome == Outcome.PASS  # the crash did not sink the report
    assert "fake-plugin" in report.plugins


def test_a_failing_probe_becomes_an_error_for_its_checks_only():
    def exploding_forward(model, batch):
        if not model.training:  # only train_eval/batch_independence run eval-mode forwards
            raise RuntimeError("eval path broken")
        x, y = batch
        return model(x), y

    report = run(small_target(forward_fn=exploding_forward), profile="quick")
    by_id = {f.check_id: f for f in report.findings}
    assert by_id["ND106"].outcome == Outcome.ERROR and "eval path broken" in by_id["ND106"].message
    assert by_id["ND201"].outcome == Outcome.PASS


def test_loss_identified_by_value_when_it_is_a_plain_function():
    torch.manual_seed(0)
    logits, labels = torch.randn(8, 5), torch.randint(0, 5, (8,))
    value = float(F.cross_entropy(logits, labels))
    assert identify_loss(lambda o, t: F.cross_entropy(o, t), logits, labels, value) == "cross_entropy"
    out, target = torch.randn(8, 1), torch.randn(8, 1)
    assert identify_loss(lambda o, t: ((o - t) ** 2).mean(), out, target, float(F.mse_loss(out, target))) == "mse"
    assert identify_loss(lambda o, t: (o - t).abs().max(), out, target, float((out - target).abs().max())) is None


def test_depth_counts_weight_layers_on_paths_to_the_input():
    x = torch.randn(4, 8, requires_grad=True)
    chain = nn.Sequential(*[nn.Linear(8, 8) for _ in range(6)])
    assert weighted_depth(chain(x).sum().grad_fn, x) == (6, 6)
    first, second = nn.Linear(8, 8), nn.Linear(8, 8)
    hidden = first(x)
    residual = hidden + second(torch.relu(hidden))
    assert weighted_depth(residual.sum().grad_fn, x) == (2, 1)


def test_profiles_extend_and_reject_unknown_keys(tmp_path):
    user = tmp_path / "mine.yaml"
    user.write_text("extends: quick\nthresholds:\n  ND201: {max_ratio: 2.0}\n")
    registry = load_registry()
    profile = load_profile(str(user), registry)
    assert profile.select == ["ND1", "ND2", "ND3"]
    assert profile.thresholds["ND201"]["max_ratio"] == 2.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: quick\nselct: [ND1]\n")
    with pytest.raises(UsageError, match="selct"):
        load_profile(str(bad), registry)
    with pytest.raises(UsageError, match="Unknown profile"):
        load_profile("nope", registry)


def test_profile_threshold_reaches_the_check(tmp_path):
    strict = tmp_path / "strict.yaml"
    # ND201 is a heuristic: in the quick profile nothing confirms it, so the extreme limit moves too
    strict.write_text("extends: quick\nthresholds:\n  ND201: {max_ratio: 0.5, extreme_ratio: 0.6}\n")
    report = run(small_target(), profile=str(strict), select=["ND201"])
    assert report.findings[0].outcome == Outcome.WARN  # ln(2)-ish loss is above 0.5 x ln(2)
