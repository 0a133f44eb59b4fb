"""Healthy: the torchtext text-classification model (EmbeddingBag + Linear, uniform(-0.5, 0.5) init, SGD lr 5).

Source: pytorch/text examples/text_classification/model.py
(https://github.com/pytorch/text/blob/master/examples/text_classification/model.py) and the
"Text classification with the torchtext library" tutorial it backs (SGD lr 5, see
pytorch/tutorials#1352), found with the `docs` search.

Setup (as in the example): nn.EmbeddingBag(vocab, 64) (mean of the word embeddings),
nn.Linear(64, num_class); `init_weights` sets both weights uniform(-0.5, 0.5) and the bias to 0;
CrossEntropyLoss; SGD lr 5; batch 64. Data: synthetic 4-topic news-like token bags (vocabulary
500, 30 tokens each) instead of AG_NEWS. The tutorial also clips gradients at 0.1 and decays the
lr; neither is needed here.

Why healthy: a shallow bag-of-embeddings model; a learning rate of 5 is unusual but right for a
mean-pooled embedding whose rows each get a tiny share of the gradient, as the tutorial shows.

Verified (verify.py, VERIFIED.md): validation accuracy well above chance after 3 epochs.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

CASE = {
    "source": "https://github.com/pytorch/text/blob/master/examples/text_classification/model.py",
    "kind": "healthy",
    "bug": "healthy: torchtext EmbeddingBag text classifier (uniform 0.5 init, SGD lr 5)",
    "expect": {},
    "consequences": [],
}

VOCAB, TOKENS, TOPICS = 500, 30, 4


def _news(n: int, seed: int):
    word_p = torch.rand(TOPICS, VOCAB, generator=torch.Generator().manual_seed(6)) ** 8 + 1e-3
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, TOPICS, (n,), generator=g)
    return torch.multinomial(word_p[y], TOKENS, replacement=True, generator=g), y


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size: int = VOCAB, embed_dim: int = 64, num_class: int = TOPICS) -> None:
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text):
        return self.fc(self.embedding(text))  # 2-d input: one bag per row


def build_model() -> nn.Module:
    return TextClassificationModel()


def build_data():
    x, y = _news(4000, 1)
    xv, yv = _news(800, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=800)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.SGD(params, lr=5.0)


VERIFY = {"metric": "accuracy", "epochs": 3, "min": 0.8}
