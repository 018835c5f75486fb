"""Shared fixtures: a scratch project with small demo configs, a CLI runner, and the real data folder beside the repo."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared' / 'data'

SMALL = "extends: demo_tiny.yaml\nname: small-demo\n"   # configs/demo_tiny.yaml: 4 actors, 4 subjects


def pytest_configure(config):
    config.addinivalue_line('markers', 'real: runs on the real data in ../shared/data (skips when it is absent); '
                            '`pytest -m real` runs only these, `-m "not real"` leaves them out')
    config.addinivalue_line('markers', 'browser: runs headless Chromium (Debian packages chromium, chromium-driver); skipped without them')


def ssb(*args, cwd=None, timeout=900, umask=0o022):
    """Run `python -m socialsignalbench.pipeline.cli ARGS` in a subprocess (under the usual umask 022); return the
    CompletedProcess."""
    env = {**os.environ, 'SSB_PROGRESS': '0'}
    return subprocess.run([sys.executable, '-m', 'socialsignalbench.pipeline.cli', *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=lambda: os.umask(umask))


def ssb_ok(*args, cwd, timeout=900):
    """`ssb(...)` that must succeed: its output tails are the assertion message otherwise."""
    r = ssb(*args, cwd=cwd, timeout=timeout)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    return r


def new_project(tmp_path_factory, name='project'):
    """A scratch project: `settings.ini` marker, the shipped configs and `configs/small.yaml` (4 actors, 4 subjects)."""
    d = tmp_path_factory.mktemp(name)
    (d / 'settings.ini').write_text('')
    shutil.copytree(ROOT / 'configs', d / 'configs')
    (d / 'configs' / 'small.yaml').write_text(SMALL)
    return d


@pytest.fixture(scope='session')
def project(tmp_path_factory):
    """A scratch project shared by the tests of a session (see `new_project`)."""
    return new_project(tmp_path_factory)


@pytest.fixture(scope='session')
def suite_project(tmp_path_factory):
    """A scratch project of its own for the suite, so that the suite's runs, data and cache change no other test's project."""
    return new_project(tmp_path_factory, 'suite-project')


@pytest.fixture(scope='session')
def suite(suite_project):
    """`ssb --mode all` on the tiny demo (3 epochs) into `outputs/runs/suite` of `suite_project`, once per session: (suite
    folder, its CompletedProcess). Tests reading it must not change it."""
    r = ssb_ok('--config', 'configs/small.yaml', '--mode', 'all', '--set', 'train.epochs=3', '--run-id', 'suite',
               cwd=suite_project, timeout=1800)
    return suite_project / 'outputs' / 'runs' / 'suite', r


def need_shared(*parts):
    """The path under ../shared/data, or skip the test when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f'real data not available: {p}')
    return p
