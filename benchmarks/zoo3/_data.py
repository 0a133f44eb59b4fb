"""Seeded synthetic data for the zoo3 recipes that the zoo's `_synthetic.py` does not cover.

Not a recipe (the leading underscore keeps it out of `learns.py` and `nndoctor_runs.py`). The
image, token and mask generators come from `sample_models/zoo/_synthetic.py`, re-exported here
so every zoo3 recipe imports from one place; this module adds point clouds, a stochastic-block-
model graph, clean/noisy image pairs and implicit-feedback triplets. Every generator depends
only on its `seed` arguments, never on the global RNG.
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
    pattern_images,
    shape_masks,
    shuffled,
)

__all__ = [
    "DictDataset",
    "feedback_triplets",
    "image_loaders",
    "majority_sequences",
    "marker_sequences",
    "markov_sequences",
    "noisy_pattern_pairs",
    "pattern_images",
    "point_clouds",
    "sbm_graph",
    "shape_masks",
    "shuffled",
]


def point_clouds(n: int, seed: int, points: int = 256, jitter: float = 0.02) -> tuple[torch.Tensor, torch.Tensor]:
    """Point clouds [n, 3, points] and labels [n]: which of 4 surfaces the points were sampled from.

    0 sphere, 1 cube surface, 2 cylinder side (height 2, radius 1), 3 cone side (apex up). Each
    cloud is scaled per axis by 0.8-1.2, rotated by a random angle about the vertical axis (the
    ModelNet augmentation of the PointNet paper) and jittered by Gaussian noise of std `jitter`.
    """
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    clouds = torch.empty(n, points, 3)
    for i, c in enumerate(y.tolist()):
        if c == 0:
            p = torch.randn(points, 3, generator=g)
            p = p / p.norm(dim=1, keepdim=True)
        elif c == 1:
            p = 2 * torch.rand(points, 3, generator=g) - 1
            face = torch.randint(0, 3, (points,), generator=g)
            sign = torch.randint(0, 2, (points,), generator=g).float() * 2 - 1
            p[torch.arange(points), face] = sign
        else:
            angle = 2 * math.pi * torch.rand(points, generator=g)
            h = torch.rand(points, generator=g)
            radius = torch.ones(points) if c == 2 else 1 - h
            p = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle), 2 * h - 1], dim=1)
        scale = 0.8 + 0.4 * torch.rand(3, generator=g)
        theta = float(2 * math.pi * torch.rand(1, generator=g))
        rot = torch.tensor(
            [[math.cos(theta), -math.sin(theta), 0.0], [math.sin(theta), math.cos(theta), 0.0], [0.0, 0.0, 1.0]]
        )
        clouds[i] = (p * scale) @ rot.T + jitter * torch.randn(points, 3, generator=g)
    return clouds.transpose(1, 2).contiguous(), y


def sbm_graph(
    seed: int, nodes: int = 800, classes: int = 4, features: int = 64, p_in: float = 0.02, p_out: float = 0.002
) -> dict[str, torch.Tensor]:
    """A stochastic block model graph for transductive node classification (Kipf & Welling's setting).

    Nodes of `classes` communities link with probability `p_in` inside a community and `p_out`
    across (about 4 in-community and 1.2 cross links a node). Features are sparse bag-of-words
    style 0/1 vectors: each community prefers its own 16 of the `features` words, so features
    alone are noisy and the neighbourhood helps. Returns x [nodes, features] (row-normalized, as
    GCN's preprocessing does), the symmetric-normalized adjacency with self loops
    D^-1/2 (A + I) D^-1/2 [nodes, nodes], labels, and boolean train (20 per class), val (200)
    and test masks.
    """
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (nodes,), generator=g)
    same = y[:, None] == y[None, :]
    prob = torch.where(same, torch.tensor(p_in), torch.tensor(p_out))
    upper = torch.triu(torch.rand(nodes, nodes, generator=g) < prob, diagonal=1)
    adj = (upper | upper.T).float() + torch.eye(nodes)
    d = adj.sum(dim=1).rsqrt()
    adj = d[:, None] * adj * d[None, :]
    words = torch.rand(nodes, features, generator=g)
    own = (torch.arange(features)[None, :] // (features // classes)) == y[:, None]
    x = (words < torch.where(own, torch.tensor(0.25), torch.tensor(0.12))).float()
    x = x / x.sum(dim=1, keepdim=True).clamp(min=1)
    order = torch.randperm(nodes, generator=g)
    train = torch.zeros(nodes, dtype=torch.bool)
    for c in range(classes):
        train[order[y[order] == c][:20]] = True
    rest = order[~train[order]]
    val = torch.zeros(nodes, dtype=torch.bool)
    val[rest[:200]] = True
    test = ~(train | val)
    return {"x": x, "adj": adj, "y": y, "train_mask": train, "val_mask": val, "test_mask": test}


def noisy_pattern_pairs(n: int, seed: int, sigma: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy, clean) image pairs [n, 3, 32, 32]: the zoo's smooth colour patterns without pixel noise,
    standardized to unit variance, plus white Gaussian noise of std `sigma` (seeded)."""
    clean, _ = pattern_images(n, seed=seed, noise=0.0)
    clean = (clean - clean.mean()) / clean.std()
    g = torch.Generator().manual_seed(seed + 10_000)
    return clean + sigma * torch.randn(clean.shape, generator=g), clean


def feedback_triplets(
    n: int, seed: int, users: int = 400, items: int = 300, rank: int = 8, liked: int = 30, world_seed: int = 77
) -> tuple[torch.Tensor, torch.Tensor]:
    """Implicit feedback as BPR triplets: (user, liked item, other item) [n, 3] and zero labels [n].

    A fixed low-rank "true" taste matrix (users x items, rank `rank`, seeded by `world_seed`)
    decides each user's `liked` favourite items. Each triplet pairs a user with one of their
    liked items and an item they did not like, both uniform. The label column is always 0: the
    liked item sits at index 0 of the model's two scores, so accuracy = how often it ranks first.
    """
    w = torch.Generator().manual_seed(world_seed)
    taste = torch.randn(users, rank, generator=w) @ torch.randn(rank, items, generator=w)
    favourite = taste.topk(liked, dim=1).indices  # [users, liked]
    likes = torch.zeros(users, items, dtype=torch.bool)
    likes[torch.arange(users)[:, None], favourite] = True
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, users, (n,), generator=g)
    pos = favourite[u, torch.randint(0, liked, (n,), generator=g)]
    neg = torch.randint(0, items, (n,), generator=g)
    for _ in range(20):  # resample the few negatives that are liked
        bad = likes[u, neg]
        if not bool(bad.any()):
            break
        neg[bad] = torch.randint(0, items, (int(bad.sum()),), generator=g)
    return torch.stack([u, pos, neg], dim=1), torch.zeros(n, dtype=torch.long)
