"""The embedded demo corpora round trip: generate, read back with the real loaders, determinism, audio; the demo split's size.

Face detection on the demo is checked once, in nbs/15_demo.ipynb (full demo, slow) and nbs/23_preprocess.ipynb."""
import time

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from conftest import ROOT
from socialsignalbench.data.ckplus import CKPLUS_EMOTIONS, build_ckplus_manifest
from socialsignalbench.config import CkplusConfig, Config, RavdessConfig, load_config
from socialsignalbench.data.demo import (actor_voice, corpus_digest, make_demo, make_demo_ckplus, make_demo_ravdess,
                                         ravdess_demo, stereo_names, subject_plan)
from socialsignalbench.data.splits import assign_splits
from socialsignalbench.features.audio import MfccParams, extract_mfcc, load_audio
from socialsignalbench.data.labels import EMOTIONS
from socialsignalbench.data.ravdess import RAVDESS_EMOTIONS, build_ravdess_manifest, check_manifest, ravdess_names

N_ACTORS, N_SUBJECTS, SEED = 12, 12, 0  # the defaults of `DemoConfig`
ACTORS = tuple(range(1, N_ACTORS + 1))


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """Both demo corpora at the default sizes, generated once for this module through `make_demo(cfg)`."""
    d = tmp_path_factory.mktemp('demo')
    cfg = Config(project_dir=str(d), ravdess=RavdessConfig(root='rav', actors=ACTORS), ckplus=CkplusConfig(root='ck'))
    assert (cfg.demo.n_actors, cfg.demo.n_subjects, cfg.demo.seed) == (N_ACTORS, N_SUBJECTS, SEED)
    t0 = time.perf_counter()
    res = make_demo(cfg)
    secs = time.perf_counter() - t0
    print(f'\n[demo] generated {res.ravdess.n_files} RAVDESS files ({res.ravdess.seconds:.1f} s) and '
          f'{res.ckplus.n_files} CK+ files ({res.ckplus.seconds:.1f} s) in {secs:.1f} s')
    return cfg, res


@pytest.fixture(scope='module')
def rav(demo):
    cfg, _ = demo
    root = cfg.path(cfg.ravdess.root)
    return root, build_ravdess_manifest(root, actors=ACTORS)


@pytest.fixture(scope='module')
def ck(demo):
    cfg, _ = demo
    root = cfg.path(cfg.ckplus.root)
    return root, build_ckplus_manifest(root)


def test_generation_result(demo):
    cfg, res = demo
    assert res.ravdess.generated and res.ckplus.generated
    assert res.ravdess.n_files == N_ACTORS * 60 == sum(res.ravdess.counts.values())
    assert res.ravdess.counts['wav_stereo'] == len(stereo_names(N_ACTORS, SEED)) >= 1
    assert res.ckplus.counts['png'] > 0 and res.ckplus.counts['label'] > 0
    again = make_demo(cfg)  # idempotent: an up-to-date corpus is found, not regenerated
    assert not again.ravdess.generated and not again.ckplus.generated
    assert (again.ravdess.digest, again.ckplus.digest) == (res.ravdess.digest, res.ckplus.digest)


def test_ravdess_loader_reads_demo_cleanly(demo, rav):
    _, res = demo
    root, m = rav
    df = check_manifest(m.df)
    assert m.problems == () and m.warnings == (), (m.problems, m.warnings)
    assert m.n_files == len(df) == N_ACTORS * 60 and m.n_ignored == 1  # the only other file is the hidden marker
    assert df.groupby('actor').size().to_dict() == {a: 60 for a in ACTORS}
    for a, names in df.groupby('actor')['path']:
        assert sorted(p.split('/')[-1] for p in names) == sorted(ravdess_names(a)), a
    assert set(df['emotion']) == set(RAVDESS_EMOTIONS.values())
    # the loader's hashes agree with the generator's: same digest over (path, sha256)
    assert corpus_digest(list(zip(df['path'], df['sha256']))) == res.ravdess.digest


def test_demo_actors_both_genders(rav):
    _, m = rav
    per_actor = m.df.groupby('actor')['gender'].unique()
    assert len(per_actor) >= 8
    assert all(len(g) == 1 for g in per_actor)
    genders = {a: g[0] for a, g in per_actor.items()}
    assert set(genders.values()) == {'male', 'female'}
    assert all(genders[a] == ('male' if a % 2 else 'female') == actor_voice(a, SEED).gender for a in genders)


