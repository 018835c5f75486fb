"""Benchmark the audio CNN recipe of `configs/ravdess_real.yaml` on real RAVDESS speech, through the package's own stages.

Data: the 16 kHz RAVDESS copy (actors 01-16, 960 WAVs; `--data`). In a scratch project (`--work`, default a temp
folder, never the repo; a run of the same config in the same folder resumes/reuses its finished training states, so
use a fresh folder for timings) it builds the RAVDESS manifest (`data.ravdess.build_ravdess_manifest` +
`data.stages.write_manifest`), extracts features with `features.preprocess.stage_preprocess` (log-mel 64, 20 ms hop),
and for each label scheme (`emotions8`, `seed`) and normalisation (per-speaker on / off) runs the `train` stage in
k-fold mode (`train.stage.stage_train`; `split.ravdess: auto`, `k_folds: 4`: computed gender-balanced grouped folds
of the 16 actors, printed below), which trains the audio CNN (seed ensemble, refit on train+val) and the
`audio_logreg` reference over the same folds in the same run. For each configuration it prints the UAR of the pooled
out-of-fold test predictions with a 95% CI from the package's speaker bootstrap (`metrics.bootstrap.bootstrap_ci`,
1000 resamples of the 16 actors), the CNN - logreg delta, seconds per epoch and in total, against the issue's
targets (emotions8 >= 0.55, seed >= 0.60, each >= 0.08 above logreg). Then the inference speed of the recipe's CNN on
the cached features (batch 256, 1 and 2 threads) against 2000 clips/s. Training runs on 1 thread
(`torch.set_num_threads(1)`; the machine is shared). A benchmark only reports: it exits 0 whatever the numbers.
With `--egemaps` it then runs `bench_egemaps.py` (the eGeMAPS references) in the same scratch project.
Run: `.venv/bin/python benchmarks/bench_train.py --help`.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from socialsignalbench.config import config_hash, load_config
from socialsignalbench.data.dataset import load_corpus
from socialsignalbench.data.ravdess import build_ravdess_manifest
from socialsignalbench.data.stages import write_manifest
from socialsignalbench.features.loader import load_split, padding_mask
from socialsignalbench.features.preprocess import stage_preprocess
from socialsignalbench.metrics.bootstrap import bootstrap_ci
from socialsignalbench.metrics.functional import uar
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.models.core import build_model
from socialsignalbench.train.loop import predict_arrays
from socialsignalbench.train.stage import stage_train

ROOT = Path(__file__).resolve().parents[1]
REAL_DIR = ROOT.parent / 'shared' / 'data' / 'ravdess_speech_16k'
CONFIG = ROOT / 'configs' / 'ravdess_real.yaml'
TARGETS = {'emotions8': 0.55, 'seed': 0.60}  # audio CNN UAR targets of the issue
MIN_DELTA, SPEED_TARGET = 0.08, 2000.0  # CNN - logreg; inference clips/s
RUNS = [(s, n) for s in ('emotions8', 'seed') for n in ('speaker', 'none')]


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', type=Path, default=REAL_DIR, help='RAVDESS folder (Actor_XX/*.wav)')
    p.add_argument('--work', type=Path, help='scratch project folder (default: a new temp folder)')
    p.add_argument('--config', type=Path, default=CONFIG, help='the recipe config')
    p.add_argument('--only', nargs='+', metavar='SCHEME:NORM', choices=[f'{s}:{n}' for s, n in RUNS],
                   help='run only these configurations, e.g. emotions8:speaker seed:speaker')
    p.add_argument('--quick', action='store_true', help='1 seed and 8 epochs (a smoke run, not the recipe)')
    p.add_argument('--workers', type=int, default=2, help='feature extraction processes')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='extra config override (repeatable)')
    p.add_argument('--egemaps', action='store_true', help='then the eGeMAPS references by nested CV (bench_egemaps.py) in the same folder')
    return p.parse_args(argv)


def project_config(a, scheme:str, norm:str):
    """The recipe config pointed at the scratch project, for one scheme and normalisation."""
    over = [f'ravdess.root={a.data.resolve()}', f'paths.data_dir={a.work / "data"}', f'paths.cache_dir={a.work / "cache"}',
            f'paths.runs_dir={a.work / "runs"}', f'labels.scheme={scheme}', f'train.speaker_norm={str(norm == "speaker").lower()}']
    if a.quick: over += ['train.repeats=1', 'train.epochs=8']
    return load_config(a.config, over + a.set)


def prepare(cfg, workers:int) -> float:
    """Manifest + feature cache in the scratch project; seconds taken."""
    t = time.perf_counter()
    res = build_ravdess_manifest(cfg.path(cfg.ravdess.root), cfg.ravdess.actors, cfg.ravdess.files_per_actor)
    write_manifest(cfg, res)
    stage_preprocess(cfg, workers=workers)
    return time.perf_counter() - t


def ci(y, pred, groups) -> tuple:
    """UAR of pooled predictions and its 95% speaker-bootstrap interval."""
    b = bootstrap_ci(lambda w: uar(y, pred, sample_weight=w), groups, n_boot=1000, seed=0)
    return b.estimate, b.low, b.high


def run_one(a, scheme:str, norm:str) -> dict:
    """Train CNN and reference by k-fold for one configuration; pooled UARs with CIs and timings."""
    cfg = project_config(a, scheme, norm)
    run_dir, t = a.work / 'runs' / f'{scheme}-{norm}-{config_hash(cfg)[:8]}', time.perf_counter()  # same config: resumes
    s = stage_train(cfg, run_dir)
    total = time.perf_counter() - t
    out = dict(scheme=scheme, norm=norm, epochs=s.epochs_run, epoch_s=s.train_seconds / max(s.epochs_run, 1), total_s=total)
    for role, prefix in (('cnn', ''), ('ref', 'reference_')):
        p = Predictions.read_csv(run_dir / f'{prefix}predictions_test.csv')
        out[role] = ci(p.y_true, p.probs.argmax(1), p.groups)
    return out


def inference_speed(cfg, X:np.ndarray, n_classes:int) -> dict:
    """Clips/s of the recipe's CNN on cached features, batch 256, with 1 and 2 threads (best of 3)."""
    m, out = build_model(cfg.model.name, X.shape[1:], n_classes, cfg.model, seed=0), {}
    for th in (1, 2):
        torch.set_num_threads(th)
        predict_arrays(m, X[:256])  # warm-up
        best = min(_timed(lambda: predict_arrays(m, X, 256)) for _ in range(3))
        out[th] = len(X) / best
    torch.set_num_threads(1)
    return out


