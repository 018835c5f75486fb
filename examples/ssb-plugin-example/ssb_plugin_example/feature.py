"""`example_delta_mfcc`: MFCCs stacked with their first-order deltas, (2 * n_mfcc, n_frames) per clip."""
from __future__ import annotations
import dataclasses
from typing import Annotated
import numpy as np
from socialsignalbench.core import FEATURES, FeatureError
from socialsignalbench.config import POS, Range, validated
from socialsignalbench.features.loader import FEATURE_SPECS, FeatureSpec

NAME = 'example_delta_mfcc'


@dataclasses.dataclass(frozen=True)
class DeltaMfccParams:
    "Parameters of the delta-MFCC feature (config: `features.params.example_delta_mfcc`; any change re-keys its cache)."
    sample_rate: Annotated[int, Range(8000)] = 16000  # every file is resampled to this rate first
    duration: Annotated[float, POS] = 3.0  # seconds kept per clip: the centre of longer clips, shorter ones zero-padded
    n_mfcc: Annotated[int, Range(2, 64)] = 20  # cepstral coefficients (the deltas double the rows)
    hop_length: Annotated[int, Range(64)] = 256  # samples between frames
    delta_width: Annotated[int, Range(3)] = 9  # frames in the delta window (odd)

    @property
    def frame_rate(self) -> float:  # feature frames per second (time-shift augmentation converts seconds with it)
        return self.sample_rate / self.hop_length


def extract_delta_mfcc(path, params: DeltaMfccParams = DeltaMfccParams()) -> tuple[dict, dict]:
    "{'delta_mfcc': float32 (2 * n_mfcc, n_frames)} of one audio file, and a flat info dict."
    import librosa
    params = validated(params, f'features.params.{NAME}')
    try:
        y, sr = librosa.load(str(path), sr=params.sample_rate, mono=True)
    except Exception as e:
        raise FeatureError('unreadable', f"'{path}': {e}") from None
    if not len(y) or not np.abs(y).max() > 0:
        raise FeatureError('silent', f"'{path}' holds no sound")
    n = int(round(params.duration * sr))
    start = max(0, (len(y) - n) // 2)
    clip = np.pad(y[start:start + n], (0, max(0, n - len(y))))
    m = librosa.feature.mfcc(y=clip, sr=sr, n_mfcc=params.n_mfcc, hop_length=params.hop_length)
    width = min(params.delta_width | 1, m.shape[1] - (m.shape[1] % 2 == 0))
    x = np.concatenate([m, librosa.feature.delta(m, width=width)]).astype(np.float32)
    return {'delta_mfcc': x}, {'orig_duration_s': len(y) / sr, 'n_coef': int(x.shape[0]), 'n_frames': int(x.shape[1])}


FEATURES.register(NAME, extract_delta_mfcc)
FEATURE_SPECS.register(NAME, lambda cfg: FeatureSpec('audio', NAME, 'delta_mfcc', norm=True, name=NAME, param_type=DeltaMfccParams))
