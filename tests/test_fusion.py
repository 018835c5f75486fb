"""Late fusion end to end on the tiny demo through the CLI: two baselines, train_fusion (fusion_concat beside
fusion_average, and fusion_average alone), evaluate with the robustness table; incompatible baselines refused."""
import dataclasses

import pandas as pd
import pytest

from conftest import SMALL, ssb_ok
from socialsignalbench.core import SSBError
from socialsignalbench.config import load_config
from socialsignalbench.metrics.predictions import Predictions
from socialsignalbench.train.fusion_baselines import load_baseline

# 5 actors and 5 subjects in a data folder of its own, so that validation holds 2 speakers and 2 subjects: the fusion
# head learns from one half of them (fusion.fit_on: val) and stops on the other
BASE = SMALL + """train: {epochs: 2}
eval: {n_boot: 100}
demo: {n_actors: 5, n_subjects: 5}
paths: {data_dir: data/fz, cache_dir: data/fz/cache}
ravdess: {root: data/fz/raw/ravdess, archive: data/fz/raw/unused.zip, actors: [1, 2, 3, 4, 5]}
ckplus: {root: data/fz/raw/ckplus}
split: {n_train: 2, n_val: 2, n_test: 1, ckplus_val: 0.4, ckplus_test: 0.2}
fusion: {fit_on: val}
"""
FACE = "extends: fz_audio.yaml\nmodel: {name: face_cnn, reference: null}\ntrain: {corpus: ckplus}\n"
FUSION = ("extends: fz_audio.yaml\nmodel: {name: fusion_concat, reference: fusion_average}\n"
          "fusion: {audio_run: fz-audio, face_run: fz-face, pairs_per_class: 10, snr_db: [10]}\n")


@pytest.fixture(scope='module')
def fused(project):
    c = project / 'configs'
    (c / 'fz_audio.yaml').write_text(BASE); (c / 'fz_face.yaml').write_text(FACE); (c / 'fz.yaml').write_text(FUSION)
    ssb_ok('--config', 'configs/fz_audio.yaml', '--mode', 'demo_data', 'preprocess', 'train', '--run-id', 'fz-audio', cwd=project)
    ssb_ok('--config', 'configs/fz_face.yaml', '--mode', 'train', '--run-id', 'fz-face', cwd=project)
    ssb_ok('--config', 'configs/fz.yaml', '--mode', 'train_fusion', 'evaluate', '--run-id', 'fz', cwd=project)
    return project / 'outputs' / 'runs'


def test_pairs_stay_in_their_split_and_use_every_test_item(fused):
    pairs = {s: pd.read_csv(fused / 'fz' / f'pairs_{s}.csv') for s in ('fit', 'val', 'test')}
    assert not (fused / 'fz' / 'pairs_train.csv').exists()   # fit_on: val: the baselines' training items are never fused
    for s, p in pairs.items():
        assert (p['split'] == s).all() and p['pair_id'].is_unique
    test = pairs['test']
    audio = Predictions.read_csv(fused / 'fz-audio' / 'predictions_test.csv')
    face = Predictions.read_csv(fused / 'fz-face' / 'predictions_test.csv')
    fused_classes = set(test['class'])
    a_ids = {i for i, y in zip(audio.ids, audio.y_true) if audio.classes[y] in fused_classes}
    f_ids = {i for i, y in zip(face.ids, face.y_true) if face.classes[y] in fused_classes}
    assert set(test['audio_id']) == a_ids and set(test['face_id']) == f_ids   # only test items, every one of them
    assert pairs['fit'].groupby('class').size().le(10).all()
    for side in ('audio_group', 'face_group'):   # the head's halves of validation never share a speaker or subject
        assert not set(pairs['fit'][side]) & set(pairs['val'][side])


def test_fusion_is_evaluated_like_a_baseline_with_robustness(fused):
    d = fused / 'fz'
    for f in ('metrics.json', 'metrics_reference.json', 'results.csv', 'predictions.csv', 'errors.csv', 'confusion_matrix.png',
              'reliability.png', 'predictions_audio.csv', 'predictions_face.csv', 'robustness.csv', 'robustness.png', 'evaluate.html'):
        assert (d / f).is_file(), f
    ids = Predictions.read_csv(d / 'predictions.csv').ids
    assert Predictions.read_csv(d / 'predictions_audio.csv').ids == ids == Predictions.read_csv(d / 'predictions_face.csv').ids
    rob = pd.read_csv(d / 'robustness.csv')
    assert set(rob['model']) == {'fusion_concat', 'fusion_average'}
    assert 'audio missing (mean training embedding)' in set(rob['condition']) and (rob['snr_db'] == 10).any()
    assert ((rob['uar_low'] <= rob['uar']) & (rob['uar'] <= rob['uar_high'])).all()


