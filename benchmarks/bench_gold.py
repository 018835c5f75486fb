"""The gold slice on real RAVDESS speech: old defaults (no cap) against new (`gold.max_share` 0.2), with 2 and 4 sources.

Cheap, diverse models stand in for the suite's sources (per-speaker z-normalised clip statistics, scikit-learn):
an MLP on MFCC + log-mel + prosodic statistics (seeds 1 and 2: the "repeats"), a logistic regression on MFCC
statistics (the logistic reference) and an RBF SVM on prosodic/spectral statistics (an eGeMAPS-like view). Check runs,
never mined: the same MLP with seed 7, a random forest on all statistics, a logistic regression on log-mel statistics.
Per mining config it prints the slice size (share of the test items), the items eligible before the cap, the
stability over bootstrap resamples of the sources, and each check run's UAR on the slice against random slices of
the same class mix (`validate_slice`). Only reports; needs ../shared/data/ravdess_speech_16k (skips without it).

    .venv/bin/python benchmarks/bench_gold.py [--protocol holdout|kfold] [--work DIR]

holdout: train actors 01-12, test 13-16 (240 items); kfold: pooled out-of-fold predictions of 4 actor-grouped folds
over actors 01-16 (960 items). Features are cached in --work (a few minutes of CPU for 960 files; pass the same --work
to reuse them).
"""
import argparse
import dataclasses
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from socialsignalbench.config import GoldConfig  # noqa: E402
from socialsignalbench.evaluation.gold import mine_gold, validate_slice  # noqa: E402
from socialsignalbench.metrics import functional as F  # noqa: E402
from socialsignalbench.metrics.predictions import Predictions  # noqa: E402

DATA = ROOT.parent / 'shared' / 'data' / 'ravdess_speech_16k'
CLASSES = ('neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised')   # emotions8, RAVDESS codes 01-08
SOURCES2, SOURCES4 = ['mlp_s1', 'logreg_mfcc'], ['mlp_s1', 'mlp_s2', 'logreg_mfcc', 'svm_pros']
CHECKS = ['mlp_s7', 'rf_all', 'logreg_logmel']


def _stats(x):
    return np.concatenate([x.mean(1), x.std(1), np.percentile(x, 10, axis=1), np.percentile(x, 90, axis=1)])


def clip_features(f):
    "Three views of one clip: MFCC (+delta) statistics, log-mel statistics, prosodic/spectral statistics."
    import librosa
    import soundfile as sf
    y, sr = sf.read(f, dtype='float32')
    y, _ = librosa.effects.trim(y.mean(1) if y.ndim > 1 else y, top_db=30)
    kw = dict(n_fft=512, hop_length=160)
    m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40, **kw)
    lm = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=64, **kw))
    f0 = librosa.yin(y, fmin=60, fmax=400, sr=sr, frame_length=1024, hop_length=160)[None]
    sp = np.vstack([librosa.feature.spectral_centroid(y=y, sr=sr, **kw), librosa.feature.spectral_rolloff(y=y, sr=sr, **kw),
                    librosa.feature.spectral_bandwidth(y=y, sr=sr, **kw), librosa.feature.spectral_flatness(y=y, **kw),
                    librosa.feature.zero_crossing_rate(y, frame_length=512, hop_length=160),
                    librosa.feature.rms(y=y, frame_length=512, hop_length=160),
                    librosa.feature.spectral_contrast(y=y, sr=sr, **kw)])
    n = min(f0.shape[1], sp.shape[1]); x = np.vstack([np.log(f0[:, :n]), np.log(sp[:, :n] + 1e-8)])
    return (np.concatenate([_stats(m), _stats(librosa.feature.delta(m))]), _stats(lm),
            np.concatenate([_stats(x), _stats(np.diff(x, axis=1)), [len(y) / sr]]))


def features(work):
    "Cached per-clip features of actors 01-16, with emotion and actor."
    cache = work / 'gold_features.npz'
    if not cache.is_file():
        files = sorted(DATA.glob('Actor_*/*.wav'))
        rows = [clip_features(f) for f in files]
        np.savez(cache, mfcc=np.array([r[0] for r in rows]), logmel=np.array([r[1] for r in rows]), pros=np.array([r[2] for r in rows]),
                 path=np.array([str(f.relative_to(DATA)) for f in files]), emotion=np.array([int(f.stem.split('-')[2]) for f in files]),
                 actor=np.array([int(f.stem.split('-')[6]) for f in files]))
    return np.load(cache)


