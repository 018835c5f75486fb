"""`ssb` after a normal (non-editable) install: the wheel ships every report and config, and a stage runs from a folder
outside the checkout, writing only there, with the user's normal file permissions."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from socialsignalbench.pipeline.runner import discover_stages

# Top-level folders of a working checkout that are not sources (data, outputs, build leftovers).
_NOT_SOURCE = {'.git', '.venv', 'build', 'dist', 'data', 'outputs', '_proc', '_docs', '.pytest_cache'}


def _ignore(folder, names):
    top = Path(folder) == ROOT
    return [n for n in names if (top and n in _NOT_SOURCE) or n.endswith('.egg-info')
            or n in ('__pycache__', '.ipynb_checkpoints')]


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """A wheel built from a copy of the checkout (so no stale `build/` folder can leak into it)."""
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    shutil.copytree(ROOT, src, ignore=_ignore)
    r = subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(src), '--no-deps', '--no-build-isolation', '-q',
                        '-w', str(tmp / 'dist')], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'warning' not in r.stderr.lower(), r.stderr[-3000:]     # a quiet build: no setuptools noise
    (whl,) = (tmp / 'dist').glob('socialsignalbench-*.whl')
    return whl


@pytest.fixture(scope='module')
def site(wheel, tmp_path_factory):
    """The wheel installed (no dependencies: the venv has them) into a folder used as PYTHONPATH."""
    d = tmp_path_factory.mktemp('site')
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(d), str(wheel)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return d


def test_wheel_ships_every_report_and_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    reports = sorted(p.name for p in (ROOT / 'nbs' / 'reports').glob('*.ipynb'))
    configs = sorted(p.name for p in (ROOT / 'configs').glob('*.yaml'))
    assert reports and configs
    for n in reports:
        assert f'socialsignalbench/_reports/{n}' in names, n
    for n in configs:
        assert f'socialsignalbench/_configs/{n}' in names, n
    for st in discover_stages():
        assert f'socialsignalbench/_reports/{st.notebook}' in names, st.name
    assert not [n for n in names if n.startswith(('nbs/', 'configs/'))]    # shipped inside the package only


def _run(site, *args, cwd, umask=None):
    env = {**os.environ, 'PYTHONPATH': str(site), 'SSB_PROGRESS': '0'}
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def test_shipped_config_by_name_resolves_against_the_current_folder(site, tmp_path):
    r = _run(site, '-c', 'import socialsignalbench; from socialsignalbench.pipeline.runner import resolve_config, '
             "reports_dir; c = resolve_config('demo'); print(socialsignalbench.__file__, c.source, c.project_dir, "
             'reports_dir(c), sep="\\n")', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pkg, source, project, reports = r.stdout.split()
    assert Path(pkg).is_relative_to(site), pkg                     # the installed copy, not the checkout
    assert Path(source) == site / 'socialsignalbench' / '_configs' / 'demo.yaml'
    assert Path(project) == tmp_path.resolve()
    assert Path(reports) == site / 'socialsignalbench' / '_reports'


def _modes(root, names):
    """{relative path: permission bits} of the files (and folders) under `root`."""
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob('*') if p.name in names
            or names == '*'}


def test_stage_runs_outside_the_checkout(site, tmp_path):
    """`ssb init`, then a small demo config extending the starter one, run from a folder outside the checkout."""
    work = tmp_path / 'elsewhere'
    work.mkdir()
    r = _run(site, '-m', 'socialsignalbench.pipeline.cli', 'init', 'proj', cwd=work)
    assert r.returncode == 0, r.stderr
    proj = work / 'proj'
    (proj / 'small.yaml').write_text('extends: demo.yaml\ndemo: {n_actors: 4, n_subjects: 4}\n'
                                     'ravdess: {actors: [1, 2, 3, 4]}\nsplit: {n_train: 2, n_val: 1, n_test: 1}\n'
                                     'preprocess: {workers: 1}\n')
    r = _run(site, '-m', 'socialsignalbench.pipeline.cli', '--config', 'small.yaml', '--mode', 'demo_data',
             '--run-id', 'out', cwd=proj, umask=0o022)
    assert r.returncode == 0, r.stderr[-3000:]
    run = proj / 'outputs' / 'runs' / 'out'
    assert r.stdout.strip().splitlines()[-1] == f'[ssb] outputs: {run}'
    assert 'warning' not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
    assert (run / 'demo_data.ipynb').exists() and (run / 'demo_data.html').exists()
    assert json.loads((run / 'demo_data_summary.json').read_text())
    assert sorted(p.name for p in (proj / 'data' / 'demo' / 'manifests').glob('*.parquet')) == ['ckplus.parquet',
                                                                                                'ravdess.parquet']
    assert sorted(p.name for p in work.iterdir()) == ['proj']      # wrote only under the folder it ran in
    # umask 022: files 0644, folders 0755 (the atomic writes used to leave 0600)
    files = {k: m for k, m in _modes(proj, '*').items() if (proj / k).is_file()}
    run_files = {k: m for k, m in files.items() if k.startswith('outputs')}
    assert run_files and set(run_files.values()) == {0o644}, run_files
    manifests = {k: m for k, m in files.items() if '/manifests/' in k}
    assert manifests and set(manifests.values()) == {0o644}, manifests
    wavs = {k: m for k, m in files.items() if k.endswith('.wav')}
    assert wavs and set(wavs.values()) == {0o644}, sorted(wavs.items())[:3]
    assert stat.S_IMODE(run.stat().st_mode) == 0o755
