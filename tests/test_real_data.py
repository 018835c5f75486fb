"""Integration tests on the real data in ../shared/data (RAVDESS speech, London faces); each skips when it is absent.

Checks that a notebook already makes on the real data (the RAVDESS manifest, labels and splits in nbs/11, 13, 14; MFCC
48 kHz vs 16 kHz in nbs/20; Haar detection on the London faces in nbs/21, `#|real` cells) live there only, with one
threshold each; these tests cover what no notebook does."""
import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import ROOT, need_shared, ssb
from socialsignalbench.features.cache import FeatureCache, load_features
from socialsignalbench.features.extract import extract_many
from socialsignalbench.config import load_config
from socialsignalbench.data.dataset import manifest_path
from socialsignalbench.features.audio import MfccParams, extract_mfcc, load_audio
from socialsignalbench.data.ravdess import build_ravdess_manifest, load_manifest

ACTORS16 = tuple(range(1, 17))


@pytest.fixture(scope='module')
def rav16():
    """(root, ManifestResult) of the 16 kHz RAVDESS copy, actors 01-16."""
    root = need_shared('ravdess_speech_16k')
    return root, build_ravdess_manifest(root, actors=ACTORS16)


def _pairs_48k_16k():
    src = need_shared('ravdess_speech_48k', 'Actor_01')
    dst = need_shared('ravdess_speech_16k', 'Actor_01')
    files = sorted(src.glob('*.wav'))
    return [(p, dst / p.name) for p in files]


def test_48k_originals_load_as_mono_16k():
    pairs = _pairs_48k_16k()
    assert len(pairs) == 60 and all(q.is_file() for _, q in pairs)
    stereo = [p for p, _ in pairs if sf.info(str(p)).channels == 2]
    assert len(stereo) == 2, stereo
    for p, q in pairs:
        info = sf.info(str(p))
        assert info.samplerate == 48000, p
        y = load_audio(p, sr=16000)
        assert y.ndim == 1 and y.dtype == np.float32 and np.isfinite(y).all(), p
        assert len(y) == math.ceil(info.frames / 3), p  # librosa's length rule: ceil(n * 16000 / 48000)
        assert abs(len(y) - sf.info(str(q)).frames) <= 1, p


def test_extract_many_on_real_files(tmp_path, rav16):
    root, m = rav16
    df = m.df.drop_duplicates('sha256')  # distinct contents, so every input has its own cache key
    stereo = df[[sf.info(str(root / p)).channels == 2 for p in df['path']]]
    assert len(stereo) == 3  # README: 3 stereo files in the 16 kHz copy
    sub = pd.concat([stereo, df.drop(stereo.index).groupby('actor').head(3)]).head(40)
    items = [(str(root / p), s) for p, s in zip(sub['path'], sub['sha256'])]
    assert len(items) == 40
    cache = FeatureCache(tmp_path / 'cache')
    r1 = extract_many(items, 'mfcc', MfccParams(), cache, workers=2)
    print(f'\n[cache] {r1!r}')
    assert (r1.n_computed, r1.n_hit, r1.n_error) == (40, 0, 0), r1.errors
    assert r1.df['key'].nunique() == 40 and r1.df['path'].tolist() == [p for p, _ in items]
    r2 = extract_many(items, 'mfcc', MfccParams(), cache, workers=2)
    print(f'[cache] {r2!r}')
    assert (r2.n_computed, r2.n_hit, r2.n_error) == (0, 40, 0)
    assert r2.df['key'].tolist() == r1.df['key'].tolist()
    cached = list(load_features(cache, r2.df['key'][:3], 'mfcc'))
    for (p, _), x in zip(items[:3], cached):
        np.testing.assert_array_equal(x, extract_mfcc(p, MfccParams())[0]['mfcc'])
    # the Actor_07 twins are one recording: one cache key, the second one a hit
    twins = m.df[m.df['sha256'].duplicated(keep=False)]
    r3 = extract_many([(str(root / p), s) for p, s in zip(twins['path'], twins['sha256'])], 'mfcc', MfccParams(),
                      cache, workers=2)
    assert len(twins) == 2 and r3.df['key'].nunique() == 1 and r3.n_error == 0 and r3.n_hit >= 1


