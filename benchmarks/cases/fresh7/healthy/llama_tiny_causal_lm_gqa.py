"""Healthy: a tiny Llama (LlamaForCausalLM built from a LlamaConfig, no download) trained from
scratch as a next-token language model on sequences from a fixed random Markov chain:
RMSNorm, rotary position embeddings, SwiGLU MLP and grouped-query attention (4 query heads
sharing 2 key/value heads), HF's own init (initializer_range 0.02), AdamW lr 1e-3 with weight
decay 0.1, CrossEntropyLoss over the flattened [batch * time, vocab] logits.

Source: alex-hh/profam pull request #202 "add llama small config (similar to poet small
configuration)" (https://github.com/alex-hh/profam/pull/202), found with the `issues` search
"LlamaConfig small model train from scratch LlamaForCausalLM tiny": small Llama configs
(llama_tiny ... llama_medium) trained from scratch as protein-family language models.

Setup: vocabulary 32, sequences of 24 tokens from a Markov chain with peaked transition rows
(softmax of 3 x Gaussian scores); LlamaConfig(hidden 48, intermediate 96, 2 layers, 4 heads, 2 kv
heads, max positions 64, tied embeddings off). Batch 32.

Why healthy: a stock modern decoder. Its small init (0.02 everywhere), RMSNorm without bias and
GQA look unusual to a heuristic, but the model learns the chain's transitions quickly.

Verified (verify.py): next-token validation accuracy well above the 1/32 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import LlamaConfig, LlamaForCausalLM

CASE = {
    "source": "https://github.com/alex-hh/profam/pull/202",
    "kind": "healthy",
    "bug": "healthy: tiny Llama LM from a config (RMSNorm, RoPE, SwiGLU, GQA 4/2 heads), AdamW lr 1e-3 wd 0.1",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 32, 24


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    trans = torch.softmax(3 * torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(97)), 1)
    g = torch.Generator().manual_seed(seed)
    seq = torch.zeros(n, LENGTH + 1, dtype=torch.long)
    seq[:, 0] = torch.randint(0, VOCAB, (n,), generator=g)
    for t in range(LENGTH):
        seq[:, t + 1] = torch.multinomial(trans[seq[:, t]], 1, generator=g)[:, 0]
    return seq[:, :-1], seq[:, 1:]


class TinyLlama(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = LlamaConfig(
            vocab_size=VOCAB,
            hidden_size=48,
            intermediate_size=96,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
            tie_word_embeddings=False,
        )
        self.lm = LlamaForCausalLM(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm(input_ids=ids).logits


def build_model() -> nn.Module:
    return TinyLlama()


def build_data():
    x, y = _sequences(1500, 1)
    xv, yv = _sequences(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=150)


def forward(model, batch):
    x, y = batch
    return model(x).flatten(0, 1), y.flatten()


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.1)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.3}
