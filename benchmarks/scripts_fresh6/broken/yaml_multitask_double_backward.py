"""Broken: a gradient-norm logging helper calls `loss.backward(retain_graph=True)` per task: `.grad` counted twice.

Twin of `healthy/yaml_multitask_gradlog.py` with one change: `task_grad_norms` measures each
task's gradient with `loss.backward(retain_graph=True)` and reads `p.grad`, instead of
`torch.autograd.grad(...)`. `zero_grad` already ran at the top of the step, so these two extra
backward passes stay in `.grad`; the weighted `loss.backward()` then adds to them, and every
optimizer step uses grad(cls) + grad(reg) + grad(w_cls * cls + w_reg * reg): three backward
passes per step, two of them on the bare task losses, the task weights silently become 2.0 / 1.5 instead of
1.0 / 0.5, and the step is about twice as large. The logged norms are wrong as well: `gn_reg`
includes the classification gradient accumulated before it. Shows in the printed numbers:
`grad_norm` (total norm after backward) 1.714 in epoch 1 vs the twin's 0.588 (2.9x) and 1.7-2.2x
the twin's in every later epoch; `gn_reg` above `gn_cls` in all 14 epochs (twin: below in all
14). With SGD at this LR the larger step is tolerated: the loss is lower than the twin's
(train 0.0822 vs 0.1390, val 0.1349 vs 0.1683, val_rmse 0.1215 vs 0.1353, val_acc 0.9447 vs
0.9413); the damage is a task weighting and a step size other than the configured ones, and
gradient norms in the log that are not the task's.
Check: ND511 (several backward passes per optimizer step on unscaled losses).
Public reports: https://github.com/sdv-dev/CTGAN/issues/37 (calling backward() several times adds
the gradients before the step) and https://github.com/ueoo/AGIS-Net/issues/8 (a second backward
with retain_graph=True).
"""

import argparse
import functools

import torch
import torch.nn.functional as F  # noqa: N812
import yaml
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND511": "warn"}
EXPECT_CAPTURE = {"model": "TwoTaskNet", "optimizer": "SGD", "loss": "F.cross_entropy", "val_loader": True}

CONFIG = """
data:
  n_train: 9000
  n_val: 1500
  n_features: 12
model:
  hidden: 128
train:
  epochs: 14
  batch_size: 64
  lr: 0.03
  momentum: 0.9
  w_cls: 1.0
  w_reg: 0.5
seed: 3
"""


def load_config(overrides):
    cfg = yaml.safe_load(CONFIG)
    for item in overrides:
        key, value = item.split("=", 1)
        node = cfg
        *parents, leaf = key.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = yaml.safe_load(value)
    return cfg


class TwoTaskNet(nn.Module):
    def __init__(self, n_features, hidden):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_features, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.cls_head = nn.Linear(hidden, 3)
        self.reg_head = nn.Linear(hidden, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.cls_head(h), self.reg_head(h).squeeze(1)


def make_data(n, n_features, gen, teacher):
    x = torch.randn(n, n_features, generator=gen)
    with torch.no_grad():
        y_cls = teacher(x).argmax(1)
    y_reg = torch.sin(x[:, 0] * 1.3) + 0.5 * x[:, 1] * x[:, 2] - 0.3 * x[:, 3] + 0.1 * torch.randn(n, generator=gen)
    return x, y_cls, y_reg


def task_grad_norms(losses, params):
    """Gradient norm of each task's loss on `params`."""
    norms = {}
    for name, loss in losses.items():
        loss.backward(retain_graph=True)
        norms[name] = torch.sqrt(sum((p.grad**2).sum() for p in params)).item()
    return norms


def total_grad_norm(model):
    return torch.sqrt(sum((p.grad**2).sum() for p in model.parameters() if p.grad is not None)).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override, e.g. train.lr=0.01")
    args = parser.parse_args()
    cfg = load_config(args.set)
    d, t = cfg["data"], cfg["train"]

    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    teacher = nn.Sequential(nn.Linear(d["n_features"], 32), nn.Tanh(), nn.Linear(32, 3))
    x_tr, c_tr, r_tr = make_data(d["n_train"], d["n_features"], gen, teacher)
    x_va, c_va, r_va = make_data(d["n_val"], d["n_features"], gen, teacher)
    train_loader = DataLoader(TensorDataset(x_tr, c_tr, r_tr), batch_size=t["batch_size"], shuffle=True)
    val_loader = DataLoader(TensorDataset(x_va, c_va, r_va), batch_size=500)

    model = TwoTaskNet(d["n_features"], cfg["model"]["hidden"])
    reg_loss = functools.partial(F.smooth_l1_loss, beta=0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=t["lr"], momentum=t["momentum"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=t["epochs"])
    shared = list(model.trunk.parameters())

    for epoch in range(1, t["epochs"] + 1):
        model.train()
        sums = {"loss": 0.0, "gn_cls": 0.0, "gn_reg": 0.0, "grad_norm": 0.0}
        steps = 0
        for x, y_cls, y_reg in train_loader:
            model.zero_grad(set_to_none=True)
            logits, value = model(x)
            l_cls = F.cross_entropy(logits, y_cls)
            l_reg = reg_loss(value, y_reg)
            norms = task_grad_norms({"cls": l_cls, "reg": l_reg}, shared)
            loss = t["w_cls"] * l_cls + t["w_reg"] * l_reg
            loss.backward()
            sums["grad_norm"] += total_grad_norm(model)
            optimizer.step()
            sums["loss"] += loss.item()
            sums["gn_cls"] += norms["cls"]
            sums["gn_reg"] += norms["reg"]
            steps += 1
        scheduler.step()
        avg = {k: v / steps for k, v in sums.items()}

        model.eval()
        with torch.no_grad():
            v_loss, correct, mse, n = 0.0, 0, 0.0, 0
            for x, y_cls, y_reg in val_loader:
                logits, value = model(x)
                batch_loss = t["w_cls"] * F.cross_entropy(logits, y_cls) + t["w_reg"] * reg_loss(value, y_reg)
                v_loss += batch_loss.item() * len(x)
                correct += (logits.argmax(1) == y_cls).sum().item()
                mse += ((value - y_reg) ** 2).sum().item()
                n += len(x)
        val_loss, val_acc, val_rmse = v_loss / n, correct / n, (mse / n) ** 0.5
        print(
            f"epoch {epoch} train_loss={avg['loss']:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} "
            f"val_rmse={val_rmse:.4f} gn_cls={avg['gn_cls']:.3f} gn_reg={avg['gn_reg']:.3f} "
            f"grad_norm={avg['grad_norm']:.3f} lr={optimizer.param_groups[0]['lr']:.2e}"
        )
    print(f"final train_loss={avg['loss']:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f} val_rmse={val_rmse:.4f}")


if __name__ == "__main__":
    main()
