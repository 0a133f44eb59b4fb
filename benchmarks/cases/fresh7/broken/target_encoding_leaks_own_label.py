"""Broken: a high-cardinality categorical column (a merchant id, about 2 training rows per id) is
target-encoded naively: each training row gets the mean label of its id computed over the
training rows *including itself*. With two rows per id that number (0, 0.5 or 1) nearly spells
out the row's own label, so the network learns to read the answer from it. Validation rows get
the honest encoding (the training mean of their id, which does not contain their own label), and
the shortcut is useless there: training accuracy far above validation accuracy, and a worse
model than one trained on an out-of-row (leave-one-out) encoding.

Source: datarekha "What is target encoding, when is it better than one-hot encoding, and how does
it cause data leakage?" (https://datarekha.com/interview/machine-learning/target-encoding-leakage/),
found with the `pages` search "target encoding leakage mean of target per category computed on
training rows including itself overfitting": computed naively on the training set, each row's
encoded value contains its own label, a leak that inflates training scores and does not carry
over to new data; the fix is an out-of-fold / leave-one-out encoding.

Reproduction: 8 standardized numeric features carrying a moderate signal, plus the encoded id
column; binary label from a noisy rule on the features and a small per-id effect. 3000 ids, 6000
training rows, 1500 validation rows drawn from the same ids (87% of them have training rows;
the rest get the training prior). MLP 9-64-64-1, BCEWithLogitsLoss,
Adam lr 1e-3, batch 64. The fix encodes each training row with the mean label of the *other*
training rows of its id (the global mean where there is none); validation is encoded the same way
in both runs.

Verified (verify.py): a training-validation accuracy gap, and the leave-one-out encoding ends
clearly better on validation.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://datarekha.com/interview/machine-learning/target-encoding-leakage/",
    "kind": "broken",
    "bug": "naive target encoding of a ~2-rows-per-id column includes each training row's own label (leak)",
    "expect": {"ND405": "warn"},
    "consequences": ["ND101"],
}

IDS, N_TRAIN, N_VAL = 3000, 6000, 1500


def _raw():
    g = torch.Generator().manual_seed(41)
    w = torch.randn(8, generator=g)
    id_effect = 0.5 * torch.randn(IDS, generator=g)
    n = N_TRAIN + N_VAL
    x = torch.randn(n, 8, generator=g)
    ids = torch.randint(0, IDS, (n,), generator=g)
    logit = 0.6 * (x @ w) / w.norm() * 2 + id_effect[ids] + 0.8 * torch.randn(n, generator=g)
    y = (logit > 0).float()
    return x, ids, y


def _loaders(leave_one_out: bool):
    x, ids, y = _raw()
    tr, va = slice(0, N_TRAIN), slice(N_TRAIN, None)
    sums = torch.zeros(IDS).index_add_(0, ids[tr], y[tr])
    counts = torch.zeros(IDS).index_add_(0, ids[tr], torch.ones(N_TRAIN))
    prior = y[tr].mean()
    if leave_one_out:
        s, c = sums[ids[tr]] - y[tr], counts[ids[tr]] - 1
    else:
        s, c = sums[ids[tr]], counts[ids[tr]]
    enc_tr = torch.where(c > 0, s / c.clamp(min=1), prior)
    cv = counts[ids[va]]
    enc_va = torch.where(cv > 0, sums[ids[va]] / cv.clamp(min=1), prior)
    xt = torch.cat([x[tr], (enc_tr - 0.5).unsqueeze(1) * 2], 1)
    xv = torch.cat([x[va], (enc_va - 0.5).unsqueeze(1) * 2], 1)
    train = DataLoader(
        TensorDataset(xt, y[tr].unsqueeze(1)), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    return train, DataLoader(TensorDataset(xv, y[va].unsqueeze(1)), batch_size=500)


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(9, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))


def build_data():
    return _loaders(leave_one_out=False)


def fixed_data():
    return _loaders(leave_one_out=True)


def build_loss():
    return nn.BCEWithLogitsLoss()


def build_optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


VERIFY = {
    "metric": "binary_accuracy",
    "epochs": 5,
    "fix": {"build_data": fixed_data},
    "claims": ["gap:0.1", "worse_than_fix"],
    "margin": 0.05,
}