def test_incompatible_baselines_are_refused(fused, project):
    cfg = load_config(project / 'configs' / 'fz.yaml')
    swapped = dataclasses.replace(cfg, fusion=dataclasses.replace(cfg.fusion, face_run='fz-audio'))
    with pytest.raises(SSBError, match='not an image one'):
        load_baseline(swapped, 'image')
    with pytest.raises(SSBError, match='no run'):
        load_baseline(dataclasses.replace(cfg, fusion=dataclasses.replace(cfg.fusion, audio_run='nope')), 'audio')
    other = dataclasses.replace(cfg, labels=dataclasses.replace(cfg.labels, scheme='emotions8'))
    with pytest.raises(SSBError, match='label scheme'):
        load_baseline(other, 'audio')


def test_fine_tuned_fusion_keeps_the_baselines_untouched(fused, project):
    """fusion.freeze: false trains copies of both networks with the head; the baselines' checkpoints do not change."""
    import torch
    from socialsignalbench.train.checkpoint import load_checkpoint
    before = {k: (fused / k / 'model_best.pt').read_bytes() for k in ('fz-audio', 'fz-face')}
    ssb_ok('--config', 'configs/fz.yaml', '--set', 'fusion.freeze=false', '--mode', 'train_fusion', 'evaluate',
           '--run-id', 'fzt', cwd=project)
    tensors, meta = load_checkpoint(fused / 'fzt' / 'model_best.pt')
    assert meta['fusion']['settings']['freeze'] is False
    base, _ = load_checkpoint(fused / 'fz-audio' / 'model_best.pt')
    tuned = {k[len('tuned_audio.'):]: v for k, v in tensors.items() if k.startswith('tuned_audio.')}
    assert set(tuned) == set(base) and any(not torch.equal(tuned[k], base[k]) for k in base)   # trained, not copied
    assert {k: (fused / k / 'model_best.pt').read_bytes() for k in ('fz-audio', 'fz-face')} == before
    assert (fused / 'fzt' / 'robustness.csv').is_file() and (fused / 'fzt' / 'metrics.json').is_file()


def test_fusion_repeats_are_scored_like_holdout_and_an_ensemble_averages_them(fused, project, tmp_path):
    """train.repeats: N fusion heads (seeds seed..seed+N-1) scored apart with mean, sd and the two-level interval;
    train.ensemble: one checkpoint of N members that predicts their mean; the reference line trains once."""
    import numpy as np
    from socialsignalbench.evaluation.evaluate import stage_evaluate
    from socialsignalbench.evaluation.fusion import load_fusion, read_pairs
    from socialsignalbench.metrics.functional import uar
    from socialsignalbench.metrics.report import read_report
    from socialsignalbench.train.checkpoint import load_checkpoint
    from socialsignalbench.train.fusion import restrict
    from socialsignalbench.train.fusion_stage import stage_train_fusion
    cfg = load_config(project / 'configs' / 'fz.yaml', {'train': {'repeats': 2, 'ensemble': False}})
    run = tmp_path / 'fzr'
    s = stage_train_fusion(cfg, run)
    assert s.repeats['seeds'] == [cfg.seed, cfg.seed + 1] and len(s.repeats['val_uar']) == 2 and len(s.repeats['best_epoch']) == 2
    assert load_checkpoint(run / 'model_best.pt')[1]['member_seeds'] == [cfg.seed, cfg.seed + 1]
    assert load_checkpoint(run / 'reference_best.pt')[1].get('members', 1) == 1   # the reference line: once
    stage_evaluate(cfg, run)
    rep = read_report(run / 'metrics.json')
    per = [h['uar'] for h in rep.repeats['headline']]
    tests = [Predictions.read_csv(run / 'predictions_test.csv'), Predictions.read_csv(run / 'repeats' / 'predictions_test_1.csv')]
    assert per == pytest.approx([uar(p.y_true, p.y_pred, n_classes=len(p.classes)) for p in tests])   # the checkpoint's members
    h = rep.headline['uar']
    assert h['value'] == pytest.approx(np.mean(per)) and h['sd'] == pytest.approx(np.std(per, ddof=1)) and h['n_repeats'] == 2
    assert h['low'] <= h['value'] <= h['high'] and read_report(run / 'metrics_reference.json').repeats is None
    ens = load_config(project / 'configs' / 'fz.yaml', {'train': {'repeats': 2, 'ensemble': True}})
    stage_train_fusion(ens, tmp_path / 'fze')
    stage_evaluate(ens, tmp_path / 'fze')
    e = read_report(tmp_path / 'fze' / 'metrics.json')
    assert e.repeats is None and e.meta['members'] == 2 and e.meta['ensemble']
    m, _ = load_fusion(ens, tmp_path / 'fze' / 'model_best.pt')
    members = m.member_probs(read_pairs(tmp_path / 'fze', 'test'))
    assert len(members) == 2 and not np.allclose(members[0], members[1])
    np.testing.assert_allclose(Predictions.read_csv(tmp_path / 'fze' / 'predictions.csv').probs,
                               restrict(np.mean(members, axis=0), m.keep), atol=1e-5)
