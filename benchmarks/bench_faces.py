"""Benchmark the face CNN recipe of `configs/faces_london.yaml` against its HOG reference on real photos, by person-grouped CV.

Data: the Face Research Lab London Set (72 people, one neutral and one smiling photo each; `--data`, default
`../shared/data/faces_london_512`). In a scratch project (`--work`, default a temp folder, never the repo) it builds
the CSV corpus manifest (`data.stages.stage_ingest_csv`) and the face-crop cache (`features.preprocess.stage_preprocess`),
then for each seed runs the package's own `train` stage in k-fold mode (`split.mode: kfold`, `split.k_folds: 6`:
computed person-grouped folds of 12 people; fold k tests, fold k+1 validates (early stopping), the other 48 people
train), which trains `face_cnn` and its `face_hog_logreg` reference over the same folds in the same run. Nothing is
tuned on a test fold. Per seed it prints the UAR of the pooled out-of-fold test predictions with a 95% person-bootstrap
CI (`metrics.bootstrap.bootstrap_ci`, 1000 resamples of the 72 people), the per-fold test UARs, and seconds per epoch
(1 training thread); then the mean ± sd over seeds against the targets (face CNN >= 0.92 and >= the HOG reference).
The folds are the same for every seed (`split.seed`); the seed changes the CNN's weights, shuffling and augmentation
(the HOG reference is deterministic). `--jobs N` trains N seeds at once in separate processes. A benchmark only
reports: it exits 0 whatever the numbers. Run: `.venv/bin/python benchmarks/bench_faces.py --help`.
"""
import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from socialsignalbench.config import load_config
from socialsignalbench.data.dataset import load_corpus
from socialsignalbench.data.stages import stage_ingest_csv
from socialsignalbench.features.preprocess import stage_preprocess
from socialsignalbench.metrics.bootstrap import bootstrap_ci
from socialsignalbench.metrics.functional import uar
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.train.stage import stage_train

ROOT = Path(__file__).resolve().parents[1]
REAL_DIR = ROOT.parent / 'shared' / 'data' / 'faces_london_512'
CONFIG = ROOT / 'configs' / 'faces_london.yaml'
TARGET = 0.92  # face CNN UAR target of the issue (and >= the HOG reference)


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', type=Path, default=REAL_DIR, help='London set folder (manifest.csv, neutral/, smiling/)')
    p.add_argument('--work', type=Path, help='scratch project folder (default: a new temp folder)')
    p.add_argument('--config', type=Path, default=CONFIG, help='the recipe config')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], help='training seeds (config `seed`)')
    p.add_argument('--folds', type=int, default=6, help='person-grouped folds')
    p.add_argument('--jobs', type=int, default=1, help='seeds trained at once (separate processes, 1 thread each)')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='extra config override (repeatable)')
    return p.parse_args(argv)


def project_config(a, seed:int):
    """The recipe config pointed at the scratch project and the data, in k-fold mode with `seed`."""
    cfg_path = a.work / 'faces.yaml'
    if not cfg_path.exists():
        c = load_config(a.config).csv[0]
        cfg_path.write_text(f'extends: {a.config.resolve()}\ncsv:\n  - {{name: {c.name}, csv: {a.data.resolve() / "manifest.csv"}, '
                            f'path_column: {c.path_column}, group_column: {c.group_column}, emotion_column: {c.emotion_column}, '
                            f'gender_column: {c.gender_column}, val: {c.val}, test: {c.test}}}\n')
    over = [f'paths.data_dir={a.work / "data"}', f'paths.cache_dir={a.work / "cache"}', f'paths.runs_dir={a.work / "runs"}',
            'split.mode=kfold', f'split.k_folds={a.folds}', f'seed={seed}']
    return load_config(cfg_path, over + a.set)


def ci(y, pred, groups) -> tuple:
    """UAR of pooled predictions and its 95% person-bootstrap interval."""
    b = bootstrap_ci(lambda w: uar(y, pred, sample_weight=w), groups, n_boot=1000, seed=0)
    return b.estimate, b.low, b.high


