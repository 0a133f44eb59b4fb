"""Edge cases of ND107, ND108, ND109, ND305, ND406, ND103's one-hot / negative-loss verdicts, and the
ND302/ND404/ND405 fixes for frozen models and detached losses.

Real runs use tiny synthetic data and select only the check under test; branches that need a
training outcome feed hand-made probe results to the pure check function.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler, TensorDataset

from nndoctor.api import diagnose
from nndoctor.check import Thresholds
from nndoctor.checks.dying_units import units_die_during_training
from nndoctor.context import open_context
from nndoctor.errors import Skip
from nndoctor.probes.training import ShortRun
from nndoctor.probes.units import DeadUnits, UnitActivity
from nndoctor.registration import find_unregistered
from nndoctor.registry import load_registry
from nndoctor.report.model import Outcome
from nndoctor.settings import SettingsRequest, resolve_settings
from nndoctor.targets.model import Target

REGISTRY = load_registry()
FAST = {"short_run": {"steps": 30}, "overfit_tiny": {"steps": 20}, "lr_range": {"steps": 20}}


def _blobs(n: int = 128, classes: int = 3, features: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    x = torch.randn(n, features, generator=g) + y.unsqueeze(1).float()
    return x, y


def _batches(x: torch.Tensor, y: torch.Tensor, size: int = 16) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def _finding(report, check_id: str):
    return next(f for f in report.findings if f.check_id == check_id)


def _one(check_id: str, model: nn.Module, train, val=None, **kw):
    report = diagnose(model, train, val, select=[check_id], device="cpu", probes=FAST, **kw)
    return _finding(report, check_id)


# -- ND107 -----------------------------------------------------------------------------------------
class Holder(nn.Module):
    """A 8 -> 3 classifier whose extra attribute `kept` holds whatever a test puts there."""

    def __init__(self, kept=None) -> None:
        super().__init__()
        self.head = nn.Linear(8, 3)
        if kept is not None:
            self.kept = kept

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)


def test_nd107_names_the_attribute_and_the_container_fix():
    x, y = _blobs()
    listed = _one("ND107", Holder([nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)]), _batches(x, y))
    assert listed.outcome == Outcome.FAIL
    assert "`model.kept` (a list) holds 3 Linear layers" in listed.message
    assert "nn.ModuleList" in listed.recommendation
    mapped = _one("ND107", Holder({"a": nn.Linear(8, 8)}), _batches(x, y))
    assert mapped.outcome == Outcome.FAIL and "nn.ModuleDict" in mapped.recommendation
    params = _one("ND107", Holder([nn.Parameter(torch.zeros(3))]), _batches(x, y))
    assert params.outcome == Outcome.FAIL and "nn.ParameterList" in params.recommendation
    nested = _one("ND107", Holder(((nn.Linear(8, 8), nn.ReLU()), (nn.Linear(8, 8), nn.ReLU()))), _batches(x, y))
    assert nested.outcome == Outcome.FAIL and "2 Linear, 2 ReLU layers" in nested.message


def test_nd107_finds_a_bare_tensor_that_requires_grad():
    x, y = _blobs()
    model = Holder()
    model.scale = torch.ones(3, requires_grad=True)  # not a Parameter: never registered
    finding = _one("ND107", model, _batches(x, y))
    assert finding.outcome == Outcome.FAIL and "`model.scale` is a tensor" in finding.message
    assert "nn.Parameter" in finding.recommendation


def test_nd107_is_quiet_on_registered_containers_names_and_second_references():
    inner = nn.Linear(8, 8)
    model = Holder()
    model.blocks = nn.ModuleList([inner, nn.Linear(8, 8)])
    model.scales = nn.ParameterList([nn.Parameter(torch.ones(3))])
    model.widths = [8, 8, 3]  # plain ints
    model.names = ("a", "b")
    model.again = [inner, model.head]  # the same objects, registered elsewhere
    model.lstm = nn.LSTM(8, 4)  # keeps its weights in a plain `_flat_weights` list too
    model.norm = torch.nn.utils.parametrizations.weight_norm(nn.Linear(8, 8))
    assert find_unregistered(model) == []
    x, y = _blobs()
    assert _one("ND107", model, _batches(x, y)).outcome == Outcome.PASS


def test_nd107_notes_frozen_or_stateless_layers_and_warns_on_unreached_dropout():
    teacher = nn.Linear(8, 3).requires_grad_(False)
    x, y = _blobs()
    frozen = _one("ND107", Holder([teacher]), _batches(x, y))
    assert frozen.outcome == Outcome.PASS and frozen.message.startswith("note:")
    dropout = _one("ND107", Holder([nn.Dropout(0.5)]), _batches(x, y))
    assert dropout.outcome == Outcome.WARN and "model.eval() does not reach it" in dropout.message


class BuildsInForward(nn.Module):
    """The Lightning #6554 pattern: a layer constructed inside forward(), or one kept in a global."""

    def __init__(self, make: str) -> None:
        super().__init__()
        self.make = make
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.make == "linear":
            x = nn.Linear(8, 8)(x)
        elif self.make == "dropout":
            x = nn.Dropout(0.5)(x)
        elif self.make == "global":
            x = OUTSIDE(x)
        return self.head(x)


