"""Integration tests on the real data in ../shared/data (RAVDESS speech, London faces); each skips when it is absent."""
import hashlib
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import need_shared
from socialsignalbench.features.cache import FeatureCache, extract_many, load_features
from socialsignalbench.config import AudioConfig, Config, FaceConfig, SplitConfig
from socialsignalbench.core import FeatureError, SSBError
from socialsignalbench.features.audio import extract_mfcc, load_audio
from socialsignalbench.features.face import detection_report, extract_face
from socialsignalbench.data.labels import apply_scheme, load_scheme
from socialsignalbench.data.ravdess import RAVDESS_EMOTIONS, build_ravdess_manifest, check_manifest, ravdess_names
from socialsignalbench.data.splits import SPLIT_NAMES, assign_splits, check_no_leakage, groups_of, holdout_split

ACTORS16 = tuple(range(1, 17))


@pytest.fixture(scope='module')
def rav16():
    """(root, ManifestResult) of the 16 kHz RAVDESS copy, actors 01-16."""
    root = need_shared('ravdess_speech_16k')
    return root, build_ravdess_manifest(root, actors=ACTORS16)


def _twins(root, df):
    """Sets of manifest paths whose file bytes are identical, found with hashlib (independently of the manifest)."""
    by_hash = {}
    for p in df['path']:
        by_hash.setdefault(hashlib.sha256((root / p).read_bytes()).hexdigest(), []).append(p)
    return sorted(sorted(ps) for ps in by_hash.values() if len(ps) > 1)


def test_ravdess16_manifest(rav16):
    root, m = rav16
    df = check_manifest(m.df)
    assert m.problems == (), m.problems
    assert len(df) == m.n_files == 960 and df['group'].nunique() == 16
    assert set(df['emotion']) == set(RAVDESS_EMOTIONS.values()) and df['emotion'].nunique() == 8
    assert df.groupby('actor').size().to_dict() == {a: 60 for a in ACTORS16}
    for a, names in df.groupby('actor')['path']:
        assert sorted(p.split('/')[-1] for p in names) == sorted(ravdess_names(a)), a
    assert (df['gender'] == np.where(df['actor'] % 2 == 1, 'male', 'female')).all()
    assert (df['group'] == df['actor'].map(lambda a: f'ravdess_{a:02d}')).all()
    # the only warning is the real quirk of this copy: two byte-identical files in Actor_07 (no file is missing)
    twins = _twins(root, df)
    assert len(twins) == 1 and all(p.startswith('Actor_07/') for p in twins[0]) and len(twins[0]) == 2, twins
    assert len(m.warnings) == 1 and 'identical content' in m.warnings[0], m.warnings
    assert all(p in m.warnings[0] for p in twins[0]), m.warnings
    assert df.loc[df['path'].isin(twins[0]), 'sha256'].nunique() == 1


def test_ravdess16_labels(rav16):
    _, m = rav16
    df = m.df
    seed = load_scheme('seed')
    s = apply_scheme(df, seed)  # unmapped emotions become 'other': nothing is dropped
    assert len(s) == 960
    want = {'happy': 'engagement', 'surprised': 'confusion', 'fearful': 'hesitation', 'neutral': 'neutral'}
    assert (s['label'] == s['emotion'].map(lambda e: want.get(e, 'other'))).all()
    assert s['label'].value_counts().to_dict() == {'other': 512, 'engagement': 128, 'confusion': 128,
                                                   'hesitation': 128, 'neutral': 64}
    assert (s['label_idx'] == s['label'].map(seed.classes.index)).all()
    e8 = load_scheme('emotions8')
    s8 = apply_scheme(df, e8)
    assert len(s8) == 960 and (s8['label'] == s8['emotion']).all()
    assert sorted(s8['label_idx'].unique()) == list(range(8))
    assert (s8['label_idx'] == s8['label'].map(e8.classes.index)).all()


def test_ravdess16_speaker_independent_splits(rav16):
    _, m = rav16
    df = m.df
    groups = groups_of(df)
    assert len(groups) == 16 and groups['gender'].value_counts().to_dict() == {'male': 8, 'female': 8}
    a = holdout_split(groups, 10, 3, 3, seed=0)
    d = df.assign(split=df['group'].map(a))
    check_no_leakage(d)
    assert d['split'].notna().all() and (d.groupby('group')['split'].nunique() == 1).all()
    assert d.groupby('split')['group'].nunique().to_dict() == {'train': 10, 'val': 3, 'test': 3}
    assert all(set(d.loc[d['split'] == s, 'gender']) == {'male', 'female'} for s in SPLIT_NAMES)
    leaky = d.copy()
    i = leaky.index[leaky['split'] == 'train'][0]
    leaky.loc[i, 'split'] = 'test'  # one recording of a train actor moved to test
    with pytest.raises(SSBError, match=leaky.loc[i, 'group']):
        check_no_leakage(leaky)
    # through the config: the committed speaker split, and a computed holdout of exactly the data's 16 actors
    auto = Config(split=SplitConfig(ravdess='auto', n_train=10, n_val=3, n_test=3))
    for cfg in (Config(), auto):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            out = assign_splits(df, cfg, 'ravdess')
        check_no_leakage(out)
        per = out.groupby('group')['split'].unique()
        assert len(per) == 16 and all(len(s) == 1 for s in per), cfg.split
        assert set(out['split']) == set(SPLIT_NAMES), cfg.split
        sides = {s: set(out.loc[out['split'] == s, 'group']) for s in SPLIT_NAMES}
        assert not (sides['train'] & sides['val'] or sides['train'] & sides['test'] or sides['val'] & sides['test'])


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