def run_seed(a, seed:int) -> dict:
    """Train the face CNN and its references by k-fold for one seed; pooled UARs with CIs, per-fold UARs, timings."""
    torch.set_num_threads(1)
    cfg = project_config(a, seed)
    run_dir, t = a.work / 'runs' / f'seed{seed}', time.perf_counter()
    s = stage_train(cfg, run_dir)
    out = dict(seed=seed, epochs=s.epochs_run, epoch_s=s.train_seconds / max(s.epochs_run, 1), total_s=time.perf_counter() - t,
               model=s.model, refs=list(s.references))
    folds = pd.read_csv(run_dir / 'folds.csv')
    for i, (name, prefix) in enumerate([(s.model, '')] + [(r, 'reference_' if j == 0 else f'reference_{r}_') for j, r in enumerate(s.references)]):
        p = Predictions.read_csv(run_dir / f'{prefix}predictions_test.csv')
        out[name] = dict(ci=ci(p.y_true, p.probs.argmax(1), p.groups), folds=folds.loc[folds['model'] == name, 'test_uar'].to_numpy())
    return out


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(1)
    a.work = (a.work or Path(tempfile.mkdtemp(prefix='bench_faces_'))).resolve()
    a.work.mkdir(parents=True, exist_ok=True)
    cfg = project_config(a, a.seeds[0])
    print(f'scratch project {a.work}; data {a.data}; config {a.config.name}; seeds {a.seeds}; {a.folds} person-grouped folds')
    print(f'model {cfg.model}\ntrain {cfg.train}\naugment {cfg.augment}\nface {cfg.face}')
    t = time.perf_counter()
    stage_ingest_csv(cfg); stage_preprocess(cfg, workers=1)
    folds = load_corpus(cfg, cfg.train.corpus).groupby('fold')['group'].nunique().to_dict()
    print(f'manifest + face crops: {time.perf_counter() - t:.1f} s; people per fold: {folds} (fold k tests, fold k+1 validates)')
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex: rows = list(ex.map(run_seed, [a]*len(a.seeds), a.seeds))
    else: rows = [run_seed(a, s) for s in a.seeds]
    names = [rows[0]['model'], *rows[0]['refs']]
    f = lambda c: f'{c[0]:.3f} [{c[1]:.2f}, {c[2]:.2f}]'
    print(f"\n{'seed':>4s} | " + ' | '.join(f'{n + " UAR [95% CI]":26s} | {"per-fold min-max":16s}' for n in names) +
          f" | {'s/epoch':>7s} | {'epochs':>6s} | total s")
    for r in rows:
        cells = [f"{f(r[n]['ci']):26s} | {r[n]['folds'].min():.3f}-{r[n]['folds'].max():.3f}     " for n in names]
        print(f"{r['seed']:4d} | " + ' | '.join(cells) + f" | {r['epoch_s']:7.3f} | {r['epochs']:6d} | {r['total_s']:7.0f}")
    mean = {n: np.mean([r[n]['ci'][0] for r in rows]) for n in names}
    sd = {n: np.std([r[n]['ci'][0] for r in rows], ddof=1) if len(rows) > 1 else 0.0 for n in names}
    fold_sd = {n: np.mean([r[n]['folds'].std(ddof=1) for r in rows]) for n in names}
    for n in names:
        print(f"{n}: pooled out-of-fold UAR {mean[n]:.3f} ± {sd[n]:.3f} (mean ± sd over {len(rows)} seeds); "
              f"per-fold sd {fold_sd[n]:.3f} (mean over seeds)")
    m, refs = names[0], names[1:]
    ok = mean[m] >= TARGET and all(mean[m] >= mean[r] for r in refs)
    print(f"target: {m} >= {TARGET} and >= {', '.join(refs) or 'its reference'} -> {'met' if ok else 'MISSED'}; "
          f"seconds per epoch {np.mean([r['epoch_s'] for r in rows]):.3f} (1 thread)")


if __name__ == '__main__':
    main()
