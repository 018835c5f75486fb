"""Paired run comparison (`evaluation.compare`, `ssb compare`, `scripts/compare_runs.py`) on hand-made prediction files and run folders."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, ssb
from socialsignalbench.config import Config, EvalConfig, save_config
from socialsignalbench.core import SSBError
from socialsignalbench.evaluation.compare import compare_predictions, compare_runs
from socialsignalbench.metrics.predictions import Predictions, ids_sha256
from socialsignalbench.metrics.report import MetricsReport, metrics_report, write_report

CLASSES = ('engagement', 'confusion', 'hesitation', 'neutral', 'other')
Y = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 3]            # 12 items, 6 speakers (two each)
PRED_A = [0, 1, 2, 0, 0, 0, 0, 4, 4, 0, 0, 0]      # right on 0, 1, 2, 5, 10
PRED_B = [0, 1, 0, 3, 4, 0, 1, 2, 0, 0, 3, 3]      # right on 0, 1, 3, 4, 5, 6, 7, 11
THR = {'Engagement': .5, 'Confusion': .4, 'Hesitation': .4}


def preds(pred, n=len(Y)):
    p = np.full((n, 5), .1)
    p[np.arange(n), pred[:n]] = .6
    return Predictions([f'demo:a/{i:02d}.wav' for i in range(n)], [f'spk{i // 2}' for i in range(n)], Y[:n], p, CLASSES)


def hand_files(tmp_path):
    """Two prediction CSV files, read back as the comparison reads them."""
    for name, pred in (('a', PRED_A), ('b', PRED_B)):
        preds(pred).write_csv(tmp_path / f'{name}.csv', 'seed')
    return Predictions.read_csv(tmp_path / 'a.csv'), Predictions.read_csv(tmp_path / 'b.csv')


def test_mcnemar_table_by_hand(tmp_path):
    a, b = hand_files(tmp_path)
    m = compare_predictions(a, b, 'seed', n_boot=100).mcnemar
    # both right {0, 1, 5}; A only {2, 10}; B only {3, 4, 6, 7, 11}; both wrong {8, 9}
    assert (m.both_right, m.a_only, m.b_only, m.both_wrong) == (3, 2, 5, 2)
    # exact two-sided binomial on 7 discordant items, 5 for B: 2 * P(X <= 2) = 2 * (1 + 7 + 21) / 128
    assert m.p_value == pytest.approx(2 * 29 / 128)


def test_paired_interval_by_a_direct_loop(tmp_path):
    a, b = hand_files(tmp_path)
    n_boot, seed = 300, 11
    r = compare_predictions(a, b, 'seed', n_boot=n_boot, seed=seed)
    d = {x.metric: x for x in r.metrics}
    spk = np.array([i // 2 for i in range(len(Y))])               # spk0..spk5 sort as 0..5
    draws = np.random.default_rng(seed).integers(0, 6, size=(n_boot, 6))
    y, ca, cb = np.array(Y), np.array(PRED_A) == np.array(Y), np.array(PRED_B) == np.array(Y)
    acc, uar = [], []
    for row in draws:
        items = np.concatenate([np.flatnonzero(spk == g) for g in row])
        acc.append(cb[items].mean() - ca[items].mean())
        cls = np.unique(y[items])
        recall = lambda c: np.mean([c[items][y[items] == k].mean() for k in cls])
        uar.append(recall(cb) - recall(ca))
    assert d['accuracy'].diff == pytest.approx(cb.mean() - ca.mean())
    assert (d['accuracy'].low, d['accuracy'].high) == pytest.approx(tuple(np.percentile(acc, [2.5, 97.5])))
    assert (d['uar'].low, d['uar'].high) == pytest.approx(tuple(np.percentile(uar, [2.5, 97.5])))
    assert d['accuracy'].verdict == ('better' if d['accuracy'].low > 0 else 'unclear')
    assert d['ece'].higher_is_better is False and d['uar'].higher_is_better is True


def make_runs(root, scheme_b='seed', n_c=10):
    """Hand-made run folders a, b (same items, same gold slice), c (first n_c items), d (b under another scheme name)."""
    cfg = Config(project_dir=str(root), eval=EvalConfig(n_boot=200))   # a small bootstrap keeps the test fast
    gold = [f'demo:a/{i:02d}.wav' for i in (2, 3, 7, 8, 11)]
    for name, p, scheme in (('a', preds(PRED_A), 'seed'), ('b', preds(PRED_B), 'seed'), ('c', preds(PRED_B, n_c), 'seed'),
                            ('d', preds(PRED_B), scheme_b)):
        d = root / 'outputs' / 'runs' / name
        d.mkdir(parents=True)
        p.write_csv(d / 'predictions.csv', 'seed')
        save_config(cfg, d / 'config.yaml')
        rep = metrics_report(p, 'seed', THR, n_boot=50)
        write_report(MetricsReport(**(vars(rep) | {'scheme': scheme})), d / 'metrics.json')
        if name in 'ab':
            write_report(metrics_report(p.subset(gold), 'seed', THR, n_boot=50, meta={'gold': {'sha256': ids_sha256(gold)}}),
                         d / 'metrics_gold.json')
    return cfg


def test_refuses_mismatched_runs_and_intersects(tmp_path):
    cfg = make_runs(tmp_path, scheme_b='seed_strict')
    with pytest.raises(SSBError, match='different items: 2 only in the first, 0 only in the second, 10 shared'):
        compare_runs(cfg, ['a', 'c'])
    with pytest.raises(SSBError, match="different label schemes"):
        compare_runs(cfg, ['a', 'd'])
    c = compare_runs(cfg, ['a', 'c'], intersect=True).comparisons[0]
    assert (c.n_only_a, c.n_only_b, c.full.n_items, c.full.n_groups) == (2, 0, 10, 5)
    ab = compare_runs(cfg, ['a', 'b']).comparisons[0]
    assert ab.gold.n_items == 5 and ab.gold.mcnemar.b_only == 3       # gold items 2, 3, 7, 8, 11: B alone right on 3, 7, 11
    assert ab.thresholds == {'a': THR, 'b': THR}


def test_cli_and_script_write_the_same_comparison(tmp_path):
    make_runs(tmp_path)
    runs = tmp_path / 'outputs' / 'runs'
    r = ssb('compare', runs / 'a', 'b', 'c', '--intersect', '--baseline', 'b', timeout=300)
    assert r.returncode == 0, r.stderr
    out = runs / 'compare-b-vs-a-vs-c'
    assert '## Leaderboard' in r.stdout and 'McNemar (exact): p = ' in r.stdout and str(out / 'comparison.json') in r.stdout
    s = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'compare_runs.py'), str(runs / 'a'), 'b', 'c', '--intersect',
                        '--baseline', 'b', '--out', str(tmp_path / 'script')], capture_output=True, text=True, timeout=300)
    assert s.returncode == 0, s.stderr
    assert (out / 'comparison.json').read_text() == (tmp_path / 'script' / 'comparison.json').read_text()
    assert (out / 'comparison.md').read_text() == (tmp_path / 'script' / 'comparison.md').read_text()
    j = json.loads((out / 'comparison.json').read_text())
    assert [c['b'] for c in j['comparisons']] == ['a', 'c'] and j['baseline'] == 'b'
    assert [row['run'] for row in j['leaderboard']] == ['a', 'b', 'c']
    bad = ssb('compare', runs / 'a', 'c', timeout=300)                 # different items without --intersect
    assert bad.returncode == 2 and bad.stderr.startswith('error: ') and '--intersect' in bad.stderr


def test_cli_names_a_damaged_metrics_file_and_a_cut_predictions_file(tmp_path):
    make_runs(tmp_path)
    runs = tmp_path / 'outputs' / 'runs'
    m = runs / 'b' / 'metrics.json'
    m.write_text(m.read_text()[:300])                                  # metrics.json cut short: not JSON any more
    r = ssb('compare', runs / 'a', 'b', timeout=300)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert f'error: {m} is damaged, not a metrics file (JSONDecodeError' in r.stderr and '--mode evaluate --run-id b' in r.stderr
    lines = (runs / 'a' / 'predictions.csv').read_text().splitlines(keepends=True)
    (runs / 'a' / 'predictions.csv').write_text(''.join(lines[:-2]))  # cut at a line break: still a valid, smaller table
    with pytest.raises(SSBError, match=r"predictions.csv has 10 rows but .*metrics.json was computed on 12 items"):
        compare_runs(Config(project_dir=str(tmp_path)), ['a', 'c'])
    (runs / 'a' / 'predictions.csv').write_text(''.join(lines)[:-7])  # cut inside the last row
    with pytest.raises(SSBError, match='was cut short: it has no final line break and its last row has'):
        compare_runs(Config(project_dir=str(tmp_path)), ['a', 'c'])
