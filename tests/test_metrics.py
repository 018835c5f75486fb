"""The metrics layer as the evaluation, gold-slice and compare code use it: hand-computed cases, scikit-learn agreement,
group bootstrap, paired comparison of two prediction files, McNemar, and a metrics.json round trip."""
import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn import metrics as skm

from socialsignalbench.core import SSBError
from socialsignalbench.data.labels import load_scheme
from socialsignalbench.metrics import functional as F
from socialsignalbench.metrics.bootstrap import (bootstrap_ci, group_weights, mcnemar_exact, paired_bootstrap_cis,
                                                 paired_verdict)
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import (choose_thresholds, metric_stats, metrics_report, read_report,
                                              report_table, write_report)

SEED = load_scheme('seed')


def synth(n_groups, per_group, seed=0, acc=.75, prefix='s'):
    """Synthetic seed-scheme predictions: `n_groups` speakers of `per_group` clips."""
    rng = np.random.default_rng(seed)
    n, k = n_groups * per_group, len(SEED.classes)
    y = np.arange(n) % k
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += np.where(rng.random(n) < acc, 3., 0.)
    pr = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return Predictions([f'demo:{prefix}{i // per_group}/{i}.wav' for i in range(n)],
                       [f'{prefix}{i // per_group}' for i in range(n)], y, pr, SEED.classes)


def test_hand_computed_multiclass():
    t, p = [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]
    assert F.accuracy(t, p) == pytest.approx(2 / 3)
    assert F.uar(t, p) == pytest.approx(13 / 18)
    assert F.macro_f1(t, p) == pytest.approx(59 / 90)
    assert F.weighted_f1(t, p) == pytest.approx(61 / 90)
    assert F.confusion_matrix(t, p).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


@pytest.mark.parametrize('ours,theirs', [
    (F.accuracy, skm.accuracy_score), (F.uar, skm.balanced_accuracy_score),
    (F.macro_f1, lambda t, p, sample_weight=None: skm.f1_score(t, p, average='macro', sample_weight=sample_weight)),
    (F.weighted_f1, lambda t, p, sample_weight=None: skm.f1_score(t, p, average='weighted', sample_weight=sample_weight))])
def test_multiclass_agrees_with_sklearn(ours, theirs):
    rng = np.random.default_rng(1)
    t, p, w = rng.integers(0, 6, 400), rng.integers(0, 6, 400), rng.random(400)
    assert ours(t, p) == pytest.approx(theirs(t, p), abs=1e-12)
    assert ours(t, p, w) == pytest.approx(theirs(t, p, sample_weight=w), abs=1e-12)


def test_binary_hand_and_sklearn():
    assert F.auroc([1, 0, 1, 0], [.9, .6, .4, .4]) == pytest.approx(.625)
    assert F.average_precision([1, 0, 1, 0], [.9, .6, .4, .4]) == pytest.approx(.75)
    rng = np.random.default_rng(2)
    y, s = rng.integers(0, 2, 300), rng.integers(0, 10, 300) / 10
    assert F.auroc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert F.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    thr = F.choose_threshold(y, s)
    assert F.f1_at_threshold(y, s, threshold=thr) == pytest.approx(max(skm.f1_score(y, s >= u) for u in np.unique(s)))


def test_ece_hand_computed_and_direction():
    probs = np.array([[.9, .1, 0], [.8, .2, 0], [.2, .6, .2], [.3, .3, .4]])
    assert F.ece([0, 1, 1, 2], probs, n_bins=2) == pytest.approx(.225)
    assert F.METRICS['ece'].higher_is_better is False
    assert all(F.METRICS[n].higher_is_better for n in F.METRICS.names() if n != 'ece')


