"""Training resumes after a SIGKILL and ends with the same weights and history as an uninterrupted run."""
import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd

from socialsignalbench.train.loop import HISTORY_FILE, STATE_FILE, fit, load_state, same_weights, strip_seconds

EPOCHS = 12
SETUP = textwrap.dedent(f"""
    import numpy as np, torch
    from torch import nn
    from types import SimpleNamespace
    from socialsignalbench.config import TrainConfig

    def data(n, seed):
        g = np.random.default_rng(seed)
        y = np.arange(n) % 3
        X = g.normal(size=(n, 8, 20)).astype(np.float32)
        X[np.arange(n), y] += 1.0
        return SimpleNamespace(X=X, y=y.astype(np.int64), groups=np.array([f's{{i % 8}}' for i in range(n)]),
                               classes=('a', 'b', 'c'))

    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Flatten(), nn.Linear(160, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
                             nn.Linear(64, 3))

    TR, VA = data(600, 0), data(90, 1)
    TCFG = TrainConfig(epochs={EPOCHS}, batch_size=8, lr=3e-3, patience=0, scheduler='cosine', device='cpu')
""")
ns = {}
exec(SETUP, ns)  # the same data, model and config in this process and in the child


def child(ckpt_dir):
    """Start a training in a subprocess that prints one line per epoch."""
    code = SETUP + textwrap.dedent(f"""
        from socialsignalbench.train.loop import fit
        fit(model(), TR, VA, TCFG, seed=7, ckpt_dir={str(ckpt_dir)!r}, threads=1, log=lambda l: print(l, flush=True))
    """)
    env = {**os.environ, 'SSB_PROGRESS': '0'}
    return subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True, env=env)


def test_killed_training_resumes_to_the_same_result(tmp_path):
    p = child(tmp_path)
    try:
        for line in p.stdout:
            if line.startswith('epoch 3/'):
                p.send_signal(signal.SIGKILL)   # mid-way through epoch 4 (or its state write)
                break
    finally:
        p.kill()
        p.wait(60)
    assert p.returncode == -signal.SIGKILL
    killed_at = len(load_state(tmp_path / STATE_FILE)['history'])
    assert 3 <= killed_at < EPOCHS, killed_at   # the kill really interrupted the training

    resumed = fit(ns['model'](), ns['TR'], ns['VA'], ns['TCFG'], seed=7, ckpt_dir=tmp_path, threads=1)
    straight = fit(ns['model'](), ns['TR'], ns['VA'], ns['TCFG'], seed=7, threads=1)
    assert resumed.resumed_from == killed_at
    assert len(straight.history) == EPOCHS
    assert strip_seconds(resumed.history) == strip_seconds(straight.history)
    assert same_weights(resumed.state, straight.state)
    assert strip_seconds(pd.read_csv(tmp_path / HISTORY_FILE).to_dict('records')) == strip_seconds(straight.history)
