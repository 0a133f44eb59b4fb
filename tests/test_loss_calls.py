"""ND103 reads the functional losses a loss calls inside (user wrappers around standard losses)
against their argument conventions, and the optimizer's eps read by ND404."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from nndoctor.api import diagnose
from nndoctor.loss_calls import convention_problem, recording_loss_calls
from nndoctor.report.model import Outcome

FAST = {"short_run": {"steps": 30}, "overfit_tiny": {"steps": 20}, "lr_range": {"steps": 20}}


def _problem(loss, *args, identified: bool = False):
    with torch.no_grad(), recording_loss_calls() as calls:
        loss(*args)
    return convention_problem(calls, identified)


def _logits(n: int = 32, classes: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, classes, generator=torch.Generator().manual_seed(seed))


class Distill(nn.Module):
    """A distillation loss around nn.KLDivLoss, as users write it."""

    def __init__(self, log_input: bool) -> None:
        super().__init__()
        self.kl = nn.KLDivLoss(reduction="batchmean")
        self.log_input = log_input

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        prediction = F.log_softmax(student, 1) if self.log_input else F.softmax(student, 1)
        return self.kl(prediction, F.softmax(teacher, 1))


def test_kl_div_on_probabilities_is_named_and_log_probabilities_pass():
    student, teacher = _logits(), _logits(seed=1)
    why, fix = _problem(Distill(log_input=False), student, teacher)
    assert "log-probabilities" in why and "probabilities (values in" in why and "log_softmax" in fix
    assert _problem(Distill(log_input=True), student, teacher) is None
    # raw scores are no log-probabilities either
    assert "raw scores" in _problem(nn.KLDivLoss(reduction="batchmean"), student, F.softmax(teacher, 1))[0]
    # a log-probability target without log_target=True
    logp = F.log_softmax(teacher, 1)
    assert "log_target=True" in _problem(nn.KLDivLoss(reduction="batchmean"), F.log_softmax(student, 1), logp)[0]
    assert _problem(nn.KLDivLoss(reduction="batchmean", log_target=True), F.log_softmax(student, 1), logp) is None


@pytest.mark.parametrize(
    ("loss", "arity"),
    [
        (nn.CosineEmbeddingLoss(), 3),
        (nn.MarginRankingLoss(), 3),
        (nn.HingeEmbeddingLoss(), 2),
        (nn.SoftMarginLoss(), 2),
    ],
)
def test_sign_label_losses_refuse_zero_one_labels_and_take_plus_minus_one(loss, arity):
    g = torch.Generator().manual_seed(0)
    labels01 = (torch.arange(32) % 2).float()
    if arity == 3:
        a, b = torch.randn(32, 8, generator=g), torch.randn(32, 8, generator=g)
        if isinstance(loss, nn.MarginRankingLoss):
            a, b = a[:, 0], b[:, 0]
        args01, args_pm = (a, b, labels01), (a, b, 2 * labels01 - 1)
    else:
        a = torch.randn(32, generator=g)
        args01, args_pm = (a, labels01), (a, 2 * labels01 - 1)
    why, fix = _problem(loss, *args01)
    assert "+1 and -1" in why and "coded 0/1" in why and "2 * label - 1" in fix
    assert _problem(loss, *args_pm) is None


def test_poisson_rates_below_zero_and_wrapped_losses_of_known_kinds():
    raw = torch.linspace(-1, 1, 32)
    counts = torch.poisson(torch.full((32,), 2.0), generator=torch.Generator().manual_seed(0))
    assert "NaN" in _problem(nn.PoissonNLLLoss(log_input=False), raw, counts)[0]
    assert _problem(nn.PoissonNLLLoss(log_input=True), raw, counts) is None
    assert _problem(nn.PoissonNLLLoss(log_input=False), F.softplus(raw), counts) is None
    # binary cross-entropy, NLL and cross-entropy inside a wrapper nndoctor cannot identify
    signs = torch.where(torch.arange(32) % 2 == 0, 1.0, -1.0)

    def focal_bce(out, y):
        return (F.binary_cross_entropy_with_logits(out, y, reduction="none") * 2).mean()

    assert "[0, 1]" in _problem(focal_bce, raw, signs)[0]
    assert _problem(focal_bce, raw, (signs + 1) / 2) is None
    # an identified BCEWithLogitsLoss leaves the targets to ND102's own rule
    assert _problem(nn.BCEWithLogitsLoss(), raw, signs, identified=True) is None
    labels = torch.arange(32) % 4

    def weighted_nll(out, y):
        return F.nll_loss(out, y) + 0.0

    assert "log-probabilities" in _problem(weighted_nll, _logits(), labels)[0]
    assert _problem(weighted_nll, F.log_softmax(_logits(), 1), labels) is None

    def focal(out, y):
        ce = F.cross_entropy(out, y, reduction="none")
        return ((1 - torch.exp(-ce)) ** 2 * ce).mean()

    assert "applied twice" in _problem(focal, F.softmax(_logits(), 1), labels)[0]
    assert _problem(focal, _logits(), labels) is None


class PairEmbedder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, pair: torch.Tensor) -> torch.Tensor:  # [N, 2, 8] -> [N, 2, 4]
        return self.net(pair)


class PairCosine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.loss = nn.CosineEmbeddingLoss(margin=0.2)

    def forward(self, emb: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return self.loss(emb[:, 0], emb[:, 1], label)


@pytest.mark.parametrize("coding", ["zero_one", "plus_minus_one"])
def test_nd103_on_a_wrapped_cosine_embedding_loss(coding):
    g = torch.Generator().manual_seed(0)
    pairs = torch.randn(64, 2, 8, generator=g)
    same = (torch.arange(64) % 2).float()
    labels = same if coding == "zero_one" else 2 * same - 1
    batches = [(pairs[i : i + 16], labels[i : i + 16]) for i in range(0, 64, 16)]
    report = diagnose(PairEmbedder(), batches, select=["ND103"], device="cpu", loss_fn=PairCosine(), probes=FAST)
    finding = report.finding("ND103")
    if coding == "zero_one":
        assert finding.outcome == Outcome.FAIL and "CosineEmbeddingLoss" in finding.message
        assert finding.evidence["functional_losses"] == ["cosine_embedding_loss"]
    else:  # a wrapper nndoctor has no other rule for: nothing to judge beyond the conventions
        assert finding.outcome == Outcome.SKIP


def _blobs(n: int = 256) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 4
    x = torch.randn(n, 10, generator=g) * 0.5 + nn.functional.one_hot(y, 10)[:, :10].float()
    return [(x[i : i + 32], y[i : i + 32]) for i in range(0, n, 32)]


def _short_run(optimizer, steps: int):
    """ND404's finding for a small MLP on the blobs with this optimizer."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))
    report = diagnose(
        model, _blobs(), select=["ND404"], device="cpu", optimizer=optimizer, probes={"short_run": {"steps": steps}}
    )
    return report.finding("ND404")


