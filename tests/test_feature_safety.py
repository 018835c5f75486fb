"""Features never carry another config's labels, split or statistics; a swapped file, a concurrent run and an
unwritable cache folder are refused with a message that says so, and nothing cached is lost."""
import dataclasses
import os
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from socialsignalbench.config import load_config
from socialsignalbench.core import SSBError
from socialsignalbench.data.stages import stage_demo_data
from socialsignalbench.features import loader
from socialsignalbench.features.audio import extract_mfcc
from socialsignalbench.features.loader import feature_spec, load_split, with_feature_params
from socialsignalbench.features.preprocess import stage_preprocess

A = """extends: demo.yaml
name: safety-a
paths: {data_dir: data/safety, cache_dir: data/safety/cache}
ravdess: {root: data/safety/raw/ravdess, actors: [1, 2, 3, 4]}
ckplus: {root: data/safety/raw/ckplus}
demo: {n_actors: 4, n_subjects: 3}
split: {ravdess: auto, n_train: 2, n_val: 1, n_test: 1}
features: {params: {mfcc: {duration: 1.0}}}
preprocess: {workers: 2}
"""
B = """extends: safety_a.yaml
name: safety-b
labels: {scheme: seed_strict}
split: {seed: 1}
features: {params: {mfcc: {n_mfcc: 30}}}
"""


@pytest.fixture(scope='module')
def cfgs(project):
    """Configs A and B on one data folder and one cache, the demo data made and preprocessed with A."""
    (project / 'configs' / 'safety_a.yaml').write_text(A)
    (project / 'configs' / 'safety_b.yaml').write_text(B)
    a, b = load_config(project / 'configs' / 'safety_a.yaml'), load_config(project / 'configs' / 'safety_b.yaml')
    warnings.filterwarnings('ignore', message='.* split: no rows in')
    stage_demo_data(a)
    stage_preprocess(a)
    return a, b


def snapshot(d):
    return d.ids, d.y.tolist(), d.groups.tolist(), d.frame['label'].tolist(), d.frame['split'].tolist(), d.X.copy()


def test_config_b_does_not_change_config_a(cfgs):
    a, b = cfgs
    before = snapshot(load_split(a, 'ravdess', 'train'))
    norm_a = sorted((a.path(a.paths.cache_dir) / 'norm').glob('ravdess-*.json'))
    norm_bytes = [p.read_bytes() for p in norm_a]
    stage_preprocess(b)
    tb = load_split(b, 'ravdess', 'train')
    # B really differs: other speakers in train, other label set, 30 coefficients (so the checks below can fail)
    assert set(tb.groups) != set(before[2]) and tb.classes != load_split(a, 'ravdess', 'val').classes
    assert tb.X.shape[1] == 30
    after = load_split(a, 'ravdess', 'train')
    got = snapshot(after)
    assert got[:5] == before[:5]
    assert after.X.shape[1] == 40 and np.array_equal(got[5], before[5])
    test_groups = set(load_split(a, 'ravdess', 'test').groups)
    assert not test_groups & set(after.groups)
    # A's statistics survive B's run, next to B's own
    assert [p.read_bytes() for p in norm_a] == norm_bytes
    assert len(list((a.path(a.paths.cache_dir) / 'norm').glob('ravdess-*.json'))) > len(norm_a)
    # the stored feature indexes hold no config-dependent column
    for p in (a.path(a.paths.cache_dir) / 'index').glob('*.parquet'):
        assert not {'label', 'label_idx', 'split', 'fold'} & set(pd.read_parquet(p).columns), p


def test_loader_refuses_leaking_frame(cfgs, monkeypatch):
    a, _ = cfgs
    leaking = loader.load_corpus(a, 'ravdess')
    g = leaking['group'].iloc[0]
    leaking.loc[leaking.index[leaking['group'] == g][:3], 'split'] = 'test' if leaking['split'].iloc[0] != 'test' else 'train'
    monkeypatch.setattr(loader, 'load_corpus', lambda cfg, corpus: leaking)
    with pytest.raises(SSBError, match=f'Leakage: 1 group.*{g} in'):
        load_split(a, 'ravdess', 'train')


