"""Patterns of stock architectures that are healthy but once looked broken to a probe or a check
(found on the held-out zoo in benchmarks/zoo2/): weight-normalized layers, a model that sets
`requires_grad` on its own input, squeeze-and-excitation gates, dropout that a library builds in
every block but uses only in some, and sequence-first models. Each has its broken twin where one
exists, so the check is shown to still fire.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from nndoctor.api import diagnose
from nndoctor.report.model import Outcome

FAST = {"short_run": {"steps": 20}, "overfit_tiny": {"steps": 20}, "lr_range": {"steps": 20}}


def _finding(model: nn.Module, batches, check_id: str):
    report = diagnose(model, batches, select=[check_id], device="cpu", probes=FAST)
    return next(f for f in report.findings if f.check_id == check_id)


def _labelled(shape: tuple[int, ...], n: int = 64, classes: int = 3, size: int = 16, dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    x = (
        torch.randn(n, *shape, generator=g)
        if dtype.is_floating_point
        else torch.randint(0, 20, (n, *shape), generator=g)
    )
    y = torch.arange(n) % classes
    return [(x[i : i + size], y[i : i + size]) for i in range(0, n, size)]


# -- weight norm ---------------------------------------------------------------------------------
def _temporal_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        weight_norm(nn.Conv1d(4, 8, 3, padding=1)),
        nn.ReLU(),
        weight_norm(nn.Conv1d(8, 8, 3, padding=1)),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 16, 3),
    )


def test_weight_normalized_convs_are_measured_as_the_layers_they_are():
    finding = _finding(_temporal_net(), _labelled((4, 16)), "ND203")
    assert finding.outcome == Outcome.PASS, finding.message
    assert "std 0" not in finding.message


def test_weight_normalized_layers_are_judged_by_their_computed_weight():
    finding = _finding(_temporal_net(), _labelled((4, 16)), "ND202")
    assert finding.outcome == Outcome.PASS, finding.message
    rows = {row[0]: row for row in finding.tables[0].rows}
    assert float(rows["0 (ParametrizedConv1d)"][3]) > 0.05  # the kernel's std, not 0


def test_a_weight_normalized_layer_that_outputs_a_constant_is_still_caught():
    model = _temporal_net()
    with torch.no_grad():  # g = 0: the normalized kernel is all zeros, and so is the output
        model[0].parametrizations.weight.original0.zero_()
        model[0].bias.zero_()
    finding = _finding(model, _labelled((4, 16)), "ND203")
    assert finding.outcome in (Outcome.WARN, Outcome.FAIL), finding.message
    assert "0 (ParametrizedConv1d)" in finding.message


# -- a model that marks its own input as requiring grad -------------------------------------------
class MarksItsInput(nn.Module):
    """Like transformers' Wav2Vec2 feature encoder: `x[:, None]` then `requires_grad = True` in training."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 5, stride=2)
        self.head = nn.Linear(8, 3)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        hidden = audio[:, None]
        if self.training:
            hidden.requires_grad = True
        return self.head(torch.relu(self.conv(hidden)).mean(-1))


def test_a_model_that_sets_requires_grad_on_its_input_is_still_probed():
    report = diagnose(MarksItsInput(), _labelled((64,)), select=["ND104", "ND202", "ND301", "ND303"], device="cpu")
    outcomes = {f.check_id: f.outcome for f in report.findings}
    assert Outcome.ERROR not in outcomes.values(), [f.message for f in report.findings]
    assert outcomes["ND301"] == Outcome.PASS


# -- gates ----------------------------------------------------------------------------------------
class SqueezeExcite(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, channels // 2, 1)
        self.expand = nn.Conv2d(channels // 2, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(torch.relu(self.reduce(self.pool(x)))))


class GatedBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.se = SqueezeExcite(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.se(torch.relu(self.conv(x)))


class SigmoidBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.act = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


def _stack(block: type[nn.Module]) -> nn.Sequential:
    torch.manual_seed(0)
    blocks = [block(8) for _ in range(10)]
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))


def test_squeeze_excite_gates_are_not_counted_as_saturating_layers():
    finding = _finding(_stack(GatedBlock), _labelled((3, 8, 8)), "ND104")
    assert finding.outcome == Outcome.PASS, finding.message
    assert len(finding.evidence["gates_not_counted"]) == 10 and not finding.evidence["saturating_hidden"]


def test_sigmoids_in_series_still_warn():
    finding = _finding(_stack(SigmoidBlock), _labelled((3, 8, 8)), "ND104")
    assert finding.outcome == Outcome.WARN and "10 hidden Sigmoid" in finding.message
    assert finding.evidence["gates_not_counted"] == []


# -- dropout unused by design in some blocks ------------------------------------------------------
class DropBlock(nn.Module):
    def __init__(self, residual: bool, use_dropout: bool = True) -> None:
        super().__init__()
        self.residual, self.use_dropout = residual, use_dropout
        self.fc = nn.Linear(16, 16)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc(x))
        if not self.residual:
            return h  # like EfficientNet: a block without a residual cannot be dropped
        if self.use_dropout:
            h = self.dropout(h)
        return x + h


