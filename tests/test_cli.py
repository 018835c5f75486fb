"""The command line end to end: `python -m socialsignalbench.pipeline.cli` / `ssb` on a scratch project with a small demo."""
import json
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT, ssb
from socialsignalbench.pipeline.runner import discover_stages


def test_help_lists_every_mode():
    exe = Path(sys.executable).parent / 'ssb'   # the console script installed next to this Python
    assert exe.exists(), exe
    r = subprocess.run([str(exe), '--help'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for st in discover_stages():
        assert st.name in r.stdout, st.name
    r2 = ssb('--help')
    assert r2.returncode == 0 and r2.stdout == r.stdout


def test_misspelt_key_is_a_clear_error(project):
    bad = project / 'configs' / 'bad.yaml'
    bad.write_text('extends: demo.yaml\naudio: {n_mfc: 20}\n')
    r = ssb('--config', bad, '--mode', 'data_card')
    assert r.returncode == 2
    assert "unknown key 'audio.n_mfc'" in r.stderr and "did you mean 'n_mfcc'" in r.stderr and 'bad.yaml' in r.stderr
    assert not (project / 'outputs').exists()  # nothing was started


def test_unknown_mode_lists_valid_ones(project):
    r = ssb('--config', project / 'configs' / 'small.yaml', '--mode', 'demo-data')
    assert r.returncode == 2 and "Did you mean 'demo_data'" in r.stderr and 'data_card' in r.stderr


def test_failing_report_surfaces_the_cell_error(project):
    cfg = project / 'configs' / 'nock.yaml'
    cfg.write_text('extends: demo.yaml\nckplus: {root: data/nowhere/ckplus}\n')
    r = ssb('--config', cfg, '--mode', 'ingest_ckplus', '--run-id', 'nock')
    assert r.returncode == 1, r.stderr
    assert 'ckplus.root' in r.stderr and 'failing cell' in r.stderr
    run = project / 'outputs' / 'runs' / 'nock'
    assert (run / 'ingest_ckplus.failed.ipynb').exists() and not (run / 'ingest_ckplus.ipynb').exists()


def test_demo_pipeline_end_to_end(project):
    """demo_data -> data_card -> preprocess into one run directory, then a warm preprocess run with 100% cache hits."""
    small = project / 'configs' / 'small.yaml'
    r = ssb('--config', small, '--mode', 'demo_data', 'data_card', 'preprocess', '--run-id', 'e2e', cwd=project)
    assert r.returncode == 0, r.stderr[-3000:]
    run = project / 'outputs' / 'runs' / 'e2e'
    assert r.stdout.strip().splitlines()[-1] == f'[ssb] outputs: {run}'
    for stage in ('demo_data', 'data_card', 'preprocess'):
        assert (run / f'{stage}.ipynb').exists() and (run / f'{stage}.html').stat().st_size > 10_000, stage
    man = json.loads((run / 'manifest.json').read_text())
    assert sorted(man['inputs']) == ['ckplus', 'ravdess'] and man['seed'] == 1337
    assert yaml.safe_load((run / 'config.yaml').read_text())['demo']['n_actors'] == 4
    card = json.loads((run / 'data_card_summary.json').read_text())
    assert set(card['corpora']['ravdess']) == {'train', 'val', 'test'}
    cold = json.loads((run / 'preprocess_summary.json').read_text())
    assert {c['corpus'] for c in cold['corpora']} == {'ravdess', 'ckplus'}
    assert sum(c['n_computed'] for c in cold['corpora']) > 0

    r = ssb('--config', small, '--mode', 'preprocess', '--run-id', 'e2e-warm', cwd=project)
    assert r.returncode == 0, r.stderr[-3000:]
    warm = json.loads((project / 'outputs' / 'runs' / 'e2e-warm' / 'preprocess_summary.json').read_text())
    for c in warm['corpora']:
        assert c['n_computed'] == 0 and c['n_hit'] == c['n_items'] - c['n_error'], c


def test_wrapper_scripts_run_their_mode(project):
    """scripts/ingest_ckplus.py and scripts/download_ravdess.py are thin wrappers over the same CLI."""
    env = {**__import__('os').environ, 'SSB_PROGRESS': '0'}
    cfg = project / 'configs' / 'nock2.yaml'
    cfg.write_text('extends: demo.yaml\nckplus: {root: data/nowhere/ckplus}\n')
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'ingest_ckplus.py'), '--config', str(cfg), '--run-id', 'wrap'],
                       cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and 'ckplus.root' in r.stderr, r.stderr[-2000:]
    assert (project / 'outputs' / 'runs' / 'wrap' / 'ingest_ckplus.failed.ipynb').exists()
    r = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'download_ravdess.py'), '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and '--config' in r.stdout and 'download' in r.stdout