def test_swapped_file_is_detected_and_nothing_is_lost(cfgs):
    a, _ = cfgs
    root = a.path(a.ravdess.root)
    wavs = sorted(root.rglob('*.wav'))
    first, other = wavs[0], wavs[1]
    orig = first.parent / 'orig.bak'
    shutil.copy2(first, orig)
    cache = a.path(a.paths.cache_dir)
    entries = sorted(p.name for p in cache.glob('*/*.npz'))
    shutil.copyfile(other, first)                                        # swapped in ...
    subprocess.run(['touch', '-r', str(orig), str(first)], check=True)   # ... with the original timestamp
    c30 = with_feature_params(a, feature_spec(a, 'audio'), {**a.features.params['mfcc'], 'n_mfcc': 30})
    with pytest.raises(SSBError, match=r"1 ravdess file\(s\) changed after the manifest was written, e\.g\. '.*"
                       + first.name):
        stage_preprocess(c30)
    assert sorted(p.name for p in cache.glob('*/*.npz')) == entries   # nothing computed, nothing removed
    subprocess.run(['cp', '-p', str(orig), str(first)], check=True)   # restored
    orig.unlink()
    res = stage_preprocess(c30)
    assert res['ravdess'].n_error == 0
    d = load_split(c30, 'ravdess', None, normalise='none')
    i = d.ids.index(f'ravdess:{first.relative_to(root)}')
    direct = extract_mfcc(first, feature_spec(c30, 'audio').params(c30))[0]["mfcc"]
    np.testing.assert_allclose(d.X[i], direct, rtol=1e-5, atol=1e-4)


def test_second_concurrent_run_is_refused(cfgs):
    a, _ = cfgs
    root = a.path(a.paths.cache_dir)
    code = ("import sys, time\nfrom socialsignalbench.features.cache import FeatureCache\n"
            "with FeatureCache(sys.argv[1]).lock('preprocess of run 1'):\n    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, '-c', code, str(root)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, 'SSB_PROGRESS': '0'})
    try:
        assert holder.stdout.readline().strip() == 'held'
        entries = sorted(p.name for p in root.glob('*/*.npz'))
        t0 = time.time()
        with pytest.raises(SSBError, match=rf'Another run \(pid {holder.pid}: preprocess of run 1\) is using the feature cache'):
            stage_preprocess(a)
        assert time.time() - t0 < 30   # refused at once, not after recomputing
        assert sorted(p.name for p in root.glob('*/*.npz')) == entries
    finally:
        holder.kill()
        holder.wait()
    assert stage_preprocess(a)['ravdess'].n_computed == 0   # the lock died with its holder


def test_unwritable_cache_folder_is_named(cfgs, tmp_path):
    a, _ = cfgs
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    bad = dataclasses.replace(a, paths=dataclasses.replace(a.paths, cache_dir=str(blocker / 'cache')))
    with pytest.raises(SSBError, match=f"Cannot write to the feature cache folder '{blocker / 'cache'}'"):
        stage_preprocess(bad)
    assert blocker.read_text() == 'not a folder'


@pytest.mark.skipif(os.name != 'posix' or os.geteuid() == 0, reason='root ignores folder permissions')
def test_read_only_cache_folder_is_named(cfgs, tmp_path):
    a, _ = cfgs
    ro = tmp_path / 'ro'
    ro.mkdir()
    ro.chmod(0o555)
    try:
        bad = dataclasses.replace(a, paths=dataclasses.replace(a.paths, cache_dir=str(ro)))
        with pytest.raises(SSBError, match=f"Cannot write to the feature cache folder '{ro}'"):
            stage_preprocess(bad)
    finally:
        ro.chmod(0o755)
