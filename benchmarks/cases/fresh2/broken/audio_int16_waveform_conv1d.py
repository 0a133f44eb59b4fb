"""Broken: a 1-D conv audio classifier fed raw int16 sample values (about +-10^4) instead of [-1, 1].

Source: JusperLee/Dual-Path-RNN-Pytorch issue #16 "Input Normalization"
(https://github.com/JusperLee/Dual-Path-RNN-Pytorch/issues/16), found with the `issues` search
"raw audio waveform int16 not normalized model not learning". The reporter loaded wav files with
scipy (int16 values) instead of librosa (floats in [-1, 1]) "and it caused loss going to NaN at a
point"; the maintainer: "you will norm audio between [-1,1]", i.e. divide by 2**15.

Bug: the waveform keeps its int16 scale (amplitudes of several thousand), so the first conv's
pre-activations are ~10^4 times too large and SGD's steps on it are far out of proportion.

Reproduction: 1024-sample clips of four synthetic "sounds" (a tone whose frequency is the class, a
random phase, an amplitude envelope and noise) stored as int16-scale floats, as
`torch.from_numpy(wav).float()` gives; a small 1-D CNN (Conv1d 1->16 k9 s4, Conv1d 16->32 k9 s4,
global average pool, Linear 32->4); CrossEntropyLoss; SGD lr 0.05 momentum 0.9; batch 32. The
Dual-Path RNN is a separation model; the mechanism (int16 input scale) is the same.

Verified (verify.py): after 5 epochs the broken run ends far below the same model fed wav / 32768.
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/JusperLee/Dual-Path-RNN-Pytorch/issues/16",
    "kind": "broken",
    "bug": "1-D conv audio classifier fed raw int16-scale waveform samples (no division by 32768)",
    "expect": {"ND101": "warn"},
    "consequences": ["ND201", "ND204", "ND303", "ND402", "ND403", "ND404"],
}

LENGTH, CLASSES = 1024, 4


def _clips(n: int, seed: int, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, CLASSES, (n,), generator=g)
    t = torch.arange(LENGTH, dtype=torch.float32) / LENGTH
    freq = 20.0 + 25.0 * y.float() + 3.0 * torch.randn(n, generator=g)
    phase = 2 * math.pi * torch.rand(n, generator=g)
    env = torch.exp(-((t - torch.rand(n, 1, generator=g)) ** 2) / 0.1)
    wav = env * torch.sin(2 * math.pi * freq[:, None] * t + phase[:, None]) + 0.3 * torch.randn(n, LENGTH, generator=g)
    amp = 0.2 + 0.3 * torch.rand(n, 1, generator=g)
    pcm = (amp * wav * 32767).clamp(-32768, 32767).round()  # what an int16 wav file holds
    return (pcm * scale)[:, None, :], y


class AudioCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 16, 9, stride=4), nn.ReLU(), nn.Conv1d(16, 32, 9, stride=4), nn.ReLU()
        )
        self.head = nn.Linear(32, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(2))


def build_model() -> nn.Module:
    return AudioCNN()


def _loaders(scale: float):
    x, y = _clips(1600, 1, scale)
    xv, yv = _clips(400, 2, scale)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_data():
    return _loaders(1.0)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)


def fixed_data():
    return _loaders(1.0 / 32768)


VERIFY = {
    "metric": "accuracy",
    "epochs": 5,
    "fix": {"build_data": fixed_data},
    "claims": ["worse_than_fix"],
    "margin": 0.3,
}
