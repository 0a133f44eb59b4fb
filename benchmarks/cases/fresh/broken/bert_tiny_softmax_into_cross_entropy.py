"""Broken: a BERT sequence classifier applies softmax to its logits before nn.CrossEntropyLoss.

Source: lansinuote/Huggingface_Toturials issue #6 "Softmax applied before CrossEntropyLoss"
(https://github.com/lansinuote/Huggingface_Toturials/issues/6), found with the `issues` search
"BertForSequenceClassification softmax logits before CrossEntropyLoss". The tutorial's
Model.forward() returns `out.softmax(dim=1)` and the training loop feeds it to CrossEntropyLoss.

Bug: CrossEntropyLoss applies log-softmax itself, so the probabilities are softmaxed a second
time: the loss cannot fall below -log(e/(e+3)) for 4 classes and the logits' gradient is squeezed
through the softmax Jacobian, so training is much slower.

Reproduction: a tiny BERT built from BertConfig (2 layers, hidden 32, no download) on synthetic
token sequences whose class is set by which of 4 token groups is over-represented; the
tutorial's own head (a Linear on the [CLS] hidden state) and softmax; AdamW lr 1e-4 (the
tutorial uses 5e-4; at 5e-4 Adam's normalized steps hide the slowdown within a 3-epoch budget,
at the 1e-4 common for BERT fine-tuning it shows; the bug is the same).

Verified (verify.py): after 3 epochs the broken model's validation accuracy (0.36) stays far below the same
model returning raw logits (the fix), trained from the same seed (0.73).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import BertConfig, BertModel

CASE = {
    "source": "https://github.com/lansinuote/Huggingface_Toturials/issues/6",
    "kind": "broken",
    "bug": "tiny BertModel classifier returns softmax(logits) into nn.CrossEntropyLoss (softmax twice)",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND403", "ND404"],
}

VOCAB, LENGTH, CLASSES = 64, 16, 4


def _tokens(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = torch.randint(20, VOCAB, (n, LENGTH), generator=g)
    hits = torch.rand(n, LENGTH, generator=g) < 0.3
    group = 4 + 4 * y[:, None] + torch.randint(0, 4, (n, LENGTH), generator=g)
    x = torch.where(hits, group, x)
    x[:, 0] = 1  # [CLS]
    return x, y


class BertClassifier(nn.Module):
    def __init__(self, softmax: bool) -> None:
        super().__init__()
        cfg = BertConfig(
            vocab_size=VOCAB,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=LENGTH,
        )
        self.bert = BertModel(cfg, add_pooling_layer=False)
        self.fc = nn.Linear(32, CLASSES)
        self.softmax = softmax

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out = self.fc(self.bert(input_ids=ids).last_hidden_state[:, 0])
        return out.softmax(dim=1) if self.softmax else out


def build_model() -> nn.Module:
    return BertClassifier(softmax=True)


def build_data():
    x, y = _tokens(1600, 1)
    xv, yv = _tokens(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-4)


def fixed_model() -> nn.Module:
    return BertClassifier(softmax=False)


VERIFY = {
    "metric": "accuracy",
    "epochs": 3,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
