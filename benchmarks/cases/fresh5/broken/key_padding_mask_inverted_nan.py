"""Broken: the padding mask is built as `ids != PAD` (True = a real token) and passed to a
TransformerEncoderLayer as `src_key_padding_mask`, whose convention is the opposite (True = ignore
this key). Every real token is masked out; in a full-length sequence every key is masked, the
attention softmax runs over a row of -inf. In PyTorch 2.13 the training-mode path returns finite
(meaningless) values for such rows, but the inference fast path (eval, no grad) returns NaN.

Source: mlwithme/TransformerTranslation issue #2 "MyMultiheadAttention 中的 padding 操作"
(https://github.com/mlwithme/TransformerTranslation/issues/2), found with the `issues` search
"key_padding_mask inverted True means ignore nan output MultiheadAttention": the reader asks
whether the mask should be `padding_mask == False`; the answer explains that masked_fill masks
the positions that are True, so a mask built as `src != PAD` (True for real tokens) has to be
inverted before it is used. pytorch/pytorch#41508 describes the NaN a fully masked row gives.

Bug: `mask = ids != 0` is used both for the (correct) masked mean-pooling and as
`src_key_padding_mask` (wrong). Sequences shorter than the maximum attend only to their padding
(the embedding of id 0, fixed at zero); the ~56% of sequences that fill all 12 positions
(longer texts truncated to the maximum length) have
every key masked: garbage in training, NaN outputs (and a NaN validation loss) at evaluation.

Reproduction: token ids 1..28 (0 = padding), lengths 4..19 truncated to 12 (56% full-length), class = the most frequent token group
(ids 1-7, 8-14, 15-21, 22-28); Embedding(29, 32, padding_idx=0), one TransformerEncoderLayer (d_model 32, 2 heads,
feed-forward 64, dropout 0, batch_first), masked mean pooling, Linear(32, 4), CrossEntropyLoss,
Adam lr 1e-3, batch 64. The fix passes `ids == 0` as the key padding mask.

Verified (verify.py): the validation loss ends NaN and the accuracy is far below the fixed
mask's (measured in a quick check on the first training batch: 61% of its rows, exactly the
full-length ones, come out NaN in eval mode under no_grad, none in train mode).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/mlwithme/TransformerTranslation/issues/2",
    "kind": "broken",
    "bug": "src_key_padding_mask built as ids != PAD (True = real token): full-length rows fully masked, NaN",
    "expect": {"ND204": "warn"},
    "consequences": ["ND201", "ND402", "ND404"],
}

VOCAB, LENGTH = 29, 12


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, VOCAB, (n, LENGTH), generator=g)
    lengths = torch.randint(4, 20, (n,), generator=g).clamp(max=LENGTH)  # longer texts truncated
    ids[torch.arange(LENGTH)[None, :] >= lengths[:, None]] = 0
    groups = torch.where(ids > 0, (ids - 1) // 7, 4)
    counts = torch.stack([(groups == k).sum(1) for k in range(4)], 1).float()
    y = (counts + 0.1 * torch.arange(4)).argmax(1)
    return ids, y


class MaskedEncoder(nn.Module):
    def __init__(self, invert_mask: bool = False) -> None:
        super().__init__()
        self.invert_mask = invert_mask
        self.embed = nn.Embedding(VOCAB, 32, padding_idx=0)
        self.layer = nn.TransformerEncoderLayer(32, 2, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(32, 4)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = ids != 0  # True where there is a real token
        key_padding = ~mask if self.invert_mask else mask  # the bug: passes "real token" as "ignore"
        h = self.layer(self.embed(ids), src_key_padding_mask=key_padding)
        m = mask.unsqueeze(-1).float()
        return self.head((h * m).sum(1) / m.sum(1))


def build_model() -> nn.Module:
    return MaskedEncoder()


def fixed_model() -> nn.Module:
    return MaskedEncoder(invert_mask=True)


def build_data():
    x, y = _rows(3000, 1)
    xv, yv = _rows(500, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=250)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "accuracy",
    "epochs": 4,
    "fix": {"build_model": fixed_model},
    "claims": ["worse_than_fix"],
    "margin": 0.15,
}
