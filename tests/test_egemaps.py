"""The eGeMAPS feature and references end to end on a tiny demo corpus: the preprocess stage extracts `audio_egemaps`
only when asked, `load_split(feature=)` reads it with its own cache keys and statistics, and a checkpoint of an eGeMAPS
reference predicts files from their paths with the probabilities of the model it stores. One check on real RAVDESS
(skipped when ../shared/data is absent)."""
import numpy as np
import pytest

from conftest import need_shared
from socialsignalbench.config import load_config
from socialsignalbench.core import SSBError
from socialsignalbench.data.dataset import load_corpus, manifest_path
from socialsignalbench.data.demo import make_demo_ravdess
from socialsignalbench.data.labels import scheme_for_config
from socialsignalbench.data.ravdess import build_ravdess_manifest, save_manifest
from socialsignalbench.features.egemaps import egemaps_names, extract_egemaps
from socialsignalbench.features.loader import load_split, with_keys
from socialsignalbench.features.preprocess import stage_preprocess
from socialsignalbench.models.core import model_spec
from socialsignalbench.train.checkpoint import checkpoint_meta, save_checkpoint
from socialsignalbench.train.predict import load_predictor, predict_files

CONFIG = ('paths: {data_dir: d, cache_dir: d/cache}\nravdess: {root: d/raw/ravdess, actors: [1, 2, 3]}\n'
          'split: {ravdess: auto, n_train: 1, n_val: 1, n_test: 1}\nfeatures: {params: {mfcc: {duration: 1.0, n_mfcc: 13}}}\n'
          'preprocess: {workers: 1}\n')


@pytest.fixture(scope='module')
def cfg(tmp_path_factory):
    """A demo project of 3 actors with one clip per emotion each (24 clips: eGeMAPS costs about 0.5 s per clip)."""
    d = tmp_path_factory.mktemp('egemaps')
    (d / 'settings.ini').write_text('')
    (d / 'c.yaml').write_text(CONFIG)
    cfg = load_config(d / 'c.yaml')
    make_demo_ravdess(cfg.path(cfg.ravdess.root), n_actors=3, seed=0)
    df = build_ravdess_manifest(cfg.path(cfg.ravdess.root), (1, 2, 3)).df
    save_manifest(df.groupby(['actor', 'emotion']).head(1).reset_index(drop=True), manifest_path(cfg, 'ravdess'))
    return cfg


def test_preprocess_extracts_egemaps_when_asked_and_load_split_reads_it(cfg):
    assert stage_preprocess(cfg)['ravdess'].features == {}
    with pytest.raises(SSBError, match="with a model that reads 'audio_egemaps'"):
        load_split(cfg, 'ravdess', 'train', feature='audio_egemaps')
    f = stage_preprocess(cfg, features=['audio_egemaps'])['ravdess'].features['audio_egemaps']
    assert (f['n_items'], f['n_computed'], f['n_error']) == (24, 24, 0) and f['norm']
    tr = load_split(cfg, 'ravdess', 'train', feature='audio_egemaps')
    assert (tr.X.shape, tr.X.dtype) == ((8, 88, 1), np.float32)
    np.testing.assert_allclose(tr.X.mean(0), 0, atol=1e-4)  # train statistics: the train rows are centred
    assert tr.ids == load_split(cfg, 'ravdess', 'train').ids  # same clips, same ids as the MFCC split
    g = load_split(cfg, 'ravdess', None, 'group', feature='audio_egemaps')
    for s in set(g.groups):
        np.testing.assert_allclose(g.X[g.groups == s].mean(0), 0, atol=1e-4)  # each speaker's own statistics
    df = load_corpus(cfg, 'ravdess')
    assert not set(with_keys(df, cfg, 'ravdess', 'audio_egemaps')['key']) & set(with_keys(df, cfg, 'ravdess')['key'])
    assert stage_preprocess(cfg, features=['audio_egemaps'])['ravdess'].features['audio_egemaps']['n_hit'] == 24


def test_egemaps_checkpoint_predicts_files_like_its_model(cfg, tmp_path):
    stage_preprocess(cfg, features=['audio_egemaps'])
    data = load_split(cfg, 'ravdess', None, 'group', feature='audio_egemaps')
    spec, K = model_spec('egemaps_svm_spk'), len(data.classes)
    fitted = spec.fit(data.X, data.y, spec.params(), 0)
    meta = checkpoint_meta(cfg, 'egemaps_svm_spk', 'audio', scheme_for_config(cfg), {'mode': 'group'})
    assert (meta['feature'], meta['features']['feature_set']) == ('audio_egemaps', 'eGeMAPSv02')
    pred = load_predictor(save_checkpoint(tmp_path / 'reference_best.pt', spec.to_tensors(fitted), meta))
    out = predict_files(pred, [cfg.path(cfg.ravdess.root) / p for p in data.frame['path']], data.groups)
    assert out['ok'].all()
    np.testing.assert_array_equal(out[[f'prob_{c}' for c in data.classes]].to_numpy(), spec.predict_proba(fitted, data.X, K))


def test_egemaps_on_real_ravdess():
    files = sorted(need_shared('ravdess_speech_16k', 'Actor_01').glob('*.wav'))[:3]
    names = egemaps_names()
    for p in files:
        v = extract_egemaps(p)[0]['egemaps'][:, 0]
        assert v.shape == (88,) and np.isfinite(v).all()
        f0 = 27.5 * 2 ** (v[names.index('F0semitoneFrom27.5Hz_sma3nz_amean')] / 12)
        assert 70 < f0 < 300, (p.name, f0)  # a male actor's mean F0 in Hz


def test_train_stage_gives_the_reference_its_speakers_to_tune_on(cfg, tmp_path, monkeypatch):
    """The train stage passes each training row's speaker to an eGeMAPS fit (`ModelSpec.fit_groups`), which tunes on them."""
    import socialsignalbench.models.egemaps_ref as er
    from socialsignalbench.train.stage import stage_train
    seen, tuned = [], er.tuned
    def spy(make, params, X, y, groups, seed=0):
        seen.append(groups)
        return tuned(make, params, X, y, groups, seed)
    monkeypatch.setattr(er, 'tuned', spy)
    c = load_config(cfg.path('c.yaml'), ['model.name=egemaps_logreg_spk', 'model.reference=null', 'train.repeats=1', 'train.refit=false'])
    stage_preprocess(c)
    stage_train(c, tmp_path / 'run')
    train = load_split(c, 'ravdess', 'train', 'group', feature='audio_egemaps')
    assert len(seen) == 1 and list(seen[0]) == list(train.groups)
