"""`train.repeats` and `train.ensemble` on the tiny demo: repeats and ensembles are written and read back, an ensemble
checkpoint predicts the mean of its members, metrics and compare carry the repeats; the old `n_seeds` key names its
replacement; `train.device: auto` resolves to the CPU on a machine without a GPU."""

import numpy as np
import pytest
import torch

from conftest import ssb_ok
from socialsignalbench.config import TrainConfig, load_config
from socialsignalbench.core import SSBError
from socialsignalbench.evaluation.compare import compare_runs
from socialsignalbench.evaluation.evaluate import stage_evaluate
from socialsignalbench.metrics.functional import uar
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import read_report
from socialsignalbench.train.loop import resolve_device
from socialsignalbench.train.predict import load_predictor
from socialsignalbench.train.stage import stage_train


@pytest.fixture(scope='module')
def tiny(project):
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'demo_data', 'preprocess', '--run-id', 'repeats-data', cwd=project)
    return project


def cfg_for(project, **train):
    return load_config(project / 'configs' / 'small.yaml', {'train': {'epochs': 3, 'device': 'auto', **train}})


def test_holdout_repeats_are_trained_scored_and_compared(tiny, tmp_path):
    cfg, run = cfg_for(tiny, repeats=2), tmp_path / 'rep'
    s = stage_train(cfg, run)
    assert s.repeats['n'] == 2 and s.repeats['seeds'] == [cfg.seed, cfg.seed + 1] and not s.repeats['ensemble']
    assert (run / 'repeats' / 'predictions_test_1.csv').is_file()
    pred = load_predictor(run / 'model_best.pt')
    assert len(pred.members) == 2 and not pred.ensemble and pred.meta['member_seeds'] == [cfg.seed, cfg.seed + 1]
    stage_evaluate(cfg, run)
    rep = read_report(run / 'metrics.json')
    per = [h['uar'] for h in rep.repeats['headline']]
    tests = [Predictions.read_csv(run / 'predictions.csv'), Predictions.read_csv(run / 'repeats' / 'predictions_1.csv')]
    assert per == pytest.approx([uar(p.y_true, p.y_pred, n_classes=len(p.classes)) for p in tests])
    assert rep.headline['uar']['value'] == pytest.approx(np.mean(per))
    assert rep.headline['uar']['sd'] == pytest.approx(np.std(per, ddof=1)) and rep.headline['uar']['n_repeats'] == 2
    assert read_report(run / 'metrics_reference.json').repeats is None   # the reference trains once
    rc = compare_runs(cfg, [run / 'predictions_reference.csv', run / 'predictions.csv'])
    d = {x.metric: x for x in rc.comparisons[0].full.metrics}['uar']
    assert d.n_repeats == (1, 2) and d.b == pytest.approx(np.mean(per))


def test_ensemble_checkpoint_holds_its_members_and_predicts_their_mean(tiny, tmp_path):
    cfg, run = cfg_for(tiny, repeats=2, ensemble=True), tmp_path / 'ens'
    stage_train(cfg, run)
    pred = load_predictor(run / 'model_best.pt')
    assert len(pred.members) == 2 and pred.ensemble and pred.meta['members'] == 2
    X = np.random.default_rng(0).normal(size=(5, *pred.meta['in_shape'])).astype(np.float32)
    members = pred.member_probas(X)
    assert not np.allclose(members[0], members[1])
    np.testing.assert_allclose(pred.predict_proba(X), np.mean(members, axis=0), rtol=1e-6)
    assert not (run / 'repeats').exists()   # one predictor: one set of predictions
    stage_evaluate(cfg, run)
    rep = read_report(run / 'metrics.json')
    assert rep.repeats is None and rep.meta['members'] == 2 and rep.meta['ensemble']


def test_n_seeds_names_what_it_became(project):
    with pytest.raises(SSBError, match=r"'train.n_seeds' is gone: .* became train.repeats: N with train.ensemble: true"):
        load_config(project / 'configs' / 'small.yaml', {'train': {'n_seeds': 2}})


def test_real_configs_default_to_three_repeats_and_the_demo_to_two(project):
    c = lambda name: load_config(project / 'configs' / name).train.repeats
    assert (c('base_config.yaml'), c('ravdess_real.yaml'), c('faces_london.yaml'), c('demo.yaml')) == (3, 3, 3, 2)


def test_device_auto_resolves_to_cpu_without_a_gpu():
    assert TrainConfig().device == 'auto'
    assert resolve_device('auto').type == ('cuda' if torch.cuda.is_available() else 'cpu')
    if not torch.cuda.is_available():
        assert resolve_device('auto') == torch.device('cpu')
        with pytest.raises(SSBError, match="train.device is 'cuda' but torch sees no GPU"):
            resolve_device('cuda')
