"""`example_crnn`: a small CRNN (1D conv blocks over time, a bidirectional GRU, mean and max pooling) for audio."""
from __future__ import annotations
import dataclasses
from typing import Annotated
import torch
from torch import nn
from socialsignalbench.config import NONNEG, Range
from socialsignalbench.models.core import MODELS, EmbedClassifier, ModelSpec


@dataclasses.dataclass(frozen=True)
class CrnnParams:
    "Parameters of `example_crnn`, set under `model.params.example_crnn` in a config."
    channels: Annotated[int, Range(4, 512)] = 32  # channels of both conv blocks
    hidden: Annotated[int, Range(4, 512)] = 32  # GRU units per direction
    embed_dim: Annotated[int, Range(4, 1024)] = 32  # the embedding fusion reads
    dropout: Annotated[float, NONNEG] = 0.2  # dropout before the classifier


def block(c_in: int, c_out: int) -> nn.Sequential:
    "Conv1d -> BatchNorm -> GELU -> MaxPool(2) over time."
    return nn.Sequential(nn.Conv1d(c_in, c_out, 5, padding=2, bias=False), nn.BatchNorm1d(c_out), nn.GELU(),
                         nn.MaxPool1d(2, ceil_mode=True))


class CRNN(EmbedClassifier):
    "(n, n_coef, n_frames) -> conv blocks -> BiGRU over frames -> mean and max pooling -> embedding -> logits."
    def __init__(self, in_shape: tuple[int, int],  # one example: (n_coef, n_frames)
                 n_classes: int,  # logits
                 params: CrnnParams | None = None):  # from `model.params.example_crnn` (None: the defaults)
        params = params or CrnnParams()
        super().__init__(params.embed_dim, n_classes, params.dropout)
        self.conv = nn.Sequential(block(in_shape[0], params.channels), block(params.channels, params.channels))
        self.gru = nn.GRU(params.channels, params.hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Linear(4 * params.hidden, params.embed_dim), nn.GELU())

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.conv(x).transpose(1, 2))
        return self.head(torch.cat([h.mean(1), h.amax(1)], 1))


MODELS.register('example_crnn', ModelSpec('example_crnn', 'audio', 'torch', CRNN, params=CrnnParams,
                                          feature='example_delta_mfcc'))