def test_mfcc_48k_matches_16k():
    # The 16 kHz copy was made from these very files with soxr HQ, which is also how `load_audio` resamples; the
    # two MFCC matrices then differ only by the 16-bit quantisation of the copy and a one-sample length difference.
    # Measured over the 60 files of Actor_01: correlation >= 0.99995 and relative Frobenius error <= 0.010 (median
    # 0.002). The bounds below (0.999, 0.05) leave ample room for other soxr/numpy builds, yet a wrong resampling
    # ratio, a dropped channel of a stereo file, or a 1-sample misalignment of frames would fail them.
    cfg = AudioConfig()
    corrs, errs = [], []
    for p, q in _pairs_48k_16k():
        a, b = extract_mfcc(p, cfg)[0]['mfcc'], extract_mfcc(q, cfg)[0]['mfcc']
        assert a.shape == b.shape, p
        corrs.append(np.corrcoef(a.ravel(), b.ravel())[0, 1])
        errs.append(np.linalg.norm(a - b) / np.linalg.norm(b))
    print(f'\n[48k vs 16k MFCC] min correlation {min(corrs):.6f}, max relative error {max(errs):.4f}, '
          f'median relative error {np.median(errs):.4f}')
    assert min(corrs) > 0.999 and max(errs) < 0.05


def test_extract_many_on_real_files(tmp_path, rav16):
    root, m = rav16
    df = m.df.drop_duplicates('sha256')  # distinct contents, so every input has its own cache key
    stereo = df[[sf.info(str(root / p)).channels == 2 for p in df['path']]]
    assert len(stereo) == 3  # README: 3 stereo files in the 16 kHz copy
    sub = pd.concat([stereo, df.drop(stereo.index).groupby('actor').head(3)]).head(40)
    items = [(str(root / p), s) for p, s in zip(sub['path'], sub['sha256'])]
    assert len(items) == 40
    cache = FeatureCache(tmp_path / 'cache')
    r1 = extract_many(items, 'mfcc', AudioConfig(), cache, workers=2)
    print(f'\n[cache] {r1!r}')
    assert (r1.n_computed, r1.n_hit, r1.n_error) == (40, 0, 0), r1.errors
    assert r1.df['key'].nunique() == 40 and r1.df['path'].tolist() == [p for p, _ in items]
    r2 = extract_many(items, 'mfcc', AudioConfig(), cache, workers=2)
    print(f'[cache] {r2!r}')
    assert (r2.n_computed, r2.n_hit, r2.n_error) == (0, 40, 0)
    assert r2.df['key'].tolist() == r1.df['key'].tolist()
    cached = list(load_features(cache, r2.df['key'][:3], 'mfcc'))
    for (p, _), x in zip(items[:3], cached):
        np.testing.assert_array_equal(x, extract_mfcc(p, AudioConfig())[0]['mfcc'])
    # the Actor_07 twins are one recording: one cache key, the second one a hit
    twins = m.df[m.df['sha256'].duplicated(keep=False)]
    r3 = extract_many([(str(root / p), s) for p, s in zip(twins['path'], twins['sha256'])], 'mfcc', AudioConfig(),
                      cache, workers=2)
    assert len(twins) == 2 and r3.df['key'].nunique() == 1 and r3.n_error == 0 and r3.n_hit >= 1


def test_haar_on_london_faces():
    root = need_shared('faces_london_512')
    man = pd.read_csv(root / 'manifest.csv', dtype=str)
    assert len(man) == 144 and man['emotion'].value_counts().to_dict() == {'neutral': 72, 'happy': 72}
    cfg = FaceConfig()
    rows = []
    for p, emotion in zip(man['path'], man['emotion']):
        arrays, info = extract_face(root / p, cfg)
        face = arrays['face']
        assert face.shape == (cfg.size, cfg.size) and face.dtype == np.uint8, p
        assert (info['image_w'], info['image_h']) == (512, 512), p
        if info['face_found']:  # a real box inside the image, the largest face of a portrait
            x, y, w, h = info['box_x'], info['box_y'], info['box_w'], info['box_h']
            assert 0 <= x and 0 <= y and x + w <= 512 and y + h <= 512 and w >= 100, (p, info)
        rows.append(dict(path=p, emotion=emotion, **info))
    res = pd.DataFrame(rows)
    rate = float(res['face_found'].mean())
    misses = res.loc[~res['face_found'], 'path'].tolist()
    print(f"\n[faces_london_512] Haar detection {int(res['face_found'].sum())}/{len(res)} = {rate:.4f}; misses: {misses}")
    print(detection_report(res, 'emotion').to_string(index=False))
    assert rate >= 0.97
    assert (res.loc[~res['face_found'], 'reason'] == 'no_face').all()
    skip = FaceConfig(on_missing='skip')
    for p in misses:  # with the skip policy a miss is a FeatureError, not a centre crop
        with pytest.raises(FeatureError, match='no face'):
            extract_face(root / p, skip)
