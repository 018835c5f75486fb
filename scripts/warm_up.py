"""Compile what compiles on first use (librosa's numba functions, cached on disk) once, before tests run in parallel.

Two test workers compiling the same cached functions at once can crash one of them on a fresh install; after one
serial call both read the cache. Run by `make nbtest` before `nbdev_test`."""
import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from socialsignalbench.features.audio import MfccParams, extract_logmel, extract_mfcc

with tempfile.TemporaryDirectory() as d:
    path = Path(d) / 'warm.wav'
    t = np.arange(16000) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t) * (t > 0.2)).astype('float32'), 16000)
    for extract in (extract_mfcc, extract_logmel):
        extract(str(path), dataclasses.replace(MfccParams(), duration=1.0))
print('[warm-up] audio feature functions compiled')