def models():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC
    mlp = lambda s: lambda: MLPClassifier((256,), alpha=1e-2, max_iter=400, random_state=s)
    return {'logreg_mfcc': ('mfcc', lambda: LogisticRegression(C=0.1, max_iter=3000)), 'mlp_s1': ('all', mlp(1)), 'mlp_s2': ('all', mlp(2)),
            'svm_pros': ('pros', lambda: SVC(C=3, probability=True, random_state=0)), 'mlp_s7': ('all', mlp(7)),
            'rf_all': ('all', lambda: RandomForestClassifier(400, random_state=0, n_jobs=1)),
            'logreg_logmel': ('logmel', lambda: LogisticRegression(C=0.1, max_iter=3000))}


def predictions(d, protocol):
    "Test predictions of every model: holdout (train 01-12, test 13-16) or pooled out-of-fold (4 actor folds)."
    from sklearn.model_selection import GroupKFold
    actor, y = d['actor'], d['emotion'] - 1

    def spk_norm(X):
        X = X.astype(float).copy()
        for a in np.unique(actor): X[actor == a] = (X[actor == a] - X[actor == a].mean(0)) / (X[actor == a].std(0) + 1e-8)
        return X
    V = {k: spk_norm(d[k]) for k in ('mfcc', 'logmel', 'pros')}; V['all'] = np.hstack([V['mfcc'], V['logmel'], V['pros']])
    idx = np.arange(len(y))
    splits = ([(actor <= 12, (actor >= 13) & (actor <= 16))] if protocol == 'holdout' else
              [(np.isin(idx, tr), np.isin(idx, te)) for tr, te in GroupKFold(4).split(idx, y, actor)])
    ids, groups, out = np.array([f'ravdess:{p}' for p in d['path']]), np.array([f'ravdess_{a:02d}' for a in actor]), {}
    for name, (view, make) in models().items():
        P, test = np.zeros((len(y), len(CLASSES))), np.zeros(len(y), bool)
        for tr, te in splits: P[te] = make().fit(V[view][tr], y[tr]).predict_proba(V[view][te]); test |= te
        out[name] = Predictions(list(ids[test]), list(groups[test]), y[test], P[test], CLASSES)
    return out


def mine_table(preds):
    "One row per mining config: size, eligible, agreement, stability, and per check run its UAR on the slice vs random slices."
    old, new = GoldConfig(max_share=1.), GoldConfig()
    rows = []
    for label, src, g in (('old, 2 sources', SOURCES2, old), ('old, 4 sources', SOURCES4, old), ('new, 2 sources', SOURCES2, new),
                          ('new, 4 sources', SOURCES4, new),
                          ('new, 4 sources, min_share 0.75', SOURCES4, dataclasses.replace(new, min_share=.75))):
        m = mine_gold({n: preds[n] for n in src}, 'emotions8', g, seed=0); s, st = m.slice, m.stability
        r = dict(config=label, items=s.n_items, share=s.n_items / s.n_candidates, eligible=s.n_eligible,
                 jaccard=m.jaccard.to_numpy()[~np.eye(len(src), dtype=bool)].mean(), stability_mean=st['mean'], stability_min=st['min'],
                 stable_80=st['share_stable'], resampled_jaccard=st['mean_jaccard'])
        for c in CHECKS:
            v = validate_slice(preds[c], s.ids, 200, .95, 0).set_index('metric').loc['uar']
            r[c] = f"{v.gold:.3f} vs {v.random_mean:.3f} [{v.random_low:.3f}, {v.random_high:.3f}] {v.verdict}"
        rows.append(r)
    return pd.DataFrame(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--protocol', choices=('holdout', 'kfold'), default='holdout')
    ap.add_argument('--work', type=Path, help='scratch folder for the feature cache (default: a new temp folder)')
    a = ap.parse_args()
    if not DATA.is_dir(): return print(f'skipped: {DATA} not found')
    warnings.filterwarnings('ignore'); os.environ.setdefault('OMP_NUM_THREADS', '1')
    a.work = a.work or Path(tempfile.mkdtemp(prefix='bench_gold_')); a.work.mkdir(parents=True, exist_ok=True)
    t0 = time.time(); d = features(a.work); preds = predictions(d, a.protocol)
    print(f"{a.protocol}: {len(preds['mlp_s1'])} test items, {time.time() - t0:.0f} s for features and models")
    print('UAR on the full test set:', {n: round(float(F.uar(p.y_true, p.y_pred, n_classes=len(CLASSES))), 3) for n, p in preds.items()})
    t = mine_table(preds)
    with pd.option_context('display.width', 250, 'display.max_colwidth', 70):
        print(t.drop(columns=CHECKS).round(3).to_string(index=False))
        for c in CHECKS:
            print(f'\ncheck run {c} (never mined), UAR on the slice vs 200 random slices:\n' + t[['config', c]].to_string(index=False))


if __name__ == '__main__':
    main()