def _drop_net(use_dropout: bool) -> nn.Sequential:
    torch.manual_seed(0)
    blocks = [DropBlock(residual=i % 2 == 1, use_dropout=use_dropout) for i in range(4)]
    return nn.Sequential(nn.Linear(8, 16), *blocks, nn.Linear(16, 3))


def test_dropout_a_library_leaves_unused_where_sibling_blocks_use_it_passes_with_a_note():
    finding = _finding(_drop_net(use_dropout=True), _labelled((8,)), "ND401")
    assert finding.outcome == Outcome.PASS, finding.message
    assert finding.evidence["unused_where_siblings_act"] == ["1.dropout", "3.dropout"]
    assert "2 of 4 dropout module(s) act" in finding.message


def test_dropout_unused_in_every_block_still_warns():
    finding = _finding(_drop_net(use_dropout=False), _labelled((8,)), "ND401")
    assert finding.outcome == Outcome.WARN and "4 of 4 dropout module(s) change nothing" in finding.message


# -- sequence-first models ------------------------------------------------------------------------
class SequenceFirstAttention(nn.Module):
    """Token ids [B, T] in, a GRU run sequence-first, attention pooling over `dim`."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.dim = dim
        self.embed = nn.Embedding(20, 16)
        self.gru = nn.GRU(16, 16)
        self.score = nn.Linear(16, 1)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(tokens.t()))  # [T, B, H]; B == H here, as in the case it comes from
        weights = torch.softmax(self.score(h), dim=self.dim)
        return self.head((weights * h).sum(0))


def test_batch_mixing_is_found_inside_a_sequence_first_model():
    finding = _finding(SequenceFirstAttention(dim=1), _labelled((12,), dtype=torch.long), "ND304")
    assert finding.outcome == Outcome.FAIL, finding.message


def test_a_sequence_first_model_that_keeps_samples_apart_passes():
    finding = _finding(SequenceFirstAttention(dim=0), _labelled((12,), dtype=torch.long), "ND304")
    assert finding.outcome == Outcome.PASS, finding.message


class SequenceFirstTagger(nn.Module):
    """nn.TransformerEncoder with its default batch_first=False: tokens [T, B] in, tags [T, B, C] out."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(20, 16)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(tokens)))


def test_time_mixing_in_batches_collated_sequence_first_is_not_batch_mixing():
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 20, (64, 12), generator=g)
    tags = tokens % 3

    def time_first(samples):  # the torchtext-style [T, B] layout, targets alike
        xs, ys = zip(*samples, strict=True)
        return torch.stack(xs, 1), torch.stack(ys, 1)

    loader = DataLoader(TensorDataset(tokens, tags), batch_size=8, collate_fn=time_first)
    report = diagnose(
        SequenceFirstTagger(),
        loader,
        loss_fn=lambda out, y: nn.functional.cross_entropy(out.reshape(-1, 3), y.reshape(-1)),
        select=["ND304"],
        device="cpu",
    )
    finding = report.findings[0]
    assert finding.outcome == Outcome.PASS, finding.message
    assert finding.evidence["batch_size"] == 8


# -- per-token logits and a loss function that flattens them ------------------------------------
class TinyLM(nn.Module):
    def __init__(self, vocab: int = 50) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(vocab, 16)
        self.rnn = nn.GRU(16, 16, batch_first=True)
        self.head = nn.Linear(16, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.embed(tokens))[0])  # [B, T, V]


def test_per_token_logits_with_a_flattening_loss_function_are_a_language_model_not_bad_labels():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 50, (64, 21), generator=g)  # T = 20 < V = 50: dim 1 cannot hold the classes
    batches = [(tokens[i : i + 16, :-1], tokens[i : i + 16, 1:]) for i in range(0, 64, 16)]
    report = diagnose(
        TinyLM(),
        batches,
        loss_fn=lambda out, y: nn.functional.cross_entropy(out.reshape(-1, 50), y.reshape(-1)),
        select=["ND102", "ND201"],
        device="cpu",
    )
    by_id = {f.check_id: f for f in report.findings}
    assert by_id["ND102"].outcome == Outcome.PASS, by_id["ND102"].message
    assert by_id["ND201"].outcome == Outcome.PASS, by_id["ND201"].message  # the loss at init is about log(50)
    task = report.model["task"]
    assert task["num_classes"] == 50 and task["loss"] == "cross_entropy"