def test_bootstrap_moves_a_speakers_clips_together():
    # 10 speakers x 20 clips; a speaker's clips are all right or all wrong: clip-level resampling is far too narrow
    spk = np.repeat([f'spk{i}' for i in range(10)], 20)
    yt = np.zeros(200, int)
    yp = np.where(np.isin(spk, ['spk0', 'spk1', 'spk2']), 1, 0)

    def acc(w):
        return F.accuracy(yt, yp, w, n_classes=2)
    W = group_weights(spk, 500, seed=3)
    for s in np.unique(spk):                       # every resample keeps all or none of a speaker's clips
        assert (np.ptp(W[:, spk == s], axis=1) == 0).all()
    group = bootstrap_ci(acc, spk, n_boot=500, seed=3)
    clip = bootstrap_ci(acc, np.arange(200), n_boot=500, seed=3)
    assert group.n_groups == 10 and clip.n_groups == 200
    assert (group.low, group.high) == tuple(np.percentile(acc(W), [2.5, 97.5]))
    assert group.high - group.low > 2 * (clip.high - clip.low)


def test_compare_two_prediction_files(tmp_path):
    # run B fixes two items of speaker s3 and breaks one of s0: hand-computed McNemar and paired interval
    a = synth(6, 10, seed=4, acc=.5)
    probs_b = a.probs.copy()
    fix = np.flatnonzero(~a.correct & (np.asarray(a.groups) == 's3'))[:2]
    brk = np.flatnonzero(a.correct & (np.asarray(a.groups) == 's0'))[:1]
    assert len(fix) == 2 and len(brk) == 1
    for i in fix:
        probs_b[i] = np.eye(5)[a.y_true[i]] * .9 + .02
    for i in brk:
        probs_b[i] = np.eye(5)[(a.y_true[i] + 1) % 5] * .9 + .02
    b = Predictions(a.ids, a.groups, a.y_true, probs_b, a.classes)
    a.write_csv(tmp_path / 'a.csv', SEED)
    b.subset(b.ids[::-1]).write_csv(tmp_path / 'b.csv', SEED)          # any order on disk
    ra, rb = Predictions.read_csv(tmp_path / 'a.csv').align(Predictions.read_csv(tmp_path / 'b.csv'))
    m = mcnemar_exact(ra.correct, rb.correct)
    assert (m.a_only, m.b_only) == (1, 2)
    assert m.p_value == pytest.approx(1.0)                               # 2 * P(X <= 1 | Bin(3, 1/2)) = 1
    res = paired_bootstrap_cis(metric_stats(ra, SEED), metric_stats(rb, SEED), ra.groups, n_boot=400, seed=0)
    acc = res['accuracy']
    assert acc.diff == pytest.approx(1 / 60) and acc.b - acc.a == pytest.approx(1 / 60)
    W = group_weights(ra.groups, 400, seed=0)
    d = F.accuracy(rb.y_true, rb.y_pred, W, n_classes=5) - F.accuracy(ra.y_true, ra.y_pred, W, n_classes=5)
    assert (acc.low, acc.high) == pytest.approx(tuple(np.percentile(d, [2.5, 97.5])))
    assert acc.low < 0 < acc.high and paired_verdict(acc.low, acc.high, True) == 'unclear'
    with pytest.raises(SSBError, match='different items'):
        a.align(b.subset(b.ids[:30]))


def test_report_round_trip_and_thresholds_from_validation(tmp_path):
    val, test = synth(6, 10, seed=5, prefix='v'), synth(8, 10, seed=6, prefix='t')
    thr = choose_thresholds(val, 'seed')
    rep = metrics_report(test, 'seed', thr, n_boot=200, meta={'config_hash': 'x', 'speaker_norm': False})
    assert rep.n_groups == 8 and rep.n_items == 80
    assert rep.proxies['Engagement']['threshold'] == thr['Engagement']
    assert set(report_table(rep).index) >= {'uar', 'ece', 'Hesitation/f1_at_threshold'}
    back = read_report(write_report(rep, tmp_path / 'metrics.json'))
    assert back == rep
    assert json.loads((tmp_path / 'metrics.json').read_text())['meta'] == {'config_hash': 'x', 'speaker_norm': False}


def test_metrics_layer_needs_no_torch():
    code = ('import sys, socialsignalbench.metrics.report, socialsignalbench.metrics.bootstrap; '
            'print("torch" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.strip() == 'False'
