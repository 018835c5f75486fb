"""Feature extraction and a sweep on a 2-worker Dask LocalCluster give the same cache entries and metrics as locally."""
import dataclasses
import json
import shutil

import pandas as pd
import pytest

pytest.importorskip('distributed')

from conftest import ssb  # noqa: E402
from socialsignalbench.config import ComputeConfig  # noqa: E402
from socialsignalbench.features.preprocess import stage_preprocess  # noqa: E402
from socialsignalbench.pipeline.runner import resolve_config  # noqa: E402
from socialsignalbench.pipeline.sweep import stage_sweep  # noqa: E402

DASK = ComputeConfig(scheduler='local', n_workers=2)
SWEEP = {'sweep': {'seeds': [1, 2]}, 'train': {'epochs': 2}, 'eval': {'n_boot': 50}}


@pytest.fixture(scope='module')
def tiny(project):
    """The tiny demo corpora (4 actors, 4 subjects) with manifests and features in the scratch project."""
    r = ssb('--config', project / 'configs' / 'small.yaml', '--mode', 'demo_data', 'preprocess', '--run-id', 'prep',
            cwd=project)
    assert r.returncode == 0, r.stderr
    return resolve_config(project / 'configs' / 'small.yaml')


def npz_bytes(root):
    return {p.name: p.read_bytes() for p in root.glob('*/*.npz')}


def test_extraction_on_a_local_cluster_fills_the_same_cache(tiny, tmp_path):
    def run(name, compute):
        cfg = dataclasses.replace(tiny, paths=dataclasses.replace(tiny.paths, cache_dir=str(tmp_path / name)), compute=compute)
        return cfg, stage_preprocess(cfg, tmp_path / f'run-{name}')
    _, local = run('local', ComputeConfig())
    cfg, dask = run('dask', DASK)
    assert local.compute == 'this machine' and dask.compute.startswith('dask tcp://') and '2 workers' in dask.compute
    entries = npz_bytes(tmp_path / 'local')
    assert entries and npz_bytes(tmp_path / 'dask') == entries
    for a, b in zip(local.corpora, dask.corpora):
        assert (a.corpus, a.n_computed, a.n_error, a.index.rsplit('/', 1)[1]) == (b.corpus, b.n_computed, b.n_error,
                                                                                 b.index.rsplit('/', 1)[1])
        assert (tmp_path / 'local' / 'index' / a.index.rsplit('/', 1)[1]).read_bytes() == \
            (tmp_path / 'dask' / 'index' / b.index.rsplit('/', 1)[1]).read_bytes()
    again = stage_preprocess(cfg, tmp_path / 'run-again')       # warm: every input is a hit, nothing computed
    assert [c.n_computed for c in again.corpora] == [0] * len(again.corpora)


def headline(run_dir):
    return json.loads((run_dir / 'metrics.json').read_text())['headline']


def test_sweep_on_a_local_cluster_equals_the_local_sweep(tiny, project):
    cfg = resolve_config(project / 'configs' / 'small.yaml', SWEEP)
    runs = cfg.path(cfg.paths.runs_dir)
    local = stage_sweep(cfg, runs / 'sw-local')
    dask = stage_sweep(dataclasses.replace(cfg, compute=DASK), runs / 'sw-dask')
    assert (local.n_ran, dask.n_ran, len(local.cells)) == (2, 2, 2)
    assert dask.compute.startswith('dask') and local.compute == 'this machine'
    for a, b in zip(local.cells, dask.cells):
        assert a.removeprefix('sw-local-') == b.removeprefix('sw-dask-')
        ra, rb = runs / a, runs / b
        assert (ra / 'config.yaml').read_text() == (rb / 'config.yaml').read_text()   # where a cell ran is not in its config
        assert json.loads((ra / 'manifest.json').read_text())['config_hash'] == \
            json.loads((rb / 'manifest.json').read_text())['config_hash']
        assert headline(ra) == headline(rb)
    assert (runs / 'sw-local' / 'sweep.csv').is_file() and (runs / 'sw-local' / 'sweep_summary.csv').is_file()
    t = [pd.read_csv(runs / d / 'sweep.csv').drop(columns=['run_id']) for d in ('sw-local', 'sw-dask')]
    pd.testing.assert_frame_equal(t[0], t[1], check_exact=True)
    s = pd.read_csv(runs / 'sw-local' / 'sweep_summary.csv')
    assert s['n_seeds'].tolist() == [2] and {'uar_mean', 'uar_std', 'uar_min', 'uar_max'} <= set(s.columns)
    # idempotent across schedulers: a local rerun of the Dask sweep finds its cells finished; a removed one runs again
    shutil.rmtree(runs / dask.cells[1])
    again = stage_sweep(cfg, runs / 'sw-dask')
    assert (again.n_ran, again.n_skipped) == (1, 1)
    assert headline(runs / local.cells[1]) == headline(runs / dask.cells[1])