@pytest.mark.parametrize("eps", [0.1, 1e-8])
def test_nd404_names_an_adam_eps_that_sets_the_step(eps):
    finding = _short_run(lambda params: torch.optim.Adam(params, lr=1e-3, eps=eps), steps=60)
    assert finding.evidence["eps"] == eps
    if eps == 0.1:
        assert finding.evidence["eps_dominated_share"] > 0.5
        assert finding.outcome == Outcome.WARN and "eps, not the learning rate, sets the step" in finding.message
        assert "default eps" in finding.recommendation
    else:
        assert finding.evidence["eps_dominated_share"] == 0
        assert "eps, not the learning rate" not in finding.message


def test_cross_entropy_on_multi_hot_targets_is_named_and_soft_labels_pass():
    logits = _logits(32, 6)
    g = torch.Generator().manual_seed(0)
    multi_hot = (torch.rand(32, 6, generator=g) < 0.4).float()
    multi_hot[:, 0] = 1.0  # at least one label per row
    why, fix = _problem(nn.CrossEntropyLoss(), logits, multi_hot, identified=True)
    assert "multi-hot" in why and "BCEWithLogitsLoss" in fix
    soft = F.softmax(torch.randn(32, 6, generator=g), 1)  # mixup / distillation targets: rows sum to 1
    assert _problem(nn.CrossEntropyLoss(), logits, soft, identified=True) is None
    smoothed = F.one_hot(torch.arange(32) % 6, 6).float() * 0.9 + 0.1 / 6
    assert _problem(nn.CrossEntropyLoss(), logits, smoothed, identified=True) is None
    assert _problem(nn.CrossEntropyLoss(), logits, torch.arange(32) % 6, identified=True) is None


