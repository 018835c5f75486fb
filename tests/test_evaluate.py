"""The evaluate stage end to end on a tiny demo, `ssb predict`, and `--checkpoint` on another data folder."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import SMALL, ssb, ssb_ok
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.metrics.report import read_report

FAST = SMALL + "train: {epochs: 3}\neval: {n_boot: 200}\n"
# the same corpora generated with another seed, in a folder of their own
OTHER = """extends: eval.yaml
demo: {seed: 7}
paths: {data_dir: data/other, cache_dir: data/other/cache}
ravdess: {root: data/other/raw/ravdess, archive: data/other/raw/unused.zip}
ckplus: {root: data/other/raw/ckplus}
"""
EVAL_FILES = ('metrics.json', 'metrics_reference.json', 'results.csv', 'predictions.csv', 'predictions_reference.csv',
              'errors.csv', 'confusion_matrix.png', 'reliability.png', 'evaluate_summary.json', 'evaluate.ipynb',
              'evaluate.html')


@pytest.fixture(scope='module')
def evaluated(project):
    """A run of the small demo through demo_data, preprocess, train and evaluate."""
    (project / 'configs' / 'eval.yaml').write_text(FAST)
    ssb_ok('--config', 'configs/eval.yaml', '--mode', 'demo_data', 'preprocess', 'train', 'evaluate', '--run-id', 'ev1',
           cwd=project)
    return project / 'outputs' / 'runs' / 'ev1'


def test_evaluate_writes_every_file(evaluated):
    assert not [f for f in EVAL_FILES if not (evaluated / f).is_file()]
    rep = read_report(evaluated / 'metrics.json')
    meta = rep.meta
    assert (meta['model'], meta['protocol'], meta['speaker_norm'], meta['split']['name']) == \
        ('audio_cnn', 'holdout', False, 'ravdess_auto_holdout_2_1_1')
    assert len(meta['checkpoint_sha256']) == 64 and meta['config_hash'] == meta['checkpoint_config_hash']
    assert read_report(evaluated / 'metrics_reference.json').meta['model'] == 'audio_logreg'
    # the one test speaker: every interval is flagged
    assert rep.n_groups == 1 and all(e['few_groups'] for e in rep.headline.values())
    table = pd.read_csv(evaluated / 'results.csv').set_index('metric')
    assert {'audio_cnn', 'audio_logreg', 'audio_cnn low', 'audio_logreg high', 'normalisation'} <= set(table.columns)
    assert table.loc['uar', 'audio_cnn'] == rep.headline['uar']['value']
    test = Predictions.read_csv(evaluated / 'predictions.csv')
    assert sorted(test.ids) == list(rep.ids) and len(pd.read_csv(evaluated / 'errors.csv')) == int((~test.correct).sum())
    # evaluating the checkpoint alone reproduces what the train stage predicted on test
    train_stage = Predictions.read_csv(evaluated / 'predictions_test.csv').subset(test.ids)
    np.testing.assert_allclose(test.probs, train_stage.probs, atol=1e-6)
    thresholds = json.loads((evaluated / 'evaluate_summary.json').read_text())['thresholds']
    assert {p: b['threshold'] for p, b in rep.proxies.items()} == thresholds


def test_same_seed_gives_identical_metrics(evaluated, project):
    ssb_ok('--config', 'configs/eval.yaml', '--mode', 'train', 'evaluate', '--run-id', 'ev2', cwd=project)
    again = project / 'outputs' / 'runs' / 'ev2'
    for f in ('metrics.json', 'metrics_reference.json', 'results.csv', 'predictions.csv'):
        assert (again / f).read_bytes() == (evaluated / f).read_bytes(), f


def demo_wavs(project, n=2):
    return sorted((project / 'data' / 'demo' / 'raw' / 'ravdess').rglob('*.wav'))[:n]


def test_predict_files_and_a_broken_one(evaluated, project, tmp_path):
    broken = tmp_path / 'broken.wav'
    broken.write_bytes(b'RIFF....WAVEfmt not really')
    wavs = demo_wavs(project)
    r = ssb('predict', '--checkpoint', evaluated / 'model_best.pt', '--json', wavs[0], broken, wavs[1], cwd=project)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert [f['ok'] for f in doc['files']] == [True, False, True]
    assert 'broken.wav' in doc['files'][1]['error'] and doc['files'][1]['probs'] is None
    assert abs(sum(doc['files'][0]['probs'].values()) - 1) < 1e-6 and set(doc['files'][0]['proxies']) == \
        {'Engagement', 'Confusion', 'Hesitation'}
    assert doc['normalisation'] == "per-coefficient statistics of the checkpoint's training split"
    # the checkpoint alone gives what evaluation gave for the same clip
    ev = pd.read_csv(evaluated / 'predictions.csv').set_index('path')
    rel = wavs[0].relative_to(project / 'data' / 'demo' / 'raw' / 'ravdess').as_posix()
    if rel in ev.index:
        assert abs(doc['files'][0]['probs']['other'] - ev.loc[rel, 'prob_other']) < 1e-5
    t = ssb('predict', '--checkpoint', evaluated / 'reference_best.pt', *wavs, cwd=project)
    assert t.returncode == 0 and 'audio_logreg' in t.stdout and 'proxy_Engagement' in t.stdout, t.stderr


def test_checkpoint_on_another_data_folder_and_refusal(evaluated, project):
    (project / 'configs' / 'other.yaml').write_text(OTHER)
    ckpt = evaluated / 'model_best.pt'
    ssb_ok('--config', 'configs/other.yaml', '--mode', 'demo_data', 'preprocess', 'evaluate', '--checkpoint', ckpt,
           '--run-id', 'other', cwd=project)
    out = project / 'outputs' / 'runs' / 'other'
    rep = read_report(out / 'metrics.json')
    assert rep.meta['external_checkpoint'] and rep.meta['checkpoint_sha256'] == \
        read_report(evaluated / 'metrics.json').meta['checkpoint_sha256']
    assert read_report(out / 'metrics_reference.json').meta['model'] == 'audio_logreg'
    assert not (out / 'model_best.pt').exists()   # nothing was trained here
    # the same layout and split, so the same ids; but other audio (another demo seed), so other probabilities
    first = Predictions.read_csv(evaluated / 'predictions.csv')
    here = Predictions.read_csv(out / 'predictions.csv')
    assert set(here.ids) == set(first.ids)
    assert not np.allclose(here.subset(first.ids).probs, first.probs)
    (project / 'configs' / 'emotions8.yaml').write_text("extends: other.yaml\nlabels: {scheme: emotions8}\n")
    r = ssb('--config', 'configs/emotions8.yaml', '--mode', 'evaluate', '--checkpoint', ckpt, '--run-id', 'bad', cwd=project)
    assert r.returncode != 0
    assert "label scheme: checkpoint 'seed', config labels.scheme 'emotions8'" in r.stderr, r.stderr[-3000:]
    assert not (project / 'outputs' / 'runs' / 'bad' / 'metrics.json').exists()


def test_kfold_evaluates_pooled_out_of_fold_predictions(evaluated, project):
    (project / 'configs' / 'kfold.yaml').write_text("extends: eval.yaml\nsplit: {mode: kfold, k_folds: 4}\n")
    ssb_ok('--config', 'configs/kfold.yaml', '--mode', 'train', 'evaluate', '--run-id', 'kf', cwd=project)
    out = project / 'outputs' / 'runs' / 'kf'
    rep = read_report(out / 'metrics.json')
    assert (rep.meta['protocol'], rep.n_groups, rep.n_items) == ('kfold', 4, 240)   # every speaker tested once
    folds = pd.read_csv(out / 'folds_metrics.csv')
    assert sorted(set(folds['model'])) == ['audio_cnn', 'audio_logreg'] and len(folds) == 8
    # per-fold UARs from the pooled predictions agree with what the train stage measured per fold
    trained = pd.read_csv(out / 'folds.csv').set_index(['model', 'fold'])['test_uar']
    np.testing.assert_allclose(folds.set_index(['model', 'fold'])['uar'].loc[trained.index], trained, atol=1e-12)
    r = ssb('--config', 'configs/kfold.yaml', '--mode', 'evaluate', '--checkpoint', evaluated / 'model_best.pt',
            '--run-id', 'kf', cwd=project)
    assert r.returncode != 0 and "split.mode is 'kfold'" in r.stderr, r.stderr[-2000:]


def test_empty_gold_slice_is_refused_before_anything_is_written(evaluated, project, tmp_path):
    from socialsignalbench.core import atomic_write_json
    from socialsignalbench.evaluation.gold import GoldSlice
    from socialsignalbench.metrics.predictions import ids_sha256
    rep = read_report(evaluated / 'metrics.json')
    empty = GoldSlice('gold', 'gold-empty', ids_sha256(()), (), {}, (), rep.scheme, rep.classes, {}, {}, 0, rep.n_items,
                      rep.ids_sha256)
    atomic_write_json(tmp_path / 'empty.json', empty)
    r = ssb('--config', 'configs/eval.yaml', '--mode', 'evaluate', '--checkpoint', evaluated / 'model_best.pt', '--run-id', 'gold0',
            '--set', f'eval.gold_slice={tmp_path / "empty.json"}', cwd=project)
    assert r.returncode == 1, r.stderr[-2000:]
    assert f"eval.gold_slice: the gold slice {tmp_path / 'empty.json'} (gold-empty) has 0 items, so there is nothing to score on it; " \
           "nothing was written." in r.stderr, r.stderr[-3000:]
    run = project / 'outputs' / 'runs' / 'gold0'
    assert not [f for f in ('metrics.json', 'predictions.csv', 'evaluate_summary.json') if (run / f).exists()]
    c = ssb('compare', evaluated, run, cwd=project)
    assert c.returncode == 2 and 'evaluate the run first' in c.stderr, c.stderr


def test_face_checkpoint_with_an_audio_config_names_the_modalities(evaluated, project, tmp_path):
    import torch  # noqa: F401  (the checkpoint writer needs it)
    from socialsignalbench.config import load_config
    from socialsignalbench.data.labels import scheme_for_config
    from socialsignalbench.models.core import build_model
    from socialsignalbench.train.checkpoint import checkpoint_meta, save_checkpoint
    cfg = load_config(project / 'configs' / 'eval.yaml')
    from socialsignalbench.features.loader import feature_spec
    side = feature_spec(cfg, 'image').params(cfg).size
    face = build_model('face_cnn', (side, side), len(scheme_for_config(cfg).classes), cfg.model, seed=0)
    ckpt = tmp_path / 'face_best.pt'
    save_checkpoint(ckpt, face.state_dict(), checkpoint_meta(cfg, 'face_cnn', 'image', scheme_for_config(cfg), {'mode': 'none'},
                                                             in_shape=[side, side]))
    r = ssb('--config', 'configs/eval.yaml', '--mode', 'evaluate', '--checkpoint', ckpt, '--run-id', 'face-on-audio', cwd=project)
    assert r.returncode == 1, r.stderr[-2000:]
    assert f"Checkpoint {ckpt} is a face_cnn model of image inputs, but train.corpus 'ravdess' of the config" in r.stderr, r.stderr[-3000:]
    assert 'holds only audio rows' in r.stderr and 'load_split' not in r.stderr.split('--- failing cell ---')[0]
    wav = next((project / 'data' / 'demo' / 'raw' / 'ravdess').rglob('*.wav'))
    p = ssb('predict', '--checkpoint', ckpt, wav, cwd=project)
    assert p.returncode == 1 and 'is an audio file (WAV)' in p.stderr and 'OpenCV' not in p.stderr, p.stderr


def test_blend_scores_the_model_averaged_with_a_reference(evaluated, project):
    """`model.blend`: evaluate also scores the model's probabilities averaged with the chosen reference's, as its own row."""
    assert not (evaluated / 'metrics_blend.json').exists()   # no model.blend: no blend
    ssb_ok('--config', 'configs/eval.yaml', '--mode', 'train', 'evaluate', '--run-id', 'bl', '--set', 'model.blend=[audio_logreg]',
           cwd=project)
    out = project / 'outputs' / 'runs' / 'bl'
    rep, s = read_report(out / 'metrics_blend.json'), json.loads((out / 'evaluate_summary.json').read_text())
    assert (rep.meta['role'], rep.meta['model'], rep.meta['blend']['chosen_by']) == ('blend', 'audio_cnn+audio_logreg', 'validation UAR')
    assert s['blend']['name'] == 'audio_cnn+audio_logreg' and s['references'] == ['audio_logreg'], s
    m, r, b = (Predictions.read_csv(out / f) for f in ('predictions.csv', 'predictions_reference.csv', 'predictions_blend.csv'))
    np.testing.assert_allclose(b.probs, (m.subset(b.ids).probs + r.subset(b.ids).probs) / 2, atol=1e-6)
    assert 'audio_cnn+audio_logreg' in pd.read_csv(out / 'results.csv').columns
    from socialsignalbench.pipeline.suite import leaderboard
    board = leaderboard(project / 'outputs' / 'runs')
    assert board[(board['run'] == 'bl') & (board['role'] == 'blend')]['model'].tolist() == ['audio_cnn+audio_logreg'], board
