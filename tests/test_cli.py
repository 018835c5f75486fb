"""The command line end to end: `python -m socialsignalbench.pipeline.cli` / `ssb` on a scratch project with a small demo."""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
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


def test_help_never_imports_torch():
    code = ('import sys, contextlib, io\nfrom socialsignalbench.pipeline.cli import main\n'
            'with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit): main(["--help"])\n'
            'assert "preprocess" in out.getvalue(), out.getvalue()\n'
            'print(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")))')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]', r.stdout


def test_misspelt_key_is_a_clear_error(project):
    bad = project / 'configs' / 'bad.yaml'
    bad.write_text('extends: demo.yaml\nfeatures: {params: {mfcc: {n_mfc: 20}}}\n')
    r = ssb('--config', bad, '--mode', 'data_card')
    assert r.returncode == 2
    assert "unknown key 'features.params.mfcc.n_mfc'" in r.stderr and "did you mean 'n_mfcc'" in r.stderr and 'bad.yaml' in r.stderr
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
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == f'[ssb] outputs: {run}'
    assert [ln.split()[1:3] for ln in lines[:-1]] == [['1/3', 'demo_data'], ['2/3', 'data_card'], ['3/3', 'preprocess']]
    assert all(' done in ' in ln for ln in lines[:-1]), lines      # one line per stage
    assert 'warning' not in r.stderr.lower() and 'TCP' not in r.stderr, r.stderr   # no kernel/transport noise
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

    # under umask 022 every file the stages wrote is 0644 and every folder 0755 (run, manifests, feature cache)
    data = project / 'data' / 'demo'
    for root in (run, data / 'manifests', data / 'cache'):
        modes = {str(p.relative_to(project)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob('*')]}
        bad = {k: oct(m) for k, m in modes.items() if m != (0o755 if (project / k).is_dir() else 0o644)}
        assert len(modes) > 1 and not bad, sorted(bad.items())[:5]

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


def start_and_wait(cmd, cwd, marker, **popen):
    """Start `cmd` (in a session of its own, so that a signal reaches ssb and its kernel) and wait up to two minutes
    for its report to create `marker`; return the running process."""
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, 'SSB_PROGRESS': '0'}, start_new_session=True, **popen)
    for _ in range(600):
        if marker.exists():
            break
        time.sleep(0.2)
    assert marker.exists(), f'{marker} never appeared'
    return proc


