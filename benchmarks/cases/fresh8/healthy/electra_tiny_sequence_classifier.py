"""Healthy: a tiny ELECTRA discriminator with a sequence-classification head
(ElectraForSequenceClassification built from an ElectraConfig, no download), trained from
scratch with AdamW. ELECTRA factorizes the embedding (embedding_size 32 projected up to hidden
64), and its classification head is a dense + GELU + out_proj on the first token.

Source: huggingface/transformers issue #4502 "How to finetune ELECTRA on glue?"
(https://github.com/huggingface/transformers/issues/4502), found with the `issues` search
"ElectraForSequenceClassification small config train from scratch": after pretraining their own
ELECTRA, the user wants to fine-tune it for sequence classification; the answer points to the
newly merged ElectraForSequenceClassification.

Setup: vocabulary 50, sequences of 20 tokens (ids 4-49 random); each sequence contains two
copies of one of three marker tokens (ids 4, 5, 6) at random positions, and the label is which
marker (3 classes). ElectraConfig(embedding_size 32, hidden 64, 2 layers, 4 heads, intermediate
128, max positions 32), HF's own init (0.02). AdamW lr 1e-3, weight decay 0.01, batch 32.

Why healthy: a stock encoder with its own initialization and head; the 0.02 init and the
embedding projection look unusual to a heuristic but the model learns the marker task.

Verified (verify.py): validation accuracy well above the 1/3 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import ElectraConfig, ElectraForSequenceClassification

CASE = {
    "source": "https://github.com/huggingface/transformers/issues/4502",
    "kind": "healthy",
    "bug": "healthy: tiny ElectraForSequenceClassification from a config (factorized embedding 32->64), AdamW 1e-3",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 50, 20


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(7, VOCAB, (n, LENGTH), generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    for i in range(n):
        pos = torch.randperm(LENGTH - 1, generator=g)[:2] + 1
        x[i, pos] = 4 + y[i]
    x[:, 0] = 2  # a [CLS]-like first token, as the head reads position 0
    return x, y


class TinyElectra(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = ElectraConfig(
            vocab_size=VOCAB,
            embedding_size=32,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            max_position_embeddings=32,
            num_labels=3,
        )
        self.electra = ElectraForSequenceClassification(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.electra(input_ids=ids).logits


def build_model() -> nn.Module:
    return TinyElectra()


def build_data():
    x, y = _sequences(1500, 1)
    xv, yv = _sequences(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.8}
