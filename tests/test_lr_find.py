"""The LR range test: suggestion rules on synthetic curves, the sweep probe, ND403 and `nndoctor lr-find`."""

from __future__ import annotations

import json
import math
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch
from helpers import load, run
from torch import nn
from typer.testing import CliRunner

import nndoctor
from nndoctor import lr_suggest
from nndoctor.cli import app
from nndoctor.declare import build_settings
from nndoctor.errors import SettingsError
from nndoctor.lr_suggest import MIN_STEPS, LRRangeSettings, suggest
from nndoctor.report.model import Outcome
from nndoctor.targets import Target

ROOT = Path(__file__).resolve().parent.parent
DIGITS_MLP = ROOT / "sample_models" / "healthy" / "digits_mlp.py"


# -- synthetic curves --------------------------------------------------------------------------
def sweep_lrs(n: int = 100, start: float = 1e-7, end: float = 10.0) -> list[float]:
    return [start * (end / start) ** (i / (n - 1)) for i in range(n)]


def synthetic(
    lrs: list[float], *, fall_at: float = -3.0, blow_at: float | None = -1.0, noise: float = 0.0, seed: int = 0
) -> list[float]:
    """A range-test-shaped curve: flat at 2.3, falls around 10**fall_at, explodes past 10**blow_at."""
    rng = random.Random(seed)
    out = []
    for lr in lrs:
        x = math.log10(lr)
        level = 0.3 + 2.0 / (1 + math.exp((x - fall_at) * 4))
        if blow_at is not None and x > blow_at:
            level *= math.exp(3 * (x - blow_at) ** 2 * 4)
        out.append(level * math.exp(rng.gauss(0, noise)))
    return out


def test_clean_curve_suggests_below_the_minimum_and_above_the_descent_start() -> None:
    lrs = sweep_lrs()
    s = suggest(lrs, synthetic(lrs))
    assert s.lr is not None and s.low is not None and s.high is not None
    assert 10**-3.5 < s.lr < 10**-1.0, s
    assert s.low < s.lr <= s.high < s.divergence_lr  # type: ignore[operator]
    assert 10**-1.2 < s.divergence_lr < 10**-0.3  # type: ignore[operator]
    assert s.method.startswith("nndoctor")


def test_noisy_curve_with_a_spike_gives_about_the_clean_suggestion() -> None:
    lrs = sweep_lrs()
    clean = suggest(lrs, synthetic(lrs)).lr
    noisy = synthetic(lrs, noise=0.08, seed=3)
    noisy[15] = 40.0  # one absurd batch early in the sweep
    noisy[16] = 0.01  # and a freak low one right after it
    s = suggest(lrs, noisy)
    assert s.lr is not None and clean is not None
    assert abs(math.log10(s.lr) - math.log10(clean)) < 0.35, (s.lr, clean)


def test_flat_curve_gives_no_suggestion_and_says_why() -> None:
    lrs = sweep_lrs()
    rng = random.Random(1)
    s = suggest(lrs, [2.3 * math.exp(rng.gauss(0, 0.01)) for _ in lrs])
    assert s.lr is None and s.method == "none"
    assert "neither falls nor blows up" in s.reason


def test_sweep_cut_short_before_the_descent_never_reports_a_divergence() -> None:
    """A budget stop leaves only the flat start: noise dips must not read as descent and blow-up."""
    lrs = sweep_lrs(40, end=1e-4)
    for seed in range(20):
        rng = random.Random(seed)
        s = suggest(lrs, [2.3 * math.exp(rng.gauss(0, 0.04)) for _ in lrs])
        assert s.divergence_lr is None, (seed, s)
        assert s.lr is None or not s.confident, (seed, s)


def test_immediately_diverging_curve_reports_where_it_blew_up() -> None:
    lrs = sweep_lrs()
    losses = [2.3, 2.4, 9.0] + [math.nan] * (len(lrs) - 3)
    s = suggest(lrs, losses)
    assert s.lr is None
    assert s.divergence_lr == pytest.approx(lrs[3])
    assert f"at least {MIN_STEPS}" in s.reason
    nan_first = suggest(lrs, [math.nan] * len(lrs))
    assert nan_first.lr is None and "first step" in nan_first.reason


def test_curve_still_falling_at_the_end_says_to_sweep_further() -> None:
    lrs = sweep_lrs(end=1e-2)
    s = suggest(lrs, synthetic(lrs, fall_at=-3.5, blow_at=None))
    assert s.lr is not None and s.divergence_lr is None
    assert "still falling" in s.reason