OUTSIDE = nn.Linear(8, 8)


def test_nd107_fails_layers_built_inside_forward_and_warns_on_outside_ones():
    x, y = _blobs()
    built = _one("ND107", BuildsInForward("linear"), _batches(x, y))
    assert built.outcome == Outcome.FAIL and "built inside forward()" in built.message
    assert built.evidence["forward_unregistered"]["created_per_call"] is True
    assert "__init__" in built.recommendation
    dropout = _one("ND107", BuildsInForward("dropout"), _batches(x, y))
    assert dropout.outcome == Outcome.WARN and "model.eval()" in dropout.message
    kept = _one("ND107", BuildsInForward("global"), _batches(x, y))
    assert kept.outcome == Outcome.WARN and "kept outside the model" in kept.message
    assert kept.evidence["forward_unregistered"]["created_per_call"] is False
    quiet = _one("ND107", BuildsInForward("none"), _batches(x, y))
    assert quiet.outcome == Outcome.PASS and quiet.evidence["forward_unregistered"]["layers"] == []


class AllInAList(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = [nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def test_a_model_with_every_layer_in_a_list_gets_a_clear_report_not_errors():
    x, y = _blobs()
    report = diagnose(AllInAList(), _batches(x, y), _batches(x, y), device="cpu", probes=FAST)
    by = {f.check_id: f for f in report.findings}
    assert by["ND107"].outcome == Outcome.FAIL
    assert not [f.check_id for f in report.findings if f.outcome == Outcome.ERROR]
    assert by["ND302"].outcome == Outcome.SKIP and "no registered parameters" in by["ND302"].message


class ListedNorm(nn.Module):
    """A BatchNorm kept in a list: its running statistics live outside the state_dict."""

    def __init__(self) -> None:
        super().__init__()
        self.extra = [nn.BatchNorm1d(8)]
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.extra[0](x))


def test_experiments_restore_what_the_state_dict_misses():
    x, y = _blobs()
    target = Target(name="listed norm", model=ListedNorm(), train_data=_batches(x, y))
    settings = resolve_settings(SettingsRequest(device="cpu"))
    with open_context(target, settings) as ctx:
        norm = ctx.model.extra[0]
        start = norm.running_mean.clone()
        with ctx.experiment() as model:
            for batch in ctx.train_batches():
                ctx.forward(model, batch)  # train mode: updates the running statistics
            assert not torch.equal(norm.running_mean, start)
        with ctx.experiment():  # the next experiment starts from the saved statistics
            assert torch.equal(norm.running_mean, start)
    assert torch.equal(target.model.extra[0].running_mean, torch.zeros(8))  # the user's model untouched


# -- ND108 -----------------------------------------------------------------------------------------
def _regression(shift: float = 0.0, scale: float = 1.0, n: int = 128) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 6, generator=g)
    y = (x[:, :1] * 0.8 + 0.2 * torch.randn(n, 1, generator=g)) * scale + shift
    return _batches(x, y)


class Functional(nn.Module):
    def __init__(self, squash) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
        self.squash = squash

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.squash(self.body(x))


def test_nd108_fails_a_sigmoid_head_on_large_targets():
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())
    finding = _one("ND108", model, _regression(shift=150.0, scale=50.0), loss_fn=nn.MSELoss())
    assert finding.outcome == Outcome.FAIL
    assert "Sigmoid (`3`)" in finding.message and "(0, 1)" in finding.message
    assert "standardize the targets" in finding.recommendation


def test_nd108_sees_functional_activations_through_reshapes():
    finding = _one(
        "ND108", Functional(lambda t: torch.relu(t).squeeze(-1).unsqueeze(-1)), _regression(), loss_fn=nn.MSELoss()
    )
    assert finding.outcome == Outcome.FAIL and "torch.relu" in finding.message
    clamped = _one("ND108", Functional(lambda t: t.clamp(-0.5, 0.5)), _regression(scale=3.0), loss_fn=nn.MSELoss())
    assert clamped.outcome == Outcome.FAIL and "[-0.5, 0.5]" in clamped.message


