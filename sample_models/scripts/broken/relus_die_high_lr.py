"""Broken (ND506): SGD with momentum at lr=0.5 kills most ReLU units of a healthy MLP.

A 20-256-256-10 ReLU MLP on the same 10-class synthetic problem as healthy/mlp_classifier.py, with
PyTorch's default init (every unit is alive at init: each one fires for some validation input).
The author copied `--lr 0.5 --momentum 0.9` from a BatchNorm ResNet recipe. The first large steps
push many second-layer units' pre-activations below zero for every input; a unit in that state gets
zero gradient and stays dead for the rest of training (no BatchNorm, no warm-up, plain ReLU).

How it shows: the loss falls in the first epoch (val_acc ~0.55), then stops improving and by epoch 4
collapses to the no-information value ln(10) = 2.30 with validation accuracy near chance, where
healthy/mlp_classifier.py reaches ~0.80 on this kind of data. With `--save`, scripts_verify.py reloads
the final weights and counts second-layer units that are zero for every validation input: ~0.98 of
them at the end, none at init. The first layer stays alive; nothing is NaN.

Public reports: the CS231n notes (quoted in the Q&A "What is the dying ReLU problem in neural
networks?"): "as much as 40% of your network can be dead ... if the learning rate is set too high";
"Debugging dead neurons in ReLU" (cyberinsist.com): 42% of hidden units dead after a too-high LR.
"""

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

FIRES = {"ND506": "warn"}
EXPECT_CAPTURE = {"model": "DeepMLP", "optimizer": "SGD", "loss": "CrossEntropyLoss", "val_loader": True}


def make_datasets(n_train=3000, n_val=1000, dim=20, num_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    teacher_w1 = torch.randn(dim, 64, generator=g)
    teacher_w2 = torch.randn(64, num_classes, generator=g)

    def sample(n):
        x = torch.randn(n, dim, generator=g)
        y = (torch.tanh(x @ teacher_w1 / dim**0.5) @ teacher_w2).argmax(dim=1)
        return TensorDataset(x, y)

    return sample(n_train), sample(n_val)


class DeepMLP(nn.Module):
    def __init__(self, in_dim=20, hidden=256, num_classes=10):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.out(x)


def evaluate(model, loader, criterion):
    model.eval()
    loss_sum, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            loss_sum += criterion(logits, y).item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            n += len(y)
    return loss_sum / n, correct / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="", help="write the final state_dict here")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_set, val_set = make_datasets(seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=500)

    model = DeepMLP()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    for epoch in range(1, args.epochs + 1):
        model.train()
        running, seen = 0.0, 0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            seen += len(y)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        print(f"epoch {epoch} train_loss={running / seen:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")

    val_loss, val_acc = evaluate(model, val_loader, criterion)
    print(f"final train_loss={running / seen:.4f} val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
