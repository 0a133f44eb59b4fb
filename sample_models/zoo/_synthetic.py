"""Seeded synthetic data for the zoo recipes: images, token sequences and segmentation shapes.

Not a recipe (the leading underscore keeps it out of the zoo's test and benchmark loops). Every
generator depends only on its `seed` arguments, never on the global RNG, so a recipe's data are the
same on every run, and each one builds a few thousand samples in well under a second.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset


def shuffled(dataset: Dataset, batch_size: int, seed: int = 0) -> DataLoader:
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


# -- images: 10 classes of smooth colour patterns ---------------------------------------------
def pattern_images(
    n: int, seed: int, num_classes: int = 10, size: int = 32, noise: float = 1.0, templates_seed: int = 1234
) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images [n, 3, size, size] with labels [n].

    Each class is a fixed smooth random colour pattern (6x6 Gaussian noise upsampled bicubically),
    shown cyclically shifted by up to 4 pixels each way, at a random contrast 0.6-1.4, under
    Gaussian pixel noise of std `noise` (about the pattern's own std).
    """
    templates = torch.randn(num_classes, 3, 6, 6, generator=torch.Generator().manual_seed(templates_seed))
    templates = nn.functional.interpolate(templates, size=(size, size), mode="bicubic", align_corners=False)
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_classes, (n,), generator=g)
    shifts = torch.randint(-4, 5, (n, 2), generator=g).tolist()
    contrast = 0.6 + 0.8 * torch.rand(n, 1, 1, 1, generator=g)
    x = torch.stack(
        [torch.roll(templates[c], (dy, dx), dims=(1, 2)) for c, (dy, dx) in zip(y.tolist(), shifts, strict=True)]
    )
    x = contrast * x + noise * torch.randn(x.shape, generator=g)
    return x, y


def image_loaders(
    train: int = 2048, val: int = 512, batch_size: int = 64, noise: float = 1.0
) -> tuple[DataLoader, DataLoader]:
    """Pattern images standardized per channel with the training set's statistics."""
    x_train, y_train = pattern_images(train, seed=0, noise=noise)
    x_val, y_val = pattern_images(val, seed=1, noise=noise)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True)
    x_train, x_val = (x_train - mean) / std, (x_val - mean) / std
    return (
        shuffled(TensorDataset(x_train, y_train), batch_size),
        DataLoader(TensorDataset(x_val, y_val), batch_size=2 * batch_size),
    )


# -- token sequences ------------------------------------------------------------------------
class DictDataset(Dataset):
    """Rows of equally long tensors, served as dicts (the way tokenized text usually arrives)."""

    def __init__(self, **columns: torch.Tensor) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"columns of different lengths: {lengths}")
        self.columns = columns
        self.length = lengths.pop()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {k: v[i] for k, v in self.columns.items()}


PAD, CLS, SEP, MARKER = 0, 1, 2, 3
FIRST_WORD = 10  # ids below are special tokens


def marker_sequences(
    n: int, seed: int, vocab: int = 1000, length: int = 32, min_length: int = 8
) -> dict[str, torch.Tensor]:
    """A BERT-style classification set: label 1 when the MARKER token occurs in the sentence.

    Each sequence is [CLS] w1 ... wk [SEP] followed by padding, with k + 2 drawn uniformly from
    `min_length` to `length`, words uniform over ids FIRST_WORD..vocab-1. Half the sequences get
    the marker at one random word position. Returns input_ids, attention_mask (1 on real tokens)
    and labels.
    """
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(FIRST_WORD, vocab, (n, length), generator=g)
    lengths = torch.randint(min_length, length + 1, (n,), generator=g)
    labels = (torch.rand(n, generator=g) < 0.5).long()
    positions = torch.arange(length)
    spot = 1 + (torch.rand(n, generator=g) * (lengths - 2)).long()  # a word position, 1..len-2
    ids[labels.bool(), spot[labels.bool()]] = MARKER
    ids[:, 0] = CLS
    ids[torch.arange(n), lengths - 1] = SEP
    mask = (positions[None, :] < lengths[:, None]).long()
    ids = ids.masked_fill(mask == 0, PAD)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def markov_sequences(
    n: int, seed: int, vocab: int = 64, length: int = 33, follow: float = 0.9, grammar_seed: int = 4321
) -> torch.Tensor:
    """Token ids [n, length] of a synthetic language: a fixed random successor for every token.

    Each next token is its predecessor's successor with probability `follow`, otherwise uniform
    over the vocabulary; the first token is uniform. A next-token predictor can reach about
    `follow` + (1 - follow) / vocab token accuracy (91% by default); chance is 1 / vocab.
    """
    successor = torch.randperm(vocab, generator=torch.Generator().manual_seed(grammar_seed))
    g = torch.Generator().manual_seed(seed)
    ids = torch.empty(n, length, dtype=torch.long)
    ids[:, 0] = torch.randint(0, vocab, (n,), generator=g)
    for t in range(1, length):
        keep = torch.rand(n, generator=g) < follow
        ids[:, t] = torch.where(keep, successor[ids[:, t - 1]], torch.randint(0, vocab, (n,), generator=g))
    return ids


def majority_sequences(
    n: int, seed: int, vocab: int = 32, length: int = 24, signals: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [n, length] and labels [n]: which of the `signals` signal tokens occurs most often.

    Signal tokens are ids 1..signals; the rest of the sequence is noise tokens (ids signals+1 ..
    vocab-1). The winning signal occurs 4 times, each other signal 0 to 2 times, all at random
    positions, so an order-insensitive count over the whole sequence decides the label.
    """
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(signals + 1, vocab, (n, length), generator=g)
    labels = torch.randint(0, signals, (n,), generator=g)
    for i in range(n):
        counts = torch.randint(0, 3, (signals,), generator=g)
        counts[labels[i]] = 4
        tokens = torch.cat([torch.full((int(c),), s + 1) for s, c in enumerate(counts.tolist())])
        spots = torch.randperm(length, generator=g)[: len(tokens)]
        ids[i, spots] = tokens
    return ids, labels


# -- segmentation: shapes on noise -----------------------------------------------------------
def shape_masks(n: int, seed: int, size: int = 32, noise: float = 0.6) -> tuple[torch.Tensor, torch.Tensor]:
    """Images [n, 1, size, size] and binary masks [n, 1, size, size] (float 0/1) of filled shapes.

    Each image holds one to three discs or rectangles of random size and position (the mask), drawn
    at intensity 1 on a background of 0 with a smooth random shading, under Gaussian noise, then
    standardized. About a fifth of the pixels are foreground.
    """
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    masks = torch.zeros(n, 1, size, size, dtype=torch.bool)
    for i in range(n):
        for _ in range(int(torch.randint(1, 4, (1,), generator=g))):
            cy, cx = (torch.rand(2, generator=g) * (size - 8) + 4).tolist()
            r = float(3 + torch.rand(1, generator=g) * 5)
            if bool(torch.rand(1, generator=g) < 0.5):
                shape = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                h = float(2 + torch.rand(1, generator=g) * 5)
                shape = ((yy - cy).abs() <= h) & ((xx - cx).abs() <= r)
            masks[i, 0] |= shape
    masks = masks.float()
    shading = nn.functional.interpolate(torch.randn(n, 1, 3, 3, generator=g), size=(size, size), mode="bilinear")
    images = masks + 0.3 * shading + noise * torch.randn(masks.shape, generator=g)
    images = (images - images.mean()) / images.std()
    return images, masks