def test_nd108_is_quiet_when_the_range_fits_or_is_rescaled():
    fits = _one("ND108", Functional(torch.tanh), _regression(scale=0.3), loss_fn=nn.MSELoss())
    assert fits.outcome == Outcome.PASS and "lies inside it" in fits.message
    scaled = _one(
        "ND108",
        Functional(lambda t: 400 * torch.sigmoid(t)),
        _regression(shift=150.0, scale=50.0),
        loss_fn=nn.MSELoss(),
    )
    assert scaled.outcome == Outcome.PASS and "unbounded" in scaled.message
    positive = _one("ND108", Functional(F.softplus), _regression(shift=5.0), loss_fn=nn.MSELoss())
    assert positive.outcome == Outcome.PASS
    x, y = _blobs()
    classifier = _one("ND108", nn.Sequential(nn.Linear(8, 3), nn.ReLU()), _batches(x, y))
    assert classifier.outcome == Outcome.SKIP


def test_nd108_notes_a_few_targets_just_out_of_reach():
    finding = _one("ND108", Functional(torch.relu), _regression(shift=1.6), loss_fn=nn.MSELoss())
    assert finding.outcome == Outcome.PASS and finding.message.startswith("note:")
    assert 0 < finding.evidence["share_below"] < 0.05


# -- ND109 -----------------------------------------------------------------------------------------
def _loader(x, y, batch: int, **kw) -> DataLoader:
    return DataLoader(TensorDataset(x, y), batch_size=batch, **kw)


def _sorted(n: int = 1200, classes: int = 5, seed: int = 0):
    x, y = _blobs(n, classes, seed=seed)
    order = torch.argsort(y, stable=True)
    return x[order], y[order]


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 5))


def test_nd102_fails_float_class_labels_the_loss_refuses_and_names_the_conversion():
    x, y = _blobs(256, 4)
    floats = _one("ND102", _mlp(), _batches(x, y.float()), loss_fn=nn.CrossEntropyLoss())
    assert floats.outcome == Outcome.FAIL and "float32, whole numbers from 0 to 3" in floats.message
    assert ".long()" in floats.recommendation
    ints = _one("ND102", _mlp(), _batches(x, y), loss_fn=nn.CrossEntropyLoss())
    assert ints.outcome == Outcome.PASS
    # a float target of one value per sample that a custom loss accepts is not refused labels
    custom = _one("ND102", _mlp(), _batches(x, y.float()), loss_fn=lambda out, t: F.mse_loss(out[:, 0], t))
    assert custom.outcome == Outcome.PASS and "torch.long" not in custom.message


def _bn_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 5))


def test_nd105_fails_a_batch_of_one_batchnorm_refuses_and_the_rest_skips_instead_of_erroring():
    x, y = _blobs(64, 5)
    model = _bn_mlp()
    report = diagnose(model, _loader(x, y, 1), device="cpu", probes=FAST)
    single = _finding(report, "ND105")
    assert single.outcome == Outcome.FAIL and "cannot run in training mode" in single.message
    assert single.evidence["batchnorm_layers"] == ["1 (BatchNorm1d)"] and "drop_last=True" in single.recommendation
    assert not [f.check_id for f in report.findings if f.outcome == Outcome.ERROR]
    pointing = [f for f in report.findings if f.outcome == Outcome.SKIP and f.message.endswith("(see ND105)")]
    assert pointing and all("Expected more than 1" not in f.message for f in pointing)  # said once, by ND105
    assert model.training  # the user's model is left in its mode
    healthy = _one("ND105", _bn_mlp(), _loader(x, y, 32))
    assert healthy.outcome == Outcome.PASS and healthy.evidence["batchnorm_layers"] == ["1 (BatchNorm1d)"]


class TokenTagger(nn.Module):
    """Token ids (B, L) -> per-position class scores (B, C, L), as CrossEntropyLoss takes them."""

    def __init__(self, vocab: int = 12) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.head = nn.Linear(16, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(tokens)).permute(0, 2, 1)


def _skewed_labels(shape: tuple[int, ...], classes: int, seed: int = 0) -> torch.Tensor:
    """Label 0 about 40x as common as each of the others."""
    weights = torch.tensor([40.0] + [1.0] * (classes - 1))
    draws = torch.multinomial(
        weights, int(torch.tensor(shape).prod()), replacement=True, generator=torch.Generator().manual_seed(seed)
    )
    return draws.reshape(shape)