def test_peer_rules_follow_their_definitions() -> None:
    lrs = sweep_lrs()
    losses = synthetic(lrs)
    smoothed = lr_suggest.ema(losses, 0.98)
    cut = lr_suggest._cut_at_divergence(smoothed, 4.0)
    kept = smoothed[:cut][10:-5]
    lr_at_min = lrs[10:][min(range(len(kept)), key=lambda i: kept[i])]
    assert lr_suggest.fastai_minimum(lrs, losses) == pytest.approx(lr_at_min / 10)
    valley = lr_suggest.fastai_valley(lrs, losses)
    assert valley is not None and 1e-5 < valley < lr_at_min
    assert lr_suggest.gradient([0.0, 1.0, 4.0, 9.0]) == [1.0, 2.0, 4.0, 5.0]
    peers = lr_suggest.peer_suggestions(lrs, losses)
    assert set(peers) == set(lr_suggest.PEERS)


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"start": 1e-2, "end": 1e-3}, "must be above its start"),
        ({"steps": 5}, f"lr_range.steps is 5, but it must be an integer >= {MIN_STEPS}"),
        ({"start": 0.0}, "lr_range.start is 0.0, but it must be a number > 0"),
        ({"mode": "cosine"}, "one of exp, linear"),
        ({"smooth": 1.0}, "lr_range.smooth is 1.0, but it must be a number >= 0 and <= 0.999"),
        ({"diverge_factor": 1.0}, "a number > 1"),
        ({"unknown": 1}, "lr_range.unknown is not a setting of the probe lr_range"),
    ],
)
def test_bad_sweep_settings_are_usage_errors(settings: dict[str, Any], needle: str) -> None:
    with pytest.raises(SettingsError) as info:
        build_settings(LRRangeSettings, settings, lambda key: f"lr_range.{key}", "the probe lr_range")
    assert needle in str(info.value)


# -- the probe through the Python API ----------------------------------------------------------
def _bn_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def _loader(n: int = 128, batch: int = 32, nan: bool = False) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    if nan:
        x[:] = math.nan
    return [(x[i : i + batch], y[i : i + batch]) for i in range(0, n, batch)]


def _tensors(obj: Any) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in _tensors(v)]
    if isinstance(obj, (list, tuple)):
        return [t for v in obj for t in _tensors(v)]
    return []


def test_sweep_leaves_user_model_and_optimizer_bit_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _bn_model()
    data = _loader()
    optimizer = torch.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.01},
            {"params": list(model[1].parameters()) + list(model[3].parameters()), "lr": 0.002},
        ],
        momentum=0.9,
    )
    for x, y in data[:3]:  # give the optimizer some state (momentum buffers) and BN running stats
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    state_before = {k: v.clone() for k, v in model.state_dict().items()}
    opt_before = optimizer.state_dict()
    opt_tensors = [t.clone() for t in _tensors(opt_before["state"])]
    groups_before = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    was_training = model.training
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    report = nndoctor.diagnose(model, data, optimizer_fn=optimizer, select=["ND403"], device="cpu")
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome in (Outcome.PASS, Outcome.WARN), finding
    assert report.artifacts["lr_range"]["param_groups"] == 2
    for key, value in model.state_dict().items():
        assert torch.equal(value, state_before[key]), key
    opt_after = optimizer.state_dict()
    assert [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups] == groups_before
    assert all(torch.equal(a, b) for a, b in zip(_tensors(opt_after["state"]), opt_tensors, strict=True))
    assert model.training == was_training
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []  # no checkpoints, no temp files


def test_sweep_keeps_param_group_ratios() -> None:
    model = _bn_model()
    seen: list[list[float]] = []

    class Spy(torch.optim.SGD):
        def step(self, closure: Any = None) -> Any:  # type: ignore[override]
            seen.append([g["lr"] for g in self.param_groups])
            return super().step(closure)

    def factory(params: Any) -> torch.optim.Optimizer:
        params = list(params)
        return Spy([{"params": params[:2], "lr": 0.1}, {"params": params[2:], "lr": 0.01}])

    target = Target(
        name="ratios", model=model, train_data=_loader(), loss_fn=nn.CrossEntropyLoss(), optimizer_factory=factory
    )
    report = run(
        target,
        select=["ND403"],
        device="cpu",
        plugins=False,
        probes={"lr_range": {"steps": 20, "start": 1e-4, "end": 1e-2}},
    )
    curve = report.artifacts["lr_curve"]
    assert curve[0]["lr"] == pytest.approx(1e-4) and curve[-1]["lr"] == pytest.approx(1e-2)
    sweep = [lrs for lrs in seen if lrs[0] <= 1e-2 * 1.0001]  # the range test's steps (not the 1-step probe)
    assert len(sweep) == 20 and all(b / a == pytest.approx(0.1) for a, b in sweep)
    assert sweep[0][0] == pytest.approx(1e-4) and sweep[-1][0] == pytest.approx(1e-2)
    assert curve[0].keys() == {"lr", "loss", "smoothed", "trend"}


