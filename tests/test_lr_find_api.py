"""`nndoctor.lr_find`: the typed result, the training stream, noise, optimizers, precision, threads, ND403."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

import nndoctor
from nndoctor.batches import TrainStream, loader_epoch
from nndoctor.check import Thresholds
from nndoctor.checks.learning_rate import learning_rate_range
from nndoctor.lr_suggest import Suggestion, choose, confirmation_candidates, suggest
from nndoctor.probes.lr_range import LRRange
from nndoctor.report.model import Outcome

ROOT = Path(__file__).resolve().parent.parent
FAST = {"steps": 30, "confirm_steps": 8, "held_batches": 2}


def _data(n: int = 640, batch: int = 16, seed: int = 0) -> DataLoader:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 0.5).long()
    return DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, generator=torch.Generator().manual_seed(5))


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


# -- the API and its result ------------------------------------------------------------------------
def test_lr_find_returns_a_frozen_typed_result_and_touches_nothing(tmp_path: Path) -> None:
    model, loader = _model(), _data()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    shuffle = loader.generator.get_state()  # type: ignore[union-attr]
    rng = torch.get_rng_state()
    threads = torch.get_num_threads()
    result = nndoctor.lr_find(model, loader, nn.CrossEntropyLoss(), optimizer, **FAST)
    assert isinstance(result, nndoctor.LRFindResult)
    with pytest.raises(AttributeError):
        result.suggestion = 1.0  # type: ignore[misc]
    assert result.suggestion is not None and result.good_range is not None
    low, high = result.good_range
    assert low <= result.suggestion <= high
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) == len(result.trend) > 20
    assert result.noise is not None and result.noise >= 0
    assert len(result.confirmations) == 3 and result.curve_suggestion is not None
    assert result.verdict in {"pass", "warn", "skip"} and result.verdict_message
    assert json.loads(json.dumps(result.to_dict()))["suggestion"] == result.suggestion
    assert "<svg" in result.plot()._repr_svg_()
    result.plot(tmp_path / "lr.svg")
    assert (tmp_path / "lr.svg").read_text().startswith("<svg")
    # nothing of the user's changed: weights, optimizer, shuffling, RNG, threads
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert optimizer.param_groups[0]["lr"] == 1e-3 and not optimizer.state
    assert torch.equal(loader.generator.get_state(), shuffle)  # type: ignore[union-attr]
    assert torch.equal(torch.get_rng_state(), rng)
    assert torch.get_num_threads() == threads


def test_import_nndoctor_with_lr_find_does_not_import_torch() -> None:
    code = "import sys, nndoctor; nndoctor.lr_find; nndoctor.LRFindResult; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# -- the training stream -------------------------------------------------------------------------
def test_train_stream_draws_fresh_batches_and_cycles_only_past_the_epoch() -> None:
    loader = _data(n=160, batch=16)  # 10 batches per epoch
    state = loader.generator.get_state()  # type: ignore[union-attr]
    gens = [loader.generator]
    with TrainStream(loader, torch.device("cpu"), 3, [], gens) as stream:
        first = [b[0] for b in stream.take(10)]
        assert stream.epochs == 0
        second = [b[0] for b in stream.take(10)]
    rows = torch.cat(first)
    assert len({tuple(r.tolist()) for r in rows}) == 160  # one epoch: every sample once, no batch repeated
    assert not all(torch.equal(a, b) for a, b in zip(first, second, strict=True))  # epoch 2 reshuffled
    assert torch.equal(loader.generator.get_state(), state)  # type: ignore[union-attr]
    with TrainStream(loader, torch.device("cpu"), 3, [], gens) as again:
        assert all(torch.equal(a[0], b) for a, b in zip(again.take(10), first, strict=True))  # seeded


def _loader_variants() -> list[tuple[str, Any]]:
    x = torch.randn(103, 3, dtype=torch.float64)
    ds = TensorDataset(x, torch.randint(0, 5, (103,)), torch.randn(103, 2, 2)[:, :, 0])  # a strided tensor
    return [
        ("in order", lambda: DataLoader(ds, batch_size=8)),
        ("shuffled, global RNG", lambda: DataLoader(ds, batch_size=8, shuffle=True)),
        ("shuffled, drop_last", lambda: DataLoader(ds, batch_size=8, shuffle=True, drop_last=True)),
        (
            "shuffled, own generator",
            lambda: DataLoader(ds, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(3)),
        ),
        ("weighted sampler", lambda: DataLoader(ds, batch_size=16, sampler=WeightedRandomSampler(torch.rand(103), 50))),
    ]


@pytest.mark.parametrize(("name", "make"), _loader_variants(), ids=[n for n, _ in _loader_variants()])
def test_gathered_tensor_dataset_epochs_are_the_loaders_own_draw_for_draw(name: str, make: Any) -> None:
    def two_epochs(epoch: Any) -> tuple[list[Any], list[torch.Tensor]]:
        torch.manual_seed(5)
        loader = make()
        batches = [b for _ in range(2) for b in epoch(loader)]
        gen = [loader.generator.get_state()] if loader.generator is not None else []
        return batches, [torch.get_rng_state(), *gen]

    assert not isinstance(loader_epoch(make()), type(iter(make())))  # the gather is taken
    (plain, plain_rng), (gathered, gathered_rng) = two_epochs(iter), two_epochs(loader_epoch)
    assert len(plain) == len(gathered) > 0
    for a, b in zip(plain, gathered, strict=True):
        assert type(a) is type(b)
        for s, t in zip(a, b, strict=True):
            assert s.dtype == t.dtype and torch.equal(s, t)
    assert all(torch.equal(s, t) for s, t in zip(plain_rng, gathered_rng, strict=True))  # the same draws after


def test_loaders_the_gather_cannot_copy_are_iterated_as_they_are() -> None:
    ds = TensorDataset(torch.randn(8, 2))
    for loader in (
        DataLoader(ds, batch_size=2, collate_fn=lambda b: b),
        DataLoader(ds, batch_size=None),
        DataLoader(list(ds), batch_size=2),
    ):
        assert isinstance(loader_epoch(loader), type(iter(DataLoader(ds))))


def test_train_stream_of_a_one_shot_iterator_cycles_the_taken_batches() -> None:
    batches = [(torch.full((2, 6), float(i)), torch.zeros(2, dtype=torch.long)) for i in range(3)]
    stream = TrainStream(iter(batches), torch.device("cpu"), 0, batches)
    assert [float(b[0][0, 0]) for b in stream.take(5)] == [0.0, 1.0, 2.0, 0.0, 1.0]


def test_sweep_sees_more_distinct_batches_than_the_materialized_ones() -> None:
    loader = _data(n=1600, batch=16)  # 100 batches per epoch, the context keeps 32
    result = nndoctor.diagnose(
        _model(), loader, loss_fn=nn.CrossEntropyLoss(), select=["ND403"], device="cpu",
        probes={"lr_range": {**FAST, "steps": 60, "confirm": 0}},
    )  # fmt: skip
    summary = result.artifacts["lr_range"]
    assert summary["batches_seen"] >= 60 and summary["epochs_seen"] == 0


class _Counted(TensorDataset):
    """Counts the samples read, to see how many batches a run takes up front."""

    reads = 0

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        type(self).reads += 1
        return super().__getitem__(index)


def test_lr_find_takes_up_front_only_the_batches_the_run_reads() -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(640, 6, generator=g), torch.randint(0, 3, (640,), generator=g)

    def run(**kwargs: Any) -> tuple[dict[str, Any], int]:
        _Counted.reads = 0
        train = DataLoader(_Counted(x, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(5))
        val = DataLoader(_Counted(x[:64], y[:64]), batch_size=16) if kwargs.pop("val", False) else None
        result = nndoctor.lr_find(_model(), train, nn.CrossEntropyLoss(), val_loader=val, **FAST, **kwargs)
        return result.to_dict(), _Counted.reads

    default, reads = run(confirm=0)
    explicit, reads_8 = run(confirm=0, max_batches=8)
    assert default == explicit  # what is taken up front never changes the sweep
    assert reads == (1 + 30) * 16 and reads_8 == (8 + 30) * 16  # one batch for the setup, then the sweep
    # with confirmation runs on a validation loader: its held batches (2 here) are what is taken
    default, reads = run(val=True)
    explicit, reads_8 = run(val=True, max_batches=8)
    assert default == explicit and reads_8 - reads == (8 - 2) * 16 + (4 - 2) * 16


def test_lr_find_on_a_one_shot_iterator_keeps_the_batches_it_cycles() -> None:
    loader = list(_data())
    default = nndoctor.lr_find(_model(), iter(loader), nn.CrossEntropyLoss(), **FAST, confirm=0)
    explicit = nndoctor.lr_find(_model(), iter(loader), nn.CrossEntropyLoss(), **FAST, confirm=0, max_batches=8)
    assert default.to_dict() == explicit.to_dict()  # it cycles the 8 batches it took, as before


# -- noise and confidence -----------------------------------------------------------------------------
def _curve(noise: float, depth: float, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    lrs = [1e-7 * 1e8 ** (i / 99) for i in range(100)]
    losses = []
    for lr in lrs:
        x = math.log10(lr)
        level = 2.0 * (1 - depth / (1 + math.exp(-(x + 3) * 3)))
        losses.append(level * math.exp(rng.gauss(0, noise)))
    return lrs, losses


def test_noise_dominated_curve_is_not_confident_and_says_why() -> None:
    lrs, losses = _curve(noise=0.35, depth=0.2)
    s = suggest(lrs, losses)
    assert not s.confident and "noise" in s.reason and s.noise is not None and s.noise > 0.2


def test_clean_descent_is_confident_with_a_small_noise_level() -> None:
    lrs, losses = _curve(noise=0.02, depth=0.6)
    s = suggest(lrs, losses)
    assert s.confident and s.noise is not None and s.noise < 0.05


def test_choice_is_robust_to_float_noise_and_prefers_the_lower_tied_lr() -> None:
    curve = Suggestion(1e-2, 5e-3, 1.6e-2, 1.0, 0.1, "nndoctor", "", True, 0.05, 0.5)
    lrs = confirmation_candidates(curve, 3, 0.5)
    assert lrs == pytest.approx([10**-2.5, 1e-2, 10**-1.5])
    base = [(lrs[0], 0.500, [0.5]), (lrs[1], 0.495, [0.495]), (lrs[2], 0.60, [0.6])]
    jitter = [(lr, loss * (1 + 1e-6 * (-1) ** i), b) for i, (lr, loss, b) in enumerate(base)]
    expected = 10 ** ((math.log10(lrs[0]) + math.log10(1e-2)) / 2)  # the tied lower lr, averaged with the curve
    assert choose(curve, base, "validation").lr == choose(curve, jitter, "validation").lr == pytest.approx(expected)
    diverged = choose(curve, [(lr, math.inf, []) for lr in lrs], "validation")
    assert not diverged.confident and "diverged" in diverged.reason


# -- ND403's outcome and message ----------------------------------------------------------------------
def _range(configured: float, *, confident: bool = True, low: float = 3e-4, high: float = 3e-3) -> LRRange:
    s = Suggestion(1e-3, low, high, 0.3, 0.01, "nndoctor", "read", confident, 0.05, 0.5)
    return LRRange(
        status="ok", lrs=[1e-7, 1.0], losses=[1.0, 2.0], smoothed=[1.0, 2.0], trend=[1.0, 2.0], suggestion=s,
        peers={}, configured_lr=configured, optimizer="Adam", groups=1, start=1e-7, end=10.0, requested_steps=100,
        steps=100, mode="exp", loss_source="train", accumulate=1, stop_reason="completed", seconds=0.0,
    )  # fmt: skip


LIMITS = Thresholds({"outside_factor": 10.0, "above_factor": 5.0, "diverge_margin": 1.0, "extreme_factor": 100.0})


@pytest.mark.parametrize(
    ("lr", "needle"),
    [(1e-5, "30x below the suggested range"), (0.1, "33x above the suggested"), (0.024, "8x above the suggested")],
)
def test_nd403_warns_far_outside_the_range_with_direction_and_factor(lr: float, needle: str) -> None:
    verdict = learning_rate_range(_range(lr), LIMITS)
    assert verdict.outcome == Outcome.WARN and needle in verdict.message, verdict.message
    assert verdict.evidence["direction"] in ("below", "above") and verdict.recommendation


def test_nd403_marks_a_rate_100x_off_the_range_as_standing_on_its_own() -> None:
    assert not learning_rate_range(_range(1e-5), LIMITS).extreme  # 30x: needs a run at that lr to agree
    assert learning_rate_range(_range(1e-7), LIMITS).extreme


@pytest.mark.parametrize("lr", [1e-3, 1e-4, 1.2e-2])  # 10x below to 4x above: above the range 5x is the limit
def test_nd403_passes_near_the_range_and_never_says_below_or_above_it(lr: float) -> None:
    verdict = learning_rate_range(_range(lr), LIMITS)
    assert verdict.outcome == Outcome.PASS, verdict.message
    assert "below the" not in verdict.message and "above the" not in verdict.message


def test_nd403_does_not_judge_from_a_reading_that_is_not_confident() -> None:
    from nndoctor.errors import Skip

    with pytest.raises(Skip, match="not confident"):
        learning_rate_range(_range(1e-7, confident=False), LIMITS)


def test_nd403_warns_at_or_above_divergence() -> None:
    verdict = learning_rate_range(_range(0.5), LIMITS)
    assert verdict.outcome == Outcome.WARN and "diverges" in verdict.message


# -- optimizers, precision, threads -------------------------------------------------------------------
OPTIMIZERS: list[tuple[str, Any]] = [
    ("SGD", lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True)),
    ("Adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
    ("AdamW", lambda p: torch.optim.AdamW(p, lr=1e-3)),
    ("Adamax", lambda p: torch.optim.Adamax(p, lr=2e-3)),
    ("NAdam", lambda p: torch.optim.NAdam(p, lr=2e-3)),
    ("RAdam", lambda p: torch.optim.RAdam(p, lr=1e-3)),
    ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=1e-3, centered=True)),
    ("Rprop", lambda p: torch.optim.Rprop(p, lr=1e-3)),
    ("Adagrad", lambda p: torch.optim.Adagrad(p, lr=0.01)),
    ("Adadelta", lambda p: torch.optim.Adadelta(p, lr=1.0)),
    ("ASGD", lambda p: torch.optim.ASGD(p, lr=0.01)),
    ("LBFGS", lambda p: torch.optim.LBFGS(p, lr=0.1, max_iter=2)),
    ("Adam-tensor-lr", lambda p: torch.optim.Adam(p, lr=torch.tensor(1e-3))),
]
if hasattr(torch.optim, "Adafactor"):
    OPTIMIZERS.append(("Adafactor", lambda p: torch.optim.Adafactor(p, lr=1e-2)))


@pytest.mark.parametrize(("name", "make"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_every_torch_optim_optimizer_instance_sweeps(name: str, make: Any) -> None:
    model = _model()
    optimizer = make(model.parameters())
    result = nndoctor.lr_find(model, _data(n=320), nn.CrossEntropyLoss(), optimizer, steps=20, confirm=1,
                              confirm_steps=3, held_batches=1)  # fmt: skip
    assert result.status == "ok" and len(result.lrs) >= 2, result.reason
    assert result.optimizer == name.split("-")[0]


class _SparseBag(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(20, 2, sparse=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.emb(x).sum(1)


def test_sparse_adam_on_a_sparse_embedding_sweeps() -> None:
    torch.manual_seed(0)
    x = torch.randint(0, 20, (128, 2))
    loader = DataLoader(TensorDataset(x, (x[:, 0] > 9).long()), batch_size=16)
    result = nndoctor.lr_find(
        _SparseBag(), loader, nn.CrossEntropyLoss(), lambda p: torch.optim.SparseAdam(p, lr=1e-2), steps=20, confirm=0
    )
    assert result.status == "ok" and result.optimizer == "SparseAdam"


def test_param_groups_keep_their_ratios_through_the_api() -> None:
    model = _model()
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.01}, {"params": model[2].parameters(), "lr": 0.04}], lr=0.01
    )
    seen: list[float] = []
    original = torch.optim.SGD.step

    def spy(self: torch.optim.SGD, closure: Any = None) -> Any:
        seen.append(self.param_groups[1]["lr"] / self.param_groups[0]["lr"])
        return original(self, closure)

    torch.optim.SGD.step = spy  # type: ignore[method-assign]
    try:
        nndoctor.lr_find(model, _data(n=320), nn.CrossEntropyLoss(), optimizer, steps=20, confirm=1, confirm_steps=2)
    finally:
        torch.optim.SGD.step = original  # type: ignore[method-assign]
    assert seen and all(r == pytest.approx(4.0) for r in seen)


class _InfGradAt(torch.autograd.Function):
    """Identity forward; on the listed backward calls the gradient is inf (what fp16 overflow gives)."""

    calls = 0
    at: frozenset[int] = frozenset()

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        _InfGradAt.calls += 1
        return grad * math.inf if _InfGradAt.calls in _InfGradAt.at else grad


class _Overflowing(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _InfGradAt.apply(self.net(x))


def test_fp16_steps_the_grad_scaler_skips_are_not_recorded() -> None:
    _InfGradAt.calls, _InfGradAt.at = 0, frozenset({3, 7, 11})
    torch.manual_seed(0)
    result = nndoctor.lr_find(_Overflowing(), _data(n=640), nn.CrossEntropyLoss(), steps=25, confirm=0,
                              precision="fp16", device="cpu")  # fmt: skip
    assert result.skipped_steps == 3
    assert len(result.lrs) == result.steps - 3
    assert all(math.isfinite(v) for v in result.losses)


def test_same_suggestion_on_one_and_two_threads() -> None:
    before = torch.get_num_threads()
    found = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            r = nndoctor.lr_find(_model(), _data(), nn.CrossEntropyLoss(), **FAST)
            found.append((r.suggestion, r.curve_suggestion))
    finally:
        torch.set_num_threads(before)
    (a, ca), (b, cb) = found
    assert a is not None and b is not None and ca is not None and cb is not None
    assert a == pytest.approx(b, rel=1e-6) and ca == pytest.approx(cb, rel=1e-6)


def test_cli_lr_find_takes_precision_and_confirm(tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.py"
    recipe.write_text(
        "import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, TensorDataset\n"
        "def build_model():\n    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))\n"
        "def build_data():\n    g = torch.Generator().manual_seed(0)\n    x = torch.randn(480, 6, generator=g)\n"
        "    return DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=16, shuffle=True)\n"
        "def build_optimizer(params):\n    return torch.optim.Adam(params, lr=1e-3)\n"
    )
    cmd = [sys.executable, "-m", "nndoctor", "lr-find", str(recipe), "--format", "json", "--steps", "25",
           "--confirm", "2", "--confirm-steps", "4", "--precision", "bf16", "--device", "cpu"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["artifacts"]["lr_range"]
    assert len(summary["confirmations"]) == 2 and summary["settings"]["confirm_steps"] == 4
    bad = subprocess.run([*cmd[:4], "--confirm", "-1"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert bad.returncode == 2 and "confirm" in bad.stderr