def test_nd102_warns_on_imbalanced_per_sample_labels_but_not_on_per_token_labels():
    x, _ = _blobs(1200, 5)
    per_sample = _one("ND102", _mlp(), _loader(x, _skewed_labels((1200,), 5), 64))
    assert per_sample.outcome == Outcome.WARN and "imbalanced" in per_sample.message
    assert per_sample.evidence["labels_per_sample"] == 1
    tokens = _skewed_labels((600, 20), 12, seed=1)
    next_tokens = torch.roll(tokens, -1, dims=1)  # a language model's targets: the same skewed frequencies
    per_token = _one("ND102", TokenTagger(), _loader(tokens, next_tokens, 32), loss_fn=nn.CrossEntropyLoss())
    assert per_token.outcome == Outcome.PASS, per_token.message
    assert per_token.evidence["imbalance_ratio"] > 20 and per_token.evidence["labels_per_sample"] == 20


def test_nd109_fails_class_sorted_data_and_passes_the_shuffled_twin():
    x, y = _sorted()
    sorted_finding = _one("ND109", _mlp(), _loader(x, y, 16))
    assert sorted_finding.outcome == Outcome.FAIL
    assert "SequentialSampler" in sorted_finding.message and "shuffle=True" in sorted_finding.recommendation
    assert sorted_finding.evidence["batch_majority_labels"][:3] == [0, 0, 0]
    shuffled = _one("ND109", _mlp(), _loader(x, y, 16, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert shuffled.outcome == Outcome.PASS and "RandomSampler" in shuffled.message


def test_nd109_judges_plain_lists_of_batches_by_their_order():
    x, y = _sorted()
    finding = _one("ND109", _mlp(), _batches(x, y, 16))
    assert finding.outcome == Outcome.FAIL and "in the order given" in finding.message


def test_nd109_is_quiet_on_unshuffled_loaders_over_mixed_data():
    x, y = _blobs(1200, 5)  # stored interleaved: 0, 1, 2, 3, 4, 0, ...
    perm = torch.randperm(1200, generator=torch.Generator().manual_seed(1))
    assert _one("ND109", _mlp(), _loader(x[perm], y[perm], 16)).outcome == Outcome.PASS
    tiny = _one("ND109", _mlp(), _loader(x[perm], y[perm], 2))  # few classes per batch is all random order gives
    assert tiny.outcome == Outcome.PASS
    majority = torch.where(torch.rand(1200, generator=torch.Generator().manual_seed(2)) < 0.9, 0, y)
    imbalanced = _one("ND109", _mlp(), _loader(x, majority, 64))  # every batch's majority is class 0 anyway
    assert imbalanced.outcome == Outcome.PASS


def test_nd109_leaves_custom_batch_samplers_and_regression_alone():
    x, y = _sorted()
    sampler = [list(range(i, i + 16)) for i in range(0, 1200, 16)]  # a hand-made batch sampler (P x K style)
    custom = _one("ND109", _mlp(), DataLoader(TensorDataset(x, y), batch_sampler=sampler))
    assert custom.outcome == Outcome.PASS and "custom batch sampler" in custom.message
    standard = DataLoader(TensorDataset(x, y), batch_sampler=BatchSampler(SequentialSampler(range(1200)), 16, False))
    assert _one("ND109", _mlp(), standard).outcome == Outcome.FAIL
    reg = _one("ND109", Functional(lambda t: t), _regression(), loss_fn=nn.MSELoss())
    assert reg.outcome == Outcome.SKIP


# -- ND305 -----------------------------------------------------------------------------------------
def _optimizers():
    """Every optimizer class torch.optim exports, with constructor arguments that make it run."""
    special = {"LBFGS": {"lr": 0.1}, "SGD": {"lr": 0.1}}
    skip = {"Optimizer", "SparseAdam"}  # the base class; SparseAdam rejects dense gradients
    for name in sorted(dir(torch.optim)):
        cls = getattr(torch.optim, name)
        if isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer) and name not in skip:
            yield pytest.param(name, cls, special.get(name, {}), id=name)


@pytest.mark.parametrize(("name", "cls", "kwargs"), list(_optimizers()))
def test_nd305_is_quiet_for_every_torch_optimizer(name, cls, kwargs):
    x, y = _blobs()
    bias = name != "Muon"  # Muon takes matrices only
    model = nn.Sequential(nn.Linear(8, 8, bias=bias), nn.ReLU(), nn.Linear(8, 3, bias=bias))
    finding = _one("ND305", model, _batches(x, y), optimizer=lambda p: cls(p, **kwargs))
    assert finding.outcome == Outcome.PASS, finding.message
    calls = [c["call"] for c in finding.evidence["calls"]]
    assert calls == ["zero_grad()", "zero_grad(set_to_none=False)"]


class Keeps(torch.optim.SGD):
    def zero_grad(self, set_to_none: bool = True) -> None:
        pass


class ClearsCopies(torch.optim.SGD):
    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in [q.clone() for group in self.param_groups for q in group["params"]]:
            p.grad = None


class HalfBroken(torch.optim.SGD):
    def zero_grad(self, set_to_none: bool = True) -> None:
        if set_to_none:
            super().zero_grad(set_to_none=True)  # the other mode forgets to do anything


class Raises(torch.optim.SGD):
    def zero_grad(self) -> None:  # type: ignore[override]
        raise RuntimeError("no")


@pytest.mark.parametrize(
    ("cls", "outcome", "words"),
    [
        (Keeps, Outcome.FAIL, "the override in Keeps"),
        (ClearsCopies, Outcome.FAIL, "4 of 4 parameters still hold"),
        (HalfBroken, Outcome.WARN, "zero_grad(set_to_none=False)"),
        (Raises, Outcome.FAIL, "raised RuntimeError"),
    ],
)
def test_nd305_catches_zero_grads_that_leave_gradients(cls, outcome, words):
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    finding = _one("ND305", model, _batches(x, y), optimizer=lambda p: cls(p, lr=0.1))
    assert finding.outcome == outcome and words in finding.message, finding.message


# -- ND406 -----------------------------------------------------------------------------------------
def _short(dead: list[DeadUnits] | None, stop: str = "completed") -> ShortRun:
    return ShortRun(
        steps_planned=200,
        steps_run=200,
        stop_reason=stop,
        losses=[1.0] * 200,
        evals=[],
        metric="accuracy",
        chance=0.1,
        layers=[],
        tracked_steps=[],
        optimizer="Adam",
        lr=0.1,
        precision="fp32",
        seconds=1.0,
        dead_units=dead,
    )


def _limits406() -> Thresholds:
    spec = REGISTRY.checks["ND406"]
    return Thresholds(dict(spec.thresholds))


def test_nd406_warns_on_units_that_died_and_not_on_units_dead_from_the_start():
    start = UnitActivity([DeadUnits("fc2", 32, 0.0), DeadUnits("fc3", 32, 0.6)], 5)
    died = units_die_during_training(
        start, _short([DeadUnits("fc2", 32, 0.7), DeadUnits("fc3", 32, 0.6)]), _limits406()
    )
    assert died.outcome == Outcome.WARN and "70% of the 32 units feeding fc2 died" in died.message
    assert died.tables and died.tables[0].rows[0][-1] == 0.7
    at_init = units_die_during_training(
        start, _short([DeadUnits("fc2", 32, 0.1), DeadUnits("fc3", 32, 0.65)]), _limits406()
    )
    assert at_init.outcome == Outcome.PASS
    silent = units_die_during_training(
        start, _short([DeadUnits("fc2", 32, 1.0), DeadUnits("fc3", 32, 0.6)]), _limits406()
    )
    assert silent.outcome == Outcome.FAIL and "no signal passes" in silent.message


def test_nd406_skips_runs_that_blew_up_or_were_not_measured():
    start = UnitActivity([DeadUnits("fc2", 32, 0.0)], 5)
    with pytest.raises(Skip, match="did not train normally"):
        units_die_during_training(start, _short([DeadUnits("fc2", 32, 1.0)], stop="nonfinite"), _limits406())
    with pytest.raises(Skip, match="could not be measured"):
        units_die_during_training(start, _short(None), _limits406())


class FunctionalRelu(nn.Module):
    def __init__(self, bias: float) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(8, 16), nn.Linear(16, 3)
        nn.init.constant_(self.fc1.bias, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def test_nd406_measures_dead_units_behind_functional_relu():
    x, y = _blobs()
    finding = _one("ND406", FunctionalRelu(-20.0), _batches(x, y), _batches(x, y))
    assert finding.outcome == Outcome.PASS  # dead from init (ND203's finding): none died in training
    assert finding.evidence["dead_at_init"] == 1.0 and finding.evidence["worst_layer"] == "fc2"


# -- ND103 -----------------------------------------------------------------------------------------
def _onehot():
    x, y = _blobs()
    return [(a, F.one_hot(b, 3).float()) for a, b in _batches(x, y)]


def test_nd103_warns_on_mse_between_softmax_and_one_hot_and_notes_logits():
    softmax = nn.Sequential(nn.Linear(8, 3), nn.Softmax(dim=1))
    warned = _one("ND103", softmax, _onehot(), loss_fn=nn.MSELoss())
    assert warned.outcome == Outcome.WARN and "softmax probabilities with one-hot" in warned.message
    assert "CrossEntropyLoss" in warned.recommendation
    logits = _one("ND103", nn.Linear(8, 3), _onehot(), loss_fn=nn.MSELoss())
    assert logits.outcome == Outcome.PASS and logits.message.startswith("note:")
    declared = _one("ND103", softmax, _onehot(), loss_fn=nn.MSELoss(), hints={"task": "regression"})
    assert declared.outcome == Outcome.PASS and "one-hot" not in declared.message


def test_nd103_fails_per_class_sigmoids_into_cross_entropy_and_passes_logits():
    x, y = _blobs(256, 4)
    squashed = _one(
        "ND103", nn.Sequential(nn.Linear(8, 4), nn.Sigmoid()), _batches(x, y), loss_fn=nn.CrossEntropyLoss()
    )
    assert squashed.outcome == Outcome.FAIL and "confined to [0, 1]" in squashed.message
    assert abs(squashed.evidence["probability_ceiling"] - math.e / (math.e + 3)) < 1e-9
    assert "Remove the final Sigmoid" in squashed.recommendation
    logits = _one("ND103", nn.Linear(8, 4), _batches(x, y), loss_fn=nn.CrossEntropyLoss())
    assert logits.outcome == Outcome.PASS
    # a ReLU head whose scores also lie in [0, 1] at init is no sigmoid (the PyTorch nn tutorial's CNN
    # pools after its last ReLU, which ND103 leaves alone: tuning/healthy/nn_tutorial_cnn)
    relu_head = nn.Sequential(nn.Linear(8, 4), nn.ReLU())
    with torch.no_grad():
        relu_head[0].weight.mul_(0.01)
        relu_head[0].bias.zero_()
    relu = _one("ND103", relu_head, _batches(x, y), loss_fn=nn.CrossEntropyLoss())
    assert "confined to [0, 1]" not in relu.message and relu.evidence["output_range"][1] <= 1
    # it is no sigmoid, but rectified logits are their own bug: a score can never go below 0
    assert relu.outcome == Outcome.WARN and "pass through a ReLU" in relu.message


def test_nd103_fails_a_negative_nll_loss_and_passes_log_softmax():
    x, y = _blobs()
    negative = _one("ND103", nn.Sequential(nn.Linear(8, 3), nn.Softmax(dim=1)), _batches(x, y), loss_fn=nn.NLLLoss())
    assert negative.outcome == Outcome.FAIL and "is negative" in negative.message
    assert negative.evidence["initial_loss"] < 0
    fine = _one("ND103", nn.Sequential(nn.Linear(8, 3), nn.LogSoftmax(dim=1)), _batches(x, y), loss_fn=nn.NLLLoss())
    assert fine.outcome == Outcome.PASS


def test_nd103_fails_cross_entropy_on_a_single_output_unit_and_passes_two():
    x, y = _blobs(256, 2)
    soft = [(a, b.float()[:, None]) for a, b in _batches(x, y)]  # 0/1 targets shaped like the one logit
    single = _one("ND103", nn.Linear(8, 1), soft, loss_fn=nn.CrossEntropyLoss())
    assert single.outcome == Outcome.FAIL and "one output unit" in single.message
    assert single.evidence["initial_loss"] == 0 and "BCEWithLogitsLoss" in single.recommendation
    two = _one("ND103", nn.Linear(8, 2), _batches(x, y), loss_fn=nn.CrossEntropyLoss())
    assert two.outcome == Outcome.PASS


# -- ND302 / ND404 / ND405 on models nothing can train ---------------------------------------------
@pytest.mark.parametrize("case", ["frozen", "detached"])
def test_untrainable_models_fail_clearly_instead_of_erroring(case):
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    kwargs = {}
    if case == "frozen":
        model.requires_grad_(False)
    else:
        kwargs["loss_fn"] = lambda out, target: F.cross_entropy(out.detach(), target)
    report = diagnose(
        model,
        _batches(x, y),
        _batches(x, y),
        select=["ND302", "ND404", "ND405", "ND406"],
        device="cpu",
        probes=FAST,
        **kwargs,
    )
    by = {f.check_id: f for f in report.findings}
    assert by["ND302"].outcome == Outcome.FAIL
    assert by["ND404"].outcome == Outcome.FAIL
    assert all(f.outcome != Outcome.ERROR for f in report.findings), [f.message for f in report.findings]


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_unregistered_tensors_move_with_the_private_copy():
    """`.to(device)` skips layers in plain lists; the context moves them itself and keeps, for its
    resets, the live tensors (a moved buffer is a new object, a moved parameter the same one)."""
    from nndoctor.context import stray_state

    model = ListedNorm()
    model.scales = [nn.Parameter(torch.ones(3))]
    weight = model.extra[0].weight
    pairs = stray_state(model, torch.device("cuda"))
    assert model.extra[0].weight is weight and model.extra[0].weight.device.type == "cuda"
    assert all(live.device.type == "cuda" for live, _ in pairs)
    live = {id(t) for t, _ in pairs}
    assert id(model.extra[0].running_mean) in live and id(model.scales[0]) in live
    assert len(pairs) == 2 + 3 + 1  # weight, bias, running mean/var/count, the listed parameter


def test_unregistered_tensors_on_the_run_device_stay_as_they_are():
    from nndoctor.context import stray_state

    model = ListedNorm()
    tensors = [model.extra[0].weight, model.extra[0].bias, model.extra[0].running_mean]
    pairs = stray_state(model, torch.device("cpu"))
    assert [live for live, _ in pairs][:2] == tensors[:2] and any(live is tensors[2] for live, _ in pairs)
    assert all(torch.equal(live, saved) and live is not saved for live, saved in pairs)


# -- ND402 / ND405 on a custom loss over embeddings --------------------------------------------------
class CenterLoss(nn.Module):
    """Pulls each sample's 8-d output to a fixed centre of its label: it uses the labels, but the
    centre of label k peaks at coordinate k + 1, so argmax(output) never equals the label."""

    def __init__(self, classes: int = 3, width: int = 8) -> None:
        super().__init__()
        self.register_buffer("centres", 3 * F.one_hot((torch.arange(classes) + 1) % width, width).float())

    def forward(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (output - self.centres[labels]).square().sum(dim=1).mean()


def test_nd402_judges_a_label_using_custom_loss_by_the_loss_not_a_guessed_accuracy():
    x, y = _blobs()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 8))

    def nd402(loss_fn: nn.Module):
        report = diagnose(
            model,
            _batches(x, y),
            select=["ND402"],
            device="cpu",
            probes={"overfit_tiny": {"steps": 200}},
            loss_fn=loss_fn,
            optimizer=lambda p: torch.optim.Adam(p, lr=0.03),
        )
        return _finding(report, "ND402")

    overfit = nd402(CenterLoss())
    assert overfit.outcome == Outcome.PASS and "depends on the labels" in overfit.message
    assert overfit.evidence["labels_matter"] is True
    # the same loss made blind to the labels is the bug ND402 exists for
    blind = nd402(BlindCenterLoss())
    assert blind.outcome == Outcome.FAIL and "not measuring agreement" in blind.message
    assert blind.evidence["labels_matter"] is False


class BlindCenterLoss(CenterLoss):
    def forward(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return super().forward(output, torch.zeros_like(labels))  # the bug: every sample pulled to one centre


# -- ND106: sampling in eval mode vs dropout that ignores it ------------------------------------------
class Sampler(nn.Module):
    """A VAE-style head: z = mu + eps * std in every mode, or dropout that forgets eval mode."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.mu, self.logvar, self.out = nn.Linear(8, 4), nn.Linear(8, 4), nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "dropout":
            return self.out(F.dropout(self.mu(x), 0.5))  # training defaults to True
        if self.kind == "mask":  # a hand-written dropout mask
            return self.out(self.mu(x) * (torch.rand_like(self.mu(x)) > 0.5))
        if self.kind == "python-random":  # teacher forcing drawn per call in Python, as seq2seq loops do
            self.calls = getattr(self, "calls", 0) + 1
            return self.out(self.mu(x) if self.calls % 2 else self.logvar(x))
        z = self.mu(x) + torch.randn_like(self.mu(x)) * torch.exp(0.5 * self.logvar(x))
        return self.out(z)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("sampling", Outcome.PASS), ("python-random", Outcome.PASS), ("dropout", Outcome.FAIL), ("mask", Outcome.FAIL)],
)
def test_nd106_tells_sampling_in_eval_mode_from_dropout_that_ignores_it(kind: str, outcome: Outcome) -> None:
    torch.manual_seed(0)
    x, y = _blobs()
    finding = _one("ND106", Sampler(kind), _batches(x, y))
    assert finding.outcome == outcome, finding.message
    if kind == "sampling":
        assert "randn_like" in finding.message and finding.evidence["eval_sampling_calls"] == ["randn_like"]
    elif kind == "python-random":
        assert "no torch random function" in finding.message
    else:
        assert finding.evidence["eval_dropout_calls"] == (["dropout"] if kind == "dropout" else ["rand_like"])


# -- ND105: frozen running statistics; ND401: a keep probability passed as p --------------------
def _bn_net(momentum):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16, momentum=momentum), nn.ReLU(), nn.Linear(16, 3))


@pytest.mark.parametrize(("momentum", "outcome"), [(0.0, Outcome.FAIL), (0.1, Outcome.PASS), (None, Outcome.PASS)])
def test_nd105_fails_batchnorm_whose_running_statistics_cannot_move(momentum, outcome):
    x, y = _blobs()
    finding = _one("ND105", _bn_net(momentum), _batches(x, y))
    assert finding.outcome == outcome, finding.message
    if outcome == Outcome.FAIL:
        assert "momentum=0" in finding.message and "TensorFlow" in finding.recommendation


@pytest.mark.parametrize(("p", "outcome"), [(0.9, Outcome.WARN), (0.8, Outcome.PASS), (0.5, Outcome.PASS)])
def test_nd401_warns_on_a_drop_probability_that_reads_as_a_keep_probability(p, outcome):
    x, y = _blobs()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(p), nn.Linear(32, 3))
    finding = _one("ND401", model, _batches(x, y))
    assert finding.outcome == outcome, finding.message
    if outcome == Outcome.WARN:
        assert "p=0.9" in finding.message and "nn.Dropout(0.1)" in finding.recommendation


# -- ND204: NaN only on the eval path ------------------------------------------------------------
class MaskedEncoder(nn.Module):
    """One TransformerEncoderLayer; `inverted` passes "real token" where "padding" is meant."""

    def __init__(self, inverted: bool) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.inverted = inverted
        self.embed = nn.Embedding(20, 16, padding_idx=0)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        real = ids != 0
        h = self.layer(self.embed(ids), src_key_padding_mask=real if self.inverted else ~real)
        return self.head((h * real.unsqueeze(-1)).sum(1) / real.sum(1, keepdim=True))


@pytest.mark.parametrize(("inverted", "outcome"), [(True, Outcome.FAIL), (False, Outcome.PASS)])
def test_nd204_finds_nan_that_only_the_eval_path_makes(inverted, outcome):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 20, (64, 10), generator=g)
    ids[::2, 6:] = 0  # half the sequences padded, half full length (every key masked when inverted)
    y = torch.arange(64) % 3
    report = diagnose(MaskedEncoder(inverted), _batches(ids, y), select=["ND204", "ND106"], device="cpu", probes=FAST)
    finding = _finding(report, "ND204")
    assert finding.outcome == outcome, finding.message
    if outcome == Outcome.FAIL:
        assert "eval mode" in finding.message and "key_padding_mask" in finding.recommendation


# -- ND102: constant targets the loss never reads --------------------------------------------------
@pytest.mark.parametrize(
    ("loss_fn", "outcome"),
    [
        (lambda out, _unused: F.softplus(out[:, 1] - out[:, 0]).mean(), Outcome.PASS),  # BPR on two scores
        (lambda out, y: F.mse_loss(out[:, 0], y), Outcome.WARN),  # the constant is a real target
    ],
)
def test_nd102_constant_targets_warn_only_when_the_loss_reads_them(loss_fn, outcome):
    x, _ = _blobs()
    placeholder = torch.zeros(len(x))
    finding = _one("ND102", nn.Linear(8, 2), _batches(x, placeholder), loss_fn=loss_fn)
    assert finding.outcome == outcome, finding.message


@pytest.mark.parametrize("sigmoid", [False, True], ids=["raw-logits", "sigmoid-output"])
def test_nd103_fails_bce_loss_on_raw_logits_that_it_refuses(sigmoid: bool) -> None:
    """nn.BCELoss raises on scores outside [0, 1]: ND103 names it (before: a usage error, exit 2)."""
    torch.manual_seed(0)
    layers: list[nn.Module] = [nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)] + ([nn.Sigmoid()] if sigmoid else [])
    x = torch.randn(96, 6) * 3
    y = (x[:, :1] > 0).float()
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32)]
    report = diagnose(nn.Sequential(*layers), batches, loss_fn=nn.BCELoss(), select=["ND103"], device="cpu")
    (finding,) = report.findings
    if sigmoid:
        assert finding.outcome.value == "pass", finding.message
    else:
        assert finding.outcome.value == "fail" and "BCEWithLogitsLoss" in (finding.recommendation or ""), finding