def test_val_mode_and_accumulation_record_what_they_say() -> None:
    target = Target(name="tiny", model=_bn_model(), train_data=_loader(), val_data=_loader(64))
    report = run(
        target,
        select=["ND403"],
        device="cpu",
        probes={"lr_range": {"steps": 40, "loss": "val", "val_every": 4, "accumulate": 2}},
    )
    summary = report.artifacts["lr_range"]
    assert summary["loss_source"] == "val" and summary["accumulate"] == 2
    assert len(report.artifacts["lr_curve"]) <= 11  # steps 0, 4, ..., 36 and the last


# -- ND403 ---------------------------------------------------------------------------------------
def test_nd403_quiet_on_the_healthy_digits_mlp() -> None:
    target = load(DIGITS_MLP)
    report = nndoctor.diagnose(
        target.model, target.train_data, target.val_data, target.loss_fn, target.optimizer_factory,
        select=["ND403"], device="cpu",
    )  # fmt: skip
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome == Outcome.PASS, finding.message
    assert 1e-3 < finding.evidence["suggested_lr"] < 0.1


@pytest.mark.parametrize(("lr", "needle"), [(50.0, "diverges"), (1e-6, "below the suggested")])
def test_nd403_warns_on_absurd_learning_rates(lr: float, needle: str) -> None:
    target = load(DIGITS_MLP)
    report = nndoctor.diagnose(
        target.model, target.train_data, loss_fn=target.loss_fn,
        optimizer_fn=lambda params: torch.optim.SGD(params, lr=lr), select=["ND403"], device="cpu",
    )  # fmt: skip
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome == Outcome.WARN, finding.message
    assert needle in finding.message and finding.recommendation
    assert finding.evidence["suggested_lr"] is not None


def test_nd403_fails_when_the_loss_is_nan_from_the_first_step() -> None:
    report = nndoctor.diagnose(_bn_model(), _loader(nan=True), select=["ND403"], device="cpu")
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome == Outcome.FAIL
    assert "first step" in finding.message


def test_nd403_skips_an_optimizer_without_lr() -> None:
    report = nndoctor.diagnose(_bn_model(), _loader(), optimizer_fn=NoLrOptimizer, select=["ND403"], device="cpu")
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome == Outcome.SKIP
    assert "no numeric `lr`" in finding.message


def test_nd403_is_not_judged_when_the_safety_cap_cuts_the_sweep() -> None:
    target = Target(name="tiny", model=_bn_model(), train_data=_loader())
    report = run(target, select=["ND403"], device="cpu", budget_s=1e-9)
    finding = report.finding("ND403")
    assert finding is not None and finding.outcome == Outcome.NOT_JUDGED, finding.message
    assert "safety cap" in finding.message and "lr_range" not in report.artifacts


class NoLrOptimizer(torch.optim.Optimizer):
    """An optimizer whose param groups carry a step size under another name."""

    def __init__(self, params: Any) -> None:
        super().__init__(params, {"step_size": 0.01})

    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["step_size"])


# -- the command -----------------------------------------------------------------------------------
def invoke(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["lr-find", *[str(a) for a in args]], env={"COLUMNS": "100", "NO_COLOR": "1"})