def test_cross_entropy_loss_on_unpermuted_per_token_logits_is_still_refused():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 50, (64, 21), generator=g)
    batches = [(tokens[i : i + 16, :-1], tokens[i : i + 16, 1:]) for i in range(0, 64, 16)]
    report = diagnose(TinyLM(), batches, loss_fn=nn.CrossEntropyLoss(), select=["ND102"], device="cpu")
    assert report.findings[0].outcome == Outcome.FAIL


# -- a full-batch graph: the adjacency is as long as the batch but not per sample ----------------
class GraphConvNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.first = nn.Linear(8, 16)
        self.second = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        return adjacency @ self.second(torch.relu(adjacency @ self.first(x)))


def test_overfitting_a_full_batch_graph_keeps_the_whole_graph():
    g = torch.Generator().manual_seed(0)
    nodes = 60
    y = torch.arange(nodes) % 3
    x = torch.randn(nodes, 8, generator=g) + y[:, None].float()
    adjacency = (torch.rand(nodes, nodes, generator=g) < 0.1).float() + torch.eye(nodes)
    adjacency = adjacency / adjacency.sum(1, keepdim=True)
    report = diagnose(
        GraphConvNet(),
        [(x, adjacency, y)],
        forward_fn=lambda model, batch: (model(batch[0], batch[1]), batch[2]),
        select=["ND402"],
        device="cpu",
    )
    finding = report.findings[0]
    assert finding.outcome != Outcome.ERROR, finding.message
    assert finding.evidence["samples"] == nodes


# -- a layer zero-initialized on purpose ----------------------------------------------------------
class IdentityStartTransform(nn.Module):
    """PointNet's T-Net in miniature: a learned 4x4 transform whose last layer starts at zero, so the
    transform starts as the identity."""

    def __init__(self, zero_head: bool = True) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Linear(4, 16)
        self.to_matrix = nn.Linear(16, 16)
        if zero_head:
            nn.init.zeros_(self.to_matrix.weight)
            nn.init.zeros_(self.to_matrix.bias)
        self.head = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        matrix = torch.eye(4) + self.to_matrix(torch.relu(self.features(x))).view(-1, 4, 4)
        return self.head(torch.bmm(matrix, x.unsqueeze(-1)).squeeze(-1))


def test_a_layer_zero_initialized_on_purpose_is_noted_not_judged():
    batches = _labelled((4,))
    report = diagnose(IdentityStartTransform(), batches, select=["ND202", "ND203"], device="cpu")
    by_id = {f.check_id: f for f in report.findings}
    for check_id in ("ND202", "ND203"):
        assert by_id[check_id].outcome == Outcome.PASS, by_id[check_id].message
        assert by_id[check_id].evidence["zero_initialized_layers"] == ["to_matrix"]


def test_a_network_zeroed_throughout_still_fails_its_init():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    for layer in (model[0], model[2]):
        nn.init.zeros_(layer.weight)
    finding = _finding(model, _labelled((4,)), "ND202")
    assert finding.outcome in (Outcome.FAIL, Outcome.WARN), finding.message


def test_a_flattened_token_output_whose_vocabulary_equals_the_batch_size_has_no_sample_axis():
    """[B*T, V] logits with V == B (fresh's tied-embedding GPT-2: batch 32, 32 symbols): not batch mixing."""
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 16, (64, 9), generator=g)
    batches = [(tokens[i : i + 16, :-1], tokens[i : i + 16, 1:]) for i in range(0, 64, 16)]
    report = diagnose(
        TinyLM(vocab=16),
        batches,
        forward_fn=lambda model, batch: (model(batch[0]).flatten(0, 1), batch[1].flatten()),
        loss_fn=nn.CrossEntropyLoss(),
        select=["ND304"],
        device="cpu",
    )
    assert report.findings[0].outcome != Outcome.FAIL, report.findings[0].message


# -- a recurrent layer's input scale -------------------------------------------------------------
class _EmbedGRU(nn.Module):
    """Token ids -> Embedding (default N(0, 1) init) * `scale` -> GRU -> head on the last state."""

    def __init__(self, scale: float, dim: int = 256) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.scale = scale
        self.embed = nn.Embedding(20, dim)
        self.rnn = nn.GRU(dim, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(ids) * self.scale)
        return self.head(out[:, -1])


def test_a_gru_fed_an_embedding_scaled_by_sqrt_dim_warns_on_its_saturated_gates():
    """fairseq#47's bug: `embed(x) * sqrt(d)` with the default N(0, 1) init gives the GRU inputs of
    std 16; the unscaled embedding (std 1, the healthy default) keeps its gates in range."""
    batches = _labelled((12,), dtype=torch.long)
    broken = _finding(_EmbedGRU(scale=16.0), batches, "ND203")
    assert broken.outcome == Outcome.WARN and "gate pre-activations saturate" in broken.message, broken.message
    assert broken.evidence["saturated_gate_layers"]["rnn"] > 0.6
    healthy = _finding(_EmbedGRU(scale=1.0), batches, "ND203")
    assert healthy.outcome == Outcome.PASS, healthy.message
    assert healthy.evidence["saturated_gate_layers"] == {}


