"""Healthy: a tiny BERT (BertConfig, no download) fine-tuned as a sequence classifier with AdamW.

Source: Hugging Face Transformers "Fine-tune a pretrained model" guide, the native PyTorch loop
(https://huggingface.co/docs/transformers/training), found with the `docs` search "transformers
training loop AdamW BertForSequenceClassification": AdamW, a Linear head on the encoder, logits
into cross-entropy.

Setup: BertModel from BertConfig(vocab 64, hidden 32, 2 layers, 2 heads, intermediate 64),
randomly initialized; Linear head on the [CLS] state; synthetic token sequences whose class is
set by which of 4 token groups is over-represented; CrossEntropyLoss; AdamW lr 5e-4 weight_decay
0.01; batch 32.

Why healthy: raw logits into cross-entropy, BERT's own init (N(0, 0.02) + LayerNorm), a usual
AdamW learning rate for a small encoder.

Verified (verify.py): validation accuracy far above chance (0.25) after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import BertConfig, BertModel

CASE = {
    "source": "https://huggingface.co/docs/transformers/training",
    "kind": "healthy",
    "bug": "healthy: tiny BertModel + Linear head sequence classifier, AdamW lr 5e-4 wd 0.01",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH, CLASSES = 64, 16, 4


def _tokens(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = torch.randint(20, VOCAB, (n, LENGTH), generator=g)
    hits = torch.rand(n, LENGTH, generator=g) < 0.3
    x = torch.where(hits, 4 + 4 * y[:, None] + torch.randint(0, 4, (n, LENGTH), generator=g), x)
    x[:, 0] = 1
    return x, y


class BertClassifier(nn.Module):
    def __init__(self) -> None:
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

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.fc(self.bert(input_ids=ids).last_hidden_state[:, 0])


def build_model() -> nn.Module:
    return BertClassifier()


def build_data():
    x, y = _tokens(1600, 11)
    xv, yv = _tokens(400, 12)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
