"""A preprocess killed midway (SIGKILL) leaves a consistent cache; the next run resumes without recomputing."""
import json
import os
import signal
import subprocess
import sys
import time


KILL = """extends: small.yaml
name: kill-test
paths: {data_dir: data/kill, cache_dir: data/kill/cache}
ravdess: {root: data/kill/raw/ravdess}
ckplus: {root: data/kill/raw/ckplus}
features: {params: {mfcc: {duration: 20.0}}}   # long padded clips: slow enough per file to kill the run midway
"""

STAGE = """
import json, sys
from socialsignalbench.config import load_config
from socialsignalbench.data.stages import {fn}
r = {fn}(load_config(sys.argv[1]){args})
print(json.dumps({out}))
"""


def run_py(code, *args, cwd, **kw):
    env = {**os.environ, 'SSB_PROGRESS': '0'}
    return subprocess.Popen([sys.executable, '-c', code, *map(str, args)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


def entries(cache):
    """Complete cache entries (temp files start with a dot)."""
    return {p.stem for p in cache.glob('*/*.npz') if not p.name.startswith('.')}


def test_killed_preprocess_resumes(project):
    cfg = project / 'configs' / 'kill.yaml'
    cfg.write_text(KILL)
    demo = run_py(STAGE.format(fn='stage_demo_data', args='', out='sorted(r.manifests)'), cfg, cwd=project)
    out, err = demo.communicate(timeout=600)
    assert demo.returncode == 0, err[-2000:]

    code = STAGE.replace('from socialsignalbench.data.stages import {fn}', 'from socialsignalbench.features.preprocess import {fn}')
    code = code.format(fn='stage_preprocess', args=', workers=2', out='[c.__dict__ for c in r.corpora]')
    cache = project / 'data' / 'kill' / 'cache'
    proc = run_py(code, cfg, cwd=project)
    t_end = time.time() + 300
    while len(entries(cache)) < 20 and proc.poll() is None and time.time() < t_end:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    done = entries(cache)
    n_rav = 4 * 60
    assert 0 < len(done) < n_rav, f'the run was not killed midway ({len(done)} entries)'
    time.sleep(1.5)  # orphaned workers notice their parent is gone and exit

    proc = run_py(code, cfg, cwd=project)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    rav = {c['corpus']: c for c in json.loads(out.strip().splitlines()[-1])}['ravdess']
    assert (rav['n_items'], rav['n_error']) == (n_rav, 0)
    assert rav['n_hit'] == len(done) and rav['n_computed'] == n_rav - len(done), (rav, len(done))
    assert not list(cache.glob('*/.*.tmp-*')), 'stray temp files left behind'

    import pandas as pd
    from socialsignalbench.features.cache import FeatureCache
    ix = pd.read_parquet(rav['index'])
    c = FeatureCache(cache)
    assert ix['ok'].all() and all(c.load(k)[0]['mfcc'].shape == (40, 2001) for k in ix['key'][:50])
