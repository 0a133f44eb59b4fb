"""Broken: a Transformer text classifier ends in softmax and is trained with NLLLoss.

Source: GitHub issue AnubhavGupta3377/Text-Classification-Models-Pytorch#9, "NLLLoss"
(https://github.com/AnubhavGupta3377/Text-Classification-Models-Pytorch/issues/9), found with the
`issues` search: "the input of nn.NLLloss() is after logsoftmax ... here only softmax is provided
in model.py therefore, the loss is always negative. I only check the Transformer model."

Bug: NLLLoss just picks -input[target]. Fed probabilities it computes -p_y, which lives in
[-1, 0]: the reported loss is negative and meaningless as a log-likelihood, confident mistakes
are barely penalized (the gradient vanishes as p_y -> 0) and learning is slow.

Reproduction: token sequences (vocabulary 60, length 16) of 8 topics, each text carrying 2 of its
topic's 5 keywords among filler words; an embedding + positional embedding + 1-layer nn.TransformerEncoder (d_model 32,
2 heads) + mean-pool + Linear + Softmax classifier, NLLLoss, Adam lr 1e-3, batch 32.

Verified (verify.py, VERIFIED.md): the training loss is negative, and validation accuracy after
2 epochs is below the same model with log_softmax (the fix).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/AnubhavGupta3377/Text-Classification-Models-Pytorch/issues/9",
    "kind": "broken",
    "bug": "softmax probabilities fed to nn.NLLLoss (expects log-probabilities): negative loss",
    "expect": {"ND103": "warn"},
    "consequences": ["ND201", "ND402", "ND404", "ND405"],
}

VOCAB, LENGTH, TOPICS = 60, 16, 8


def _texts(n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, TOPICS, (n,), generator=g)
    tokens = torch.randint(TOPICS * 5, VOCAB, (n, LENGTH), generator=g)  # filler words
    keywords = y[:, None] * 5 + torch.randint(0, 5, (n, 2), generator=g)  # 2 topic words per text
    pos = torch.rand(n, LENGTH, generator=g).argsort(1)[:, :2]
    tokens.scatter_(1, pos, keywords)
    return tokens, y


class TextTransformer(nn.Module):
    def __init__(self, log: bool) -> None:
        super().__init__()
        self.log = log
        self.embed = nn.Embedding(VOCAB, 32)
        self.pos = nn.Parameter(torch.randn(LENGTH, 32) * 0.02)
        layer = nn.TransformerEncoderLayer(32, 2, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.fc = nn.Linear(32, TOPICS)

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos).mean(1)
        logits = self.fc(h)
        return torch.log_softmax(logits, dim=1) if self.log else torch.softmax(logits, dim=1)


def build_model() -> nn.Module:
    return TextTransformer(log=False)


def build_data():
    x, y = _texts(1600, 1)
    xv, yv = _texts(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=400)


def build_loss():
    return nn.NLLLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def fixed_model() -> nn.Module:
    return TextTransformer(log=True)


VERIFY = {
    "metric": "accuracy",
    "epochs": 2,
    "fix": {"build_model": fixed_model},
    "claims": ["negative_loss", "worse_than_fix"],
    "margin": 0.1,
}
