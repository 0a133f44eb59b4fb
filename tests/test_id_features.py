"""ND101 and category ids packed into a float input tensor: ids the model reads through an integer
cast are left out of the normalization verdict; the same whole numbers fed to a Linear are not."""

from __future__ import annotations

import torch
from torch import nn

from nndoctor.api import diagnose
from nndoctor.report.model import Outcome

CARDINALITIES = (100, 50)


def _rows(n: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.stack([torch.randint(0, c, (n,), generator=g) for c in CARDINALITIES], 1).float()
    dense = torch.randn(n, 3, generator=g)
    y = (dense[:, 0] + (ids[:, 0] % 2) > 0.5).long()
    return torch.cat([ids, dense], 1), y


def _batches(x: torch.Tensor, y: torch.Tensor, size: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


class Embedded(nn.Module):
    """Columns 0 and 1 are category ids looked up in embeddings; the rest are scaled features."""

    def __init__(self, also_as_float: bool = False) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList([nn.Embedding(c, 4) for c in CARDINALITIES])
        self.also_as_float = also_as_float
        self.head = nn.Sequential(nn.Linear(8 + 3 + also_as_float, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x[:, :2].long()
        parts = [emb(ids[:, i]) for i, emb in enumerate(self.embeddings)]
        if self.also_as_float:
            parts.append(x[:, :1])  # the raw id as a number as well: a scale the Linear sees
        return self.head(torch.cat([*parts, x[:, 2:]], 1))


def _nd101(model: nn.Module):
    x, y = _rows()
    report = diagnose(model, _batches(x, y), select=["ND101"], device="cpu")
    return next(f for f in report.findings if f.check_id == "ND101")


def test_ids_read_through_an_integer_cast_are_not_called_unnormalized_inputs() -> None:
    torch.manual_seed(0)
    finding = _nd101(Embedded())
    assert finding.outcome == Outcome.PASS, finding.message
    assert finding.evidence["id_columns"] == [0, 1]
    assert "columns 0, 1 are ids" in finding.message
    assert finding.evidence["input_rms"] < 2


def test_the_same_whole_numbers_fed_to_a_linear_layer_still_warn() -> None:
    torch.manual_seed(0)
    finding = _nd101(nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 2)))
    assert finding.outcome == Outcome.WARN
    assert "inputs are large" in finding.message
    assert "id_columns" not in finding.evidence


def test_an_id_also_used_as_a_number_is_judged_as_a_feature() -> None:
    torch.manual_seed(0)
    finding = _nd101(Embedded(also_as_float=True))
    assert finding.evidence["id_columns"] == [1]
    assert finding.outcome == Outcome.WARN, finding.message


def test_a_timestamp_too_large_for_the_shift_to_show_is_not_taken_for_an_id() -> None:
    # float32 steps are 128 wide at 1.7e9: adding 0.25 changes nothing, so the shift proves nothing
    g = torch.Generator().manual_seed(0)
    stamps = 1.7e9 + torch.randint(0, 10**7, (256, 1), generator=g).float()
    x = torch.cat([stamps, torch.randn(256, 2, generator=g)], 1)
    y = (x[:, 1] > 0).long()
    torch.manual_seed(0)
    report = diagnose(nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2)), _batches(x, y), select=["ND101"])
    finding = report.findings[0]
    assert finding.outcome == Outcome.WARN and "id_columns" not in finding.evidence
