"""Healthy: a tiny Mamba selective state-space language model (MambaForCausalLM built from a
MambaConfig, no download) trained from scratch for next-token prediction. On CPU without the
fused kernels, transformers runs its sequential reference scan.

Source: state-spaces/mamba issue #256 "Training mamba model with Huggingface transformers from
scratch" (https://github.com/state-spaces/mamba/issues/256), found with the `issues` search
"MambaForCausalLM train small model from scratch config": the user wants a small MambaForCausalLM
for their own token data (MIDI) without a pretrained checkpoint, and later reports "I managed to
train a mamba model with huggingface. It is actually quite easy."

Setup: vocabulary 24, sequences of 20 tokens from a fixed random Markov chain with peaked
transitions (softmax of 3 x Gaussian scores); MambaConfig(hidden 32, state 8, 2 layers, expand
2, conv kernel 4), HF's init (A_log, D, dt bias as the model sets them). CrossEntropyLoss over the
flattened [batch * time, vocab] logits, AdamW lr 2e-3, batch 32.

Why healthy: a stock recurrent-scan model; its input-dependent A/B/C/dt parameters, RMSNorm
and causal depthwise conv look unusual to heuristics tuned on MLPs and attention, but it learns
the chain.

Verified (verify.py): next-token validation accuracy well above the 1/24 chance level.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import MambaConfig, MambaForCausalLM

CASE = {
    "source": "https://github.com/state-spaces/mamba/issues/256",
    "kind": "healthy",
    "bug": "healthy: tiny MambaForCausalLM from a config (selective scan, hidden 32, state 8) on a Markov chain, AdamW",
    "expect": {},
    "consequences": [],
}

VOCAB, LENGTH = 24, 20


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    trans = torch.softmax(3 * torch.randn(VOCAB, VOCAB, generator=torch.Generator().manual_seed(5)), 1)
    g = torch.Generator().manual_seed(seed)
    seq = torch.zeros(n, LENGTH + 1, dtype=torch.long)
    seq[:, 0] = torch.randint(0, VOCAB, (n,), generator=g)
    for t in range(LENGTH):
        seq[:, t + 1] = torch.multinomial(trans[seq[:, t]], 1, generator=g)[:, 0]
    return seq[:, :-1], seq[:, 1:]


class TinyMamba(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = MambaConfig(
            vocab_size=VOCAB,
            hidden_size=32,
            state_size=8,
            num_hidden_layers=2,
            expand=2,
            conv_kernel=4,
            use_cache=False,
        )
        self.lm = MambaForCausalLM(cfg)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm(input_ids=ids, use_cache=False).logits


def build_model() -> nn.Module:
    return TinyMamba()


def build_data():
    x, y = _sequences(1200, 1)
    xv, yv = _sequences(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=150)


def forward(model, batch):
    x, y = batch
    return model(x).flatten(0, 1), y.flatten()


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.3}
