"""Seeded synthetic data for the zoo2 recipes that the zoo's `_synthetic.py` does not cover.

Not a recipe (the leading underscore keeps it out of `learns.py`). The image, token and mask
generators come from `sample_models/zoo/_synthetic.py`, re-exported here so every zoo2 recipe
imports from one place; this module adds raw-audio tones. Every
generator depends only on its `seed` arguments, never on the global RNG.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sample_models" / "zoo"))

from _synthetic import (
    DictDataset,
    image_loaders,
    majority_sequences,
    marker_sequences,
    markov_sequences,
    shape_masks,
    shuffled,
)

__all__ = [
    "DictDataset",
    "image_loaders",
    "majority_sequences",
    "marker_sequences",
    "markov_sequences",
    "shape_masks",
    "shuffled",
    "tone_audio",
]


def tone_audio(
    n: int, seed: int, num_classes: int = 4, length: int = 800, rate: int = 8000, noise: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw waveforms [n, length] and labels [n]: which of `num_classes` pitches is sounding.

    Class c is a sine at 300 * 1.5**c Hz (300, 450, 675, 1012 Hz at the default 8 kHz rate) with
    a random phase, amplitude 0.5-1.5 and a random onset in the first quarter (silence before),
    under Gaussian noise of std `noise`. Each waveform is normalized to zero mean and unit
    variance, as Wav2Vec2's feature extractor does.
    """
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_classes, (n,), generator=g)
    t = torch.arange(length).float() / rate
    freq = 300.0 * 1.5 ** y.float()
    phase = 2 * math.pi * torch.rand(n, generator=g)
    amp = 0.5 + torch.rand(n, generator=g)
    onset = torch.randint(0, length // 4, (n,), generator=g)
    wave = amp[:, None] * torch.sin(2 * math.pi * freq[:, None] * t[None, :] + phase[:, None])
    wave = wave * (torch.arange(length)[None, :] >= onset[:, None]).float()
    wave = wave + noise * torch.randn(n, length, generator=g)
    wave = (wave - wave.mean(dim=1, keepdim=True)) / wave.std(dim=1, keepdim=True)
    return wave, y