@pytest.mark.parametrize("maximize", [True, False])
def test_nd404_names_an_optimizer_set_to_maximize(maximize):
    finding = _short_run(lambda params: torch.optim.SGD(params, lr=0.05, maximize=maximize), steps=40)
    if maximize:
        assert finding.outcome == Outcome.FAIL and "maximize=True" in finding.message
        assert "Remove maximize=True" in finding.recommendation
    else:
        assert finding.outcome == Outcome.PASS and "maximize" not in finding.message


@pytest.mark.parametrize("weighting", ["frequency", "inverse", "none"])
def test_nd102_reads_the_class_weights_against_the_label_counts(weighting):
    counts = torch.tensor([700, 200, 70, 30])
    y = torch.repeat_interleave(torch.arange(4), counts)
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))]
    x = torch.randn(len(y), 6, generator=torch.Generator().manual_seed(1)) + y[:, None].float()
    batches = [(x[i : i + 100], y[i : i + 100]) for i in range(0, len(y), 100)]
    share = counts.float() / counts.sum()
    weight = {"frequency": share, "inverse": 1 / share, "none": None}[weighting]
    report = diagnose(
        nn.Linear(6, 4), batches, select=["ND102"], device="cpu", loss_fn=nn.CrossEntropyLoss(weight=weight)
    )
    finding = report.finding("ND102")
    if weighting == "frequency":
        assert finding.outcome == Outcome.WARN and "grow with class frequency" in finding.message
        assert "inverse" in finding.recommendation
    elif weighting == "inverse":
        assert finding.outcome == Outcome.PASS and "compensate" in finding.message
    else:
        assert finding.outcome == Outcome.WARN and "classes are imbalanced" in finding.message


class TokenTagger(nn.Module):
    def __init__(self, vocab: int = 40, tags: int = 5) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 16)
        self.out = nn.Linear(16, tags)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(self.emb(ids)).permute(0, 2, 1)  # [N, tags, T]


@pytest.mark.parametrize("layout", ["real_tag", "trailing_padding"])
def test_nd102_names_an_ignore_index_that_is_a_real_class(layout):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 40, (64, 12), generator=g)
    tags = torch.where(ids < 16, 1 + ids % 4, torch.zeros_like(ids))  # tag 0 ('O') between entity tags
    if layout == "trailing_padding":  # tag 0 only where the sequences are padded (token 0) at their ends
        lengths = torch.randint(6, 13, (64,), generator=g)
        pad = torch.arange(12)[None, :] >= lengths[:, None]
        ids = ids.masked_fill(pad, 0)
        tags = torch.where(pad, 0, 1 + ids % 4)
    batches = [(ids[i : i + 16], tags[i : i + 16]) for i in range(0, 64, 16)]
    report = diagnose(
        TokenTagger(), batches, select=["ND102"], device="cpu", loss_fn=nn.CrossEntropyLoss(ignore_index=0)
    )
    finding = report.finding("ND102")
    if layout == "real_tag":
        assert finding.outcome == Outcome.WARN and "ignore_index (0) is a class" in finding.message
        assert "-100" in finding.recommendation
    else:
        assert finding.outcome == Outcome.PASS


class SoftmaxOver(nn.Module):
    def __init__(self, dim: int, log: bool) -> None:
        super().__init__()
        self.layer, self.dim, self.log = nn.Linear(10, 4), dim, log

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scores = self.layer(x)
        return F.log_softmax(scores, self.dim) if self.log else F.softmax(scores, self.dim)


@pytest.mark.parametrize(("dim", "log"), [(0, True), (0, False), (1, True)])
def test_nd103_names_a_softmax_over_the_batch_dimension(dim, log):
    loss = nn.NLLLoss() if log else nn.CrossEntropyLoss()
    finding = diagnose(SoftmaxOver(dim, log), _blobs(), select=["ND103"], device="cpu", loss_fn=loss).finding("ND103")
    if dim == 0:
        assert finding.outcome == Outcome.FAIL and "over the batch dimension (dim 0)" in finding.message
        assert ("log_softmax" if log else "softmax") in finding.message and "dim=1" in finding.recommendation
    else:
        assert finding.outcome == Outcome.PASS