def test_killed_ssb_leaves_no_hidden_files(project):
    """SIGKILL `ssb` while a report runs: the run folder holds a visible `<stage>.running.ipynb`, nothing hidden;
    the next run of the stage replaces it."""
    nb_dir = project / 'nbs' / 'reports'          # the project's own reports take precedence over the shipped ones
    nb_dir.mkdir(parents=True)
    (nb_dir / 'demo_data.ipynb').write_text(json.dumps({
        'cells': [{'cell_type': 'code', 'metadata': {'tags': ['parameters']}, 'source': "config_path = ''  # c\nrun_dir = ''  # r",
                   'outputs': [], 'execution_count': None},
                  {'cell_type': 'code', 'metadata': {}, 'source': 'import time, pathlib\npathlib.Path("started").touch()\n'
                   'time.sleep(0 if pathlib.Path("fast").exists() else 300)', 'outputs': [], 'execution_count': None}],
        'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
        'nbformat': 4, 'nbformat_minor': 5}))
    kernel_dirs = set(Path(tempfile.gettempdir()).glob('ssb-kernel-*'))
    try:
        env = {**os.environ, 'SSB_PROGRESS': '0'}
        cmd = [sys.executable, '-m', 'socialsignalbench.pipeline.cli', '--config', 'configs/small.yaml', '--mode',
               'demo_data', '--run-id', 'killed']
        run = project / 'outputs' / 'runs' / 'killed'
        proc = start_and_wait(cmd, project, run / 'started', stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.killpg(proc.pid, signal.SIGKILL)         # ssb and its kernel, as an OOM kill or a closed terminal would
        proc.wait()
        assert (run / 'demo_data.running.ipynb').exists()
        assert not [p.name for p in run.iterdir() if p.name.startswith('.')]
        (run / 'fast').touch()
        r = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        assert sorted(p.name for p in run.glob('demo_data*')) == ['demo_data.html', 'demo_data.ipynb']
    finally:
        shutil.rmtree(nb_dir.parent)
        for d in set(Path(tempfile.gettempdir()).glob('ssb-kernel-*')) - kernel_dirs:   # the killed ssb's IPC folder
            shutil.rmtree(d, ignore_errors=True)


def test_set_overrides_reach_the_run_config(project):
    """`--set` goes through config.parse_overrides into the run's config.yaml; a misspelt key is a config error."""
    r = ssb('--config', project / 'configs' / 'small.yaml', '--mode', 'demo_data', '--set', 'demo.seed=3',
            '--run-id', 'set', cwd=project)
    assert r.returncode == 0, r.stderr[-2000:]
    assert yaml.safe_load((project / 'outputs' / 'runs' / 'set' / 'config.yaml').read_text())['demo']['seed'] == 3
    bad = ssb('--config', project / 'configs' / 'small.yaml', '--mode', 'demo_data', '--set', 'demo.sed=3', cwd=project)
    assert bad.returncode == 2 and "did you mean 'seed'" in bad.stderr and '--set' in bad.stderr, bad.stderr


def fake_report(project, stage, source):
    """A project report `nbs/reports/<stage>.ipynb` (the project's own reports take precedence) running `source`."""
    nb_dir = project / 'nbs' / 'reports'
    nb_dir.mkdir(parents=True, exist_ok=True)
    (nb_dir / f'{stage}.ipynb').write_text(json.dumps({
        'cells': [{'cell_type': 'code', 'id': 'params', 'metadata': {'tags': ['parameters']}, 'outputs': [],
                   'source': "config_path = ''  # c\nrun_dir = ''  # r", 'execution_count': None},
                  {'cell_type': 'code', 'id': 'work', 'metadata': {}, 'source': source, 'outputs': [], 'execution_count': None}],
        'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}},
        'nbformat': 4, 'nbformat_minor': 5}))
    return nb_dir.parent


def test_ctrl_c_prints_one_line_saying_how_to_resume(project):
    nbs = fake_report(project, 'demo_data', 'import time, pathlib\npathlib.Path("started").touch()\ntime.sleep(300)')
    try:
        cmd = [sys.executable, '-m', 'socialsignalbench.pipeline.cli', '--config', 'configs/small.yaml', '--mode', 'demo_data',
               '--run-id', 'ctrl-c']
        run = project / 'outputs' / 'runs' / 'ctrl-c'
        # ssb starts as from a terminal, with Ctrl-C at its default: a test run launched as a background job (`cmd &` without
        # job control, as some CI launchers do) ignores SIGINT, and its children inherit that, so Ctrl-C would be ignored
        proc = start_and_wait(cmd, project, run / 'started', stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C in a terminal reaches ssb (the kernel runs in a session of its own)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert err == ("[ssb] interrupted (Ctrl-C) during stage 'demo_data' of run ctrl-c: to resume, run the same command with "
                       "--run-id ctrl-c (downloads, the feature cache and the files of finished stages are kept).\n"), err
        assert out.startswith('[ssb] 1/1 demo_data      ... interrupted after'), out
    finally:
        shutil.rmtree(nbs)


def test_stage_warnings_follow_done(project):
    nbs = fake_report(project, 'demo_data', 'import json\njson.dump({"warnings": ["the slice has 0 items"]}, '
                                            'open("demo_data_summary.json", "w"))')
    try:
        r = ssb('--config', 'configs/small.yaml', '--mode', 'demo_data', '--run-id', 'warned', cwd=project)
        assert r.returncode == 0, r.stderr[-2000:]
        assert '\n[ssb]   warning: the slice has 0 items\n' in r.stdout, r.stdout
    finally:
        shutil.rmtree(nbs)
