"""Healthy: a bidirectional LSTM trained with CTC loss to transcribe frame sequences into digit
strings (speech/handwriting-recognition style, no alignment given).

Source: the torch.nn.functional.ctc_loss reference
(https://deploy-preview-303--pytorch-hub-preview.netlify.app/docs/1.10/generated/torch.nn.functional.ctc_loss),
found with the `pages` search "CTC loss pytorch example LSTM log_softmax input_lengths
target_lengths tutorial": log_probs of shape (T, N, C) "obtained with
torch.nn.functional.log_softmax()", targets without the blank (index 0), input and target
lengths per sequence.

Setup: 30 frames x 8 features per sequence; four digits (1-9, no digit repeated back to back),
each shown for 5 noisy frames of its own prototype, with 0-2 silence frames before each digit and
silence padding at the end. LSTM(8, 32, bidirectional, batch_first) -> Linear(64, 10). The
recipe's forward returns [B, T, 10] scores and the [B, 4] targets; the loss applies
log_softmax, moves time first and calls F.ctc_loss with full input lengths and target length 4.
Adam lr 3e-3, batch 32. The metric is exact-match accuracy of greedy CTC decoding.

Why healthy: the loss is a sum over all alignments, large at the start (about 4 symbols times
log 10 plus the alignment cost) and never zero per frame; the output is not a per-frame class.

Verified (verify.py): held-out exact-match accuracy of the decoded digit strings well above 0.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://deploy-preview-303--pytorch-hub-preview.netlify.app/docs/1.10/generated/torch.nn.functional.ctc_loss",
    "kind": "healthy",
    "bug": "healthy: BiLSTM frame classifier trained with F.ctc_loss on unaligned 4-digit strings",
    "expect": {},
    "consequences": [],
}

FRAMES, FEATURES, DIGITS, SYMBOLS = 30, 8, 4, 10


def _sequences(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    protos = 1.5 * torch.randn(SYMBOLS, FEATURES, generator=torch.Generator().manual_seed(37))
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, FRAMES, FEATURES)
    y = torch.zeros(n, DIGITS, dtype=torch.long)
    for i in range(n):
        t, prev = 0, 0
        for k in range(DIGITS):
            d = int(torch.randint(1, SYMBOLS - 1, (1,), generator=g))
            d = d + 1 if d >= prev and prev else d  # never the previous digit again
            y[i, k], prev = d, d
            t += int(torch.randint(0, 3, (1,), generator=g))
            x[i, t : t + 5] = protos[d]
            t += 5
    return x + 0.5 * torch.randn(n, FRAMES, FEATURES, generator=g), y


class Transcriber(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(FEATURES, 32, batch_first=True, bidirectional=True)
        self.out = nn.Linear(64, SYMBOLS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.lstm(x)[0])


class CTC(nn.Module):
    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_probs = scores.log_softmax(2).transpose(0, 1)
        n = scores.shape[0]
        inputs = torch.full((n,), scores.shape[1], dtype=torch.long)
        lengths = torch.full((n,), targets.shape[1], dtype=torch.long)
        return nn.functional.ctc_loss(log_probs, targets, inputs, lengths)


def exact_match(scores: torch.Tensor, targets: torch.Tensor) -> float:
    hits = 0
    for path, want in zip(scores.argmax(2), targets, strict=True):
        out = [int(s) for j, s in enumerate(path) if s != 0 and (j == 0 or s != path[j - 1])]
        hits += out == want.tolist()
    return hits / len(targets)


def build_model() -> nn.Module:
    return Transcriber()


def build_data():
    x, y = _sequences(2000, 1)
    xv, yv = _sequences(300, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=300)


def build_loss():
    return CTC()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


VERIFY = {"metric": exact_match, "epochs": 6, "min": 0.5}
