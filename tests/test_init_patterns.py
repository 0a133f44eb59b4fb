"""Patterns read at init, each on a case where it must fire and one where it must stay quiet:
inputs far off centre (ND101), a ReLU on the logits (ND103), a network linear end to end (ND104),
an embedding's padding id used as a real token (ND302)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nndoctor.api import diagnose
from nndoctor.probes.backward import linear_from_input
from nndoctor.report.model import Outcome

FAST = {"short_run": {"steps": 30}, "overfit_tiny": {"steps": 20}, "lr_range": {"steps": 20}}


def _blobs(n: int = 256, features: int = 8, classes: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % classes
    return torch.randn(n, features, generator=g) + y[:, None].float(), y


def _batches(x: torch.Tensor, y: torch.Tensor, size: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def _finding(check_id: str, model: nn.Module, batches, **kw):
    return diagnose(model, batches, select=[check_id], device="cpu", probes=FAST, **kw).finding(check_id)


@pytest.mark.parametrize("offset", [True, False])
def test_nd101_names_inputs_that_sit_in_a_narrow_band_off_zero(offset):
    x, y = _blobs()
    if offset:  # [0, 1] pixels normalized with 0..255 statistics: about -0.99 +- 0.002
        x = (torch.sigmoid(x) - 127.5) / 128
    finding = _finding("ND101", nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)), _batches(x, y))
    if offset:
        assert "not centred" in finding.message and finding.evidence["median_offset"] > 20
    else:
        assert finding.outcome == Outcome.PASS and finding.evidence["median_offset"] < 20


@pytest.mark.parametrize("head", ["relu", "logits"])
def test_nd103_names_a_relu_on_the_logits(head):
    x, y = _blobs()
    layers = [nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)] + ([nn.ReLU()] if head == "relu" else [])
    finding = _finding("ND103", nn.Sequential(*layers), _batches(x, y), loss_fn=nn.CrossEntropyLoss())
    if head == "relu":
        assert finding.outcome == Outcome.WARN and "pass through a ReLU" in finding.message
    else:
        assert finding.outcome == Outcome.PASS


class Gated(nn.Module):
    """No activation module, but a product of two computed tensors: not linear."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.out = nn.Linear(8, 16), nn.Linear(8, 16), nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.a(x) * self.b(x))


@pytest.mark.parametrize("kind", ["linear", "relu", "gated"])
def test_nd104_names_a_network_that_is_linear_end_to_end(kind):
    x, y = _blobs()
    if kind == "gated":
        model: nn.Module = Gated()
    else:
        act = [nn.ReLU()] if kind == "relu" else []
        model = nn.Sequential(nn.Linear(8, 16), *act, nn.Linear(16, 16), *act, nn.Linear(16, 4))
    leaf = x[:4].clone().requires_grad_()
    assert linear_from_input(model(leaf).grad_fn, leaf) is (kind == "linear")
    finding = _finding("ND104", model, _batches(x, y))
    if kind == "linear":
        assert "the network is linear" in finding.message and finding.evidence["linear"]
    else:
        assert "linear" not in finding.message


class Bag(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(40, 8, padding_idx=0)
        self.head = nn.Linear(8, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embedding(ids).sum(1))


@pytest.mark.parametrize("layout", ["real_token", "trailing_padding"])
def test_nd302_names_a_padding_idx_the_inputs_use_as_a_real_token(layout):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1, 40, (128, 12), generator=g)
    if layout == "real_token":
        ids[torch.rand(ids.shape, generator=g) < 0.15] = 0  # token 0 planted between the others
    else:
        lengths = torch.randint(5, 13, (128,), generator=g)
        ids = ids.masked_fill(torch.arange(12)[None, :] >= lengths[:, None], 0)  # padding at the ends
    y = (ids == 1).sum(1).clamp(max=1)
    finding = _finding("ND302", Bag(), _batches(ids, y), loss_fn=nn.CrossEntropyLoss())
    if layout == "real_token":
        assert finding.outcome == Outcome.WARN and "padding_idx=0" in finding.message
        assert finding.evidence["padding_lookups"][0][0] == "embedding"
    else:
        assert finding.outcome == Outcome.PASS