def test_london_faces_as_a_csv_corpus(tmp_path):
    """The shipped configs/faces_london.yaml, pointed at ../shared/data: ingest_csv then data_card through `ssb`."""
    csv = need_shared('faces_london_512', 'manifest.csv')
    (tmp_path / 'settings.ini').write_text('')
    shutil.copytree(ROOT / 'configs', tmp_path / 'configs')
    cfg_path = tmp_path / 'configs' / 'london.yaml'
    shipped = load_config(ROOT / 'configs' / 'faces_london.yaml').csv[0]
    shipped_csv = load_config(ROOT / 'configs' / 'faces_london.yaml').path(shipped.csv)
    assert shipped_csv.resolve() == (ROOT.parent / 'shared' / 'data' / 'faces_london_512' / 'manifest.csv').resolve()
    cfg_path.write_text(f'extends: faces_london.yaml\ncsv: [{{name: faces_london, csv: {csv}, group_column: face_id}}]\n')
    res = ssb('--config', cfg_path, '--mode', 'ingest_csv', 'data_card', cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    cfg = load_config(cfg_path)
    man = load_manifest(manifest_path(cfg, 'faces_london'))
    assert len(man) == 144 and man['group'].nunique() == 72 and set(man['modality']) == {'image'}
    assert man['emotion'].value_counts().to_dict() == {'neutral': 72, 'happy': 72}
    card = json.loads(next(tmp_path.rglob('data_card_summary.json')).read_text())['corpora']['faces_london']
    sizes = {s: len(v['groups']) for s, v in card.items()}
    assert sizes == {'train': 50, 'val': 11, 'test': 11}, sizes
    assert all(v['labels'] == {'engagement': len(v['groups']), 'neutral': len(v['groups'])} for v in card.values()), card
    print(f'\n[faces_london] groups per split: {sizes}; {res.stdout.strip().splitlines()[-1]}')


def test_face_cnn_learns_on_real_photos():
    """The shipped face model (configs/faces_london.yaml's `model:` and `train:` recipe, augmentation off, 40 epochs) on 16
    London people (32 photos, the 5 classes of the `seed` scheme, 2 of them present): the training loss starts near chance
    and falls far below ln 2 (the face CNN once sat at chance on real photos; see nbs/32_face_cnn.ipynb)."""
    import dataclasses
    from types import SimpleNamespace
    from socialsignalbench.features.face import extract_face
    from socialsignalbench.features.loader import PIXEL_SCALE, feature_spec
    from socialsignalbench.models.core import build_model
    from socialsignalbench.train.loop import fit
    root = need_shared('faces_london_512')
    man = pd.read_csv(root / 'manifest.csv', dtype={'face_id': str})
    man = man[man['face_id'].isin(sorted(set(man['face_id']))[:16])]
    cfg = load_config(ROOT / 'configs' / 'faces_london.yaml')
    params = feature_spec(cfg, 'image').params(cfg)
    X = np.stack([extract_face(root / p, params)[0]['face'] for p in man['path']]).astype(np.float32) * PIXEL_SCALE
    y = np.where(man['emotion'] == 'happy', 0, 3)  # engagement and neutral of the seed scheme's 5 classes
    train = SimpleNamespace(X=X, y=y, groups=man['face_id'].to_numpy(),
                            classes=('engagement', 'confusion', 'hesitation', 'neutral', 'other'))
    model = build_model(cfg.model.name, X.shape[1:], 5, cfg.model, seed=0)
    res = fit(model, train, None, dataclasses.replace(cfg.train, epochs=40, patience=0), None, seed=0, threads=1, modality='image')
    losses = [h['train_loss'] for h in res.history]
    print(f'\n[face_cnn on 16 London people] training loss per epoch: {np.round(losses, 3).tolist()}')
    assert losses[0] > 0.6 and np.mean(losses[-3:]) < 0.4, losses  # chance: ln 2 = 0.69 (2 classes present)