def test_lr_find_writes_plot_csv_and_json(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("matplotlib")
    files = {"plot": tmp_path / "lr.png", "csv": tmp_path / "lr.csv", "json": tmp_path / "lr.json"}
    result = invoke(
        DIGITS_MLP, "--steps", "40", "--device", "cpu",
        "--plot", files["plot"], "--csv", files["csv"], "--json", files["json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "suggested lr" in result.output and "┼" in result.output  # table and terminal plot
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    frame = pd.read_csv(files["csv"])
    assert list(frame.columns) == ["lr", "loss", "smoothed", "trend"] and 2 <= len(frame) <= 40
    report = json.loads(files["json"].read_text())
    assert len(report["artifacts"]["lr_curve"]) == len(frame)
    assert report["artifacts"]["lr_range"]["suggestion"]["lr"] > 0
    assert [f["id"] for f in report["findings"]] == ["ND403"]


def test_lr_find_json_format_and_linear_mode(tmp_path: Path) -> None:
    result = invoke(
        DIGITS_MLP, "--steps", "30", "--mode", "linear", "--start", "1e-4", "--end", "0.5", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    curve = report["artifacts"]["lr_curve"]
    assert curve[1]["lr"] - curve[0]["lr"] == pytest.approx(curve[2]["lr"] - curve[1]["lr"])
    assert report["artifacts"]["lr_range"]["mode"] == "linear"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--start", "1e-2", "--end", "1e-4"), "must be above its start"),
        (("--steps", "5"), f"--steps is 5, but it must be an integer >= {MIN_STEPS}"),
        (("--val",), "no validation loader"),
    ],
)
def test_lr_find_bad_options_exit_2(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    recipe = tmp_path / "recipe.py"
    recipe.write_text(RECIPE.format(optimizer="torch.optim.Adam(params, lr=1e-3)", data="x"))
    result = invoke(recipe, *args)
    assert result.exit_code == 2, result.output
    assert needle in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_lr_find_without_optimizer_lr_exits_2(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.py"
    recipe.write_text(RECIPE.format(optimizer="NoLr(params)", data="x") + NO_LR)
    result = invoke(recipe, "--steps", "20")
    assert result.exit_code == 2, result.output
    assert "has no numeric `lr`" in " ".join(result.output.split())


def test_lr_find_nan_from_the_first_step_exits_1_with_a_fail_finding(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.py"
    recipe.write_text(RECIPE.format(optimizer="torch.optim.Adam(params, lr=1e-3)", data="x * float('nan')"))
    result = invoke(recipe, "--steps", "20")
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "FAIL" in text and "not finite from the first step" in text


RECIPE = """
import torch
from torch import nn

def build_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

def build_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = (x[:, 0] > 0).long()
    x = {data}
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]

def build_loss():
    return nn.CrossEntropyLoss()

def build_optimizer(params):
    return {optimizer}
"""

NO_LR = """
class NoLr(torch.optim.Optimizer):
    def __init__(self, params):
        super().__init__(params, {"step_size": 0.01})

    def step(self, closure=None):
        pass
"""


# -- the plot ---------------------------------------------------------------------------------------
def test_text_plot_marks_suggestion_range_divergence_and_configured_lr() -> None:
    from rich.console import Console

    from nndoctor.report.lr_plot import text_plot

    lrs = sweep_lrs()
    losses = synthetic(lrs)
    s = suggest(lrs, losses)
    curve = [{"lr": a, "loss": b, "smoothed": b} for a, b in zip(lrs, losses, strict=True)]
    summary = {"suggestion": s.to_dict(), "configured_lr": 1e-5}
    console = Console(width=90, no_color=True, record=True)
    console.print(text_plot(curve, summary, width=88))
    text = console.export_text()
    for mark in ("┼", "━", "✕", "▲", "1e-7", "1e-1"):
        assert mark in text, mark


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_sweep_syncs_only_for_the_divergence_test() -> None:
    import warnings

    target = load(DIGITS_MLP)
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = nndoctor.diagnose(
                target.model, target.train_data, loss_fn=target.loss_fn, select=["ND403"], device="cuda"
            )
    finally:
        torch.cuda.set_sync_debug_mode(0)
    steps = report.artifacts["lr_range"]["steps"]
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    # setup, the one curve transfer and one read per 8 steps; nothing per step
    assert len(syncs) <= steps // 8 + 30, len(syncs)


def test_chunked_device_tracker_matches_the_per_step_one() -> None:
    """The CUDA path (device-side EMA in chunks, one read per chunk) finds what the CPU path finds."""
    from nndoctor.probes.lr_range import _Tracker

    lrs = sweep_lrs(60)
    losses = synthetic(lrs, noise=0.05, seed=2)
    cpu = torch.device("cpu")
    host = _Tracker(len(losses), 0.9, 4.0, cpu, host=True)
    chunked = _Tracker(len(losses), 0.9, 4.0, cpu, host=False)
    found: dict[str, int | None] = {"host": None, "chunked": None}
    for k, value in enumerate(losses):
        host.record(k, torch.tensor(value))
        chunked.record(k, torch.tensor(value))
        if found["host"] is None:
            found["host"] = host.scan(k + 1)
        if found["chunked"] is None and (k + 1) % 8 == 0:
            found["chunked"] = chunked.scan(k + 1)
    assert found["host"] is not None and found["host"] == found["chunked"]
    kept = found["host"] + 1
    raw_a, sm_a = host.curves(kept)
    raw_b, sm_b = chunked.curves(kept)
    assert raw_a == pytest.approx(raw_b, rel=1e-6) and sm_a == pytest.approx(sm_b, rel=1e-5)


def test_forced_chunked_sweep_on_cpu_stops_at_the_same_point() -> None:
    target = load(DIGITS_MLP)
    stops = []
    for check_every in (None, 8):
        report = run(
            target, select=["ND403"], device="cpu", probes={"lr_range": {"steps": 60, "check_every": check_every}}
        )
        stops.append((report.artifacts["lr_range"]["stop_reason"], len(report.artifacts["lr_curve"])))
    assert stops[0] == stops[1]
