"""Benchmark the eGeMAPS references (`models.egemaps_ref`) on real RAVDESS speech by nested, actor-grouped cross-validation.

Data: the 16 kHz RAVDESS copy (actors 01-16, 960 WAVs; `--data`). In a scratch project (`--work`, default
`<tmp>/ssb-bench-egemaps`, reused between runs so the features come from the cache) it builds the RAVDESS manifest and
runs the `preprocess` stage with `features=['audio_egemaps']` (eGeMAPSv02 functionals, 88 per clip; about 1 s per file
and worker on a busy 2-core machine when cold, instant when warm). The outer folds are the config's computed,
gender-balanced grouped folds (`configs/ravdess_real.yaml`: `split.ravdess: auto`, `k_folds: 4`, 4 actors each).
For each outer fold, C (logistic) or C x gamma (SVM) is chosen by the mean UAR over inner folds made of the other
three outer folds (3 folds of 4 training actors each; grids `NESTED`: C in {0.01, 0.1, 1} for the logistic regression,
C in {1, 3, 10} x gamma in {0.003, 0.01} for the SVM): the test actors never choose a parameter. The chosen model is
refitted on the 12 training actors and predicts the 4 test actors. Inputs are loaded by the package's loader
(`load_split(..., feature='audio_egemaps')`) raw (`normalise='none'`: the pipeline's scaler standardises with the
training actors' statistics) or per speaker (`normalise='group'`). Models are fitted through the registry
(`ModelSpec.fit` / `predict_proba`). It prints, per label scheme (`emotions8`, `seed`), model and normalisation: the
mean +- sd of the 4 test-fold UARs, the UAR of the pooled out-of-fold predictions with a 95% speaker-bootstrap CI
(1000 resamples of the 16 actors) and the parameters each fold chose. `--choose` instead prints the grid search on
the train actors of the committed split `ravdess_speaker_v1` present in the data (12 actors, 4 folds of 3), which is
how the models' default parameters were picked. A benchmark only reports: it exits 0 whatever the numbers.
Run: `.venv/bin/python benchmarks/bench_egemaps.py --help`.
"""
import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from socialsignalbench.config import load_config
from socialsignalbench.data.ravdess import build_ravdess_manifest
from socialsignalbench.data.stages import write_manifest
from socialsignalbench.features.loader import load_split
from socialsignalbench.features.preprocess import stage_preprocess
from socialsignalbench.metrics.bootstrap import bootstrap_ci
from socialsignalbench.metrics.functional import uar
from socialsignalbench.models.core import model_spec
from socialsignalbench.models.egemaps_ref import grid

ROOT = Path(__file__).resolve().parents[1]
REAL_DIR = ROOT.parent / 'shared' / 'data' / 'ravdess_speech_16k'
CONFIG = ROOT / 'configs' / 'ravdess_real.yaml'
SCHEMES = ('emotions8', 'seed')
GRIDS = {'egemaps_logreg': [dict(c=c) for c in (0.001, 0.01, 0.1, 1.0, 10.0)],
         'egemaps_svm': [dict(c=c, gamma=g) for c, g in itertools.product((0.3, 1.0, 3.0, 10.0), (0.003, 0.01, 0.03))]}  # --choose
NESTED = {n: [{k: getattr(p, k) for k in GRIDS[n][0]} for p in grid(model_spec(n).params())] for n in GRIDS}  # the nested CV's grids:
# the models' own `tune_*` grids (what each fit chooses from on its training speakers in a run; here chosen on the outer folds)
NORMS = {'train': 'none', 'speaker': 'group'}  # label -> load_split normalise ('none': the pipeline's scaler uses train statistics)