# -- padded token batches --------------------------------------------------------------------------
class _Tagger(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(30, 16, padding_idx=0)
        self.out = nn.Linear(16, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(self.embed(ids)).transpose(1, 2)  # [N, C, T] for CrossEntropyLoss


def _padded_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-token tags, each batch padded to its own longest sequence: tags -100 on the padding."""
    g = torch.Generator().manual_seed(0)
    batches = []
    for length in (9, 12, 7, 10):
        ids = torch.randint(1, 30, (8, length), generator=g)
        tags = ids % 4
        lengths = torch.randint(3, length + 1, (8,), generator=g)
        pad = torch.arange(length)[None, :] >= lengths[:, None]
        batches.append((ids.masked_fill(pad, 0), tags.masked_fill(pad, -100)))
    return batches


def test_padding_labels_of_ignore_index_and_batches_of_different_lengths_are_a_healthy_tagger():
    report = diagnose(
        _Tagger(),
        _padded_batches(),
        loss_fn=nn.CrossEntropyLoss(),
        select=["ND102", "ND404"],
        device="cpu",
        probes=FAST,
    )
    outcomes = {f.check_id: f for f in report.findings}
    assert outcomes["ND102"].outcome == Outcome.PASS, outcomes["ND102"].message
    assert set(outcomes["ND102"].evidence["ignored_labels"]) == {"-100"}
    assert outcomes["ND404"].outcome != Outcome.ERROR, outcomes["ND404"].message


def test_labels_out_of_range_still_fail_beside_ignored_padding():
    batches = [(ids, torch.where(tags == 3, 7, tags)) for ids, tags in _padded_batches()]  # class 7 of 4
    report = diagnose(_Tagger(), batches, loss_fn=nn.CrossEntropyLoss(), select=["ND102"], device="cpu", probes=FAST)
    (finding,) = report.findings
    assert finding.outcome == Outcome.FAIL and "7" in finding.message, finding.message


# -- a loss summed over the batch ------------------------------------------------------------------
def _regression(scale: float) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    y = (x[:, :1] * 2 + 0.1 * torch.randn(256, 1, generator=g)) * scale
    return [(x[i : i + 64], y[i : i + 64]) for i in range(0, 256, 64)]


def test_a_summed_mse_is_judged_per_term_at_init():
    """`MSELoss(reduction="sum")` starts at the batch size times var(target): per term it is the
    reference (fresh6's healthy mse_sum_reduction_adam_regression warned 259x before); targets
    offset by 30 are still far off per term."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    summed = nn.MSELoss(reduction="sum")
    healthy = diagnose(model, _regression(1.0), loss_fn=summed, select=["ND201"], device="cpu", probes=FAST)
    (finding,) = healthy.findings
    assert finding.outcome == Outcome.PASS and finding.evidence["terms_per_batch"] == 64, finding.message
    offset = diagnose(
        model, [(x, y + 30.0) for x, y in _regression(1.0)], loss_fn=summed, select=["ND201"], device="cpu", probes=FAST
    )
    assert offset.findings[0].evidence["ratio"] > 100 and "far from zero" in offset.findings[0].message


def test_dropout_unused_inside_an_installed_librarys_module_is_noted_not_warned(tmp_path, monkeypatch):
    """The same unused-in-every-block dropout, in a class that an installed package defines (a file
    under site-packages, as transformers' DeBERTa-v2 pos_dropout is): not the user's to fix."""
    import importlib
    import inspect
    import sys
    import textwrap

    package = tmp_path / "site-packages" / "fakelib_blocks"
    package.mkdir(parents=True)
    source = textwrap.dedent(inspect.getsource(DropBlock)).replace("class DropBlock", "class LibraryBlock")
    (package / "__init__.py").write_text("import torch\nfrom torch import nn\n\n\n" + source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    library = importlib.import_module("fakelib_blocks")
    try:
        torch.manual_seed(0)
        blocks = [library.LibraryBlock(residual=True, use_dropout=False) for _ in range(3)]
        model = nn.Sequential(nn.Linear(8, 16), *blocks, nn.Linear(16, 3))
        finding = _finding(model, _labelled((8,)), "ND401")
    finally:
        sys.modules.pop("fakelib_blocks", None)
    assert finding.outcome == Outcome.PASS, finding.message
    assert finding.evidence["unused_inside_a_library_module"] == ["1.dropout", "2.dropout", "3.dropout"]
    assert "installed library" in finding.message