def test_ckplus_loader_reads_demo_cleanly(demo, ck):
    _, res = demo
    _, m = ck
    df = check_manifest(m.df)
    assert m.problems == () and m.warnings == (), (m.problems, m.warnings)
    assert set(df['group']) == {f'ckplus_S{5 * (i + 1):03d}' for i in range(N_SUBJECTS)}
    assert set(df['emotion']) <= set(EMOTIONS) and 'neutral' in set(df['emotion'])
    assert m.counts['labeled'] == res.ckplus.counts['label'] and m.counts['short'] == 0
    kinds = df['kind'].value_counts().to_dict()
    assert kinds == {'neutral': m.counts['labeled'], 'peak': 3 * m.counts['labeled']}
    # the label the loader reads back is the one the generator planned, on the last 3 frames of each sequence
    want = {}
    for i in range(N_SUBJECTS):
        _, plans = subject_plan(SEED, i)
        want.update({(p.subject, f'{p.seq:03d}'): (CKPLUS_EMOTIONS[p.code], list(range(p.n_frames - 2, p.n_frames + 1)))
                     for p in plans if p.labeled})
    peak = df[df['kind'] == 'peak']
    got = {k: (g['emotion'].unique().tolist()[0], sorted(g['frame'])) for k, g in peak.groupby(['subject', 'sequence'])}
    assert got == want


def _sha_table(df):
    return df[['path', 'sha256']].sort_values('path').reset_index(drop=True)


def test_same_seed_same_bytes_other_seed_other_audio(tmp_path, demo, rav, ck):
    _, res = demo
    t0 = time.perf_counter()
    make_demo_ravdess(tmp_path / 'rav', N_ACTORS, seed=SEED)
    make_demo_ckplus(tmp_path / 'ck', N_SUBJECTS, seed=SEED)
    print(f'\n[demo] second generation (same seed) in {time.perf_counter() - t0:.1f} s')
    rav2 = build_ravdess_manifest(tmp_path / 'rav', actors=ACTORS)
    ck2 = build_ckplus_manifest(tmp_path / 'ck')
    assert _sha_table(rav2.df).equals(_sha_table(rav[1].df))
    assert _sha_table(ck2.df).equals(_sha_table(ck[1].df))
    assert ravdess_demo(tmp_path / 'rav', N_ACTORS, seed=SEED).digest == res.ravdess.digest  # every file, not only the manifest's
    other = ravdess_demo(tmp_path / 'rav_seed1', n_actors=2, seed=SEED + 1)
    assert other.generated and other.digest != res.ravdess.digest
    m1 = build_ravdess_manifest(tmp_path / 'rav_seed1', actors=(1, 2)).df
    assert m1['path'].tolist() == rav[1].df.loc[rav[1].df['actor'] <= 2, 'path'].tolist()
    base = dict(zip(rav[1].df['path'], rav[1].df['sha256']))
    assert all(base[p] != s for p, s in zip(m1['path'], m1['sha256'])), 'a file is identical under another seed'
    p = m1['path'].iloc[0]
    a, b = load_audio(rav[0] / p), load_audio(tmp_path / 'rav_seed1' / p)
    n = min(len(a), len(b))
    assert not np.allclose(a[:n], b[:n], atol=1e-3)


def test_demo_audio_decodes_and_gives_mfcc(rav):
    root, m = rav
    paths = [root / p for p in m.df['path']]
    stereo = [p for p in paths if sf.info(str(p)).channels == 2]
    assert sorted(p.name for p in stereo) == sorted(stereo_names(N_ACTORS, SEED))
    few = stereo + [root / p for p in m.df.groupby('emotion')['path'].first()]  # the stereo files and one per emotion
    for p in few:
        y = load_audio(p)
        assert y.ndim == 1 and y.dtype == np.float32 and np.isfinite(y).all(), p
        assert 2.5 <= len(y) / 16000 <= 3.5 and 0 < np.abs(y).max() <= 1, p
    cfg = MfccParams()
    n_frames = 1 + int(round(cfg.duration * cfg.sample_rate)) // cfg.hop_length
    for p in few[:6]:
        arrays, info = extract_mfcc(p, cfg)
        x = arrays['mfcc']
        assert x.shape == (cfg.n_mfcc, n_frames) and x.dtype == np.float32 and np.isfinite(x).all(), p
        assert x.std() > 0 and info['orig_sr'] == 16000 and info['orig_channels'] in (1, 2)


def test_demo_config_supports_group_statistics():
    """configs/demo.yaml splits its 20 actors and 20 subjects so that each test split holds >= 6 groups (speaker-level CIs)."""
    cfg = load_config(ROOT / 'configs' / 'demo.yaml')
    assert (cfg.demo.n_actors, cfg.demo.n_subjects) == (20, 20)
    for corpus, n, prefix in (('ravdess', cfg.demo.n_actors, 'ravdess_'), ('ckplus', cfg.demo.n_subjects, 'ckplus_S')):
        groups = [f'{prefix}{i:03d}' for i in range(1, n + 1)]
        df = pd.DataFrame(dict(corpus=corpus, path=[f'{g}.x' for g in groups], group=groups, emotion='happy',
                               gender=['male' if i % 2 else 'female' for i in range(n)] if corpus == 'ravdess' else 'unknown'))
        per = assign_splits(df, cfg, corpus).groupby('split')['group'].nunique().to_dict()
        assert per == {'train': 8, 'val': 6, 'test': 6}, (corpus, per)
