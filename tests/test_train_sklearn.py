"""A scikit-learn model as `model.name` (not only as a reference) is trained and evaluated as the run's model, on the tiny demo.

What it is comes from its `ModelSpec` (kind 'sklearn'): fitted once like a reference, written as `model_best.pt`, evaluated,
and its checkpoint predicts on files and evaluates through `--checkpoint`; holdout, k-fold, an audio and a face model.
"""
import json

import pandas as pd
import pytest

from conftest import ssb, ssb_ok

AUDIO = ('--set', 'model.name=audio_logreg', '--set', 'model.reference=null')


@pytest.fixture(scope='module')
def lr_run(project):
    """`train evaluate` of audio_logreg as the run's model on the tiny demo."""
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'demo_data', 'preprocess', 'train', 'evaluate', *AUDIO, '--run-id', 'sk-lr',
           cwd=project)
    return project / 'outputs' / 'runs' / 'sk-lr'


def test_holdout_trains_and_evaluates_the_sklearn_model(lr_run):
    s = json.loads((lr_run / 'train_summary.json').read_text())
    assert (s['model'], s['references'], s['epochs_run'], s['best_epoch'], s['repeats']) == ('audio_logreg', {}, 0, None, None)
    assert set(s['files']) == {'model_best.pt', 'predictions_val.csv', 'predictions_test.csv'}
    for f in (*s['files'], 'metrics.json', 'predictions.csv', 'train.html', 'evaluate.html'):
        assert (lr_run / f).is_file(), f
    assert not (lr_run / 'history.csv').exists() and not (lr_run / 'train_state').exists()   # fitted once: no epochs
    m = json.loads((lr_run / 'metrics.json').read_text())
    assert (m['meta']['model'], m['meta']['role'], m['meta']['checkpoint']) == ('audio_logreg', 'model', 'model_best.pt')
    assert 0 <= m['headline']['uar']['value'] <= 1


def test_its_checkpoint_predicts_and_evaluates(lr_run, project):
    wav = sorted((project / 'data' / 'demo' / 'raw' / 'ravdess').rglob('*.wav'))[0]
    d = json.loads(ssb_ok('predict', '--checkpoint', lr_run / 'model_best.pt', '--json', wav, cwd=project).stdout)
    assert d['model'] == 'audio_logreg' and d['files'][0]['ok']
    assert abs(sum(d['files'][0]['probs'].values()) - 1) < 1e-6
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'evaluate', '--checkpoint', lr_run / 'model_best.pt', '--run-id', 'sk-lr-ck',
           cwd=project)
    again = project / 'outputs' / 'runs' / 'sk-lr-ck'
    pd.testing.assert_frame_equal(pd.read_csv(again / 'predictions.csv'), pd.read_csv(lr_run / 'predictions.csv'))


def test_face_model_and_kfold(lr_run, project):
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'train', 'evaluate', '--set', 'model.name=face_hog_logreg',
           '--set', 'model.reference=null', '--set', 'train.corpus=ckplus', '--run-id', 'sk-face', cwd=project)
    face = project / 'outputs' / 'runs' / 'sk-face'
    assert json.loads((face / 'metrics.json').read_text())['meta']['model'] == 'face_hog_logreg'
    ssb_ok('--config', 'configs/small.yaml', '--mode', 'train', 'evaluate', *AUDIO, '--set', 'split.mode=kfold', '--set', 'split.k_folds=4',
           '--run-id', 'sk-kf', cwd=project)
    kf = project / 'outputs' / 'runs' / 'sk-kf'
    s = json.loads((kf / 'train_summary.json').read_text())
    assert (s['mode'], s['epochs_run'], len(s['sizes'])) == ('kfold', 0, 4)
    assert pd.read_csv(kf / 'folds.csv')['model'].unique().tolist() == ['audio_logreg']
    assert json.loads((kf / 'metrics.json').read_text())['meta']['protocol'] == 'kfold'


def test_repeats_are_refused_for_a_sklearn_model(lr_run, project):
    r = ssb('--config', 'configs/small.yaml', '--mode', 'train', *AUDIO, '--set', 'train.repeats=2', '--run-id', 'sk-rep', cwd=project)
    assert r.returncode != 0
    assert "train.repeats is 2, but model.name 'audio_logreg' is a scikit-learn model" in r.stdout + r.stderr
    assert not (project / 'outputs' / 'runs' / 'sk-rep' / 'model_best.pt').exists()