def _timed(f) -> float:
    t = time.perf_counter(); f()
    return time.perf_counter() - t


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(1)
    a.work = (a.work or Path(tempfile.mkdtemp(prefix='bench_train_'))).resolve()
    runs = [r for r in RUNS if a.only is None or f'{r[0]}:{r[1]}' in a.only]
    cfg = project_config(a, *runs[0])
    print(f'scratch project {a.work}; data {a.data}; config {a.config.name}{" (--quick: 1 seed, 8 epochs)" if a.quick else ""}')
    print(f'model {cfg.model}\ntrain {cfg.train}\naugment {cfg.augment}\naudio {cfg.audio}')
    prep = prepare(cfg, a.workers)
    df = load_corpus(cfg, 'ravdess')
    folds = df.groupby('fold')['group'].apply(lambda g: sorted(set(g))).to_dict()
    print(f'manifest + features: {prep:.1f} s; folds (fold k tests its actors, fold k+1 validates, the rest train): {folds}')
    data = load_split(cfg, 'ravdess', None, 'group')
    pad = padding_mask(load_split(cfg, 'ravdess', None, 'none').X)
    print(f'features {data.X.shape}; padding frames excluded from per-speaker statistics: {pad.mean():.1%} of all frames')
    rows = []
    for scheme, norm in runs:
        rows.append(r := run_one(a, scheme, norm))
        print(f"  {scheme}/{norm}: cnn {r['cnn'][0]:.3f} ref {r['ref'][0]:.3f} ({r['total_s']:.0f} s)", flush=True)
    speed = inference_speed(cfg, data.X, len(data.classes))
    f = lambda c: f'{c[0]:.3f} [{c[1]:.2f}, {c[2]:.2f}]'
    print(f"\n{'scheme':9s} {'speaker norm':12s} | {'audio_cnn UAR [95% CI]':22s} | {'audio_logreg UAR [CI]':22s} | {'delta':>6s} | "
          f"target | {'s/epoch':>7s} | {'epochs':>6s} | total s")
    for r in rows:
        d, tgt = r['cnn'][0] - r['ref'][0], TARGETS[r['scheme']]
        met = 'met' if r['cnn'][0] >= tgt and d >= MIN_DELTA else 'MISSED'
        print(f"{r['scheme']:9s} {'on' if r['norm'] == 'speaker' else 'off':12s} | {f(r['cnn']):22s} | {f(r['ref']):22s} | "
              f"{d:+.3f} | {met:6s} | {r['epoch_s']:7.2f} | {r['epochs']:6d} | {r['total_s']:7.0f}")
    print(f"(targets: UAR >= {TARGETS} and >= {MIN_DELTA} above audio_logreg; UAR of pooled out-of-fold predictions)")
    print(f"inference on cached features, batch 256: {speed[1]:.0f} clips/s (1 thread), {speed[2]:.0f} clips/s (2 threads); "
          f"target {SPEED_TARGET:.0f} -> {'met' if max(speed.values()) >= SPEED_TARGET else 'MISSED'}")
    if a.egemaps:
        import bench_egemaps  # noqa: E402  (the eGeMAPS section: same data, same scratch project and cache)
        print('\n== eGeMAPS references (nested actor-grouped CV) ==')
        bench_egemaps.main(['--data', str(a.data), '--work', str(a.work), '--workers', str(a.workers)])


if __name__ == '__main__':
    main()
