"""Healthy: the encoder of a tiny Whisper (WhisperModel built from a WhisperConfig, no download) as
an audio classifier on log-mel-like spectrograms: mean-pooled encoder states into the recipe's
own linear head, CrossEntropyLoss, AdamW.

Source: huggingface/transformers pull request #21754 "[Whisper] Add model for audio
classification" (https://github.com/huggingface/transformers/pull/21754), found with the `issues`
search "WhisperConfig WhisperEncoder audio classification train from scratch small config":
WhisperForAudioClassification, "the Whisper encoder model with a sequence classification head on
top for audio classification tasks".

Setup: inputs [N, 16 mel bins, 64 frames] (Whisper's encoder needs exactly 2 x
max_source_positions frames: two Conv1d layers, the second with stride 2, then fixed sinusoidal
positions); 4 classes, each a rising, falling, flat or two-tone band in the spectrogram at a
random height (a two-tone class adds a second band 4 bins above), with noise. WhisperConfig(num_mel_bins 16, d_model 64, 2 encoder layers, 4 heads,
ffn 128, max_source_positions 32, dropout 0); encoder last_hidden_state mean over time ->
Linear(64, 4). AdamW lr 5e-4, weight_decay 0.01, batch 32.

Why healthy: GELU convolutions with a stride-2 downsampling front end, frozen-by-design
sinusoidal position embeddings (Whisper registers them as a parameter with requires_grad False)
and the stock encoder trained from scratch look unusual; the setup trains.

Verified (verify.py): validation accuracy far above chance (1/4).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from transformers import WhisperConfig, WhisperModel

CASE = {
    "source": "https://github.com/huggingface/transformers/pull/21754",
    "kind": "healthy",
    "bug": "healthy: tiny Whisper encoder from a config as an audio classifier (mean-pooled, own head), AdamW",
    "expect": {},
    "consequences": [],
}

MELS, FRAMES = 16, 64


def _rows(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    t = torch.arange(FRAMES).float() / FRAMES
    start = 5 + 4 * torch.rand(n, generator=g)
    slope = 4.0 * (y == 0).float() - 4.0 * (y == 1).float()
    centre = start[:, None] + slope[:, None] * t[None]
    mel = torch.arange(MELS).float()
    band = torch.exp(-((mel[None, :, None] - centre[:, None, :]) ** 2) / 2.0)
    two = torch.exp(-((mel[None, :, None] - (centre[:, None, :] + 4)) ** 2) / 2.0)
    x = band + (y == 3).float()[:, None, None] * two + 0.5 * torch.randn(n, MELS, FRAMES, generator=g)
    return (x - 0.1) / 0.55, y


class WhisperEncoderClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        cfg = WhisperConfig(
            num_mel_bins=MELS,
            d_model=64,
            encoder_layers=2,
            encoder_attention_heads=4,
            encoder_ffn_dim=128,
            decoder_layers=1,
            decoder_attention_heads=4,
            decoder_ffn_dim=128,
            max_source_positions=FRAMES // 2,
            max_target_positions=8,
            vocab_size=16,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
            decoder_start_token_id=1,
            dropout=0.0,
        )
        self.encoder = WhisperModel(cfg).get_encoder()
        self.head = nn.Linear(64, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(input_features=x).last_hidden_state
        return self.head(h.mean(1))


def build_model() -> nn.Module:
    return WhisperEncoderClassifier()


def build_data():
    x, y = _rows(2000, 1)
    xv, yv = _rows(400, 2)
    train = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    return train, DataLoader(TensorDataset(xv, yv), batch_size=200)


def build_loss():
    return nn.CrossEntropyLoss()


def build_optimizer(params):
    return torch.optim.AdamW(params, lr=5e-4, weight_decay=0.01)


VERIFY = {"metric": "accuracy", "epochs": 4, "min": 0.7}