def parse_args(argv=None):
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', type=Path, default=REAL_DIR, help='RAVDESS folder (Actor_XX/*.wav)')
    p.add_argument('--work', type=Path, default=Path(tempfile.gettempdir()) / 'ssb-bench-egemaps',
                   help='scratch project folder (reused: its feature cache makes reruns instant)')
    p.add_argument('--config', type=Path, default=CONFIG, help='the config whose grouped folds are the outer folds')
    p.add_argument('--schemes', nargs='+', default=list(SCHEMES), choices=SCHEMES, help='label schemes')
    p.add_argument('--workers', type=int, default=2, help='feature extraction processes')
    p.add_argument('--seed', type=int, default=0, help='seed of the models (SVM Platt scaling)')
    p.add_argument('--models', nargs='+', default=list(GRIDS), choices=list(GRIDS), help='models to measure')
    p.add_argument('--norms', nargs='+', default=list(NORMS), choices=list(NORMS), help="statistics: 'train' and/or per-'speaker'")
    p.add_argument('--choose', action='store_true', help='grid search on the train actors of ravdess_speaker_v1 (default parameters)')
    return p.parse_args(argv)


def project_config(a, scheme:str):
    """The config pointed at the scratch project, for one label scheme."""
    over = [f'ravdess.root={a.data.resolve()}', f'paths.data_dir={a.work / "data"}', f'paths.cache_dir={a.work / "cache"}',
            f'paths.runs_dir={a.work / "runs"}', f'labels.scheme={scheme}']
    return load_config(a.config, over)


def prepare(cfg, workers:int) -> float:
    """Manifest + eGeMAPS features in the scratch project; seconds taken."""
    t = time.perf_counter()
    write_manifest(cfg, build_ravdess_manifest(cfg.path(cfg.ravdess.root), cfg.ravdess.actors, cfg.ravdess.files_per_actor))
    stage_preprocess(cfg, workers=workers, features=['audio_egemaps'])
    return time.perf_counter() - t


def fit_predict(name:str, params:dict, Xtr, ytr, Xte, n_classes:int, seed:int) -> np.ndarray:
    """Class probabilities on `Xte` of registered model `name` fitted on (`Xtr`, `ytr`) with `params`."""
    spec = model_spec(name)
    p = spec.params(**params)
    return spec.predict_proba(spec.fit(Xtr, ytr, p, seed), Xte, n_classes)


def choose(name:str, X, y, folds, n_classes:int, seed:int, grids:dict=GRIDS) -> tuple:
    """The point of `grids[name]` with the best mean UAR over the grouped `folds` of (`X`, `y`); (params, {params: mean UAR})."""
    scores = {}
    for params in grids[name]:
        u = [uar(y[folds == f], fit_predict(name, params, X[folds != f], y[folds != f], X[folds == f], n_classes, seed).argmax(1))
             for f in np.unique(folds)]
        scores[json.dumps(params)] = float(np.mean(u))
    best = max(scores, key=scores.get)
    return json.loads(best), scores


def nested_cv(names:str|tuple, data, seed:int) -> dict:
    """Outer folds = `data`'s folds; the model (one of `names`) and its parameters chosen on the other folds only.

    Returns each fold's UAR, the pooled out-of-fold class probabilities and their UAR with its interval, and the choices."""
    names = (names,) if isinstance(names, str) else tuple(names)
    folds, K = data.frame['fold'].to_numpy(), len(data.classes)
    probs, fold_uar, chosen = np.zeros((len(data.y), K)), [], []
    for k in np.unique(folds):
        tr, te = folds != k, folds == k
        picks = [(n, *choose(n, data.X[tr], data.y[tr], folds[tr], K, seed, NESTED)) for n in names]
        name, params, scores = max(picks, key=lambda c: c[2][json.dumps(c[1])])
        probs[te] = fit_predict(name, params, data.X[tr], data.y[tr], data.X[te], K, seed)
        fold_uar.append(uar(data.y[te], probs[te].argmax(1))); chosen.append(params if len(names) == 1 else dict(model=name, **params))
    pred = probs.argmax(1)
    b = bootstrap_ci(lambda w: uar(data.y, pred, sample_weight=w), data.groups, n_boot=1000, seed=0)
    return dict(fold_uar=fold_uar, pooled=(b.estimate, b.low, b.high), chosen=chosen, probs=probs)


def run_choose(a) -> None:
    """Grid search on the train actors of ravdess_speaker_v1 present in the data (the models' defaults), `seed` scheme."""
    split = json.loads((ROOT / 'socialsignalbench' / 'splits' / 'ravdess_speaker_v1.json').read_text())['splits']['train']
    cfg = project_config(a, 'seed')
    for norm, how in NORMS.items():
        d = load_split(cfg, 'ravdess', None, how, feature='audio_egemaps')
        keep = np.isin(d.groups, split)
        actors = sorted(set(d.groups[keep]))
        folds = np.array([actors.index(g) % 4 for g in d.groups[keep]])
        for name in GRIDS:
            best, scores = choose(name, d.X[keep], d.y[keep], folds, len(d.classes), a.seed)
            print(f'{name} ({norm} statistics) on {len(actors)} train actors {actors}, 4 folds: best {best}')
            print('   ' + '; '.join(f'{k}: {v:.3f}' for k, v in scores.items()), flush=True)


def main(argv=None):
    a = parse_args(argv)
    a.work = a.work.resolve()
    cfg = project_config(a, a.schemes[0])
    print(f'scratch project {a.work}; data {a.data}; outer folds from {a.config.name}')
    print(f'manifest + eGeMAPS features (preprocess stage, features=[audio_egemaps]): {prepare(cfg, a.workers):.1f} s')
    if a.choose: return run_choose(a)
    rows, t0 = [], time.perf_counter()
    for scheme in a.schemes:
        cfg = project_config(a, scheme)
        for norm, how in ((n, NORMS[n]) for n in a.norms):
            data = load_split(cfg, 'ravdess', None, how, feature='audio_egemaps')
            if scheme == a.schemes[0] and norm == 'train':
                folds = data.frame.groupby('fold')['group'].apply(lambda g: sorted(set(g))).to_dict()
                print(f'features {data.X.shape}; outer folds (test actors): {folds}')
            for name in a.models:
                t = time.perf_counter()
                rows.append(dict(scheme=scheme, model=name, norm=norm, **nested_cv(name, data, a.seed), s=time.perf_counter() - t))
                r = rows[-1]
                print(f"  {scheme}/{name}/{norm}: {np.mean(r['fold_uar']):.3f} +- {np.std(r['fold_uar'], ddof=1):.3f} ({r['s']:.0f} s)",
                      flush=True)
    print(f"\n{'scheme':9s} {'model':14s} {'statistics':11s} | {'fold UAR mean +- sd':18s} | {'pooled UAR [95% CI]':22s} | chosen per fold")
    for r in rows:
        pooled = f"{r['pooled'][0]:.3f} [{r['pooled'][1]:.2f}, {r['pooled'][2]:.2f}]"
        chosen = ' '.join('/'.join(f'{v:g}' for v in c.values()) for c in r['chosen'])
        print(f"{r['scheme']:9s} {r['model']:14s} {'per-speaker' if r['norm'] == 'speaker' else 'train':11s} | "
              f"{np.mean(r['fold_uar']):.3f} +- {np.std(r['fold_uar'], ddof=1):.3f}    | {pooled:22s} | {chosen}")
    print(f"(4 outer folds of 4 actors; parameters chosen on the 3 other folds; sd over folds, ddof=1; chosen: "
          f"C (logreg) or C/gamma (SVM); seed {a.seed}; {time.perf_counter() - t0:.0f} s of model fitting)")


if __name__ == '__main__':
    main()
